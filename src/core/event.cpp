#include "core/event.h"

#include "crypto/bip32.h"

namespace tss::core {

const char* ProtocolTypeName(ProtocolType p) {
  switch (p) {
    case ProtocolType::kKeygen:
      return "KEYGEN";
    case ProtocolType::kKeyrefresh:
      return "KEYREFRESH";
    case ProtocolType::kSign:
      return "SIGN";
    case ProtocolType::kQuorumChange:
      return "QUORUM_CHANGE";
  }
  return "UNKNOWN";
}

Result<ProtocolType> ParseProtocolType(std::string_view name) {
  for (auto p : {ProtocolType::kKeygen, ProtocolType::kKeyrefresh, ProtocolType::kSign,
                 ProtocolType::kQuorumChange})
    if (name == ProtocolTypeName(p)) return p;
  return InvalidArgument("unknown protocol type '" + std::string(name) +
                         "' (KEYGEN, KEYREFRESH, SIGN or QUORUM_CHANGE)");
}

const char* EventStatusName(EventStatus s) {
  switch (s) {
    case EventStatus::kPending:
      return "PENDING";
    case EventStatus::kInProgress:
      return "IN_PROGRESS";
    case EventStatus::kSuccess:
      return "SUCCESS";
    case EventStatus::kFailed:
      return "FAILED";
    case EventStatus::kExpired:
      return "EXPIRED";
  }
  return "UNKNOWN";
}

Result<EventStatus> ParseEventStatus(std::string_view name) {
  for (auto s : {EventStatus::kPending, EventStatus::kInProgress, EventStatus::kSuccess,
                 EventStatus::kFailed, EventStatus::kExpired})
    if (name == EventStatusName(s)) return s;
  return InvalidArgument("unknown event status '" + std::string(name) + "'");
}

Status CheckEvent(const Event& e) {
  if (!e.defect.empty()) return InvalidArgument("event " + e.event_id + ": " + e.defect);
  if (e.protocol == ProtocolType::kSign && e.message_hash.size() != 32)
    return InvalidArgument("event " + e.event_id + ": a SIGN event needs a 32-byte message_hash");
  if (!e.chain_path.empty()) {
    if (e.protocol != ProtocolType::kSign)
      return InvalidArgument("event " + e.event_id + ": only a SIGN event may have a chain_path");
    if (auto path = crypto::bip32::ParsePath(e.chain_path); !path.ok())
      return InvalidArgument("event " + e.event_id + ": chain_path '" + e.chain_path +
                             "' cannot be derived: " + path.status().message() +
                             "; the event was not signed");
  }
  if (e.protocol != ProtocolType::kKeygen && e.key_id.empty())
    return InvalidArgument("event " + e.event_id + ": needs a key_id");
  return Status::Ok();
}

}  // namespace tss::core
