// networking/fault_network.h — a Network that misbehaves on purpose, for fault tests.
//
// Owns: a decorator over any Network (the inner one, which it owns) that, following a seeded
// FaultPolicy, delays, duplicates, reorders and drops the messages we send to other peers, and
// cuts off a set of peers (a partition) until healed; and the counts of what it did
// (FaultStats), so a test can show that its faults really happened. Everything else —
// listening, dialing, the allowed set, the network counters — is the inner network's, reached
// through it unchanged. Must not touch: message contents (opaque bytes, passed on as they are),
// the inner network's threads. Nothing in a production build makes one.
//
// What each fault does to one message (decided when Send() is called, with the seeded
// generator, in this order):
//   drop       never sent; its SendCallback completes with kTimeout after `drop_completion`,
//              as the real network's does when no acknowledgement comes;
//   duplicate  handed to the inner network twice, back to back; the caller's SendCallback
//              completes once, with the first copy's outcome;
//   reorder    held back (one message per peer at a time; a held message is not also
//              delayed), and sent right after the next message to the same peer: counted as
//              reordered; or, when none comes within `max_hold`, sent then: held_released;
//   delay      sent after a uniform random time in [1 ms, max_delay]. Delays keep the order of
//              messages to one peer (a message never overtakes an earlier delayed one), so
//              reordering is the reorder fault's alone.
// A partition is checked when a message is about to go: a message to a cut-off peer (or any
// message, when our own peer id is cut off) completes with kUnavailable without being sent;
// messages arriving from a cut-off peer (or any, when we are cut off) are discarded.
// Messages to ourselves pass straight through, untouched by faults and partitions.
//
// Threading: every method may be called from any thread. Messages to other peers go through
// one timer thread of ours (started by Start()), which calls the inner Send(); no lock of ours
// is held while we call the inner network or a callback, so an inner network that delivers
// synchronously (an in-memory hub) works, and so does calling Partition() from inside a handler.
// Each SendCallback runs exactly once: on the inner network's completion thread for a message
// handed to it, on our timer thread for one we dropped or cut off, and, for one we still held
// when Stop() came, inside Stop() with kUnavailable. Stop() sends nothing more, joins the timer
// thread, completes what it held, then stops the inner network: once it returns, nothing is
// sent or delivered. Like the inner Stop(), it must not be called from a handler or callback.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "networking/network.h"

namespace tss::networking {

// How often, and how hard, each fault strikes; the default (all zero) passes every message on
// unchanged (through the timer thread, in order).
struct FaultPolicy {
  // Probabilities in [0, 1], drawn for each message to another peer.
  double drop{0};
  double duplicate{0};
  double reorder{0};
  double delay{0};
  // A delayed message waits a uniform random time in [1 ms, max_delay].
  std::chrono::milliseconds max_delay{20};
  // A held message goes out after this at the latest.
  std::chrono::milliseconds max_hold{50};
  // How long after Send() a dropped message's callback runs.
  std::chrono::milliseconds drop_completion{0};
};

// What the wrapper did, counted once per message (the duplicate copy is not in `sent`).
struct FaultStats {
  uint64_t sent = 0;  // messages to other peers handed to the inner network
  uint64_t dropped = 0;
  uint64_t duplicated = 0;
  uint64_t reordered = 0;      // held messages sent after a later one
  uint64_t held_released = 0;  // held messages sent after max_hold, no later one having come
  uint64_t delayed = 0;
  uint64_t cut_off_sends = 0;      // messages not sent because of a partition
  uint64_t cut_off_receives = 0;   // messages discarded because of a partition
  uint64_t discarded_at_stop = 0;  // messages still held or delayed when Stop() came
};

class FaultNetwork final : public Network {
 public:
  // `seed` fixes the sequence of fault decisions (not the timing of other threads).
  FaultNetwork(std::unique_ptr<Network> inner, FaultPolicy policy, uint64_t seed);
  ~FaultNetwork() override;  // Stop()

  // Starts the inner network, then our timer thread.
  Status Start() override;
  void Stop() override;
  std::string LocalPeerId() const override;
  std::vector<std::string> ListenAddrs() const override;
  void AddPeer(const std::string& peer_id, const std::vector<std::string>& multiaddrs) override;
  void SetAllowedPeers(const std::set<std::string>& peer_ids) override;
  // The handler sees what the inner network delivers, less what a partition discards.
  void SetHandler(MessageHandler handler) override;
  void Send(const std::string& peer_id, Bytes message, SendCallback done = nullptr) override;
  void Connect(const std::string& peer_id) override;
  NetworkStats Stats() const override;  // the inner network's
  // Unreachable while cut off by a partition, else the inner network's.
  PeerLiveness LivenessOf(const std::string& peer_id) const override;

  // Applies to messages decided from now on.
  void SetPolicy(const FaultPolicy& policy);
  // Cuts off `peer_ids` (ours included means everyone), replacing the previous set. Messages
  // already handed to the inner network are not recalled.
  void Partition(std::set<std::string> peer_ids);
  void Heal() { Partition({}); }
  FaultStats Faults() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Outgoing {
    std::string peer;
    Bytes message;
    SendCallback done;
    uint64_t seq = 0;  // the order of Send() calls
    bool duplicate = false;
    bool delayed = false;
  };
  // What the timer thread does when an entry is due. kReleaseHeld names the held message by
  // peer and seq (its Outgoing carries nothing else); it is stale once a later message took it.
  enum class Action { kSend, kCompleteDropped, kReleaseHeld };
  struct Timer {
    Action action;
    Outgoing out;
  };

  void Run();  // the timer thread
  // Carries out one due entry; `lock` (on mu_) is released around calls into the inner
  // network and callbacks, and held again on return.
  void Fire(Timer timer, std::unique_lock<std::mutex>& lock);
  // Hands `out` (and its duplicate) to the inner network; mu_ not held.
  void Transmit(Outgoing out);
  bool CutOff(const std::string& peer) const;        // mu_ held
  bool Chance(double probability);                   // mu_ held
  void Schedule(Clock::time_point at, Timer timer);  // mu_ held

  const std::unique_ptr<Network> inner_;
  const std::string self_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  FaultPolicy policy_;
  std::mt19937_64 rng_;
  std::multimap<std::pair<Clock::time_point, uint64_t>, Timer> timers_;  // by (when, seq)
  std::map<std::string, Clock::time_point> last_due_;  // per peer: delays keep the order
  std::map<std::string, Outgoing> held_;               // per peer: the message held back
  std::set<std::string> cut_off_;
  FaultStats stats_;
  uint64_t next_seq_ = 0;
  bool started_ = false;
  bool stopped_ = false;
  std::thread timer_;
};

}  // namespace tss::networking
