#include "keyshare/key_store.h"

namespace tss::keyshare {

Result<core::KeyRecord> KeyRecordStore::Load(const std::string& key_id) {
  std::lock_guard lock(mu_);
  auto it = unsealed_.find(key_id);
  if (it == unsealed_.end()) {
    TSS_ASSIGN_OR_RETURN(SecureBytes plain, files_->Load(key_id));
    it = unsealed_.emplace(key_id, std::move(plain)).first;
  }
  TSS_ASSIGN_OR_RETURN(auto record, core::DecodeKeyRecord(it->second.span()));
  if (record.key_id != key_id)
    return InvalidArgument("key-share file for " + key_id + " holds key " + record.key_id);
  return record;
}

bool KeyRecordStore::Exists(const std::string& key_id) {
  if (!files_->Exists(key_id)) return false;  // also for a key cached here and deleted since
  auto record = Load(key_id);
  return !record.ok() || record->Active();  // a file we cannot read still takes the name
}

Result<std::vector<std::string>> KeyRecordStore::List() {
  return files_->List();
}

Status KeyRecordStore::Remove(const std::string& key_id) {
  std::lock_guard lock(mu_);
  unsealed_.erase(key_id);
  TSS_RETURN_IF_ERROR(files_->Remove(key_id));
  return states_ ? states_->RemoveKeyState(key_id) : Status::Ok();
}

Status KeyRecordStore::Save(const core::KeyRecord& record, bool replace) {
  SecureBytes plain = core::EncodeKeyRecord(record);
  {
    std::lock_guard lock(mu_);
    unsealed_.erase(record.key_id);
    TSS_RETURN_IF_ERROR(files_->Store(record.key_id, plain.span(), replace));
    unsealed_.emplace(record.key_id, std::move(plain));
  }
  return Mirror(record);
}

Status KeyRecordStore::Mirror(const core::KeyRecord& record) {
  if (!states_ || !record.Active()) return Status::Ok();
  core::KeyState state;
  state.key_id = record.key_id;
  state.public_key = ToHex(record.public_key);
  state.needs_refresh = record.NeedsRefresh();
  state.culprits = record.culprits;
  state.threshold = record.threshold;
  state.holders = record.participants;
  state.active = {record.generation, ToHex(record.fingerprint)};
  state.holders = record.participants;
  state.threshold = record.threshold;
  if (record.pending)
    state.pending =
        core::KeyGeneration{record.pending->generation, ToHex(record.pending->fingerprint)};
  if (record.previous)
    state.previous =
        core::KeyGeneration{record.previous->generation, ToHex(record.previous->fingerprint)};
  return states_->SaveKeyState(state);
}

Status KeyRecordStore::SaveSignature(const std::string& event_id, const std::string& result_json) {
  return files_->StoreSignature(event_id, result_json);
}

}  // namespace tss::keyshare
