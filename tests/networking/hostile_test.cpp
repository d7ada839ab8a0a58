// A real network under attack over loopback: hundreds of connections sending garbage,
// truncated handshakes and oversized lengths, and authenticated peers that overrun yamux
// windows or announce huge /tss messages. The victim must drop each, count it, keep serving
// its real peers, and hold on to no memory for them.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "network_test_util.h"
#include "networking/libp2p/identity.h"
#include "networking/libp2p/multiaddr.h"
#include "networking/libp2p/multistream.h"
#include "networking/libp2p/noise_session.h"
#include "networking/libp2p/tcp_stream.h"
#include "networking/libp2p/tss_protocol.h"
#include "networking/libp2p/varint.h"
#include "networking/libp2p/yamux_frame.h"

namespace tss::testing {
namespace {

using namespace std::chrono_literals;
using boost::asio::ip::tcp;
namespace asio = boost::asio;

// Resident set size of this process, from /proc (bytes).
size_t ResidentBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

tcp::endpoint EndpointOf(const networking::Network& network) {
  auto addr = libp2p::Multiaddr::Parse(network.ListenAddrs().at(0));
  auto target = addr->AsTcp();
  return tcp::endpoint(asio::ip::make_address(target->host), target->port);
}

Bytes MultistreamLine(std::string_view text) {
  Bytes line = libp2p::EncodeUvarint(text.size() + 1);
  line.insert(line.end(), text.begin(), text.end());
  line.push_back('\n');
  return line;
}

Bytes Concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// What one hostile connection sends before it goes quiet (and stays open) or hangs up.
struct Attack {
  std::string name;
  Bytes bytes;
  bool hang_up;
};

std::vector<Attack> Attacks() {
  std::mt19937 gen(42);
  Bytes garbage(4096);
  for (auto& b : garbage) b = static_cast<uint8_t>(gen());
  const Bytes header = MultistreamLine("/multistream/1.0.0");
  const Bytes noise = MultistreamLine("/noise");
  return {
      {"garbage", garbage, true},
      {"garbage-and-stay", garbage, false},
      {"nothing", {}, false},
      {"connect-and-leave", {}, true},
      {"truncated-multistream-header", Bytes(header.begin(), header.begin() + 7), false},
      {"huge-multistream-length", Concat({Bytes{0xff, 0xff, 0xff, 0xff, 0x0f}, garbage}), false},
      {"unknown-security-protocols",
       Concat({header, MultistreamLine("/tls/1.0.0"), MultistreamLine("/secio/1.0.0"),
               MultistreamLine("/plaintext/2.0.0")}),
       false},
      {"noise-then-truncated-message", Concat({header, noise, Bytes{0xff, 0xff, 1, 2, 3}}), false},
      {"noise-then-garbage-message", Concat({header, noise, Bytes{0x00, 0x20}, Bytes(32, 9)}),
       false},
      {"noise-then-oversized-message", Concat({header, noise, Bytes{0xff, 0xff}, garbage}), true},
  };
}

TEST(Hostile, HundredsOfBadConnectionsAreDroppedAndRealPeersKeepTalking) {
  libp2p::Libp2pNetworkOptions options;
  options.handshake_timeout = 2s;
  Inbox victim_inbox, friend_inbox;
  auto victim = StartNetwork(1, &victim_inbox, options);
  auto friend_node = StartNetwork(2, &friend_inbox);
  ASSERT_TRUE(victim && friend_node);
  Introduce(*victim, *friend_node);
  ASSERT_OK(SendWithin(*friend_node, victim->LocalPeerId(), Bytes{0}));  // warm up

  [[maybe_unused]] const size_t rss_before = ResidentBytes();
  const auto attacks = Attacks();
  asio::io_context io;
  std::vector<tcp::socket> held;
  size_t opened = 0;
  for (int round = 0; round < 30; ++round) {
    for (const auto& attack : attacks) {
      tcp::socket socket(io);
      boost::system::error_code ec;
      socket.connect(EndpointOf(*victim), ec);
      if (ec) continue;  // the listener's backlog is full: also a refusal
      ++opened;
      if (!attack.bytes.empty()) asio::write(socket, asio::buffer(attack.bytes), ec);
      if (attack.hang_up) {
        socket.close(ec);
      } else {
        held.push_back(std::move(socket));
      }
    }
    // Meanwhile, the real peers talk both ways.
    if (round % 10 == 9) {
      ASSERT_OK(SendWithin(*victim, friend_node->LocalPeerId(), Pattern(1000, round)));
      Status s = SendWithin(*friend_node, victim->LocalPeerId(), Pattern(1000, round), 15s);
      ASSERT_TRUE(s.ok()) << "round " << round << ": " << s.ToString();
    }
  }
  EXPECT_GE(opened, 200u);

  // Held connections die at the handshake deadline; then everything is accounted for.
  auto accounted = [&] {
    auto s = victim->Stats();
    return s.handshake_failures + s.connections_refused >= opened - 10 && s.connections <= 2;
  };
  EXPECT_TRUE(Eventually(accounted, options.handshake_timeout + 30s));
  auto stats = victim->Stats();
  EXPECT_GE(stats.handshake_failures + stats.connections_refused, opened - 10)
      << "handshake_failures " << stats.handshake_failures << ", refused "
      << stats.connections_refused;
  EXPECT_LE(stats.connections, 2u);  // just the friend
  EXPECT_EQ(stats.messages_received, 4u);
  held.clear();

  ASSERT_OK(SendWithin(*friend_node, victim->LocalPeerId(), Pattern(1 << 20, 1)));
  ASSERT_TRUE(victim_inbox.WaitFor(5));
  EXPECT_EQ(victim_inbox.Take().back().message, Pattern(1 << 20, 1));

#if !defined(__SANITIZE_ADDRESS__)
  // ASan keeps freed memory in quarantine; only the plain build can see what is retained.
  const size_t rss_after = ResidentBytes();
  EXPECT_LT(rss_after, rss_before + (64u << 20))
      << "resident memory grew from " << rss_before << " to " << rss_after;
#endif
}

// An authenticated peer (a real Noise handshake with its own key) that then breaks the rules
// of the layers above: the victim ends that connection and nobody else notices.
class AuthenticatedAttacker {
 public:
  explicit AuthenticatedAttacker(const networking::Network& victim)
      : identity_(libp2p::Identity::FromSeed(Seed(66)).value()), target_(EndpointOf(victim)) {}

