// `tss p2p id | serve | ping | send`: the libp2p layer on its own, for operators and interop
// tests. `serve` and `send` run the node's own network (libp2p_network.h) on /tss/2.0.0.
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility> (g++ 12).
#include <utility>
//
#include <sodium.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <csignal>
#include <future>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <string>

#include "cmd/tss/command.h"
#include "common/bytes.h"
#include "crypto/hash.h"
#include "crypto/rng.h"
#include "networking/libp2p/host.h"
#include "networking/libp2p/identity.h"
#include "networking/libp2p/libp2p_network.h"
#include "networking/libp2p/ping.h"
#include "networking/libp2p/tss_protocol.h"

namespace {

using tss::cli::Fail;
using tss::cli::kExitFailure;
using tss::cli::kExitOk;
using tss::cli::kExitUsage;
namespace p2p = tss::libp2p;
namespace asio = boost::asio;

// A 32-byte Ed25519 seed from 64 hex digits, or a random one when `hex` is empty.
tss::SecureBytes SeedFromHex(const std::string& hex) {
  tss::SecureBytes seed(p2p::Identity::kSeedSize);
  if (hex.empty()) {
    tss::crypto::SystemRandom().Fill(seed.mutable_span());
    return seed;
  }
  auto bytes = tss::FromHex(hex);
  bool ok = bytes.ok() && bytes->size() == p2p::Identity::kSeedSize;
  if (ok) std::copy(bytes->begin(), bytes->end(), seed.mutable_span().begin());
  if (bytes.ok()) tss::Wipe(bytes->data(), bytes->size());
  if (!ok) Fail(kExitUsage, "--private-key must be a 32-byte Ed25519 seed as 64 hex digits");
  return seed;
}

p2p::Identity IdentityFromHex(const std::string& hex) {
  auto id = p2p::Identity::FromSeed(SeedFromHex(hex).span());
  if (!id.ok()) Fail(kExitUsage, id.status().message());
  return std::move(*id);
}

p2p::Multiaddr ParseAddr(const std::string& text, const char* what) {
  auto a = p2p::Multiaddr::Parse(text);
  if (!a.ok()) Fail(kExitUsage, std::string(what) + ": " + a.status().message());
  return *a;
}

struct ServeFlags {
  std::string listen = "/ip4/127.0.0.1/tcp/0";
  std::string key;
  size_t max_message = p2p::kDefaultMaxTssMessage;
  std::vector<std::string> allow;
};

std::unique_ptr<tss::networking::Network> StartNetwork(const std::string& key,
                                                       p2p::Libp2pNetworkOptions options,
                                                       tss::networking::MessageHandler handler) {
  auto network = p2p::NewLibp2pNetwork(SeedFromHex(key).span(), std::move(options));
  if (!network.ok()) Fail(kExitUsage, network.status().message());
  (*network)->SetHandler(std::move(handler));
  if (auto s = (*network)->Start(); !s.ok()) Fail(kExitFailure, s.message());
  return std::move(*network);
}

// Echoes every /tss message back to its sender, on a stream of our own (a test peer, not a
// node).
int Serve(const ServeFlags& f) {
  ParseAddr(f.listen, "--listen");
  p2p::Libp2pNetworkOptions options;
  options.listen_addrs = {f.listen};
  options.max_message_size = f.max_message;
  options.allow_any_peer = f.allow.empty();
  std::set<std::string> allowed;
  for (const auto& a : f.allow) {
    auto id = p2p::PeerId::FromString(a);
    if (!id.ok()) Fail(kExitUsage, "--allow: " + id.status().message());
    allowed.insert(a);
  }
  // SIGINT and SIGTERM are taken by sigwait below; the network's thread must not get them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  tss::networking::Network* echo = nullptr;
  auto network = StartNetwork(f.key, options, [&echo](const std::string& from, tss::Bytes message) {
    echo->Send(from, std::move(message));
  });
  echo = network.get();
  network->SetAllowedPeers(allowed);
  for (const auto& a : network->ListenAddrs()) std::cout << a << "\n";
  std::cout << std::flush;
  int signal = 0;
  sigwait(&signals, &signal);
  network->Stop();
  return kExitOk;
}

struct PingFlags {
  std::string addr;
  int count = 1;
  std::string key;
  double timeout_seconds = 10;
};

p2p::Task<int> PingTask(std::shared_ptr<p2p::Host> host, p2p::Multiaddr addr, int count,
                        p2p::Duration timeout) {
  auto connection = co_await host->Dial(addr, std::nullopt);
  if (!connection.ok()) {
    std::cerr << "error: cannot connect to " << addr.ToString() << ": "
              << connection.status().message() << "\n";
    co_return kExitFailure;
  }
  std::string peer = (*connection)->peer.ToString();
  auto stream = co_await host->NewStream(*connection, std::string(p2p::kPingProtocol));
  if (!stream.ok()) {
    std::cerr << "error: " << peer << " refused ping: " << stream.status().message() << "\n";
    co_return kExitFailure;
  }
  int failures = 0;
  for (int i = 1; i <= count; ++i) {
    std::weak_ptr<p2p::YamuxStream> weak = *stream;
    p2p::Watchdog deadline(host->executor(), timeout, [weak] {
      if (auto s = weak.lock()) s->Reset();
    });
    auto rtt = co_await p2p::PingOnce(**stream);
    if (!rtt.ok()) {
      std::cout << "ping " << peer << ": seq=" << i
                << " failed: " << (deadline.expired() ? "timed out" : rtt.status().message())
                << std::endl;
      ++failures;
      break;  // the stream is gone; later pings would fail the same way
    }
    double ms = std::chrono::duration<double, std::milli>(*rtt).count();
    std::cout << "ping " << peer << ": seq=" << i << " time=" << std::fixed << std::setprecision(3)
              << ms << " ms" << std::endl;
  }
  (void)co_await (*stream)->CloseWrite();
  co_return failures == 0 ? kExitOk : kExitFailure;
}

int Ping(const PingFlags& f) {
  if (f.count < 1) Fail(kExitUsage, "--count must be at least 1");
  if (f.timeout_seconds <= 0) Fail(kExitUsage, "--timeout must be positive");
  auto addr = ParseAddr(f.addr, "MULTIADDR");
  if (!addr.AsTcp()) Fail(kExitUsage, "MULTIADDR must be /ip4|ip6|dns…/HOST/tcp/PORT[/p2p/ID]");
  asio::io_context io;
  p2p::HostConfig config;
  auto timeout =
      std::chrono::duration_cast<p2p::Duration>(std::chrono::duration<double>(f.timeout_seconds));
  config.dial_timeout = config.handshake_timeout = config.negotiation_timeout = timeout;
  auto host = std::make_shared<p2p::Host>(io.get_executor(), IdentityFromHex(f.key), config);
  int code = kExitFailure;
  asio::co_spawn(io, PingTask(host, addr, f.count, timeout),
                 [&](const std::exception_ptr& e, int rc) {
                   code = e ? kExitFailure : rc;
                   host->Close();
                 });
  io.run();
  return code;
}

struct SendFlags {
  std::string addr;
  size_t bytes = 1 << 20;
  std::string key;
  double timeout_seconds = 30;
};

// Sends one random message to an echo peer, waits for its acknowledgement and then for the echo
// (on a stream the peer opens back to us); prints both digests.
int Send(const SendFlags& f) {
  if (f.timeout_seconds <= 0) Fail(kExitUsage, "--timeout must be positive");
  if (f.bytes > p2p::kDefaultMaxTssMessage) Fail(kExitUsage, "--bytes is over the 16 MiB limit");
  auto addr = ParseAddr(f.addr, "MULTIADDR");
  if (!addr.AsTcp() || !addr.GetPeerId())
    Fail(kExitUsage, "MULTIADDR must be /ip4|ip6|dns…/HOST/tcp/PORT/p2p/ID");
  const std::string peer = addr.GetPeerId()->ToString();
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::duration<double>(f.timeout_seconds));
  p2p::Libp2pNetworkOptions options;
  options.listen_addrs = {};  // the peer answers on the connection we open
  options.dial_timeout = options.handshake_timeout = options.send_timeout = timeout;

