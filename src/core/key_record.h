// core/key_record.h — a key share as the node keeps it, and its bytes as sealed into a
// key-share file.
//
// Owns: KeyRecord (the protocol's share plus who holds the other shares and whom we blamed, and
// the key's lifecycle: the active generation, a pending one awaiting every holder's
// confirmation, and the retained previous one) and its versioned encoding:
//   u8 version (=4) | str key_id | uvarint count, str holder... | u16 threshold
//   | bytes public key (33) | bytes protocol share (the active one; empty while a keygen is
//   pending) | uvarint count, str culprit...
//   | u32 generation | 32 fingerprint | str event_id            (of the active share)
//   | u8 has_pending [ bytes share | u32 generation | 32 fingerprint | str event_id | 32 run_id
//                    | uvarint count, str holder... | u16 threshold ]   (count 0: the record's)
//   | u8 has_previous [ bytes share | u32 generation | 32 fingerprint ]
// Version 3 has no holders and threshold in the pending part; version 2 ends after the culprits,
// version 1 after the share; all still decode, the last two as an active share of unknown
// generation (0) and fingerprint (zero), nothing pending or retained.
// Must not touch: encryption (keyshare/ seals these bytes) or the protocol share's own format
// (dkls/ owns it); the lifecycle's rules (sessionmanager/ decides when a generation moves).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/secure.h"
#include "common/status.h"

namespace tss::core {

// Public digest of one generation of a key's sharing (dkls::KeyShare::Fingerprint): every honest
// holder computes the same one at the end of a keygen or keyrefresh run.
using KeyFingerprint = std::array<uint8_t, 32>;

// One generation of a key's sharing as holders name it to each other (a sign's ACK and BEGIN):
// its number and its fingerprint. Ordered by number, then fingerprint bytes.
struct GenerationId {
  uint32_t generation = 0;
  KeyFingerprint fingerprint{};

  bool operator==(const GenerationId&) const = default;
  bool operator<(const GenerationId& other) const {
    if (generation != other.generation) return generation < other.generation;
    return std::lexicographical_compare(fingerprint.begin(), fingerprint.end(),
                                        other.fingerprint.begin(), other.fingerprint.end());
  }
};

// A share the protocol produced but not every holder has confirmed yet. Never used to sign.
struct PendingShare {
  SecureBytes share;
  uint32_t generation = 0;
  KeyFingerprint fingerprint{};
  std::string event_id;              // the keygen / keyrefresh event that made it
  std::array<uint8_t, 32> run_id{};  // the protocol run that made it (messages carry it)
  // A quorum change's share is of another sharing: its holders (party index = position + 1) and
  // threshold. Empty / 0 for a keygen or keyrefresh, whose share has the record's.
  std::vector<std::string> participants;
  uint16_t threshold = 0;
};

// The generation an activation replaced, kept (never used to sign) until the new one is known
// active at every holder, or the next activation replaces it: at most one per key.
struct RetainedShare {
  SecureBytes share;
  uint32_t generation = 0;
  KeyFingerprint fingerprint{};
};

struct KeyRecord {
  std::string key_id;
  // Validator addresses of the key's holders, fixed at keygen: a holder's party index (its
  // Shamir evaluation point) is its position here plus one.
  std::vector<std::string> participants;
  uint16_t threshold = 0;
  Bytes public_key;   // 33-byte compressed
  SecureBytes share;  // the active generation's serialized protocol share (secret); empty while
                      // the keygen that made the key awaits confirmations
  // Validators this node blamed for a failed protocol check on this key since its last refresh
  // (sorted). They sign with us no more, and the key needs a refresh (fresh OT material) — a
  // refresh starts the list afresh.
  std::vector<std::string> culprits;
  uint32_t generation = 0;       // of `share`
  KeyFingerprint fingerprint{};  // of `share` (zero in records older than version 3)
  // The keygen / keyrefresh event whose run made `share` (empty in records older than version
  // 3): a node that stopped between activating and recording SUCCESS records it at start-up.
  std::string event_id;
  std::optional<PendingShare> pending;
  std::optional<RetainedShare> previous;

  bool NeedsRefresh() const { return !culprits.empty(); }
  // The holders of the pending share (its own for a quorum change, else the record's); empty
  // when nothing is pending.
  const std::vector<std::string>& PendingHolders() const;
  // Whether the key has a generation every holder confirmed: only then may it sign or refresh.
  bool Active() const { return !share.empty(); }
  // The generations this holder can sign with, newest first: the active one, then the retained
  // previous one. Never a pending one; none while the key is not active.
  std::vector<GenerationId> SigningGenerations() const;
  // This record as if `generation` (the active or the retained one, number and fingerprint
  // equal) were its active one: its share, number and fingerprint, nothing pending or retained.
  // What a sign with that generation hands the protocol. Nothing when we hold no such share.
  std::optional<KeyRecord> AtGeneration(const GenerationId& generation) const;
};

SecureBytes EncodeKeyRecord(const KeyRecord& record);
Result<KeyRecord> DecodeKeyRecord(ByteSpan bytes);

}  // namespace tss::core
