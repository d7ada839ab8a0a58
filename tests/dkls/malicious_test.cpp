// Malicious-party tests: one party of a keygen, keyrefresh or signing run deviates (through
// RunLocal's interceptor) and the honest parties must abort, name it, and output nothing.
//
// Each case tampers with one field of one round payload (decoded with dkls/wire.h, changed in a
// meaningful way, re-encoded), or with the envelope (replay, non-signer, duplicate, missing,
// wrong round, misaddressed, forged sender), in every message the malicious party sends in that
// round, so that every honest party receives a tampered copy. Where DKLs23 cannot do better the
// case says so and tests what the papers guarantee instead:
//  - the last round of signing (and ψ, which only enters it) has no identifiable abort: DKLs23
//    (eprint 2023/765, Protocol 3.6 step 10 and §1, "security with abort") only verifies the
//    combined signature, so a wrong w_j, u_j or ψ_{j,i} makes every honest signer abort without
//    a culprit — and never output a wrong signature;
//  - some choices of a malicious party are indistinguishable from honest ones (its half of a
//    zero-sharing seed, a base-OT receiver's blinded choice B_i): they cannot be refused when
//    made, and the harm they can do shows up later as an abort (tested below where it can be).
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "crypto/ot/ot.h"
#include "crypto/ot/ote.h"
#include "dkls/key_share_testing.h"
#include "dkls/wire.h"
#include "dkls_test_util.h"

namespace tss::dkls {
namespace {

using crypto::Point;
using crypto::Scalar;
using testing::CachedKey;
using testing::HashOf;
using testing::Pick;
using testing::Sid;
namespace ot = crypto::ot;

enum class Proto { kKeygen, kRefresh, kSign };

const char* ProtoName(Proto p) {
  return p == Proto::kKeygen ? "Keygen" : p == Proto::kRefresh ? "Refresh" : "Sign";
}

// Keygen and refresh run (t, n) = (2, 3) with party 2 malicious; signing runs with signers
// {1, 3, 4} of a (3, 4) key, signer 3 malicious and key holder 2 outside the signer set.
constexpr uint16_t kDkgN = 3, kDkgT = 2, kDkgMalicious = 2;
const std::vector<uint16_t> kSigners = {1, 3, 4};
constexpr uint16_t kSignMalicious = 3, kNonSigner = 2;

// One run of a protocol (a trial): every party's session, and the randomness they share.
class Trial {
 public:
  Trial(Proto proto, const std::string& sid, uint64_t seed)
      : proto_(proto), sid_(Sid(sid)), rng_(seed) {
    if (proto == Proto::kSign) {
      for (uint16_t s : kSigners)
        Add(SignSession::Create(CachedKey(4, 3)[s - 1], kSigners, HashOf("malicious"), sid_, rng_));
    } else if (proto == Proto::kRefresh) {
      for (const KeyShare& k : CachedKey(kDkgN, kDkgT))
        Add(KeyrefreshSession::Create(k, sid_, rng_));
    } else {
      for (uint16_t i = 1; i <= kDkgN; ++i) Add(KeygenSession::Create(kDkgN, kDkgT, i, sid_, rng_));
    }
  }

  Proto proto() const { return proto_; }
  const Bytes& sid() const { return sid_; }
  uint16_t malicious() const { return proto_ == Proto::kSign ? kSignMalicious : kDkgMalicious; }
  std::vector<Session*> sessions() const {
    std::vector<Session*> out;
    for (const auto& s : sessions_) out.push_back(s.get());
    return out;
  }
  std::vector<Session*> honest() const {
    std::vector<Session*> out;
    for (Session* s : sessions())
      if (s->me() != malicious()) out.push_back(s);
    return out;
  }
  static bool HasOutput(const Session& s) {
    if (s.protocol() == ProtocolKind::kSign)
      return static_cast<const SignSession&>(s).signature().has_value();
    return static_cast<const DkgSession&>(s).share() != nullptr;
  }
  Status Go(const Interceptor& intercept) { return RunLocal(sessions(), nullptr, intercept); }

 private:
  template <typename S>
  void Add(Result<std::unique_ptr<S>> s) {
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    sessions_.push_back(std::move(s).value());
  }

