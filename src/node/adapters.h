// node/adapters.h — the real event store and key-share files, seen through the ports the
// coordinator and session manager use (coordinator/ports.h).
//
// Owns: translating event rows (protocol, status, the JSON in event_data) to EventView and
// back, and sealing KeyRecords into key-share files. Must not touch: decisions — these only
// translate.
#pragma once

#include <memory>

#include "coordinator/ports.h"
#include "eventstore/event_store.h"
#include "keyshare/keyshare_store.h"

namespace tss::node {

// event_data JSON: {"key_id": "...", "message_hash": "<64 hex>", "chain_path": "..."}.
std::string EncodeEventData(const std::string& key_id, const Bytes& message_hash,
                            const std::string& chain_path);
Result<coordinator::EventView> ToEventView(const eventstore::Event& event);

class StoreEventAccess final : public coordinator::EventAccess {
 public:
  explicit StoreEventAccess(std::unique_ptr<eventstore::EventStore> store)
      : store_(std::move(store)) {}
  Result<std::vector<coordinator::EventView>> Pending(uint64_t current_block,
                                                      size_t limit) override;
  Result<std::optional<coordinator::EventView>> Get(const std::string& event_id) override;
  Result<bool> Move(const std::string& event_id, coordinator::EventStatus from,
                    coordinator::EventStatus to, const coordinator::Transition& extra) override;
  Result<size_t> ExpirePending(uint64_t current_block) override;
  Result<size_t> ResetInProgressToPending() override;
  Result<bool> RecordRun(const coordinator::SessionId& run_id,
                         const std::string& event_id) override;
  eventstore::EventStore& store() { return *store_; }

 private:
  std::unique_ptr<eventstore::EventStore> store_;
};

class KeyShareAccess final : public coordinator::KeyAccess {
 public:
  // `states`, when given, is where each saved key's public state is mirrored (tss_keys).
  explicit KeyShareAccess(std::unique_ptr<keyshare::KeyShareStore> store,
                          eventstore::EventStore* states = nullptr)
      : store_(std::move(store)), states_(states) {}
  Result<coordinator::KeyRecord> Load(const std::string& key_id) override;
  bool Exists(const std::string& key_id) override;
  Status SaveSignature(const std::string& event_id, const std::string& result_json) override {
    return store_->StoreSignature(event_id, result_json);
  }
  // Seals the record into its file (atomically), then mirrors its public state.
  Status Save(const coordinator::KeyRecord& record, bool replace) override;
  Status PublishState(const coordinator::KeyRecord& record) override;

 private:
  std::unique_ptr<keyshare::KeyShareStore> store_;
  eventstore::EventStore* states_;
};

eventstore::Status ToStoreStatus(coordinator::EventStatus s);

}  // namespace tss::node
