// keyshare/key_store.h — the node's key records, sealed in key-share files (core::KeyStore).
//
// Owns: turning a KeyRecord into a sealed file and back (checking that the file holds the key
// it is named for), and mirroring each saved key's public state (blame, and the active, pending
// and retained generations) to the event store's tss_keys table, where `tss status` reads it.
// Keeps the unsealed bytes of each record it read or wrote: a sign loads its key a dozen times
// across the setup checks, the run and the result, and each file read costs a read, an AEAD open
// and a copy. The node owns its home (one process per home), so the file changes only through
// Save and Remove here; a failed Save drops the entry, so the next Load reads what the disk
// holds. Must not touch: the record's encoding (core/) or the file format (keyshare_store.h).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/ports.h"
#include "keyshare/keyshare_store.h"

namespace tss::keyshare {

class KeyRecordStore final : public core::KeyStore {
 public:
  // `states`, when given, is where each saved key's public state is mirrored (not owned).
  explicit KeyRecordStore(std::unique_ptr<KeyShareStore> files, core::EventStore* states = nullptr)
      : files_(std::move(files)), states_(states) {}
  Result<core::KeyRecord> Load(const std::string& key_id) override;
  bool Exists(const std::string& key_id) override;  // an active record
  Result<std::vector<std::string>> List() override;
  // Deletes the file, then the key's row in tss_keys: a node shows only keys it holds.
  Status Remove(const std::string& key_id) override;
  // Seals the record into its file (atomically), then mirrors its public state (active records
  // only: a key that is only pending is not one operators can use yet).
  Status Save(const core::KeyRecord& record, bool replace) override;
  // Active records only, as Save.
  Status Mirror(const core::KeyRecord& record) override;
  Status SaveSignature(const std::string& event_id, const std::string& result_json) override;

 private:
  std::unique_ptr<KeyShareStore> files_;
  core::EventStore* states_;
  std::mutex mu_;
  std::map<std::string, SecureBytes> unsealed_;  // by key id
};

}  // namespace tss::keyshare