  std::promise<tss::Bytes> echo;
  std::once_flag echoed;
  auto network = StartNetwork(f.key, options, [&](const std::string& from, tss::Bytes message) {
    if (from == peer) std::call_once(echoed, [&] { echo.set_value(std::move(message)); });
  });
  network->AddPeer(peer, {f.addr});
  network->SetAllowedPeers({peer});

  tss::Bytes message(f.bytes);
  tss::crypto::SystemRandom().Fill(message);
  const auto started = std::chrono::steady_clock::now();
  if (auto s = tss::networking::SendAndWait(*network, peer, message); !s.ok()) {
    network->Stop();
    Fail(kExitFailure, "sending: " + s.message());
  }
  auto reply = echo.get_future();
  if (reply.wait_until(started + timeout) != std::future_status::ready) {
    network->Stop();
    Fail(kExitFailure, "no echo within " + std::to_string(f.timeout_seconds) + " s");
  }
  tss::Bytes echoed_message = reply.get();
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  network->Stop();
  std::cout << "{\"bytes\":" << f.bytes << ",\"sent\":\""
            << tss::ToHex(tss::crypto::Sha256(message)) << "\",\"echoed\":\""
            << tss::ToHex(tss::crypto::Sha256(echoed_message)) << "\",\"round_trip_ms\":" << ms
            << "}" << std::endl;
  return echoed_message == message ? kExitOk : kExitFailure;
}

