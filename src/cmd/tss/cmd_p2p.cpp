// `tss p2p id | serve | ping`: the libp2p layer on its own, for operators and interop tests.
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility> (g++ 12).
#include <utility>
//
#include <sodium.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <iomanip>
#include <iostream>
#include <string>

#include "cmd/tss/command.h"
#include "common/bytes.h"
#include "crypto/hash.h"
#include "crypto/rng.h"
#include "networking/libp2p/host.h"
#include "networking/libp2p/identity.h"
#include "networking/libp2p/ping.h"
#include "networking/libp2p/tss_protocol.h"

namespace {

using tss::cli::Fail;
using tss::cli::kExitFailure;
using tss::cli::kExitOk;
using tss::cli::kExitUsage;
namespace p2p = tss::libp2p;
namespace asio = boost::asio;

p2p::Identity IdentityFromHex(const std::string& hex) {
  if (hex.empty()) return p2p::Identity::Generate();
  auto seed = tss::FromHex(hex);
  if (!seed.ok() || seed->size() != p2p::Identity::kSeedSize) {
    Fail(kExitUsage, "--private-key must be a 32-byte Ed25519 seed as 64 hex digits");
  }
  auto id = p2p::Identity::FromSeed(*seed);
  tss::Wipe(seed->data(), seed->size());
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

// Echoes every /tss/1.0.0 message back on the stream it came on (a test peer, not a node).
p2p::Task<void> EchoTss(std::shared_ptr<p2p::YamuxStream> stream, size_t max_message) {
  for (;;) {
    auto m = co_await p2p::ReadTssMessage(*stream, max_message);
    if (!m.ok()) {
      stream->Reset();
      co_return;
    }
    if (!m->has_value()) break;
    if (!(co_await p2p::WriteTssMessage(*stream, **m)).ok()) co_return;
  }
  (void)co_await stream->CloseWrite();
}

int Serve(const ServeFlags& f) {
  p2p::HostConfig config;
  config.listen_addrs.push_back(ParseAddr(f.listen, "--listen"));
  std::set<p2p::PeerId> allowed;
  for (const auto& a : f.allow) {
    auto id = p2p::PeerId::FromString(a);
    if (!id.ok()) Fail(kExitUsage, "--allow: " + id.status().message());
    allowed.insert(*id);
  }
  asio::io_context io;
  auto host = std::make_shared<p2p::Host>(io.get_executor(), IdentityFromHex(f.key), config);
  size_t max_message = f.max_message;
  host->SetHandler(
      std::string(p2p::kTssProtocol),
      [max_message](std::shared_ptr<p2p::YamuxStream> s, std::shared_ptr<p2p::Connection>) {
        return EchoTss(std::move(s), max_message);
      },
      allowed.empty() ? p2p::Host::AllowFn()
                      : [allowed](const p2p::PeerId& p) { return allowed.count(p) > 0; });
  if (auto s = host->Listen(); !s.ok()) Fail(kExitFailure, s.message());
  for (const auto& a : host->ListenAddrs())
    std::cout << a.WithPeerId(host->peer_id()).ToString() << "\n";
  std::cout << std::flush;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    host->Close();
    io.stop();
  });
  io.run();
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
  asio::co_spawn(io, PingTask(host, addr, f.count, timeout), [&](std::exception_ptr e, int rc) {
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

// Sends one random message on /tss/1.0.0 and reads the peer's echo back; prints both digests.
p2p::Task<int> SendTask(std::shared_ptr<p2p::Host> host, p2p::Multiaddr addr, size_t size) {
  auto connection = co_await host->Dial(addr, std::nullopt);
  if (!connection.ok()) {
    std::cerr << "error: cannot connect to " << addr.ToString() << ": "
              << connection.status().message() << "\n";
    co_return kExitFailure;
  }
  auto stream = co_await host->NewStream(*connection, std::string(p2p::kTssProtocol));
  if (!stream.ok()) {
    std::cerr << "error: peer refused " << p2p::kTssProtocol << ": " << stream.status().message()
              << "\n";
    co_return kExitFailure;
  }
  tss::Bytes message(size);
  tss::crypto::SystemRandom().Fill(message);
  auto started = std::chrono::steady_clock::now();
  if (auto s = co_await p2p::WriteTssMessage(**stream, message); !s.ok()) {
    std::cerr << "error: sending: " << s.message() << "\n";
    co_return kExitFailure;
  }
  auto echoed = co_await p2p::ReadTssMessage(**stream, std::max(size, size_t{1}));
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  (void)co_await (*stream)->CloseWrite();
  if (!echoed.ok() || !echoed->has_value()) {
    std::cerr << "error: no echo: "
              << (echoed.ok() ? std::string("stream closed") : echoed.status().message()) << "\n";
    co_return kExitFailure;
  }
  bool same = **echoed == message;
  std::cout << "{\"bytes\":" << size << ",\"sent\":\"" << tss::ToHex(tss::crypto::Sha256(message))
            << "\",\"echoed\":\"" << tss::ToHex(tss::crypto::Sha256(**echoed))
            << "\",\"round_trip_ms\":" << ms << "}" << std::endl;
  co_return same ? kExitOk : kExitFailure;
}

int Send(const SendFlags& f) {
  if (f.timeout_seconds <= 0) Fail(kExitUsage, "--timeout must be positive");
  if (f.bytes > p2p::kDefaultMaxTssMessage) Fail(kExitUsage, "--bytes is over the 16 MiB limit");
  auto addr = ParseAddr(f.addr, "MULTIADDR");
  if (!addr.AsTcp()) Fail(kExitUsage, "MULTIADDR must be /ip4|ip6|dns…/HOST/tcp/PORT[/p2p/ID]");
  asio::io_context io;
  p2p::HostConfig config;
  auto timeout =
      std::chrono::duration_cast<p2p::Duration>(std::chrono::duration<double>(f.timeout_seconds));
  config.dial_timeout = config.handshake_timeout = config.negotiation_timeout = timeout;
  auto host = std::make_shared<p2p::Host>(io.get_executor(), IdentityFromHex(f.key), config);
  int code = kExitFailure;
  asio::steady_timer deadline(io, timeout);
  deadline.async_wait([&](const boost::system::error_code& ec) {
    if (ec) return;
    std::cerr << "error: timed out\n";
    host->Close();
    io.stop();
  });
  asio::co_spawn(io, SendTask(host, addr, f.bytes), [&](std::exception_ptr e, int rc) {
    code = e ? kExitFailure : rc;
    deadline.cancel();
    host->Close();
  });
  io.run();
  return code;
}

const tss::cli::RegisterCommands kRegister([](CLI::App& app) {
  auto* p2p_cmd = app.add_subcommand("p2p", "libp2p tools: peer ids, a test server, ping");
  p2p_cmd->require_subcommand(1);

  auto* id_cmd = p2p_cmd->add_subcommand("id", "Print the peer id of an Ed25519 seed");
  auto key = std::make_shared<std::string>();
  id_cmd->add_option("--private-key", *key, "32-byte Ed25519 seed, hex")->required();
  id_cmd->callback([key] { std::cout << IdentityFromHex(*key).peer_id().ToString() << "\n"; });

  auto* serve_cmd = p2p_cmd->add_subcommand(
      "serve", "Serve ping, identify and a /tss/1.0.0 echo; prints our multiaddr first");
  auto serve = std::make_shared<ServeFlags>();
  serve_cmd->add_option("--listen", serve->listen, "listen multiaddr")->capture_default_str();
  serve_cmd->add_option("--private-key", serve->key, "32-byte Ed25519 seed, hex (default: random)");
  serve_cmd->add_option("--max-message-size", serve->max_message, "largest /tss message, bytes")
      ->capture_default_str();
  serve_cmd->add_option("--allow", serve->allow, "peer ids allowed on /tss/1.0.0 (default: all)");
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
      "send", "Send one random message on /tss/1.0.0 to an echo peer and check the echo");
  auto send = std::make_shared<SendFlags>();
  send_cmd->add_option("MULTIADDR", send->addr, "the echo peer (e.g. `tss p2p serve`)")->required();
  send_cmd->add_option("--bytes", send->bytes, "message size")->capture_default_str();
  send_cmd->add_option("--private-key", send->key, "our seed, hex (default: random)");
  send_cmd->add_option("--timeout", send->timeout_seconds, "seconds for the whole exchange")
      ->capture_default_str();
  send_cmd->callback([send] { std::exit(Send(*send)); });
});

}  // namespace
