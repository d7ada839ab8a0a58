// /tss/2.0.0 delivery against a scripted peer (our own libp2p Host, frames written and read by
// hand) over loopback: the receiver delivers exact resends once and acknowledges them, skips a
// gap the sender gave up, starts afresh for a restarted sender and refuses the run it replaced,
// and resets only the stream of a malformed frame; the sender writes the documented frames,
// resends on a fresh stream with the same epoch and numbers, and never takes an ack for a
// message it did not send as success.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <mutex>
#include <thread>

#include "network_test_util.h"
#include "networking/libp2p/host.h"
#include "networking/libp2p/tss_protocol.h"

namespace tss::testing {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using libp2p::EncodeTssHello;
using libp2p::EncodeTssMessage;
using libp2p::Task;

Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes Text(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

// A libp2p host of our own on a thread of its own, playing the other side of /tss by hand.
class ScriptedPeer {
 public:
  ScriptedPeer()
      : host_(std::make_shared<libp2p::Host>(
            io_.get_executor(), libp2p::Identity::FromSeed(Seed(66)).value(), Config())) {}
  ~ScriptedPeer() {
    asio::post(io_, [host = host_] { host->Close(); });
    work_.reset();
    if (thread_.joinable()) thread_.join();
  }

  std::string peer_id() const { return host_->peer_id().ToString(); }
  libp2p::Host& host() { return *host_; }
  std::string Listen() {
    Status s = host_->Listen();
    EXPECT_TRUE(s.ok()) << s.ToString();
    return host_->ListenAddrs().at(0).WithPeerId(host_->peer_id()).ToString();
  }
  void Start() {
    thread_ = std::thread([this] { io_.run(); });
  }
  // Runs `task` on the peer's thread and waits for it (bounded).
  void Run(std::function<Task<void>()> task) {
    auto done = std::make_shared<std::promise<void>>();
    auto finished = done->get_future();
    asio::co_spawn(io_, std::move(task), [done](std::exception_ptr) { done->set_value(); });
    ASSERT_EQ(finished.wait_for(60s), std::future_status::ready);
  }

 private:
  static libp2p::HostConfig Config() {
    libp2p::HostConfig config;
    config.listen_addrs = {libp2p::Multiaddr::Parse("/ip4/127.0.0.1/tcp/0").value()};
    return config;
  }
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{
      io_.get_executor()};
  std::shared_ptr<libp2p::Host> host_;
  std::thread thread_;
};

struct Exchange {
  uint64_t acked = 0;  // the highest ack the receiver sent (0: none)
  bool ended = false;  // the receiver reset or closed the stream before acking `until`
};

// Opens a /tss stream on `connection`, writes `bytes` (a hello and messages) and reads the
// receiver's replies until `until` is acknowledged or the stream ends.
Task<Exchange> Talk(libp2p::Host& host, std::shared_ptr<libp2p::Connection> connection, Bytes bytes,
                    uint64_t until) {
  Exchange out;
  auto stream = co_await host.NewStream(connection, std::string(libp2p::kTssProtocol));
  if (!stream.ok() || !(co_await (*stream)->Write(bytes)).ok()) {
    out.ended = true;
    co_return out;
  }
  while (out.acked < until) {
    auto reply = co_await libp2p::ReadTssReply(**stream);
    if (!reply.ok() || !reply->has_value()) {
      out.ended = true;
      co_return out;
    }
    if ((*reply)->type == libp2p::TssReplyType::kAck) out.acked = (*reply)->seq;
  }
  (void)co_await (*stream)->CloseWrite();
  co_return out;
}

TEST(Delivery, ReceiverDeliversEachNumberedMessageOnceAcrossStreamsAndRuns) {
  Inbox inbox;
  auto victim = StartNetwork(1, &inbox);
  ASSERT_NE(victim, nullptr);
  ScriptedPeer sender;
  victim->SetAllowedPeers({sender.peer_id()});
  sender.Start();
  const auto addr = libp2p::Multiaddr::Parse(victim->ListenAddrs()[0]).value();
  const uint64_t first = 0x1111111111111111, second = 0x2222222222222222;

  struct Step {
    Bytes bytes;      // a hello and messages, written at once on a fresh stream
    uint64_t until;   // read replies until this message is acknowledged
    Exchange expect;  // what the receiver answers
  };
  const std::vector<Step> script = {
      // An exact resend on the same stream.
      {Cat({EncodeTssHello(first), EncodeTssMessage(1, Text("one")),
            EncodeTssMessage(1, Text("one")), EncodeTssMessage(2, Text("two"))}),
       2,
       {2, false}},
      // A fresh stream after a lost one starts with the oldest unacknowledged message.
      {Cat({EncodeTssHello(first), EncodeTssMessage(2, Text("two")),
            EncodeTssMessage(3, Text("three"))}),
       3,
       {3, false}},
      // The sender restarted: numbering starts again under its new epoch.
      {Cat({EncodeTssHello(second), EncodeTssMessage(1, Text("four"))}), 1, {1, false}},
      // The run it replaced is refused from now on.
      {Cat({EncodeTssHello(first), EncodeTssMessage(4, Text("five"))}), 4, {0, true}},
      // Message 2 was given up by the sender: the gap is skipped.
      {Cat({EncodeTssHello(second), EncodeTssMessage(1, Text("four")),
            EncodeTssMessage(3, Text("six"))}),
       3,
       {3, false}},
      // A malformed frame (number 0) resets its stream only.
      {Cat({EncodeTssHello(second), EncodeTssMessage(0, Text("bad"))}), 4, {0, true}},
      {Cat({EncodeTssHello(second), EncodeTssMessage(4, Text("seven"))}), 4, {4, false}},
  };

  std::vector<Exchange> talks;
  sender.Run([&]() -> Task<void> {
    auto c = co_await sender.host().Dial(addr, std::nullopt);
    if (!c.ok()) co_return;
    for (const Step& step : script)
      talks.push_back(co_await Talk(sender.host(), *c, step.bytes, step.until));
  });

  ASSERT_EQ(talks.size(), script.size());
  for (size_t i = 0; i < script.size(); ++i) {
    EXPECT_EQ(talks[i].acked, script[i].expect.acked) << "exchange " << i;
    EXPECT_EQ(talks[i].ended, script[i].expect.ended) << "exchange " << i;
  }
  // Acknowledged means delivered: all of it is in the inbox already.
  std::vector<std::string> got;
  for (auto& r : inbox.Take()) got.emplace_back(r.message.begin(), r.message.end());
  EXPECT_EQ(got, (std::vector<std::string>{"one", "two", "three", "four", "six", "seven"}));
  EXPECT_EQ(victim->Stats().duplicates_dropped, 3u);
}

TEST(Delivery, SenderResendsWithTheSameNumbersAndIgnoresFalseAcks) {
  struct Seen {
    uint64_t epoch;
    uint64_t seq;
    Bytes body;
  };
  auto seen = std::make_shared<std::vector<Seen>>();
  auto mu = std::make_shared<std::mutex>();
  ScriptedPeer receiver;
  // The receiver acks every message, except that it loses the stream the first time message 3
  // arrives, and answers message 4 the first time with an ack for a message never sent.
  receiver.host().SetHandler(
      std::string(libp2p::kTssProtocol),
      [seen, mu](std::shared_ptr<libp2p::YamuxStream> s,
                 std::shared_ptr<libp2p::Connection>) -> Task<void> {
        auto epoch = co_await libp2p::ReadTssHello(*s);
        if (!epoch.ok()) co_return s->Reset();
        for (;;) {
          auto header = co_await libp2p::ReadTssMessageHeader(*s);
          if (!header.ok() || !header->has_value()) break;
          auto body = co_await libp2p::ReadBody(*s, (*header)->length);
          if (!body.ok()) break;
          size_t n;
          {
            std::lock_guard lock(*mu);
            seen->push_back({*epoch, (*header)->seq, *body});
            n = seen->size();
          }
          if (n == 3) co_return s->Reset();
          uint64_t ack = n == 5 ? 100 : (*header)->seq;
          if (!(co_await s->Write(libp2p::EncodeTssReply({libp2p::TssReplyType::kAck, ack}))).ok())
            break;
        }
        (void)co_await s->CloseWrite();
      });
  const std::string addr = receiver.Listen();
  receiver.Start();

  libp2p::Libp2pNetworkOptions options;
  auto a = StartNetwork(1, nullptr, options);
  ASSERT_NE(a, nullptr);
  a->AddPeer(receiver.peer_id(), {addr});
  for (uint8_t i = 1; i <= 4; ++i) ASSERT_OK(SendWithin(*a, receiver.peer_id(), Bytes{i, i}));

  std::lock_guard lock(*mu);
  ASSERT_EQ(seen->size(), 6u);
  const uint64_t expected_seq[] = {1, 2, 3, 3, 4, 4};
  for (size_t i = 0; i < seen->size(); ++i) {
    EXPECT_EQ((*seen)[i].epoch, (*seen)[0].epoch) << "frame " << i;
    EXPECT_NE((*seen)[i].epoch, 0u);
    EXPECT_EQ((*seen)[i].seq, expected_seq[i]) << "frame " << i;
    EXPECT_EQ((*seen)[i].body, (Bytes{uint8_t(expected_seq[i]), uint8_t(expected_seq[i])}));
  }
  EXPECT_EQ(a->Stats().messages_resent, 2u);
  EXPECT_EQ(a->Stats().messages_acknowledged, 4u);
}

}  // namespace
}  // namespace tss::testing