const tss::cli::RegisterCommands kRegister([](CLI::App& app) {
  auto* p2p_cmd = app.add_subcommand("p2p", "libp2p tools: peer ids, a test server, ping");
  p2p_cmd->require_subcommand(1);

  auto* id_cmd = p2p_cmd->add_subcommand("id", "Print the peer id of an Ed25519 seed");
  auto key = std::make_shared<std::string>();
  id_cmd->add_option("--private-key", *key, "32-byte Ed25519 seed, hex")->required();
  id_cmd->callback([key] { std::cout << IdentityFromHex(*key).peer_id().ToString() << "\n"; });

  auto* serve_cmd = p2p_cmd->add_subcommand(
      "serve", "Serve ping, identify and a /tss/2.0.0 echo; prints our multiaddr first");
  auto serve = std::make_shared<ServeFlags>();
  serve_cmd->add_option("--listen", serve->listen, "listen multiaddr")->capture_default_str();
  serve_cmd->add_option("--private-key", serve->key, "32-byte Ed25519 seed, hex (default: random)");
  serve_cmd->add_option("--max-message-size", serve->max_message, "largest /tss message, bytes")
      ->capture_default_str();
  serve_cmd->add_option("--allow", serve->allow, "peer ids allowed on /tss/2.0.0 (default: all)");
  serve_cmd->callback([serve] { std::exit(Serve(*serve)); });

  auto* ping_cmd =
      p2p_cmd->add_subcommand("ping", "Ping a peer; exit 0 only if every ping succeeds");
  auto ping = std::make_shared<PingFlags>();
  ping_cmd
      ->add_option("MULTIADDR", ping->addr, "the peer, e.g. /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…")
      ->required();
  ping_cmd->add_option("--count", ping->count, "number of pings")->capture_default_str();
  ping_cmd->add_option("--private-key", ping->key, "our seed, hex (default: random)");
  ping_cmd->add_option("--timeout", ping->timeout_seconds, "seconds per step")
      ->capture_default_str();
  ping_cmd->callback([ping] { std::exit(Ping(*ping)); });

  auto* send_cmd = p2p_cmd->add_subcommand(
      "send", "Send one random message on /tss/2.0.0 to an echo peer and check the echo");
  auto send = std::make_shared<SendFlags>();
  send_cmd
      ->add_option("MULTIADDR", send->addr,
                   "the echo peer, ending in /p2p/ID (e.g. `tss p2p serve`)")
      ->required();
  send_cmd->add_option("--bytes", send->bytes, "message size")->capture_default_str();
  send_cmd->add_option("--private-key", send->key, "our seed, hex (default: random)");
  send_cmd->add_option("--timeout", send->timeout_seconds, "seconds for the whole exchange")
      ->capture_default_str();
  send_cmd->callback([send] { std::exit(Send(*send)); });
});

}  // namespace
