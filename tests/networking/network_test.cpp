// Two or three real libp2p networks over loopback TCP: delivery both ways and in order, large
// messages, the allowed set, size limits, failures reported instead of hanging, reconnection.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "network_test_util.h"
#include "networking/libp2p/libp2p_network.h"

namespace tss::testing {
namespace {

using namespace std::chrono_literals;

TEST(Libp2pNetwork, PeerIdFollowsFromTheSeedBeforeStart) {
  auto network = libp2p::NewLibp2pNetwork(Seed(1));
  ASSERT_TRUE(network.ok());
  EXPECT_EQ((*network)->LocalPeerId(), "12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5");
}

TEST(Libp2pNetwork, RefusesBadSeedAndBadListenAddress) {
  EXPECT_FALSE(libp2p::NewLibp2pNetwork(Bytes(31, 1)).ok());
  libp2p::Libp2pNetworkOptions options;
  options.listen_addrs = {"/ip4/127.0.0.1/tcpx/0"};
  EXPECT_FALSE(libp2p::NewLibp2pNetwork(Seed(1), options).ok());
}

TEST(Libp2pNetwork, ListenAddrsCarryRealPortAndPeerId) {
  auto a = StartNetwork(1, nullptr);
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->ListenAddrs().size(), 1u);
  const std::string addr = a->ListenAddrs()[0];
  EXPECT_EQ(addr.rfind("/ip4/127.0.0.1/tcp/", 0), 0u) << addr;
  EXPECT_EQ(addr.find("/tcp/0/"), std::string::npos) << addr;
  EXPECT_NE(addr.find("/p2p/" + a->LocalPeerId()), std::string::npos) << addr;
}

TEST(Libp2pNetwork, MessagesCrossBothWaysInOrderAndIntact) {
  Inbox inbox_a, inbox_b;
  auto a = StartNetwork(1, &inbox_a);
  auto b = StartNetwork(2, &inbox_b);
  ASSERT_TRUE(a && b);
  Introduce(*a, *b);

  constexpr int kCount = 200;
  for (int i = 0; i < kCount; ++i) a->Send(b->LocalPeerId(), Pattern(1 + i * 37, uint8_t(i)));
  ASSERT_OK(SendWithin(*b, a->LocalPeerId(), Pattern(1 << 20, 7)));
  ASSERT_TRUE(inbox_b.WaitFor(kCount));
  ASSERT_TRUE(inbox_a.WaitFor(1));

  auto at_b = inbox_b.Take();
  ASSERT_EQ(at_b.size(), size_t{kCount});
  for (int i = 0; i < kCount; ++i) {
    EXPECT_EQ(at_b[i].from, a->LocalPeerId());
    ASSERT_EQ(at_b[i].message, Pattern(1 + i * 37, uint8_t(i))) << "message " << i;
  }
  auto at_a = inbox_a.Take();
  EXPECT_EQ(at_a[0].from, b->LocalPeerId());
  EXPECT_EQ(at_a[0].message, Pattern(1 << 20, 7));

  EXPECT_EQ(a->Stats().messages_sent, uint64_t{kCount});
  EXPECT_EQ(b->Stats().messages_received, uint64_t{kCount});
  EXPECT_EQ(a->Stats().send_failures, 0u);
}

TEST(Libp2pNetwork, LargestAllowedMessageCrossesAndEmptyOneToo) {
  libp2p::Libp2pNetworkOptions options;
  options.max_message_size = 4 << 20;
  Inbox inbox_b;
  auto a = StartNetwork(1, nullptr, options);
  auto b = StartNetwork(2, &inbox_b, options);
  ASSERT_TRUE(a && b);
  Introduce(*a, *b);
  ASSERT_OK(SendWithin(*a, b->LocalPeerId(), Pattern(4 << 20, 3)));
  ASSERT_OK(SendWithin(*a, b->LocalPeerId(), Bytes{}));
  ASSERT_TRUE(inbox_b.WaitFor(2));
  auto got = inbox_b.Take();
  EXPECT_EQ(got[0].message, Pattern(4 << 20, 3));
  EXPECT_TRUE(got[1].message.empty());
}

TEST(Libp2pNetwork, SendToSelfDeliversLocally) {
  Inbox inbox;
  auto a = StartNetwork(1, &inbox);
  ASSERT_NE(a, nullptr);
  ASSERT_OK(SendWithin(*a, a->LocalPeerId(), Bytes{1, 2, 3}));
  ASSERT_TRUE(inbox.WaitFor(1));
  auto got = inbox.Take();
  EXPECT_EQ(got[0].from, a->LocalPeerId());
  EXPECT_EQ(got[0].message, (Bytes{1, 2, 3}));
}

TEST(Libp2pNetwork, PeerOutsideTheAllowedSetIsRefusedAndCounted) {
  Inbox inbox_b;
  auto a = StartNetwork(1, nullptr);
  auto b = StartNetwork(2, &inbox_b);
  auto c = StartNetwork(3, nullptr);
  ASSERT_TRUE(a && b && c);
  Introduce(*a, *b);  // b allows only a
  c->AddPeer(b->LocalPeerId(), b->ListenAddrs());

  Status refused = SendWithin(*c, b->LocalPeerId(), Bytes{9});
  EXPECT_FALSE(refused.ok());
  EXPECT_GE(b->Stats().refused_not_allowed, 1u);
  EXPECT_EQ(c->Stats().send_failures, 1u);

  // The allowed peer still gets through, and only its message arrived.
  ASSERT_OK(SendWithin(*a, b->LocalPeerId(), Bytes{1}));
  ASSERT_TRUE(inbox_b.WaitFor(1));
  std::this_thread::sleep_for(100ms);
  auto got = inbox_b.Take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].from, a->LocalPeerId());

  // Allowing c later lets it in.
  b->SetAllowedPeers({a->LocalPeerId(), c->LocalPeerId()});
  ASSERT_OK(SendWithin(*c, b->LocalPeerId(), Bytes{3}));
  ASSERT_TRUE(inbox_b.WaitFor(1));
  EXPECT_EQ(inbox_b.Take()[0].from, c->LocalPeerId());
}

