// dkls/session.h — the message-driven state machine all DKLs23 sessions share.
//
// Owns: round bookkeeping (which peer's message for which round has arrived), buffering of
// messages for a later round, refusal of anything that does not belong (wrong protocol or run,
// sender outside the participants, misaddressed, duplicate, stale round), and the rule that a
// failed session stays failed and outputs nothing. Must not touch: protocol mathematics (the
// subclasses' rounds), transport, clocks.
//
// Shape: every protocol here has R rounds, and in each round every participant sends exactly one
// message to every other participant — either one broadcast copy or one addressed message.
// Start() returns round 1; once all round-k messages from the other participants have arrived
// the session processes round k and returns round k + 1; processing round R finishes it.
// A peer can be at most one round ahead of us, so early messages are buffered, not refused.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "dkls/message.h"

namespace tss::dkls {

class Session {
 public:
  virtual ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // The round-1 messages. Only the first call produces them; later calls (and calls on a failed
  // session) return nothing, so randomness drawn for this run is never used twice.
  std::vector<Message> Start();
  // Consumes one message; returns the messages it made due (possibly none). Any error fails the
  // session for good (every later call returns the same error) and names the culprit when a
  // party is to blame. Messages may arrive before Start(); they are held until then.
  Result<std::vector<Message>> Handle(const Message& message);

  bool Done() const { return done_; }
  bool Failed() const { return !status_.ok(); }
  // OK while running or done; the first error otherwise.
  const Status& status() const { return status_; }
  // The participants whose message for the current round has not arrived (whom to blame when
  // the caller's timeout fires). Empty when done or failed.
  std::vector<uint16_t> Waiting() const;

  uint16_t me() const { return me_; }
  const std::vector<uint16_t>& participants() const { return parties_; }
  ProtocolKind protocol() const { return kind_; }
  // A message of this run from party `from`, for a caller whose transport already names the run
  // and authenticates the sender (the node's step envelope), to pass to Handle().
  Message Incoming(uint16_t from, uint16_t to, int round, Bytes payload) const;

 protected:
  // `parties` sorted, distinct, containing `me`; `broadcast_rounds` lists the rounds whose
  // messages travel as broadcasts (the others are addressed to one party each).
  Session(ProtocolKind kind, ByteSpan session_id, uint16_t me, std::vector<uint16_t> parties,
          int rounds, const std::vector<int>& broadcast_rounds);

  // The subclass's rounds. Round1() makes the messages of round 1; Process(k) consumes the
  // round-k payloads (`in[p]` is party p's, indexed by position in participants(), empty at our
  // own position) and returns the round k + 1 messages, or nothing after the last round.
  virtual Result<std::vector<Message>> Round1() = 0;
  virtual Result<std::vector<Message>> Process(int round, std::vector<Bytes>& in) = 0;
  // Called once when a session fails: drop secrets and partial results.
  virtual void Abandon() {}

  // A message of this run from us, for round `round`.
  Message MakeMessage(uint16_t to, int round, Bytes payload) const;
  size_t PositionOf(uint16_t party) const;  // index into participants(); party must be one

 private:
  Status Fail(Status status);
  // Wipes and drops every buffered payload (they may hold secrets meant for us alone).
  void ClearInbox();
  Status Check(const Message& m) const;
  Result<std::vector<Message>> Advance();

  ProtocolKind kind_;
  crypto::Digest tag_;
  uint16_t me_;
  std::vector<uint16_t> parties_;
  int rounds_;
  std::vector<bool> broadcast_round_;  // [round]
  // inbox_[round][position]: payload once arrived.
  std::vector<std::vector<std::optional<Bytes>>> inbox_;
  int current_ = 1;  // the round whose messages we are collecting
  bool started_ = false;
  bool done_ = false;
  Status status_;
};

// The shape of every protocol here (keygen, keyrefresh, quorum change, sign): three rounds, one
// function each. Round2 consumes the round-1 payloads and makes round 2, Round3 consumes round 2
// and makes round 3, Finish consumes round 3.
class ThreeRoundSession : public Session {
 protected:
  ThreeRoundSession(ProtocolKind kind, ByteSpan session_id, uint16_t me,
                    std::vector<uint16_t> parties, const std::vector<int>& broadcast_rounds)
      : Session(kind, session_id, me, std::move(parties), 3, broadcast_rounds) {}

  virtual Result<std::vector<Message>> Round2(std::vector<Bytes>& in) = 0;
  virtual Result<std::vector<Message>> Round3(std::vector<Bytes>& in) = 0;
  virtual Status Finish(std::vector<Bytes>& in) = 0;

 private:
  Result<std::vector<Message>> Process(int round, std::vector<Bytes>& in) final;
};

}  // namespace tss::dkls
