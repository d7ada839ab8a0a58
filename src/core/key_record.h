// core/key_record.h — a key share as the node keeps it, and its bytes as sealed into a
// key-share file.
//
// Owns: KeyRecord (the protocol's share plus who holds the other shares and whom we blamed) and
// its versioned encoding (u8 version | str key_id | uvarint count, str holder... | u16 threshold
// | bytes public key (33) | bytes protocol share | uvarint count, str culprit...). Version 1 had
// no culprit list; it still decodes (as none). Must not touch: encryption (keyshare/ seals these
// bytes) or the protocol share's own format (dkls/ owns it).
#pragma once

#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/secure.h"
#include "common/status.h"

namespace tss::core {

struct KeyRecord {
  std::string key_id;
  // Validator addresses of the key's holders, fixed at keygen: a holder's party index (its
  // Shamir evaluation point) is its position here plus one.
  std::vector<std::string> participants;
  uint16_t threshold = 0;
  Bytes public_key;   // 33-byte compressed
  SecureBytes share;  // the protocol's serialized key share (secret)
  // Validators this node blamed for a failed protocol check on this key since its last refresh
  // (sorted). They sign with us no more, and the key needs a refresh (fresh OT material) — a
  // refresh starts the list afresh.
  std::vector<std::string> culprits;

  bool NeedsRefresh() const { return !culprits.empty(); }
};

SecureBytes EncodeKeyRecord(const KeyRecord& record);
Result<KeyRecord> DecodeKeyRecord(ByteSpan bytes);

}  // namespace tss::core
