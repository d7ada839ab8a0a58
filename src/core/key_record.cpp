#include "core/key_record.h"

namespace tss::core {

namespace {
constexpr uint8_t kVersion = 2;
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
}  // namespace

SecureBytes EncodeKeyRecord(const KeyRecord& r) {
  SecureBytes out;
  const uint8_t version = kVersion;
  out.Append({&version, 1});
  PutField(out, AsBytes(r.key_id));
  PutVarint(out, r.participants.size());
  for (const auto& p : r.participants) PutField(out, AsBytes(p));
  const uint8_t t[2] = {static_cast<uint8_t>(r.threshold >> 8), static_cast<uint8_t>(r.threshold)};
  out.Append(t);
  PutField(out, r.public_key);
  PutField(out, r.share.span());
  PutVarint(out, r.culprits.size());
  for (const auto& c : r.culprits) PutField(out, AsBytes(c));
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
  if (!in.done()) return InvalidArgument("key record: trailing bytes");
  return r;
}

}  // namespace tss::core