  std::string peer_id() const { return identity_.peer_id().ToString(); }

  struct Outcome {
    bool secured = false;  // the handshake worked (else the test itself is broken)
    bool hung_up = false;  // the victim closed the connection
    int resets = 0;        // yamux frames with RST the victim sent us
  };

  // Connects, secures the channel and agrees on yamux, then writes `after` raw on the secure
  // channel and reads the victim's yamux frames until it hangs up or `limit` passes.
  Outcome SendRawYamux(Bytes after, std::chrono::seconds limit = 10s) {
    asio::io_context io;
    Outcome outcome;
    auto run = [&]() -> libp2p::Task<void> {
      tcp::socket socket(io);
      boost::system::error_code ec;
      co_await socket.async_connect(target_, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      auto transport = std::make_shared<libp2p::TcpStream>(std::move(socket));
      if (!(co_await libp2p::MultistreamSelect(*transport, libp2p::kNoiseProtocolId)).ok())
        co_return;
      auto secure = co_await libp2p::NoiseSecure(transport, identity_, true, std::nullopt);
      if (!secure.ok()) co_return;
      if (!(co_await libp2p::MultistreamSelect(**secure, libp2p::kYamuxProtocolId)).ok()) co_return;
      outcome.secured = true;
      if (!(co_await (*secure)->Write(after)).ok()) {
        outcome.hung_up = true;
        co_return;
      }
      for (;;) {
        uint8_t raw[libp2p::kYamuxHeaderSize];
        if (!(co_await libp2p::ReadExact(**secure, raw)).ok()) break;
        auto header = libp2p::DecodeYamuxHeader(raw);
        if (!header.ok()) break;
        if (header->has(libp2p::yamux_flag::kRst)) ++outcome.resets;
        if (header->type == libp2p::YamuxType::kData && header->length > 0) {
          if (!(co_await libp2p::ReadBody(**secure, header->length)).ok()) break;
        }
      }
      outcome.hung_up = true;
    };
    asio::co_spawn(io, run(), asio::detached);
    io.run_for(limit);
    return outcome;
  }

  bool SendRawYamuxAndExpectHangUp(Bytes after) {
    Outcome outcome = SendRawYamux(std::move(after));
    EXPECT_TRUE(outcome.secured);
    return outcome.hung_up;
  }

 private:
  libp2p::Identity identity_;
  tcp::endpoint target_;
};

Bytes YamuxFrame(libp2p::YamuxType type, uint16_t flags, uint32_t stream, uint32_t length,
                 ByteSpan payload = {}) {
  auto header = libp2p::EncodeYamuxHeader({type, flags, stream, length});
  Bytes out(header.size() + payload.size());
  std::copy(header.begin(), header.end(), out.begin());
  if (!payload.empty()) std::copy(payload.begin(), payload.end(), out.begin() + header.size());
  return out;
}

TEST(Hostile, AuthenticatedPeersBreakingYamuxOrTssLimitsAreDropped) {
  libp2p::Libp2pNetworkOptions options;
  options.max_message_size = 64 << 10;
  options.max_streams_per_connection = 8;
  Inbox victim_inbox;
  auto victim = StartNetwork(1, &victim_inbox, options);
  auto friend_node = StartNetwork(2, nullptr);
  ASSERT_TRUE(victim && friend_node);
  Introduce(*victim, *friend_node);
  AuthenticatedAttacker attacker(*victim);
  victim->SetAllowedPeers({friend_node->LocalPeerId(), attacker.peer_id()});
  using libp2p::YamuxType;
  namespace flag = libp2p::yamux_flag;

  // Data beyond the window the victim granted (256 KiB initial, plus what it adds at open).
  Bytes flood(2 << 20, 0xab);
  EXPECT_TRUE(attacker.SendRawYamuxAndExpectHangUp(Concat(
      {YamuxFrame(YamuxType::kData, flag::kSyn, 1, static_cast<uint32_t>(flood.size()), flood)})))
      << "window overrun";
  // A frame announcing 4 GiB and then nothing.
  EXPECT_TRUE(attacker.SendRawYamuxAndExpectHangUp(
      YamuxFrame(YamuxType::kData, flag::kSyn, 1, 0xffffffffu)))
      << "oversized frame";
  // A bad version byte.
  Bytes bad_version = YamuxFrame(YamuxType::kPing, flag::kSyn, 0, 1);
  bad_version[0] = 7;
  EXPECT_TRUE(attacker.SendRawYamuxAndExpectHangUp(bad_version)) << "bad version";
  // Far more streams than allowed, all at once.
  Bytes many;
  for (uint32_t id = 1; id < 2 * 300; id += 2) {
    auto f = YamuxFrame(YamuxType::kWindowUpdate, flag::kSyn, id, 0);
    many.insert(many.end(), f.begin(), f.end());
  }
  // Streams beyond the limit are refused one by one (RST), as other yamux implementations do;
  // the connection itself may stay.
  auto flooded = attacker.SendRawYamux(many, 3s);
  EXPECT_TRUE(flooded.secured);
  EXPECT_GE(flooded.resets, 300 - 8) << "stream flood";
  // A stream id of the wrong parity (the dialer must use odd ids).
  EXPECT_TRUE(
      attacker.SendRawYamuxAndExpectHangUp(YamuxFrame(YamuxType::kWindowUpdate, flag::kSyn, 2, 0)))
      << "even stream id from the dialer";

  // A /tss stream announcing a 1 GiB message: refused, that stream reset, nothing buffered.
  Bytes announce =
      Concat({MultistreamLine("/multistream/1.0.0"), MultistreamLine(libp2p::kTssProtocol),
              libp2p::EncodeTssHello(7), libp2p::EncodeUvarint(1),
              libp2p::EncodeUvarint(uint64_t{1} << 30), Bytes(100, 1)});
  auto huge = attacker.SendRawYamux(
      YamuxFrame(YamuxType::kData, flag::kSyn, 1, static_cast<uint32_t>(announce.size()), announce),
      2s);
  EXPECT_TRUE(huge.secured);
  EXPECT_EQ(huge.resets, 1) << "a huge /tss message";
  EXPECT_GE(victim->Stats().refused_oversized, 1u);

  // The friend never noticed.
  ASSERT_OK(SendWithin(*friend_node, victim->LocalPeerId(), Pattern(60000, 5)));
  ASSERT_TRUE(victim_inbox.WaitFor(1));
  EXPECT_EQ(victim_inbox.Take()[0].message, Pattern(60000, 5));
  EXPECT_EQ(victim->Stats().messages_received, 1u);
}

}  // namespace
}  // namespace tss::testing
