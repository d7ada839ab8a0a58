// sessionmanager/session_manager.h — the life of protocol sessions at one node
// (seed: "sessionmanager/").
//
// Owns: turning a valid setup into a session (PENDING → IN_PROGRESS) and an ACK, starting it on
// begin, routing step messages between the session and the network, finishing it (key share
// saved or signature recorded, IN_PROGRESS → SUCCESS; protocol error → FAILED naming the
// culprit), and expiry (inactive session → PENDING at a later block; PENDING past its expiry
// height → EXPIRED). Every message is checked first: it must come from the validator the
// session expects, for the session id every participant derives; anything else is dropped and
// counted. Must not touch: coordination (it forwards ACK/NACK to the Coordinator) or I/O.
// Single-threaded: the node calls every method from its one loop.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "coordinator/coordinator.h"
#include "coordinator/messages.h"
#include "coordinator/ports.h"

namespace tss::sessionmanager {

using coordinator::NodeMessage;

struct SessionManagerConfig {
  std::string my_address;
  std::chrono::milliseconds session_expiry{180'000};  // seed default: 3 minutes of inactivity
  uint64_t retry_delay_blocks = 5;                    // an expired session's event waits this long
  uint64_t max_block_skew = 30;                       // how far a setup's block may be from ours
  size_t max_early_steps = 4096;                      // steps buffered before begin arrives
};

// Why messages were dropped, for logs, `tss status` and tests.
struct DropCounters {
  uint64_t bad_sender = 0;       // not the coordinator / not a participant of the session
  uint64_t unknown_session = 0;  // no session, or another attempt's session id
  uint64_t invalid_setup = 0;    // setup that does not match our own view of the event
  uint64_t buffer_full = 0;
};

class SessionManager {
 public:
  SessionManager(SessionManagerConfig config, coordinator::EventAccess& events,
                 coordinator::KeyAccess& keys, coordinator::Outbox& outbox,
                 coordinator::BlockSource& blocks, coordinator::Clock& clock,
                 coordinator::ProtocolFactory& protocols, coordinator::Coordinator& coordinator);
  ~SessionManager();

  // Entry point for every message from the network; `from` is the validator address the
  // registry maps the sending peer id to (the network layer has authenticated the peer id).
  void HandleIncomingMessage(const std::string& from, const NodeMessage& message);
  // The expiry checker's pass (seed: StartExpiryChecker), run periodically by the node.
  void CheckExpiry();

  size_t active_sessions() const { return sessions_.size(); }
  const DropCounters& drops() const { return drops_; }

 private:
  struct Session;
  void HandleSetup(const std::string& from, const NodeMessage& m);
  void HandleBegin(const std::string& from, const NodeMessage& m);
  void HandleStep(const std::string& from, const NodeMessage& m);
  void HandleResult(const std::string& from, const NodeMessage& m);
  void HandleResultWithoutSession(const std::string& from, const NodeMessage& m);
  Session* Find(const NodeMessage& m);
  Status ValidateSetup(const std::string& from, const NodeMessage& m,
                       const coordinator::EventView& event,
                       std::optional<coordinator::KeyRecord>& key);
  void Deliver(Session& s, int from_party, ByteSpan payload);
  void Route(Session& s, std::vector<coordinator::ProtocolSession::Outgoing> out);
  void Finish(Session& s);
  void Fail(Session& s, const Status& why);
  void SaveSignature(const std::string& event_id, const std::string& result_json);
  void Nack(const std::string& to, const NodeMessage& m, const std::string& reason);
  void Drop(uint64_t& counter, const std::string& from, const NodeMessage& m,
            const std::string& why);

  SessionManagerConfig config_;
  coordinator::EventAccess& events_;
  coordinator::KeyAccess& keys_;
  coordinator::Outbox& outbox_;
  coordinator::BlockSource& blocks_;
  coordinator::Clock& clock_;
  coordinator::ProtocolFactory& protocols_;
  coordinator::Coordinator& coordinator_;
  std::map<std::string, std::unique_ptr<Session>> sessions_;  // by event id
  DropCounters drops_;
};

}  // namespace tss::sessionmanager
