#include "core/key_record.h"

namespace tss::core {

namespace {
constexpr uint8_t kVersion = 4;
constexpr size_t kMaxHolders = 256, kMaxString = 256, kMaxShare = 64 << 20;

void PutVarint(SecureBytes& out, uint64_t v) {
  ByteWriter w;
  w.UVarint(v);
  out.Append(w.bytes());
}
void PutField(SecureBytes& out, ByteSpan data) {
  PutVarint(out, data.size());
  out.Append(data);
}
void PutU8(SecureBytes& out, uint8_t v) {
  out.Append({&v, 1});
}
void PutU32(SecureBytes& out, uint32_t v) {
  const uint8_t b[4] = {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
                        static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
  out.Append(b);
}
// A generation's share, generation and fingerprint; the share may not be empty.
bool GetGeneration(ByteReader& in, SecureBytes& share, uint32_t& generation,
                   KeyFingerprint& fingerprint) {
  ByteSpan field;
  if (!in.LengthPrefixed(field, kMaxShare) || field.empty()) return false;
  share = SecureBytes(field);
  return in.U32(generation) && in.Raw(fingerprint.size(), fingerprint.data());
}
}  // namespace

const std::vector<std::string>& KeyRecord::PendingHolders() const {
  static const std::vector<std::string> kNone;
  if (!pending) return kNone;
  return pending->participants.empty() ? participants : pending->participants;
}

std::vector<GenerationId> KeyRecord::SigningGenerations() const {
  std::vector<GenerationId> out;
  if (!Active()) return out;
  out.push_back({generation, fingerprint});
  if (previous && previous->generation < generation)
    out.push_back({previous->generation, previous->fingerprint});
  return out;
}

std::optional<KeyRecord> KeyRecord::AtGeneration(const GenerationId& g) const {
  const SecureBytes* held = nullptr;
  if (Active() && g == GenerationId{generation, fingerprint})
    held = &share;
  else if (previous && g == GenerationId{previous->generation, previous->fingerprint})
    held = &previous->share;
  if (!held) return std::nullopt;
  KeyRecord view;
  view.key_id = key_id;
  view.participants = participants;
  view.threshold = threshold;
  view.public_key = public_key;
  view.share = held->Clone();
  view.culprits = culprits;
  view.generation = g.generation;
  view.fingerprint = g.fingerprint;
  view.event_id = event_id;
  return view;
}

SecureBytes EncodeKeyRecord(const KeyRecord& r) {
  SecureBytes out;
  PutU8(out, kVersion);
  PutField(out, AsBytes(r.key_id));
  PutVarint(out, r.participants.size());
  for (const auto& p : r.participants) PutField(out, AsBytes(p));
  const uint8_t t[2] = {static_cast<uint8_t>(r.threshold >> 8), static_cast<uint8_t>(r.threshold)};
  out.Append(t);
  PutField(out, r.public_key);
  PutField(out, r.share.span());
  PutVarint(out, r.culprits.size());
  for (const auto& c : r.culprits) PutField(out, AsBytes(c));
  PutU32(out, r.generation);
  out.Append(r.fingerprint);
  PutField(out, AsBytes(r.event_id));
  PutU8(out, r.pending ? 1 : 0);
  if (r.pending) {
    PutField(out, r.pending->share.span());
    PutU32(out, r.pending->generation);
    out.Append(r.pending->fingerprint);
    PutField(out, AsBytes(r.pending->event_id));
    out.Append(r.pending->run_id);
    PutVarint(out, r.pending->participants.size());
    for (const auto& p : r.pending->participants) PutField(out, AsBytes(p));
    const uint8_t pt[2] = {static_cast<uint8_t>(r.pending->threshold >> 8),
                           static_cast<uint8_t>(r.pending->threshold)};
    out.Append(pt);
  }
  PutU8(out, r.previous ? 1 : 0);
  if (r.previous) {
    PutField(out, r.previous->share.span());
    PutU32(out, r.previous->generation);
    out.Append(r.previous->fingerprint);
  }
  return out;
}

Result<KeyRecord> DecodeKeyRecord(ByteSpan bytes) {
  ByteReader in(bytes);
  KeyRecord r;
  uint8_t version = 0;
  if (!in.U8(version) || version < 1 || version > kVersion)
    return InvalidArgument("key record: unknown version");
  ByteSpan field;
  if (!in.LengthPrefixed(field, kMaxString) || field.empty())
    return InvalidArgument("key record: bad key id");
  r.key_id.assign(field.begin(), field.end());
  uint64_t count = 0;
  if (!in.UVarint(count) || count < 2 || count > kMaxHolders)
    return InvalidArgument("key record: bad holder count");
  for (uint64_t i = 0; i < count; ++i) {
    if (!in.LengthPrefixed(field, kMaxString) || field.empty())
      return InvalidArgument("key record: bad holder");
    r.participants.emplace_back(field.begin(), field.end());
  }
  if (!in.U16(r.threshold) || r.threshold < 2 || r.threshold > count)
    return InvalidArgument("key record: bad threshold");
  if (!in.LengthPrefixed(field, 33) || field.size() != 33)
    return InvalidArgument("key record: bad public key");
  r.public_key.assign(field.begin(), field.end());
  if (!in.LengthPrefixed(field, kMaxShare)) return InvalidArgument("key record: bad share");
  r.share = SecureBytes(field);
  if (version >= 2) {
    if (!in.UVarint(count) || count > kMaxHolders)
      return InvalidArgument("key record: bad culprit count");
    for (uint64_t i = 0; i < count; ++i) {
      if (!in.LengthPrefixed(field, kMaxString) || field.empty())
        return InvalidArgument("key record: bad culprit");
      r.culprits.emplace_back(field.begin(), field.end());
    }
  }
  if (version >= 3) {
    if (!in.U32(r.generation) || !in.Raw(r.fingerprint.size(), r.fingerprint.data()))
      return InvalidArgument("key record: bad generation");
    if (!in.LengthPrefixed(field, kMaxString)) return InvalidArgument("key record: bad event id");
    r.event_id.assign(field.begin(), field.end());
    uint8_t has = 0;
    if (!in.U8(has) || has > 1) return InvalidArgument("key record: bad pending flag");
    if (has) {
      PendingShare& p = r.pending.emplace();
      if (!GetGeneration(in, p.share, p.generation, p.fingerprint))
        return InvalidArgument("key record: bad pending share");
      if (!in.LengthPrefixed(field, kMaxString) || field.empty())
        return InvalidArgument("key record: bad pending event id");
      p.event_id.assign(field.begin(), field.end());
      if (!in.Raw(p.run_id.size(), p.run_id.data()))
        return InvalidArgument("key record: bad pending run id");
      if (version >= 4) {
        if (!in.UVarint(count) || count == 1 || count > kMaxHolders)
          return InvalidArgument("key record: bad pending holder count");
        for (uint64_t i = 0; i < count; ++i) {
          if (!in.LengthPrefixed(field, kMaxString) || field.empty())
            return InvalidArgument("key record: bad pending holder");
          p.participants.emplace_back(field.begin(), field.end());
        }
        if (!in.U16(p.threshold) || (count == 0) != (p.threshold == 0) ||
            (count && (p.threshold < 2 || p.threshold > count)))
          return InvalidArgument("key record: bad pending threshold");
      }
    }
    if (!in.U8(has) || has > 1) return InvalidArgument("key record: bad previous flag");
    if (has) {
      RetainedShare& p = r.previous.emplace();
      if (!GetGeneration(in, p.share, p.generation, p.fingerprint))
        return InvalidArgument("key record: bad previous share");
    }
  }
  // Before version 3 every record was an active key.
  if (r.share.empty() && (version < 3 || !r.pending))
    return InvalidArgument("key record: neither an active nor a pending share");
  if (!in.done()) return InvalidArgument("key record: trailing bytes");
  return r;
}

}  // namespace tss::core