  Proto proto_;
  Bytes sid_;
  crypto::DeterministicRng rng_;
  std::vector<std::unique_ptr<Session>> sessions_;
};

// ---- Mutations of a payload's fields.

using Mutation = std::function<void(Message&, const Trial&)>;

template <typename T>
Result<T> DecodePayload(ByteSpan bytes, Proto proto) {
  if constexpr (std::is_same_v<T, wire::DkgRound2>) {
    const bool keygen = proto == Proto::kKeygen;
    return T::Decode(bytes, keygen ? kDkgT : kDkgT - 1, keygen);
  } else {
    return T::Decode(bytes);
  }
}

// Decodes the payload as T, lets `edit` change it, re-encodes it.
template <typename T>
Mutation Edit(std::function<void(T&)> edit) {
  return [edit](Message& m, const Trial& run) {
    auto decoded = DecodePayload<T>(m.payload, run.proto());
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    edit(*decoded);
    m.payload = decoded->Encode();
  };
}

void Flip(std::span<uint8_t> bytes, size_t at = 0) {
  bytes[at] ^= 0x01;
}
Point Next(const Point& p) {
  return p + Point::Generator();
}
// A different valid point / canonical scalar in place of the one encoded at `at`.
void NextPointAt(Bytes& b, size_t at) {
  auto p = Point::FromBytes(ByteSpan(b).subspan(at, Point::kCompressedSize));
  ASSERT_TRUE(p.ok());
  auto e = Next(*p).ToBytes();
  std::copy(e.begin(), e.end(), b.begin() + static_cast<ptrdiff_t>(at));
}
void NextScalarAt(Bytes& b, size_t at) {
  auto s = Scalar::FromBytes(ByteSpan(b).subspan(at, 32));
  ASSERT_TRUE(s.ok());
  auto e = (*s + Scalar::One()).ToBytes();
  std::copy(e.begin(), e.end(), b.begin() + static_cast<ptrdiff_t>(at));
}

// Layouts of the OT messages inside the payloads (crypto/ot/setup.cpp, rvole.cpp, ote.cpp).
constexpr size_t kOtTag = 16;
// Setup m1: tag | A | Schnorr proof (R, z). m2: tag | B_0..B_127. m3: tag | (H(k_i0), H(k_i1)).
constexpr size_t kSetupKeyA = kOtTag, kSetupProofZ = kOtTag + 33 + 33, kSetupB0 = kOtTag;
constexpr size_t kSetupConfirm0 = kOtTag;
// RVOLE m1: tag | Bob's nonce | KOS u matrix | x̃ | t̃_0..t̃_127.
// m2: tag | Alice's nonce | τ | H(r) | u.
constexpr size_t kRvoleNonce = kOtTag, kRvoleU = kOtTag + 32;
constexpr size_t kRvoleAliceNonce = kOtTag, kRvoleTau = kOtTag + 32;
size_t RvoleXTilde() {
  return ot::RvoleMessage1Size() - 16 - ot::kKappa * 16;
}
size_t RvoleRDigest() {
  return ot::RvoleMessage2Size(ot::kSignInputs) - 64;
}

// ---- Attacks: how the malicious party's messages of one round are changed.

using Attack = std::function<Interceptor(Trial& run, int round)>;

// Every message the malicious party sends in `round` goes through `mutate`.
Attack Tamper(const Mutation& mutate) {
  return [mutate](Trial& run, int round) -> Interceptor {
    return [&run, mutate, round](Message& m, std::vector<Message>&) {
      if (m.from == run.malicious() && m.round == round) mutate(m, run);
      return true;
    };
  };
}

// Before each of the malicious party's messages of `round`, `make` may add others.
Attack Inject(
    const std::function<void(const Message&, const Trial&, std::vector<Message>&)>& make) {
  return [make](Trial& run, int round) -> Interceptor {
    return [&run, make, round](Message& m, std::vector<Message>& extra) {
      if (m.from != run.malicious() || m.round != round) return true;
      make(m, run, extra);
      extra.push_back(m);  // the original after the injected ones
      return false;
    };
  };
}

Attack Drop() {
  return [](Trial& run, int round) -> Interceptor {
    return [&run, round](Message& m, std::vector<Message>&) {
      return !(m.from == run.malicious() && m.round == round);
    };
  };
}

// The malicious party's messages of `round` in an earlier run (another session id): whole
// (`payload_only` false) or only their payloads under this run's headers.
Attack Replay(bool payload_only) {
  return [payload_only](Trial& run, int round) -> Interceptor {
    auto old = std::make_shared<std::map<uint16_t, Message>>();  // by recipient
    Trial source(run.proto(), "an earlier run", 99);
    Status st = source.Go([&](Message& m, std::vector<Message>&) {
      if (m.from == source.malicious() && m.round == round) (*old)[m.to] = m;
      return true;
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
    return [&run, old, round, payload_only](Message& m, std::vector<Message>&) {
      if (m.from != run.malicious() || m.round != round) return true;
      const Message& replayed = old->at(m.to);
      if (payload_only) {
        m.payload = replayed.payload;
      } else {
        m = replayed;
      }
      return true;
    };
  };
}

// A malicious keygen/refresh dealer who commits in round 1 to the round-2 opening it then sends:
// its round-1 messages are held back until its round-2 message to the same recipient exists;
// `edit` changes that opening (coefficients, proof, share), and the round-1 commitment is
// recomputed over it, so the commitment check passes and the later checks must catch the lie.
// Only recipients in `victims` (all when empty) are lied to.
Attack Recommit(const std::function<void(wire::DkgRound2&, uint16_t to)>& edit,
                const std::vector<uint16_t>& victims = {}) {
  return [edit, victims](Trial& run, int) -> Interceptor {
    auto rng = std::make_shared<crypto::DeterministicRng>(5);
    return testing::Recommitting(
        run.malicious(), victims, [&run, edit, rng](Message& r1, Message& m) {
          auto r2 = DecodePayload<wire::DkgRound2>(m.payload, run.proto());
          auto d1 = wire::DkgRound1::Decode(r1.payload);
          EXPECT_TRUE(r2.ok() && d1.ok());
          if (!r2.ok() || !d1.ok()) return;
          edit(*r2, m.to);
          const Bytes part =
              wire::DkgBroadcastPart(m.from, r2->coefficients, r2->proof, r2->chain_contribution);
          d1->commitment = crypto::Commit(run.sid(), part, r2->opening, *rng);
          r1.payload = d1->Encode();
          m.payload = r2->Encode();
        });
  };
}

// The (honest) key of the base-OT sender in the setup the malicious party answers with m2: the
// recipient's round-1 ot_m1 to the malicious party carries it.
Attack OtReceiverReusesSenderKey() {
  return [](Trial& run, int round) -> Interceptor {
    auto keys = std::make_shared<std::map<uint16_t, Bytes>>();  // by honest party
    return [&run, keys, round](Message& m, std::vector<Message>&) {
      if (m.round == 1 && m.to == run.malicious()) {
        auto d = wire::DkgRound1::Decode(m.payload);
        EXPECT_TRUE(d.ok());
        if (d.ok())
          (*keys)[m.from] = Bytes(d->ot_m1.begin() + kSetupKeyA,
                                  d->ot_m1.begin() + kSetupKeyA + Point::kCompressedSize);
      }
      if (m.from == run.malicious() && m.round == round) {
        auto d = DecodePayload<wire::DkgRound2>(m.payload, run.proto());
        EXPECT_TRUE(d.ok());
        if (!d.ok()) return true;
        const Bytes& a = keys->at(m.to);
        std::copy(a.begin(), a.end(), d->ot_m2.begin() + kSetupB0);
        m.payload = d->Encode();
      }
      return true;
    };
  };
}

// ---- What the honest parties must conclude.

enum class Verdict {
  kBlame,           // each aborts with kProtocolAbort naming the malicious party
  kUnattributable,  // each aborts with kProtocolAbort and no culprit (see the file comment)
  kWaiting,         // each is still waiting, for the malicious party only
  kClaimedSender,   // each aborts naming the party the message claims to be from (see below)
  kUndetectable,    // each finishes: the deviation is indistinguishable from an honest choice
};

// SignSession::burned_peer's contract (sign.h): a failure in a check that involves the pair's OT
// material — the multiplication in either direction (its messages' decoding and checks) or the
// Γ checks on its output — names that peer for burning; no other failure burns anything.
bool InvolvesOtMaterial(const Status& status) {
  const std::string& m = status.message();
  return m.find("multiplication") != std::string::npos || m.find("Γ^") != std::string::npos;
}

void ExpectVerdict(const Trial& run, const Status& result, Verdict verdict, uint16_t culprit,
                   const std::string& why = "") {
  if (verdict != Verdict::kUndetectable) {
    EXPECT_FALSE(result.ok());
  }
  for (const Session* s : run.honest()) {
    SCOPED_TRACE("honest party " + std::to_string(s->me()) + ": " + s->status().ToString());
    EXPECT_NE(s->status().message().find(why), std::string::npos);
    if (s->protocol() == ProtocolKind::kSign) {
      const auto& burned = static_cast<const SignSession&>(*s).burned_peer();
      if (s->Failed() && InvolvesOtMaterial(s->status())) {
        EXPECT_EQ(burned, std::optional<uint16_t>(culprit));
      } else {
        EXPECT_EQ(burned, std::nullopt);
      }
    }
    switch (verdict) {
      case Verdict::kBlame:
        ASSERT_TRUE(s->Failed());
        EXPECT_EQ(s->status().code(), ErrorCode::kProtocolAbort);
        EXPECT_EQ(s->status().culprit(), culprit);
        EXPECT_NE(s->status().message().find("party " + std::to_string(culprit)),
                  std::string::npos);
        break;
      case Verdict::kUnattributable:
        ASSERT_TRUE(s->Failed());
        EXPECT_EQ(s->status().code(), ErrorCode::kProtocolAbort);
        EXPECT_FALSE(s->status().culprit().has_value());
        break;
      case Verdict::kWaiting:
        EXPECT_FALSE(s->Failed());
        EXPECT_EQ(s->Waiting(), std::vector<uint16_t>{culprit});
        EXPECT_EQ(result.code(), ErrorCode::kTimeout);
        break;
      case Verdict::kClaimedSender:
        ASSERT_TRUE(s->Failed());
        ASSERT_TRUE(s->status().culprit().has_value());
        EXPECT_NE(*s->status().culprit(), s->me());
        EXPECT_NE(*s->status().culprit(), culprit);
        break;
      case Verdict::kUndetectable:
        EXPECT_TRUE(s->Done());
        EXPECT_TRUE(Trial::HasOutput(*s));
        continue;
    }
    EXPECT_FALSE(s->Done());
    EXPECT_FALSE(Trial::HasOutput(*s));
  }
}

struct Case {
  std::string name;
  Proto proto;
  int round;
  std::string why;  // in every honest party's error (any error when empty)
  Attack attack;
  Verdict verdict;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

// ---- The table.

std::vector<Case> Cases() {
  std::vector<Case> cases;
  const auto add = [&](Proto proto, int round, const std::string& name, const std::string& why,
                       Attack attack, Verdict verdict = Verdict::kBlame) {
    cases.push_back({std::string(ProtoName(proto)) + "_R" + std::to_string(round) + "_" + name,
                     proto, round, why, std::move(attack), verdict});
  };
  using wire::DkgRound1, wire::DkgRound2, wire::DkgRound3;
  using wire::SignRound1, wire::SignRound2, wire::SignRound3;

  for (Proto p : {Proto::kKeygen, Proto::kRefresh}) {
    const bool keygen = p == Proto::kKeygen;
    // Round 1: context (parameters / old key fingerprint), commitment, base-OT m1 (B→A).
    add(p, 1, "ContextOfAnotherRun", keygen ? "other parameters" : "refreshes another key",
        Tamper(Edit<DkgRound1>([](auto& m) { Flip(m.context); })));
    // Caught in round 2, when the opening does not match.
    add(p, 1, "WrongCommitment", "commitment opening does not match",
        Tamper(Edit<DkgRound1>([](auto& m) { Flip(m.commitment.value); })));
    add(p, 1, "OtM1WrongTag", "OT setup message m1 belongs to another session",
        Tamper(Edit<DkgRound1>([](auto& m) { Flip(m.ot_m1); })));
    add(p, 1, "OtM1WrongPoint", "invalid proof of knowledge of the base-OT key",
        Tamper(Edit<DkgRound1>([](auto& m) { NextPointAt(m.ot_m1, kSetupKeyA); })));
    add(p, 1, "OtM1WrongProof", "invalid proof of knowledge of the base-OT key",
        Tamper(Edit<DkgRound1>([](auto& m) { NextScalarAt(m.ot_m1, kSetupProofZ); })));

    // Round 2: opening (coefficients, proof, salt), share, seed half, base-OT m2 (A→B).
    add(p, 2, "CoefficientNotCommitted", "commitment opening does not match",
        Tamper(
            Edit<DkgRound2>([](auto& m) { m.coefficients.back() = Next(m.coefficients.back()); })));
    // Committed consistently: the Feldman check of the share catches it.
    add(p, 2, "CoefficientCommitted", "does not match its Feldman commitments",
        Recommit(
            [](DkgRound2& m, uint16_t) { m.coefficients.back() = Next(m.coefficients.back()); }));
    if (keygen) {
      add(p, 2, "ProofNotCommitted", "commitment opening does not match",
          Tamper(Edit<DkgRound2>([](auto& m) { m.proof->response += Scalar::One(); })));
      add(p, 2, "ProofCommitted", "proof of knowledge of f_j(0) is invalid",
          Recommit([](DkgRound2& m, uint16_t) { m.proof->response += Scalar::One(); }));
      // A valid proof, for another secret (and another context), committed consistently.
      add(p, 2, "ProofOfAnotherSecret", "proof of knowledge of f_j(0) is invalid",
          Recommit([](DkgRound2& m, uint16_t) {
            crypto::DeterministicRng rng(3);
            const Scalar x = Scalar::RandomNonZero(rng);
            m.proof =
                crypto::SchnorrProve(AsBytes(std::string("other")), x, Point::BaseMul(x), rng);
          }));
    }
    if (keygen) {
      // The chain-code contribution is opened with the commitment: a revealed value other than
      // the committed one is refused and its sender named.
      add(p, 2, "ChainContributionNotCommitted", "commitment opening does not match",
          Tamper(Edit<DkgRound2>([](auto& m) { Flip(*m.chain_contribution); })));
      // Committed consistently but changed after the malicious session made its echo, or
      // shown differently to one party: ChainContributionEquivocationIsCaughtByTheEcho.
    }
    add(p, 2, "WrongOpening", "commitment opening does not match",
        Tamper(Edit<DkgRound2>([](auto& m) { Flip(m.opening.salt); })));
    add(p, 2, "ShareOffByOne", "does not match its Feldman commitments",
        Tamper(Edit<DkgRound2>([](auto& m) { m.share += Scalar::One(); })));
    add(p, 2, "OtM2WrongTag", "OT setup message m2 belongs to another session",
        Tamper(Edit<DkgRound2>([](auto& m) { Flip(m.ot_m2); })));
    add(p, 2, "OtM2NotAPoint", "OT setup message m2: point 0",
        Tamper(Edit<DkgRound2>([](auto& m) { m.ot_m2[kSetupB0] = 0x05; })));
    // B_i = A makes Bob's choice-1 key the hash of a·B_i − a·A = ∞, which anyone knows: refused.
    add(p, 2, "OtM2EchoesSenderKey", "point 0 equals Bob's key", OtReceiverReusesSenderKey());
    // Another valid B_i is what a malicious base-OT receiver may always send (Chou–Orlandi: it
    // then knows neither key, CDH); Bob cannot tell it from an honest choice. Only Alice's own
    // key confirmation (m3) fails — here in the malicious party's own session. Its harm is
    // limited to the pair's multiplications with Alice as sender, which abort at Bob's checks
    // (RVOLE consistency check, Γ checks) naming Alice.
    add(p, 2, "OtM2OtherValidPoint", "",
        Tamper(Edit<DkgRound2>([](auto& m) { NextPointAt(m.ot_m2, kSetupB0); })),
        Verdict::kUndetectable);
    // The seed half is the sender's free choice; see SeedContributionLieShowsInSigning.
    add(p, 2, "SeedContribution", "",
        Tamper(Edit<DkgRound2>([](auto& m) { Flip(m.seed_contribution.bytes); })),
        Verdict::kUndetectable);

    // Round 3: echo, base-OT m3 (B→A).
    add(p, 3, "WrongEcho", "saw different commitments",
        Tamper(Edit<DkgRound3>([](auto& m) { Flip(m.echo); })));
    add(p, 3, "OtM3WrongTag", "OT setup message m3 belongs to another session",
        Tamper(Edit<DkgRound3>([](auto& m) { Flip(m.ot_m3); })));
    // Both confirmation tags of OT 0: Alice checks the one of her choice bit Δ_0, so this is
    // caught whatever Δ_0 is. Corrupting only one of the two is caught iff it is Alice's: that
    // is the selective-failure probe of a base-OT sender, which tells Bob one bit of Δ at the
    // price of aborting with probability 1/2 — the leakage KOS (eprint 2015/546, §3) tolerates,
    // and since the check runs before any use, an abort discards that Δ.
    add(p, 3, "OtM3WrongConfirmation", "key confirmation failed",
        Tamper(Edit<DkgRound3>([](auto& m) {
          Flip(m.ot_m3, kSetupConfirm0);
          Flip(m.ot_m3, kSetupConfirm0 + 16);
        })));
  }

  const Proto s = Proto::kSign;
  // Round 1: fingerprint, commitment to R_i, RVOLE m1 (KOS extension, B→A).
  add(s, 1, "FingerprintOfAnotherKey", "signs with a different key share",
      Tamper(Edit<SignRound1>([](auto& m) { Flip(m.fingerprint); })));
  add(s, 1, "WrongCommitment", "R_j does not open",
      Tamper(Edit<SignRound1>([](auto& m) { Flip(m.commitment.value); })));
  add(s, 1, "RvoleM1WrongTag", "multiplication message m1 belongs to another session",
      Tamper(Edit<SignRound1>([](auto& m) { Flip(m.rvole_m1); })));
  add(s, 1, "RvoleM1WrongNonce", "OT extension consistency check failed",
      Tamper(Edit<SignRound1>([](auto& m) { Flip(m.rvole_m1, kRvoleNonce); })));
  // Inconsistent OT-extension values: the KOS check (its challenges hash u) catches them.
  add(s, 1, "RvoleM1WrongExtensionMatrix", "OT extension consistency check failed",
      Tamper(Edit<SignRound1>([](auto& m) { Flip(m.rvole_m1, kRvoleU + 100); })));
  add(s, 1, "RvoleM1WrongCheckX", "OT extension consistency check failed",
      Tamper(Edit<SignRound1>([](auto& m) { Flip(m.rvole_m1, RvoleXTilde()); })));
  add(s, 1, "RvoleM1WrongCheckT", "OT extension consistency check failed",
      Tamper(Edit<SignRound1>([](auto& m) { Flip(m.rvole_m1, RvoleXTilde() + 16 + 5); })));

  // Round 2: R_i, opening, pk_i, Γ^u, Γ^v, ψ, RVOLE m2 (A→B).
  add(s, 2, "WrongInstancePoint", "R_j does not open its round-1 commitment",
      Tamper(Edit<SignRound2>([](auto& m) { m.instance_point = Next(m.instance_point); })));
  add(s, 2, "WrongOpening", "R_j does not open",
      Tamper(Edit<SignRound2>([](auto& m) { Flip(m.opening.salt); })));
  add(s, 2, "WrongPublicShare", "Γ^v is inconsistent",
      Tamper(Edit<SignRound2>([](auto& m) { m.public_share = Next(m.public_share); })));
  add(s, 2, "WrongGammaU", "Γ^u is inconsistent",
      Tamper(Edit<SignRound2>([](auto& m) { m.gamma_u = Next(m.gamma_u); })));
  add(s, 2, "WrongGammaV", "Γ^v is inconsistent",
      Tamper(Edit<SignRound2>([](auto& m) { m.gamma_v = Next(m.gamma_v); })));
  add(s, 2, "RvoleM2WrongTag", "multiplication message m2 answers another multiplication",
      Tamper(Edit<SignRound2>([](auto& m) { Flip(m.rvole_m2); })));
  // τ entries are big-endian scalars: flipping a low byte keeps them canonical, so this reaches
  // the consistency check (its challenges hash τ).
  add(s, 2, "RvoleM2WrongCorrelation", "multiplication consistency check failed",
      Tamper(Edit<SignRound2>([](auto& m) { Flip(m.rvole_m2, kRvoleTau + 31); })));
  // Alice's nonce keys Bob's pads (issue 10, finding 2): another nonce, other pads.
  add(s, 2, "RvoleM2WrongAliceNonce", "multiplication consistency check failed",
      Tamper(Edit<SignRound2>([](auto& m) { Flip(m.rvole_m2, kRvoleAliceNonce + 9); })));
  add(s, 2, "RvoleM2WrongCheckDigest", "multiplication consistency check failed",
      Tamper(Edit<SignRound2>([](auto& m) { Flip(m.rvole_m2, RvoleRDigest()); })));
  add(s, 2, "RvoleM2WrongCheckValue", "multiplication consistency check failed",
      Tamper(Edit<SignRound2>([](auto& m) { NextScalarAt(m.rvole_m2, RvoleRDigest() + 32); })));
  add(s, 2, "WrongPsi", "combined signature does not verify",
      Tamper(Edit<SignRound2>([](auto& m) { m.psi += Scalar::One(); })), Verdict::kUnattributable);

  // Round 3 (broadcast): w_i, u_i.
  add(s, 3, "WrongW", "combined signature does not verify",
      Tamper(Edit<SignRound3>([](auto& m) { m.w += Scalar::One(); })), Verdict::kUnattributable);
  add(s, 3, "WrongU", "combined signature does not verify",
      Tamper(Edit<SignRound3>([](auto& m) { m.u += Scalar::One(); })), Verdict::kUnattributable);

  // The envelope, in every round of every protocol.
  for (Proto p : {Proto::kKeygen, Proto::kRefresh, Proto::kSign}) {
    for (int r = 1; r <= 3; ++r) {
      const bool last_sign = p == Proto::kSign && r == 3;
      add(p, r, "ReplayedMessage", "belongs to another session (replayed?)", Replay(false));
      // Under this run's header the payload itself must betray the old run (OT tags and
      // commitments bind the session id). Signing's w_j, u_j cannot: unattributable, as above.
      add(p, r, "ReplayedPayload", "", Replay(true),
          last_sign ? Verdict::kUnattributable : Verdict::kBlame);
      add(p, r, "OtherProtocol", "belongs to protocol", Tamper([](Message& m, const Trial& run) {
            m.protocol = run.proto() == Proto::kSign ? ProtocolKind::kKeygen : ProtocolKind::kSign;
          }));
      add(p, r, "LabelledAsAnotherRound", "",
          Tamper([](Message& m, const Trial&) { m.round = uint8_t(m.round % 3 + 1); }));
      add(p, r, "RoundOutOfRange", "this protocol has rounds 1..3",
          Tamper([](Message& m, const Trial&) { m.round = 4; }));
      add(p, r, "Missing", "", Drop(), Verdict::kWaiting);
      add(p, r, "Misaddressed", "wrongly addressed",
          Inject([](const Message& m, const Trial& run, auto& extra) {
            // An addressed message sent as a broadcast; a broadcast addressed to each party.
            Message copy = m;
            if (m.to != kBroadcast) {
              copy.to = kBroadcast;
              extra.push_back(copy);
              return;
            }
            for (const Session* s : run.honest()) {
              copy.to = s->me();
              extra.push_back(copy);
            }
          }));
      // A duplicate of a last-round message may arrive after the recipient finished (then it
      // is refused without undoing the result), so duplicates are tested in rounds 1 and 2.
      if (r < 3)
        add(p, r, "Duplicate", "duplicate",
            Inject([](const Message& m, const Trial&, auto& extra) { extra.push_back(m); }));
      // A message claiming to be from another (honest) participant. The session can only go by
      // `from`: it refuses the message (a duplicate of, or inconsistent with, that party's own)
      // and names the claimed sender. Authenticating `from` is the transport's job: the node
      // (node/dkls_protocol.cpp) refuses a message whose `from` is not the authenticated peer
      // and blames the peer. Tested in the addressed rounds, where every recipient gets one.
      if (!last_sign)
        add(p, r, "ForgedSender", "duplicate", Tamper([](Message& m, const Trial& run) {
              for (const Session* s : run.honest())
                if (s->me() != m.to) m.from = s->me();
            }),
            Verdict::kClaimedSender);
    }
  }
  // A key holder outside the signer set speaks up (here: a copy of a signer's message).
  for (int r = 1; r <= 3; ++r)
    add(s, r, "FromNonSigner", "sender is not a participant",
        Inject([](const Message& m, const Trial&, auto& extra) {
          Message copy = m;
          copy.from = kNonSigner;
          extra.push_back(copy);
        }));
  return cases;
}

class Malicious : public ::testing::TestWithParam<Case> {};

TEST_P(Malicious, HonestPartiesAbortNamingTheCulpritAndOutputNothing) {
  const Case& c = GetParam();
  Trial run(c.proto, "malicious " + c.name, 42);
  const Interceptor intercept = c.attack(run, c.round);
  const Status result = run.Go(intercept);
  uint16_t culprit = run.malicious();
  if (c.name.find("FromNonSigner") != std::string::npos) culprit = kNonSigner;
  ExpectVerdict(run, result, c.verdict, culprit, c.why);
}

INSTANTIATE_TEST_SUITE_P(Tamper, Malicious, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return info.param.name; });

// A round-2 equivocation: every honest party aborts at the echo, naming some party (see below
// why not necessarily the dealer), and outputs nothing.
void ExpectCaughtByTheEcho(Trial& run, const Attack& attack) {
  EXPECT_FALSE(run.Go(attack(run, 2)).ok());
  for (const Session* s : run.honest()) {
    SCOPED_TRACE("honest party " + std::to_string(s->me()));
    ASSERT_TRUE(s->Failed());
    EXPECT_EQ(s->status().code(), ErrorCode::kProtocolAbort);
    EXPECT_TRUE(s->status().culprit().has_value());
    EXPECT_NE(s->status().message().find("saw different commitments"), std::string::npos)
        << s->status().ToString();
    EXPECT_FALSE(Trial::HasOutput(*s));
  }
}

// The malicious dealer shows one party a polynomial different from everyone else's, consistent
// with that party's share (so the Feldman check passes) and committed to in round 1. The echo
// of round 3 catches it: every honest party aborts and outputs nothing. Attributing it is not
// possible from the echo alone: an honest party whose view differs from a peer's cannot tell
// whether the dealer equivocated or the peer lies about its view (without signed messages
// there is no evidence to show), so the error names the peer whose echo differs and says so.
TEST(MaliciousKeygen, EquivocatingDealerIsCaughtByTheEcho) {
  for (Proto p : {Proto::kKeygen, Proto::kRefresh}) {
    SCOPED_TRACE(ProtoName(p));
    Trial run(p, "equivocation", 43);
    const uint16_t victim = 1;
    // C_{t−1} += G and f(victim) += victim^{t−1}: still a valid share for the victim alone.
    auto attack = Recommit(
        [](wire::DkgRound2& m, uint16_t to) {
          m.coefficients.back() = Next(m.coefficients.back());
          Scalar power = Scalar::One();
          for (uint16_t k = 1; k < kDkgT; ++k) power = power * Scalar::FromU64(to);
          m.share += power;
        },
        {victim});
    ExpectCaughtByTheEcho(run, attack);
  }
}

// A dealer that commits to, and reveals, a different chain-code contribution to one party (so
// that party would end with another chain code, deriving other child keys) is caught by the
// echo as any other equivocation: every honest party aborts and outputs nothing.
TEST(MaliciousKeygen, ChainContributionEquivocationIsCaughtByTheEcho) {
  Trial run(Proto::kKeygen, "chain equivocation", 49);
  ExpectCaughtByTheEcho(
      run, Recommit([](wire::DkgRound2& m, uint16_t) { Flip(*m.chain_contribution); }, {1}));
}

// Withholding one message from one party only: the victim waits for the culprit, but the others,
// who got everything, go on and then wait for the victim's next message. A missing message
// cannot be attributed by those who did not miss it (the victim could be the one lying), so a
// timeout at them names the victim; only the victim's own Waiting() names the culprit.
TEST(MaliciousKeygen, WithheldMessageIsNamedByItsVictim) {
  Trial run(Proto::kKeygen, "withheld", 47);
  const uint16_t victim = 1;
  const Status result = run.Go([&](Message& m, std::vector<Message>&) {
    return !(m.from == run.malicious() && m.to == victim && m.round == 1);
  });
  EXPECT_EQ(result.code(), ErrorCode::kTimeout);
  for (const Session* s : run.honest()) {
    EXPECT_FALSE(s->Failed());
    EXPECT_FALSE(Trial::HasOutput(*s));
    EXPECT_EQ(s->Waiting(), std::vector<uint16_t>{s->me() == victim ? run.malicious() : victim});
  }
}

// A lie in the last round to one party only: that party aborts naming the culprit; the others
// have everything they need and finish. DKLs23 is secure with (non-unanimous) abort, so this is
// allowed; agreeing on the outcome is the caller's job (which matters most for keyrefresh: a
// holder that replaces its old share while another aborted may be left with too few compatible
// shares to sign).
TEST(MaliciousKeygen, LastRoundLieToOnePartyAbortsOnlyThatParty) {
  Trial run(Proto::kKeygen, "last round", 48);
  const uint16_t victim = 1;
  const Status result = run.Go([&](Message& m, std::vector<Message>&) {
    if (m.from == run.malicious() && m.to == victim && m.round == 3) {
      auto d = wire::DkgRound3::Decode(m.payload);
      EXPECT_TRUE(d.ok());
      Flip(d->echo);
      m.payload = d->Encode();
    }
    return true;
  });
  EXPECT_FALSE(result.ok());
  for (const Session* s : run.honest()) {
    if (s->me() == victim) {
      ASSERT_TRUE(s->Failed());
      EXPECT_EQ(s->status().culprit(), run.malicious());
      EXPECT_FALSE(Trial::HasOutput(*s));
    } else {
      EXPECT_TRUE(s->Done());
    }
  }
}

// A lie about the zero-sharing seed half (the malicious party computes its seed from another
// value than it sent) cannot be seen in keygen: the half is the sender's free choice, and a
// confirmation could be faked just as well. It amounts to the malicious party using a wrong ζ,
// i.e. a wrong additive key share, in every signature with the victim; DKLs23's Σ pk_j = PK
// check (Protocol 3.6 step 8) catches that — without a culprit, since ζ_j is private — and no
// wrong signature is ever output. Signer sets without that pair are unaffected.
TEST(MaliciousKeygen, SeedContributionLieShowsInSigning) {
  Trial run(Proto::kKeygen, "seed lie", 44);
  const uint16_t liar = run.malicious(), victim = 1;
  ASSERT_TRUE(run.Go([&](Message& m, std::vector<Message>&) {
                   if (m.from == liar && m.to == victim && m.round == 2) {
                     auto d = DecodePayload<wire::DkgRound2>(m.payload, Proto::kKeygen);
                     EXPECT_TRUE(d.ok());
                     Flip(d->seed_contribution.bytes);
                     m.payload = d->Encode();
                   }
                   return true;
                 })
                  .ok());
  std::vector<KeyShare> shares;
  for (Session* s : run.sessions()) {
    auto k = static_cast<DkgSession*>(s)->TakeShare();
    ASSERT_TRUE(k.ok());
    shares.push_back(std::move(k).value());
  }
  crypto::DeterministicRng rng(45);
  const auto hash = HashOf("seed lie");
  auto bad = LocalSign(Pick(shares, {victim, liar}), hash, Sid("seed lie 1"), rng);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kProtocolAbort);
  EXPECT_FALSE(bad.status().culprit().has_value()) << bad.status().ToString();
  EXPECT_NE(bad.status().message().find("do not add up"), std::string::npos);
  for (const auto& set : std::vector<std::vector<uint16_t>>{{1, 3}, {2, 3}}) {
    auto sig = LocalSign(Pick(shares, set), hash, Sid("seed lie 2"), rng);
    ASSERT_TRUE(sig.ok()) << sig.status().ToString();
    testing::ExpectValidSignature(shares[0].public_key, hash, *sig);
  }
}

// A message from a run's own past (the same session id, an earlier round) is a duplicate or
// stale, and so is anything after a session finished: refused, the result kept.
TEST(MaliciousSign, MessagesAfterTheEndAreRefusedWithoutUndoingTheResult) {
  Trial run(Proto::kSign, "after the end", 46);
  std::vector<Message> sent;
  ASSERT_TRUE(run.Go([&](Message& m, std::vector<Message>&) {
                   if (m.from == run.malicious()) sent.push_back(m);
                   return true;
                 })
                  .ok());
  for (Session* s : run.honest()) {
    for (const Message& m : sent) {
      if (m.to != kBroadcast && m.to != s->me()) continue;
      auto out = s->Handle(m);
      ASSERT_FALSE(out.ok());
      EXPECT_EQ(out.status().culprit(), run.malicious());
    }
    EXPECT_TRUE(s->Done());
    EXPECT_FALSE(s->Failed());
    EXPECT_TRUE(Trial::HasOutput(*s));
  }
}

// Issue 10, finding 2, end to end. The node makes session ids single-use; if one still ran twice,
// a signer replaying its round-1 messages in the second run gets a second RVOLE answer from each
// honest signer to the same m1. When the pads depended on m1 alone, τ − τ' was r_i − r'_i (the
// honest instance keys of the two runs) in every OT, and the attacker could confirm it against
// R_i − R'_i: two signatures with a known nonce difference give the key. Alice's own nonce
// makes the two answers independent.
TEST(MaliciousSign, ReplayedRound1InASecondRunOfOneSessionIdRevealsNoNonceDifference) {
  const auto& key = CachedKey(3, 2);
  const std::vector<uint16_t> signers = {1, 2};
  const uint16_t honest = 1, attacker = 2;
  const Bytes sid = Sid("one session id, two runs");
  const auto hash = HashOf("two runs");
  crypto::DeterministicRng rng(92);
  std::optional<Message> first_round1;    // the attacker's, from the first run
  std::vector<wire::SignRound2> answers;  // the honest signer's round 2 to it, one per run
  for (int run = 0; run < 2; ++run) {
    std::vector<std::unique_ptr<SignSession>> sessions;
    for (uint16_t s : signers) {
      auto session = SignSession::Create(key[s - 1], signers, hash, sid, rng);
      ASSERT_TRUE(session.ok());
      sessions.push_back(std::move(session).value());
    }
    std::vector<Session*> both = {sessions[0].get(), sessions[1].get()};
    (void)RunLocal(both, nullptr, [&](Message& m, std::vector<Message>&) {
      if (m.from == attacker && m.round == 1) {
        if (first_round1) {
          m = *first_round1;
        } else {
          first_round1 = m;
        }
      }
      if (m.from == honest && m.to == attacker && m.round == 2) {
        auto decoded = wire::SignRound2::Decode(m.payload);
        EXPECT_TRUE(decoded.ok());
        if (decoded.ok()) answers.push_back(*decoded);
      }
      return true;
    });
  }
  ASSERT_EQ(answers.size(), 2u);
  const Point nonce_difference = answers[0].instance_point - answers[1].instance_point;
  const size_t width = ot::kSignInputs + 1;
  const auto tau = [&](const Bytes& m2, size_t j) {  // τ_j's first entry (input r_i)
    const size_t at = m2.size() - 64 - ot::kMulBatch * width * 32 + 32 * j * width;
    auto x = Scalar::FromBytes(ByteSpan(m2).subspan(at, 32));
    EXPECT_TRUE(x.ok());
    return x.ok() ? *x : Scalar();
  };
  size_t revealed = 0, tried = 0;
  for (size_t j = 0; j < ot::kMulBatch; j += 13, ++tried)
    revealed += Point::BaseMul(tau(answers[0].rvole_m2, j) - tau(answers[1].rvole_m2, j)) ==
                nonce_difference;
  EXPECT_EQ(revealed, 0u) << "τ − τ' was the honest nonce difference in " << revealed << " of "
                          << tried << " OTs";
}

// ---- Burned pairs (issue 10, finding 1).

// `own` (the malicious signer's share) doctored to probe bit `column` of `honest`'s Δ in their
// pair with guess `guess`, as in tests/crypto/ot_test.cpp
// (SelectiveAbortTellsACheatingReceiverOneBitOfDelta): its receiver setup with `honest` expands
// a wrong seed in place of k_{column, 1−guess}, so the honest side's KOS check of its round-1 m1
// passes exactly when Δ_column = guess.
KeyShare ProbingShare(const KeyShare& own, uint16_t honest, size_t column, bool guess) {
  KeyShare k = own.Clone();
  for (PeerMaterial& p : k.peers) {
    if (p.index != honest) continue;
    Bytes e = p.ot_recv.Encode();  // version | setup id | k_{i,b} at [i][b], 16 bytes each
    e[1 + 32 + (column * 2 + (guess ? 0 : 1)) * 16] ^= 0x01;
    auto doctored = ot::OteReceiverSetup::Decode(e);
    EXPECT_TRUE(doctored.ok());
    if (doctored.ok()) p.ot_recv = std::move(doctored).value();
  }
  return k;
}

Bytes Plain(const SecureBytes& b) {
  return Bytes(b.span().begin(), b.span().end());
}

// What the node does when a session names a peer to burn (sign.h, burned_peer): burn, store
// (here: encode), and carry on with what was stored.
void BurnDurably(KeyShare& share, uint16_t peer) {
  ASSERT_TRUE(share.Burn(peer).ok());
  auto stored = KeyShare::Decode(share.Encode().span());
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  share = std::move(stored).value();
}

// A signer who guesses bits of an honest peer's Δ, one session after another, learns each bit
// from whether the honest side aborts — silently when its guess was right, since the OTs then
// stay correct and the signature comes out — until its first wrong guess. That abort names it
// for burning; the honest side burns the pair durably, and from then on refuses every session
// with it. So the attacker gets one abort per pair and never a second session after it, instead
// of all 128 bits of Δ over about 128 sessions. A keyrefresh gives the pair fresh setups, not
// burned, and the two sign together again.
TEST(BurnedPairs, DeltaGuessingSignerGetsOneAbortPerPairAndNoSecondSession) {
  const uint16_t honest = 1, attacker = 2, bystander = 3;
  std::vector<KeyShare> shares;
  for (const KeyShare& k : CachedKey(3, 2)) shares.push_back(k.Clone());
  const ot::OteSenderSetup& target = shares[honest - 1].Peer(attacker)->ot_send;
  const crypto::Digest old_setup = target.setup_id();
  std::vector<bool> delta;  // what the attacker is after, to check what it learns
  for (size_t i = 0; i < ot::kKappa; ++i)
    delta.push_back((ot::OteAccess::Delta(target)[i / 8] >> (i % 8)) & 1);

  crypto::DeterministicRng rng(90);
  const auto hash = HashOf("probing");
  const std::vector<uint16_t> pair = {honest, attacker};
  size_t aborts = 0, sessions_after_abort = 0, bits_learned = 0;
  bool refused = false;
  for (size_t column = 0; column < ot::kKappa; ++column) {
    const Bytes sid = Sid("probe " + std::to_string(column));
    auto mine = SignSession::Create(shares[honest - 1], pair, hash, sid, rng);
    if (!mine.ok()) {
      refused = true;
      EXPECT_EQ(mine.status().code(), ErrorCode::kPermissionDenied);
      EXPECT_EQ(mine.status().culprit(), attacker);
      EXPECT_NE(mine.status().message().find("party 2 is burned"), std::string::npos)
          << mine.status().ToString();
      EXPECT_NE(mine.status().message().find("keyrefresh"), std::string::npos);
      break;
    }
    if (aborts > 0) ++sessions_after_abort;
    const bool guess = false;  // always 0: aborts at the first bit that is 1
    auto theirs = SignSession::Create(ProbingShare(shares[attacker - 1], honest, column, guess),
                                      pair, hash, sid, rng);
    ASSERT_TRUE(theirs.ok());
    std::vector<Session*> both = {mine->get(), theirs->get()};
    const Status run = RunLocal(both);
    const SignSession& h = **mine;
    EXPECT_EQ(run.ok() ? guess : !guess, delta[column]) << "column " << column;
    ++bits_learned;
    if (run.ok()) {
      EXPECT_EQ(h.burned_peer(), std::nullopt);
      testing::ExpectValidSignature(shares[0].public_key, hash, *h.signature());
      continue;
    }
    ++aborts;
    ASSERT_TRUE(h.Failed());
    EXPECT_EQ(h.status().culprit(), attacker);
    EXPECT_NE(h.status().message().find("OT extension consistency check failed"), std::string::npos)
        << h.status().ToString();
    EXPECT_EQ(h.burned_peer(), std::optional<uint16_t>(attacker)) << h.status().ToString();
    if (h.burned_peer()) BurnDurably(shares[honest - 1], *h.burned_peer());
  }
  EXPECT_TRUE(refused);
  EXPECT_EQ(aborts, 1u);
  EXPECT_EQ(sessions_after_abort, 0u);
  EXPECT_LT(bits_learned, 16u) << "the attacker learned " << bits_learned << " bits of Δ";

  // The pair is burned and wiped; the honest party still signs with everyone else.
  const PeerMaterial& burned = *shares[honest - 1].Peer(attacker);
  EXPECT_TRUE(burned.burned);
  EXPECT_EQ(burned.ot_send.Encode(), ot::OteSenderSetup().Encode());
  EXPECT_EQ(burned.ot_recv.Encode(), ot::OteReceiverSetup().Encode());
  EXPECT_EQ(shares[honest - 1].BurnedPeers(), std::vector<uint16_t>{attacker});
  auto sig = LocalSign(Pick(shares, {honest, bystander}), hash, Sid("with the bystander"), rng);
  ASSERT_TRUE(sig.ok()) << sig.status().ToString();
  testing::ExpectValidSignature(shares[0].public_key, hash, *sig);

  // Keyrefresh: every pair gets fresh setups, none burned, and the pair signs again.
  auto refreshed = LocalKeyrefresh(shares, Sid("refresh after the burn"), rng);
  ASSERT_TRUE(refreshed.ok()) << refreshed.status().ToString();
  for (const KeyShare& k : *refreshed) EXPECT_TRUE(k.BurnedPeers().empty()) << k.index;
  const PeerMaterial& fresh = *(*refreshed)[honest - 1].Peer(attacker);
  EXPECT_NE(fresh.ot_send.setup_id(), old_setup);
  EXPECT_EQ(fresh.ot_send.setup_id(), (*refreshed)[attacker - 1].Peer(honest)->ot_recv.setup_id());
  auto again = LocalSign(Pick(*refreshed, pair), hash, Sid("after the refresh"), rng);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  testing::ExpectValidSignature(shares[0].public_key, hash, *again);
}

// A burned peer in the signer set: Create refuses it (naming the peer) whatever the other
// signers, and only for the share that burned it; Burn is idempotent and refuses non-peers.
TEST(BurnedPairs, CreateRefusesEverySignerSetWithABurnedPeer) {
  const auto& key = CachedKey(4, 3);
  KeyShare mine = key[0].Clone();
  EXPECT_EQ(mine.Burn(1).code(), ErrorCode::kNotFound);  // ourselves
  EXPECT_EQ(mine.Burn(5).code(), ErrorCode::kNotFound);
  EXPECT_EQ(mine.Burn(0).code(), ErrorCode::kNotFound);
  ASSERT_TRUE(mine.Burn(3).ok());
  ASSERT_TRUE(mine.Burn(3).ok());
  EXPECT_EQ(mine.BurnedPeers(), std::vector<uint16_t>{3});
  crypto::DeterministicRng rng(91);
  const auto hash = HashOf("burned signer set");
  for (const std::vector<uint16_t>& set : {std::vector<uint16_t>{1, 2, 3}, {3, 4, 1}, {1, 3, 4}}) {
    auto s = SignSession::Create(mine, set, hash, Sid("refused"), rng);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.status().code(), ErrorCode::kPermissionDenied);
    EXPECT_EQ(s.status().culprit(), 3);
    EXPECT_NE(s.status().message().find("party 3 is burned"), std::string::npos);
  }
  EXPECT_TRUE(SignSession::Create(mine, {1, 2, 4}, hash, Sid("fine"), rng).ok());
  EXPECT_TRUE(SignSession::Create(key[1], {1, 2, 3}, hash, Sid("not ours"), rng).ok());
  // And so after the share went through storage.
  auto stored = KeyShare::Decode(mine.Encode().span());
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(stored->BurnedPeers(), std::vector<uint16_t>{3});
  EXPECT_FALSE(SignSession::Create(*stored, {1, 2, 3}, hash, Sid("refused"), rng).ok());
  const std::vector<const KeyShare*> without_3 = {&*stored, &key[1], &key[3]};
  auto sig = LocalSign(without_3, hash, Sid("without 3"), rng);
  ASSERT_TRUE(sig.ok()) << sig.status().ToString();
  testing::ExpectValidSignature(key[0].public_key, hash, *sig);
}

// Key-share encoding version 3 (version 2 and the chain code at the end), version 2 (a state
// byte per pair, no OT material for a burned pair; still read, as no chain code) and version 1
// (before burned pairs, still read as every pair usable and no chain code): a table of bad
// encodings that must be refused, and the good ones that must not.
TEST(KeyShareEncoding, Version3RefusesBadEncodingsAndVersions1And2StillRead) {
  const KeyShare& base = CachedKey(3, 2)[0];  // party 1, peers 2 and 3
  ASSERT_TRUE(base.chain_code.has_value());
  KeyShare burned = base.Clone();
  ASSERT_TRUE(burned.Burn(3).ok());
  KeyShare no_chain = base.Clone();
  no_chain.chain_code.reset();
  const Bytes v3 = Plain(base.Encode()), v3_burned = Plain(burned.Encode());
  const Bytes v3_no_chain = Plain(no_chain.Encode());
  const size_t n = 3, peers_at = 1 + 2 + 2 + 2 + 4 + 32 + 33 + n * 33 + 32;
  const size_t material = ot::OteSenderSetup::kEncodedSize + ot::OteReceiverSetup::kEncodedSize;
  const size_t entry = 2 + 1 + 32 + material;  // a usable pair, versions 2 and 3
  const size_t chain_at = peers_at + (n - 1) * entry;
  ASSERT_EQ(v3.size(), chain_at + 1 + 32);
  ASSERT_EQ(v3_burned.size(), v3.size() - material);
  ASSERT_EQ(v3_no_chain.size(), v3.size());
  auto from_v3 = KeyShare::Decode(v3);
  ASSERT_TRUE(from_v3.ok()) << from_v3.status().ToString();
  EXPECT_EQ(from_v3->chain_code, base.chain_code);
  auto from_v3_no_chain = KeyShare::Decode(v3_no_chain);
  ASSERT_TRUE(from_v3_no_chain.ok()) << from_v3_no_chain.status().ToString();
  EXPECT_FALSE(from_v3_no_chain->chain_code.has_value());

  const Bytes v2 = testing::EncodeVersion2(base);
  ASSERT_EQ(v2.size(), v3.size() - 33);  // no chain code
  auto from_v2 = KeyShare::Decode(v2);
  ASSERT_TRUE(from_v2.ok()) << from_v2.status().ToString();
  EXPECT_FALSE(from_v2->chain_code.has_value());
  EXPECT_EQ(from_v2->Fingerprint(), no_chain.Fingerprint());
  EXPECT_EQ(Plain(from_v2->Encode()), v3_no_chain);  // and is stored as version 3 from then on
  const Bytes v1 = testing::EncodeVersion1(base);
  ASSERT_EQ(v1.size(), v2.size() - (n - 1));  // no state bytes
  auto from_v1 = KeyShare::Decode(v1);
  ASSERT_TRUE(from_v1.ok()) << from_v1.status().ToString();
  EXPECT_TRUE(from_v1->BurnedPeers().empty());
  EXPECT_FALSE(from_v1->chain_code.has_value());
  EXPECT_EQ(Plain(from_v1->Encode()), v3_no_chain);
  auto from_burned = KeyShare::Decode(v3_burned);
  ASSERT_TRUE(from_burned.ok()) << from_burned.status().ToString();
  EXPECT_EQ(from_burned->BurnedPeers(), std::vector<uint16_t>{3});
  EXPECT_EQ(Plain(from_burned->Encode()), v3_burned);

  const auto with = [](Bytes b, size_t at, uint8_t v) {
    b.at(at) = v;
    return b;
  };
  const auto cut = [](Bytes b, size_t by) {
    b.resize(b.size() - by);
    return b;
  };
  const auto grown = [](Bytes b) {
    b.push_back(0);
    return b;
  };
  KeyShare all_burned = base.Clone();
  ASSERT_TRUE(all_burned.Burn(2).ok() && all_burned.Burn(3).ok());
  const Bytes v3_all_burned = Plain(all_burned.Encode());
  const size_t state2 = peers_at + 2, state3 = peers_at + entry + 2;
  Bytes swapped = v3;  // the two peer entries' indices exchanged
  std::swap_ranges(swapped.begin() + peers_at, swapped.begin() + peers_at + 2,
                   swapped.begin() + peers_at + entry);
  const std::vector<std::pair<std::string, Bytes>> bad = {
      {"empty", {}},
      {"header only", Bytes(v3.begin(), v3.begin() + 13)},
      {"version 0", with(v3, 0, 0)},
      {"version 4", with(v3, 0, 4)},
      {"version 3, one byte short", cut(v3, 1)},
      {"version 3, one byte long", grown(v3)},
      {"version 3, a pair's OT material cut short", cut(v3, 1000)},
      {"version 3 without its chain code", cut(v3, 33)},
      {"chain-code state 2", with(v3, chain_at, 2)},
      {"chain-code state 0xff", with(v3, chain_at, 0xff)},
      {"an absent chain code with nonzero bytes", with(v3, chain_at, 0)},
      {"pair state 2", with(v3, state2, 2)},
      {"pair state 0xff", with(v3, state3, 0xff)},
      {"a burned pair that still carries OT material", with(v3, state3, 1)},
      {"a usable pair without OT material", with(v3_burned, state3, 0)},
      {"every pair burned, one byte short", cut(v3_all_burned, 1)},
      {"every pair burned, one byte long", grown(v3_all_burned)},
      {"version 2 labelled 3", with(v2, 0, 3)},
      {"version 3 labelled 2", with(v3, 0, 2)},
      {"version 2, one byte long", grown(v2)},
      {"version 1 labelled 2", with(v1, 0, 2)},
      {"version 2 labelled 1", with(v2, 0, 1)},
      {"a burned pair labelled version 1", with(testing::EncodeVersion2(burned), 0, 1)},
      {"version 1, one byte short", cut(v1, 1)},
      {"version 1, one byte long", grown(v1)},
      {"n = 1", with(v3, 4, 1)},
      {"n = 4 with the entries of 3", with(v3, 4, 4)},
      {"peers out of order", swapped},
      {"a peer's OT setup of unknown version", with(v3, peers_at + 2 + 1 + 32, 9)},
      {"secret share not below the group order",
       [&] {
         Bytes b = v3;
         std::fill(b.begin() + peers_at - 32, b.begin() + peers_at, 0xff);
         return b;
       }()},
  };
  for (const auto& [name, bytes] : bad) {
    auto decoded = KeyShare::Decode(bytes);
    EXPECT_FALSE(decoded.ok()) << name;
    EXPECT_EQ(decoded.status().code(), ErrorCode::kInvalidArgument) << name;
  }
}

}  // namespace
}  // namespace tss::dkls
