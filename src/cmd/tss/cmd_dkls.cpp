// `tss simulate` and `tss bench dkls`: the DKLs23 library with every party in this one process
// (dkls/local.h), for trying the protocol without a cluster and for timing it against the peer
// implementation in ../shared/bench-peers/ the same way that peer times itself.
//
// Owns: argument checking for both commands, picking signer sets, checking every signature a
// second time with libsecp256k1 (crypto::VerifyEcdsa) and its recovery id, and printing. Prints
// public data only (public key, key id, chain code and xpub, a derived child key, signatures,
// timings, byte counts) — never a share.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cmd/tss/command.h"
#include "common/bytes.h"
#include "crypto/bip32.h"
#include "crypto/ecdsa.h"
#include "crypto/hash.h"
#include "crypto/rng.h"
#include "dkls/dkls.h"

namespace {

using nlohmann::json;
using tss::cli::Fail;
using tss::cli::kExitFailure;
using tss::cli::kExitUsage;
namespace crypto = tss::crypto;
namespace dkls = tss::dkls;
using Clock = std::chrono::steady_clock;

double MillisecondsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Refuses what the library would refuse, but with a message naming the flag.
void CheckSizes(long n, long t, const std::string& what) {
  if (n < 2 || n > dkls::kMaxParties)
    Fail(kExitUsage, what + ": the number of parties must be 2.." +
                         std::to_string(dkls::kMaxParties) + ", not " + std::to_string(n));
  if (t < 2)
    Fail(kExitUsage, what + ": the threshold must be at least 2, not " + std::to_string(t));
  if (t > n)
    Fail(kExitUsage, what + ": the threshold (" + std::to_string(t) +
                         ") cannot exceed the number of parties (" + std::to_string(n) + ")");
}

// A fresh 32-byte session id: every run of a protocol must have its own.
tss::Bytes NewSessionId() {
  tss::Bytes id(32);
  crypto::SystemRandom().Fill(id);
  return id;
}

// The library has already verified the signature inside every signer; this checks it again
// through the plain libsecp256k1 verifier and checks that the recovery id names our key.
tss::Status CheckSignature(const crypto::Point& public_key, tss::ByteSpan hash,
                           const dkls::Signature& sig) {
  if (auto s = crypto::VerifyEcdsa(public_key, hash, sig.r, sig.s); !s.ok()) return s;
  auto recovered = crypto::RecoverEcdsa(hash, sig.r, sig.s, sig.recovery_id);
  if (!recovered.ok()) return recovered.status();
  if (*recovered != public_key)
    return tss::InternalError("the recovery id does not recover the group public key");
  return tss::Status::Ok();
}

std::vector<const dkls::KeyShare*> SharesOf(const std::vector<dkls::KeyShare>& shares,
                                            const std::vector<uint16_t>& signers) {
  std::vector<const dkls::KeyShare*> out;
  out.reserve(signers.size());
  for (uint16_t i : signers) out.push_back(&shares[i - 1]);
  return out;
}

// ---- tss simulate

struct SimulateFlags {
  long parties = 0;
  long threshold = 0;
  std::string message_hash;
  std::string chain_path;
  bool refresh = false;
  long quorum_change = 0;  // N′: move the key to N′ parties (0: no quorum change)
  bool json_out = false;
};

struct SignedRound {
  std::vector<uint16_t> signers;
  dkls::Signature signature;
  bool after_refresh = false;
  bool after_quorum_change = false;
  double ms = 0;
};

// The threshold the node uses for n validators: floor(2n/3) + 1.
uint16_t NodeThreshold(uint16_t n) {
  return static_cast<uint16_t>(2 * n / 3 + 1);
}

// Every holder of `shares` deals; holders 1..min(n, new_n) keep their index, those above new_n
// leave, and new_n > n brings joiners n + 1..new_n.
std::vector<dkls::QuorumChangeDealer> EveryoneDeals(const std::vector<dkls::KeyShare>& shares,
                                                    uint16_t new_n) {
  std::vector<dkls::QuorumChangeDealer> dealers;
  dealers.reserve(shares.size());
  for (const dkls::KeyShare& k : shares)
    dealers.push_back({&k, k.index <= new_n ? std::optional(k.index) : std::nullopt});
  return dealers;
}

std::string Join(const std::vector<uint16_t>& v) {
  std::string out;
  for (uint16_t i : v) out += (out.empty() ? "" : " ") + std::to_string(i);
  return out;
}

int Simulate(const SimulateFlags& f) {
  CheckSizes(f.parties, f.threshold, "simulate");
  auto hash = tss::FromHex(f.message_hash);
  if (!hash.ok() || hash->size() != 32)
    Fail(kExitUsage,
         "--message-hash must be 32 bytes as 64 hex digits (got \"" + f.message_hash + "\")");
  std::vector<uint32_t> path;
  if (!f.chain_path.empty()) {
    auto parsed = crypto::bip32::ParsePath(f.chain_path);
    if (!parsed.ok())
      Fail(kExitUsage, "--chain-path " + f.chain_path + ": " + parsed.status().message());
    path = std::move(parsed).value();
  }
  if (f.quorum_change != 0) {
    if (f.quorum_change < 2 || f.quorum_change > dkls::kMaxParties)
      Fail(kExitUsage, "--quorum-change: the new number of parties must be 2.." +
                           std::to_string(dkls::kMaxParties) + ", not " +
                           std::to_string(f.quorum_change));
    if (f.quorum_change + std::max(0L, f.parties - f.quorum_change) > dkls::kMaxParties)
      Fail(kExitUsage, "--quorum-change: too many members");
  }
  const auto n = static_cast<uint16_t>(f.parties), t = static_cast<uint16_t>(f.threshold);
  crypto::Rng& rng = crypto::SystemRandom();

  auto started = Clock::now();
  auto shares = dkls::LocalKeygen(n, t, NewSessionId(), rng);
  if (!shares.ok()) Fail(kExitFailure, "keygen failed: " + shares.status().message());
  const double keygen_ms = MillisecondsSince(started);
  const crypto::Point public_key = shares->front().public_key;
  const std::string key_id = shares->front().KeyIdHex();
  // The key signed for: the child at --chain-path (the root key for "m" or none), and its tweak.
  auto derived = shares->front().Derive(path);
  if (!derived.ok()) Fail(kExitFailure, "derivation failed: " + derived.status().message());
  const crypto::Point signing_key = derived->child.key;

  std::vector<SignedRound> rounds;
  auto sign = [&](const std::vector<dkls::KeyShare>& with, bool after_refresh,
                  std::vector<uint16_t> signers, bool after_quorum_change = false) {
    auto begun = Clock::now();
    auto sig = dkls::LocalSign(SharesOf(with, signers), *hash, NewSessionId(), rng, nullptr,
                               derived->tweak);
    const double ms = MillisecondsSince(begun);
    if (!sig.ok()) Fail(kExitFailure, "signing failed: " + sig.status().message());
    if (auto s = CheckSignature(signing_key, *hash, *sig); !s.ok())
      Fail(kExitFailure, "the signature by parties " + Join(signers) +
                             " does not verify with libsecp256k1: " + s.message());
    rounds.push_back({std::move(signers), *sig, after_refresh, after_quorum_change, ms});
  };
  sign(*shares, false, dkls::RandomSigners(n, t, rng));

  std::optional<double> refresh_ms;
  std::optional<crypto::Point> refreshed_public_key;  // as the refreshed shares hold it
  // A refresh or quorum change keeps the public key, key id and chain code.
  auto expect_same_key = [&](const dkls::KeyShare& share, const std::string& what) {
    if (share.public_key != public_key || share.KeyIdHex() != key_id)
      Fail(kExitFailure, what + " changed the public key or key id");
    auto again = share.Derive(path);
    if (!again.ok() || again->child != derived->child || again->tweak != derived->tweak)
      Fail(kExitFailure, what + " changed the chain code: the path derives another key");
  };
  // The shares in use: the keygen's, then the refreshed ones (the quorum change moves those).
  std::vector<dkls::KeyShare> current = std::move(shares).value();
  if (f.refresh) {
    started = Clock::now();
    auto refreshed = dkls::LocalKeyrefresh(current, NewSessionId(), rng);
    if (!refreshed.ok()) Fail(kExitFailure, "keyrefresh failed: " + refreshed.status().message());
    refresh_ms = MillisecondsSince(started);
    refreshed_public_key = refreshed->front().public_key;
    expect_same_key(refreshed->front(), "keyrefresh");
    // Another signer set if there is one (t < n), so the refreshed shares of parties that did
    // not sign before are exercised too.
    std::vector<uint16_t> signers = dkls::RandomSigners(n, t, rng);
    while (t < n && signers == rounds.front().signers) signers = dkls::RandomSigners(n, t, rng);
    sign(*refreshed, true, std::move(signers));
    current = std::move(refreshed).value();
  }

  // Every holder deals; the new set signs (a random t′ of it, the last new index among them so
  // that a joiner signs when there is one).
  std::optional<double> quorum_change_ms;
  const auto new_n = static_cast<uint16_t>(f.quorum_change);
  const uint16_t new_t = new_n ? NodeThreshold(new_n) : 0;
  if (new_n) {
    started = Clock::now();
    auto moved =
        dkls::LocalQuorumChange(EveryoneDeals(current, new_n), new_n, new_t, NewSessionId(), rng);
    if (!moved.ok()) Fail(kExitFailure, "quorum change failed: " + moved.status().message());
    quorum_change_ms = MillisecondsSince(started);
    expect_same_key(moved->front(), "the quorum change");
    std::vector<uint16_t> signers = dkls::RandomSigners(new_n, new_t, rng);
    if (std::find(signers.begin(), signers.end(), new_n) == signers.end()) signers.back() = new_n;
    sign(*moved, false, std::move(signers), true);
  }

  const std::string public_key_hex = tss::ToHex(public_key.ToBytes());
  if (f.json_out) {
    json out = {{"key_id", key_id},
                {"public_key", public_key_hex},
                {"parties", n},
                {"threshold", t},
                {"message_hash", tss::ToHex(*hash)},
                {"chain_code", tss::ToHex(*current.front().chain_code)},
                {"xpub", crypto::bip32::EncodeXpub(*current.front().ExtendedKey())}};
    if (!f.chain_path.empty()) {
      out["chain_path"] = f.chain_path;
      out["child_public_key"] = tss::ToHex(signing_key.ToBytes());
    }
    json signatures = json::array();
    for (const SignedRound& r : rounds)
      signatures.push_back({{"signers", r.signers},
                            {"r", tss::ToHex(r.signature.r.ToBytes())},
                            {"s", tss::ToHex(r.signature.s.ToBytes())},
                            {"v", r.signature.recovery_id},
                            {"after_refresh", r.after_refresh},
                            {"after_quorum_change", r.after_quorum_change}});
    out["signatures"] = signatures;
    json timings = {{"keygen", keygen_ms}, {"sign", rounds.front().ms}};
    if (refresh_ms) {
      out["public_key_after_refresh"] = tss::ToHex(refreshed_public_key->ToBytes());
      timings["keyrefresh"] = *refresh_ms;
      timings["sign_after_refresh"] = rounds[1].ms;
    }
    if (quorum_change_ms) {
      out["quorum_change"] = {{"parties", new_n}, {"threshold", new_t}};
      timings["quorum_change"] = *quorum_change_ms;
      timings["sign_after_quorum_change"] = rounds.back().ms;
    }
    out["timings_ms"] = timings;
    std::cout << out.dump() << "\n";
    return tss::cli::kExitOk;
  }
  std::printf("keygen: %u parties, threshold %u, %.1f ms\n", n, t, keygen_ms);
  std::printf("key_id: %s\npublic_key: %s\nxpub: %s\n", key_id.c_str(), public_key_hex.c_str(),
              crypto::bip32::EncodeXpub(*current.front().ExtendedKey()).c_str());
  if (!f.chain_path.empty())
    std::printf("chain_path: %s\nchild_public_key: %s (signed for; verified under it)\n",
                f.chain_path.c_str(), tss::ToHex(signing_key.ToBytes()).c_str());
  for (const SignedRound& r : rounds) {
    if (r.after_refresh)
      std::printf("keyrefresh: %.1f ms, public key and key id unchanged\n", *refresh_ms);
    if (r.after_quorum_change)
      std::printf(
          "quorum change to %u parties, threshold %u: %.1f ms, public key, key id and "
          "chain code unchanged\n",
          new_n, new_t, *quorum_change_ms);
    std::printf("sign by parties %s: %.2f ms, verified\n  r: %s\n  s: %s\n  v: %u\n",
                Join(r.signers).c_str(), r.ms, tss::ToHex(r.signature.r.ToBytes()).c_str(),
                tss::ToHex(r.signature.s.ToBytes()).c_str(), r.signature.recovery_id);
  }
  return tss::cli::kExitOk;
}

// ---- tss bench dkls

struct BenchConfig {
  uint16_t t = 0, n = 0;
};

std::vector<BenchConfig> ParseConfigs(const std::string& spec) {
  std::vector<BenchConfig> out;
  size_t begin = 0;
  while (begin <= spec.size()) {
    size_t end = spec.find(',', begin);
    if (end == std::string::npos) end = spec.size();
    const std::string item = spec.substr(begin, end - begin);
    const size_t slash = item.find('/');
    long t = 0, n = 0;
    size_t used_t = 0, used_n = 0;
    try {
      if (slash == std::string::npos) throw std::invalid_argument("no slash");
      t = std::stol(item.substr(0, slash), &used_t);
      n = std::stol(item.substr(slash + 1), &used_n);
    } catch (const std::exception&) {
      used_t = 0;
    }
    if (used_t == 0 || used_t != slash || used_n != item.size() - slash - 1)
      Fail(kExitUsage, "bench dkls: \"" + item + "\" is not T/N (e.g. 2/3,3/5,5/7)");
    CheckSizes(n, t, "bench dkls " + item);
    out.push_back({static_cast<uint16_t>(t), static_cast<uint16_t>(n)});
    begin = end + 1;
  }
  return out;
}

// The peer's median: the middle element of the sorted list (the upper one for an even count).
double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct BenchRow {
  BenchConfig config;
  double keygen_ms = 0, sign_ms = 0, quorum_change_ms = 0;
  size_t keygen_bytes = 0, sign_bytes = 0, quorum_change_bytes = 0;
  uint16_t quorum_change_n = 0, quorum_change_t = 0;
  bool verified = true;
};

// The quorum change benched after each keygen: one validator joins (n + 1 parties, the node's
// threshold floor(2(n + 1)/3) + 1), every holder deals; at n = 255, one leaves instead.
BenchConfig QuorumChangeTarget(BenchConfig c) {
  const uint16_t n = c.n < dkls::kMaxParties ? c.n + 1 : c.n - 1;
  return {NodeThreshold(n), n};
}

// Times the way ../shared/bench-peers/bench.mjs does: keygen among all n, then signing by the
// first t of the fresh shares, a new key and a new message ("hello <rep>", SHA-256) per
// repetition; the signature is checked after the clock stops. With `quorum_change`, then (the
// peer has none) a quorum change of that key (QuorumChangeTarget), checked afterwards by a
// signature of the first t′ new holders.
BenchRow BenchOne(BenchConfig c, int reps, bool quorum_change) {
  crypto::Rng& rng = crypto::SystemRandom();
  BenchRow row{c};
  std::vector<double> keygen_ms, sign_ms, quorum_change_ms;
  for (int rep = 0; rep < reps; ++rep) {
    dkls::Traffic keygen_traffic, sign_traffic;
    auto started = Clock::now();
    auto shares = dkls::LocalKeygen(c.n, c.t, NewSessionId(), rng, &keygen_traffic);
    keygen_ms.push_back(MillisecondsSince(started));
    if (!shares.ok()) Fail(kExitFailure, "keygen failed: " + shares.status().message());

    const crypto::Digest hash = crypto::Sha256(tss::AsBytes("hello " + std::to_string(rep)));
    std::vector<uint16_t> signers;
    for (uint16_t i = 1; i <= c.t; ++i) signers.push_back(i);
    started = Clock::now();
    auto sig =
        dkls::LocalSign(SharesOf(*shares, signers), hash, NewSessionId(), rng, &sign_traffic);
    sign_ms.push_back(MillisecondsSince(started));
    if (!sig.ok()) Fail(kExitFailure, "signing failed: " + sig.status().message());

    row.verified = row.verified && CheckSignature(shares->front().public_key, hash, *sig).ok();
    row.keygen_bytes = keygen_traffic.bytes;
    row.sign_bytes = sign_traffic.bytes;
    if (!quorum_change) continue;

    const BenchConfig to = QuorumChangeTarget(c);
    dkls::Traffic qc_traffic;
    started = Clock::now();
    auto moved = dkls::LocalQuorumChange(EveryoneDeals(*shares, to.n), to.n, to.t, NewSessionId(),
                                         rng, &qc_traffic);
    quorum_change_ms.push_back(MillisecondsSince(started));
    if (!moved.ok()) Fail(kExitFailure, "quorum change failed: " + moved.status().message());
    std::vector<uint16_t> new_signers;
    for (uint16_t i = 1; i <= to.t; ++i) new_signers.push_back(i);
    auto after = dkls::LocalSign(SharesOf(*moved, new_signers), hash, NewSessionId(), rng);
    row.verified =
        row.verified && after.ok() && CheckSignature(shares->front().public_key, hash, *after).ok();
    row.quorum_change_bytes = qc_traffic.bytes;
    row.quorum_change_n = to.n;
    row.quorum_change_t = to.t;
  }
  row.keygen_ms = Median(keygen_ms);
  row.sign_ms = Median(sign_ms);
  if (quorum_change) row.quorum_change_ms = Median(quorum_change_ms);
  return row;
}

struct BenchFlags {
  std::string configs;
  int reps = 3;
  bool quorum_change = false;
  bool json_out = false;
};

int BenchDkls(const BenchFlags& f) {
  const std::vector<BenchConfig> configs = ParseConfigs(f.configs);
  if (f.reps < 1) Fail(kExitUsage, "bench dkls: REPS must be at least 1");
  bool all_verified = true;
  json rows = json::array();
  // Same header, columns and number formats as the peer's bench.mjs, so the tables line up; our
  // quorum change (which the peer does not have), when asked for, in columns after them.
  if (!f.json_out)
    std::printf("config  keygen_ms  sign_ms  keygen_bytes  sign_bytes  verified%s\n",
                f.quorum_change ? "  quorum_change  quorum_change_ms  quorum_change_bytes" : "");
  for (const BenchConfig& c : configs) {
    const BenchRow row = BenchOne(c, f.reps, f.quorum_change);
    all_verified = all_verified && row.verified;
    const std::string name = std::to_string(c.t) + "-of-" + std::to_string(c.n);
    if (f.json_out) {
      json entry = {{"config", name},
                    {"t", c.t},
                    {"n", c.n},
                    {"reps", f.reps},
                    {"keygen_ms", row.keygen_ms},
                    {"sign_ms", row.sign_ms},
                    {"keygen_bytes", row.keygen_bytes},
                    {"sign_bytes", row.sign_bytes},
                    {"verified", row.verified}};
      if (f.quorum_change) {
        entry["quorum_change"] = {{"t", row.quorum_change_t}, {"n", row.quorum_change_n}};
        entry["quorum_change_ms"] = row.quorum_change_ms;
        entry["quorum_change_bytes"] = row.quorum_change_bytes;
      }
      rows.push_back(std::move(entry));
    } else {
      std::printf("%s  %.1f  %.2f  %zu  %zu  %s", name.c_str(), row.keygen_ms, row.sign_ms,
                  row.keygen_bytes, row.sign_bytes, row.verified ? "true" : "false");
      if (f.quorum_change)
        std::printf("  to-%u-of-%u  %.1f  %zu", row.quorum_change_t, row.quorum_change_n,
                    row.quorum_change_ms, row.quorum_change_bytes);
      std::printf("\n");
      std::fflush(stdout);
    }
  }
  if (f.json_out) std::cout << rows.dump() << "\n";
  return all_verified ? tss::cli::kExitOk : kExitFailure;
}

// `bench` may gain other groups (e.g. from another cmd_*.cpp); share one parent.
CLI::App* BenchCommand(CLI::App& app) {
  try {
    return app.get_subcommand("bench");
  } catch (const CLI::OptionNotFound&) {
    auto* bench = app.add_subcommand("bench", "Benchmarks run inside this process");
    bench->require_subcommand(1);
    return bench;
  }
}

const tss::cli::RegisterCommands kRegister([](CLI::App& app) {
  auto* simulate = app.add_subcommand(
      "simulate",
      "Keygen, sign (and with --refresh: keyrefresh, sign again; with --quorum-change N′: move "
      "the key to N′ parties, sign again) with all parties in this process; every signature "
      "verified");
  auto sf = std::make_shared<SimulateFlags>();
  simulate->add_option("--parties", sf->parties, "Number of parties n")->required();
  simulate->add_option("--threshold", sf->threshold, "Signers needed t (2 ≤ t ≤ n)")->required();
  simulate->add_option("--message-hash", sf->message_hash, "The 32-byte hash to sign, as hex")
      ->required();
  simulate->add_option("--chain-path", sf->chain_path,
                       "Sign for the key's BIP32 child at this non-hardened path, e.g. m/0/7");
  simulate->add_flag("--refresh", sf->refresh, "Also refresh the key and sign again");
  simulate->add_option("--quorum-change", sf->quorum_change,
                       "Then move the key to N′ parties (threshold floor(2N′/3)+1; every holder "
                       "deals, joiners or leavers as needed) and sign with the new set");
  simulate->add_flag("--json", sf->json_out, "Print one JSON object");
  simulate->callback([sf] { std::exit(Simulate(*sf)); });

  auto* dkls_cmd = BenchCommand(app)->add_subcommand(
      "dkls",
      "Median keygen and sign (with --quorum-change: and quorum change to n + 1) time and bytes, "
      "all parties in one thread, in memory");
  auto bf = std::make_shared<BenchFlags>();
  dkls_cmd->add_option("CONFIGS", bf->configs, "Comma list of T/N, e.g. 2/3,3/5,5/7")->required();
  dkls_cmd->add_option("REPS", bf->reps, "Repetitions per configuration")->capture_default_str();
  dkls_cmd->add_flag("--quorum-change", bf->quorum_change,
                     "Also time a quorum change of each key to n + 1 parties (one joiner, "
                     "threshold floor(2(n+1)/3)+1, every holder dealing): columns after the "
                     "peer's");
  dkls_cmd->add_flag("--json", bf->json_out, "Print a JSON array instead of the table");
  dkls_cmd->callback([bf] { std::exit(BenchDkls(*bf)); });
});

}  // namespace
