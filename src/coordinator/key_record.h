// coordinator/key_record.h — the bytes of a KeyRecord, as sealed into a key-share file.
//
// Owns: KeyRecord's versioned encoding (u8 version | str key_id | uvarint count, str holder... |
// u16 threshold | bytes public key (33) | bytes protocol share | uvarint count, str culprit...).
// Version 1 had no culprit list; it still decodes (as none). Must not touch: encryption
// (keyshare/ seals these bytes) or the protocol share's own format (dkls/ owns it).
#pragma once

#include "common/secure.h"
#include "coordinator/ports.h"

namespace tss::coordinator {

SecureBytes EncodeKeyRecord(const KeyRecord& record);
Result<KeyRecord> DecodeKeyRecord(ByteSpan bytes);

}  // namespace tss::coordinator
