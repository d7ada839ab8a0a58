#include "node/adapters.h"

#include <nlohmann/json.hpp>

#include "coordinator/key_record.h"

namespace tss::node {

using coordinator::EventStatus;
using coordinator::EventView;

eventstore::Status ToStoreStatus(EventStatus s) {
  switch (s) {
    case EventStatus::kPending:
      return eventstore::Status::kPending;
    case EventStatus::kInProgress:
      return eventstore::Status::kInProgress;
    case EventStatus::kSuccess:
      return eventstore::Status::kSuccess;
    case EventStatus::kFailed:
      return eventstore::Status::kFailed;
    case EventStatus::kExpired:
      return eventstore::Status::kExpired;
  }
  return eventstore::Status::kFailed;
}

static EventStatus FromStoreStatus(eventstore::Status s) {
  switch (s) {
    case eventstore::Status::kPending:
      return EventStatus::kPending;
    case eventstore::Status::kInProgress:
      return EventStatus::kInProgress;
    case eventstore::Status::kSuccess:
      return EventStatus::kSuccess;
    case eventstore::Status::kFailed:
      return EventStatus::kFailed;
    case eventstore::Status::kExpired:
      return EventStatus::kExpired;
  }
  return EventStatus::kFailed;
}

std::string EncodeEventData(const std::string& key_id, const Bytes& message_hash,
                            const std::string& chain_path) {
  nlohmann::json j = nlohmann::json::object();
  if (!key_id.empty()) j["key_id"] = key_id;
  if (!message_hash.empty()) j["message_hash"] = ToHex(message_hash);
  if (!chain_path.empty()) j["chain_path"] = chain_path;
  return j.dump();
}

Result<EventView> ToEventView(const eventstore::Event& e) {
  EventView v;
  v.event_id = e.event_id;
  v.block_number = e.block_number;
  TSS_ASSIGN_OR_RETURN(v.protocol, coordinator::ParseProtocolType(e.protocol_type));
  v.status = FromStoreStatus(e.status);
  v.expiry_height = e.expiry_height;
  auto j = nlohmann::json::parse(e.event_data.empty() ? "{}" : e.event_data, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return InvalidArgument("event " + e.event_id + ": event_data is not a JSON object");
  // Rows come from outside (the CLI, a chain watcher, an operator's INSERT): a field of the
  // wrong type is an error of that event, never an exception through the node's loop.
  auto field = [&](const char* name, std::string& out) -> Status {
    auto it = j.find(name);
    if (it == j.end() || it->is_null()) return Status::Ok();
    if (!it->is_string())
      return InvalidArgument("event " + e.event_id + ": " + name + " must be a string");
    out = it->get<std::string>();
    return Status::Ok();
  };
  std::string hash;
  TSS_RETURN_IF_ERROR(field("key_id", v.key_id));
  TSS_RETURN_IF_ERROR(field("chain_path", v.chain_path));
  TSS_RETURN_IF_ERROR(field("message_hash", hash));
  if (!hash.empty()) {
    auto bytes = FromHex(hash);
    if (!bytes.ok() || bytes->size() != 32)
      return InvalidArgument("event " + e.event_id + ": message_hash must be 64 hex digits");
    v.message_hash = std::move(*bytes);
  }
  if (v.protocol == coordinator::ProtocolType::kSign && v.message_hash.empty())
    return InvalidArgument("event " + e.event_id + ": a SIGN event needs a message_hash");
  // Signing under a derived key is not built yet; signing with the root key instead would debit
  // the wrong account, so such an event fails rather than being signed.
  if (!v.chain_path.empty())
    return InvalidArgument("event " + e.event_id + ": chain_path '" + v.chain_path +
                           "' asks for a derived key, and key derivation is not supported yet; "
                           "the event was not signed");
  if (v.protocol != coordinator::ProtocolType::kKeygen && v.key_id.empty())
    return InvalidArgument("event " + e.event_id + ": needs a key_id");
  return v;
}

Result<std::vector<EventView>> StoreEventAccess::Pending(uint64_t current_block, size_t limit) {
  TSS_ASSIGN_OR_RETURN(auto events, store_->GetPendingEvents(current_block, limit));
  std::vector<EventView> out;
  for (const auto& e : events) {
    auto v = ToEventView(e);
    if (!v.ok()) {
      // A malformed row can never be processed: fail it loudly rather than poll it forever.
      (void)store_->UpdateStatus(e.event_id, eventstore::Status::kPending,
                                 eventstore::Status::kInProgress);
      (void)store_->UpdateStatus(e.event_id, eventstore::Status::kInProgress,
                                 eventstore::Status::kFailed, "", v.status().message());
      continue;
    }
    out.push_back(std::move(*v));
  }
  return out;
}

Result<std::optional<EventView>> StoreEventAccess::Get(const std::string& event_id) {
  TSS_ASSIGN_OR_RETURN(auto e, store_->GetEvent(event_id));
  if (!e) return std::optional<EventView>();
  TSS_ASSIGN_OR_RETURN(EventView v, ToEventView(*e));
  return std::optional<EventView>(std::move(v));
}

Result<bool> StoreEventAccess::Move(const std::string& event_id, EventStatus from, EventStatus to,
                                    const coordinator::Transition& extra) {
  if (extra.block_number)
    return store_->UpdateStatusAndBlockHeight(event_id, ToStoreStatus(from), ToStoreStatus(to),
                                              *extra.block_number);
  return store_->UpdateStatus(event_id, ToStoreStatus(from), ToStoreStatus(to), extra.result,
                              extra.error);
}

Result<size_t> StoreEventAccess::ExpirePending(uint64_t current_block) {
  return store_->ExpirePendingEvents(current_block);
}

Result<size_t> StoreEventAccess::ResetInProgressToPending() {
  return store_->ResetInProgressEventsToPending();
}

Result<bool> StoreEventAccess::RecordRun(const coordinator::SessionId& run_id,
                                         const std::string& event_id) {
  return store_->RecordRun(ToHex(run_id), event_id);
}

Result<coordinator::KeyRecord> KeyShareAccess::Load(const std::string& key_id) {
  TSS_ASSIGN_OR_RETURN(SecureBytes sealed, store_->Load(key_id));
  TSS_ASSIGN_OR_RETURN(auto record, coordinator::DecodeKeyRecord(sealed.span()));
  if (record.key_id != key_id)
    return InvalidArgument("key-share file for " + key_id + " holds key " + record.key_id);
  return record;
}

bool KeyShareAccess::Exists(const std::string& key_id) {
  return store_->Exists(key_id);
}

Status KeyShareAccess::Save(const coordinator::KeyRecord& record, bool replace) {
  SecureBytes plain = coordinator::EncodeKeyRecord(record);
  TSS_RETURN_IF_ERROR(store_->Store(record.key_id, plain.span(), replace));
  return PublishState(record);
}

Status KeyShareAccess::PublishState(const coordinator::KeyRecord& record) {
  if (!states_) return Status::Ok();
  eventstore::KeyState state;
  state.key_id = record.key_id;
  state.public_key = ToHex(record.public_key);
  state.needs_refresh = record.NeedsRefresh();
  state.culprits = record.culprits;
  return states_->SaveKeyState(state);
}

}  // namespace tss::node