TEST(Libp2pNetwork, OversizedMessagesAreRefusedOnBothSides) {
  libp2p::Libp2pNetworkOptions small, large;
  small.max_message_size = 1000;
  large.max_message_size = 100000;
  Inbox inbox_b;
  auto a = StartNetwork(1, nullptr, large);
  auto b = StartNetwork(2, &inbox_b, small);
  ASSERT_TRUE(a && b);
  Introduce(*a, *b);

  // Our own limit: refused at once, nothing sent.
  Status local = SendWithin(*b, a->LocalPeerId(), Bytes(1001));
  EXPECT_EQ(local.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(b->Stats().refused_oversized, 1u);

  // The receiver's limit: it drops the stream without buffering the message…
  (void)SendWithin(*a, b->LocalPeerId(), Bytes(5000, 1));
  for (int i = 0; i < 100 && b->Stats().refused_oversized < 2; ++i)
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ(b->Stats().refused_oversized, 2u);
  // …and the next message within the limit arrives (the sender opens a new stream).
  ASSERT_OK(SendWithin(*a, b->LocalPeerId(), Bytes(1000, 2)));
  ASSERT_TRUE(inbox_b.WaitFor(1));
  auto got = inbox_b.Take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].message, Bytes(1000, 2));
}

TEST(Libp2pNetwork, FailuresAreReportedNotHung) {
  libp2p::Libp2pNetworkOptions options;
  options.dial_timeout = 2s;
  auto a = StartNetwork(1, nullptr, options);
  ASSERT_NE(a, nullptr);

  EXPECT_EQ(SendWithin(*a, "not-a-peer-id", Bytes{1}).code(), ErrorCode::kInvalidArgument);

  // A peer we have no address for.
  auto stranger = libp2p::NewLibp2pNetwork(Seed(9));
  ASSERT_TRUE(stranger.ok());
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(SendWithin(*a, (*stranger)->LocalPeerId(), Bytes{1}, 10s).ok());

  // A peer whose address refuses connections: a network that stopped.
  auto b = StartNetwork(2, nullptr);
  ASSERT_NE(b, nullptr);
  a->AddPeer(b->LocalPeerId(), b->ListenAddrs());
  b->Stop();
  Status down = SendWithin(*a, b->LocalPeerId(), Bytes{1}, 10s);
  EXPECT_FALSE(down.ok());
  EXPECT_NE(down.code(), ErrorCode::kTimeout) << "the test's own deadline fired: Send hung";
  EXPECT_LT(std::chrono::steady_clock::now() - start, 8s);
  EXPECT_GE(a->Stats().send_failures, 3u);
}

TEST(Libp2pNetwork, ReconnectsAfterThePeerRestarts) {
  Inbox inbox_b1, inbox_b2;
  auto a = StartNetwork(1, nullptr);
  auto b = StartNetwork(2, &inbox_b1);
  ASSERT_TRUE(a && b);
  Introduce(*a, *b);
  ASSERT_OK(SendWithin(*a, b->LocalPeerId(), Bytes{1}));
  ASSERT_TRUE(inbox_b1.WaitFor(1));
  std::string addr = b->ListenAddrs()[0];
  b->Stop();
  b.reset();

  // The same identity comes back on the same port; the stale connection is noticed and
  // replaced within one Send.
  libp2p::Libp2pNetworkOptions same_port;
  same_port.listen_addrs = {addr.substr(0, addr.find("/p2p/"))};
  auto b2 = StartNetwork(2, &inbox_b2, same_port);
  ASSERT_NE(b2, nullptr);
  b2->SetAllowedPeers({a->LocalPeerId()});
  Status s = SendWithin(*a, b2->LocalPeerId(), Bytes{2});
  if (!s.ok()) s = SendWithin(*a, b2->LocalPeerId(), Bytes{2});  // at most one loss
  ASSERT_OK(s);
  ASSERT_TRUE(inbox_b2.WaitFor(1));
  EXPECT_EQ(inbox_b2.Take().back().message, Bytes{2});
}

TEST(Libp2pNetwork, StopCompletesQueuedSendsAndIsIdempotent) {
  libp2p::Libp2pNetworkOptions options;
  options.dial_timeout = 30s;
  auto a = StartNetwork(1, nullptr, options);
  ASSERT_NE(a, nullptr);
  auto b = StartNetwork(2, nullptr);
  ASSERT_NE(b, nullptr);
  a->AddPeer(b->LocalPeerId(), {"/ip4/10.255.255.1/tcp/9"});  // unroutable: the dial hangs
  std::promise<Status> done;
  a->Send(b->LocalPeerId(), Bytes{1}, [&](Status s) { done.set_value(s); });
  std::this_thread::sleep_for(200ms);
  a->Stop();
  auto result = done.get_future();
  ASSERT_EQ(result.wait_for(5s), std::future_status::ready);
  EXPECT_FALSE(result.get().ok());
  a->Stop();
  EXPECT_EQ(SendWithin(*a, b->LocalPeerId(), Bytes{1}).code(), ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace tss::testing
