#include "keyshare/key_store.h"

namespace tss::keyshare {

Result<core::KeyRecord> KeyRecordStore::Load(const std::string& key_id) {
  TSS_ASSIGN_OR_RETURN(SecureBytes sealed, files_->Load(key_id));
  TSS_ASSIGN_OR_RETURN(auto record, core::DecodeKeyRecord(sealed.span()));
  if (record.key_id != key_id)
    return InvalidArgument("key-share file for " + key_id + " holds key " + record.key_id);
  return record;
}

bool KeyRecordStore::Exists(const std::string& key_id) {
  if (!files_->Exists(key_id)) return false;
  auto record = Load(key_id);
  return !record.ok() || record->Active();  // a file we cannot read still takes the name
}

Result<std::vector<std::string>> KeyRecordStore::List() {
  return files_->List();
}

Status KeyRecordStore::Remove(const std::string& key_id) {
  return files_->Remove(key_id);
}

Status KeyRecordStore::Save(const core::KeyRecord& record, bool replace) {
  SecureBytes plain = core::EncodeKeyRecord(record);
  TSS_RETURN_IF_ERROR(files_->Store(record.key_id, plain.span(), replace));
  if (!states_ || !record.Active()) return Status::Ok();
  core::KeyState state;
  state.key_id = record.key_id;
  state.public_key = ToHex(record.public_key);
  state.needs_refresh = record.NeedsRefresh();
  state.culprits = record.culprits;
  state.generation = record.generation;
  state.fingerprint = ToHex(ByteSpan(record.fingerprint.data(), record.fingerprint.size()));
  return states_->SaveKeyState(state);
}

Status KeyRecordStore::SaveSignature(const std::string& event_id, const std::string& result_json) {
  return files_->StoreSignature(event_id, result_json);
}

}  // namespace tss::keyshare
