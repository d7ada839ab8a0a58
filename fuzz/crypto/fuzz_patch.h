// Shared by the OT fuzzers: turns fuzzer bytes into a damaged copy of an honest message, so the
// fuzzer explores the decoders past their length checks instead of bouncing off them.
//   data[0]      which decoder (the target decides)
//   data[1..2]   offset into the honest message (little-endian, taken modulo its size)
//   data[3]      mode: 0 XOR the patch in at the offset, 1 cut the message at the offset,
//                2 append the patch, 3 use the patch itself as the message
//   data[4..]    the patch
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "common/bytes.h"

namespace tss::fuzz {

struct Input {
  uint8_t selector = 0;
  size_t offset = 0;
  uint8_t mode = 0;
  ByteSpan patch;
};

inline bool ParseInput(const uint8_t* data, size_t size, Input& in) {
  if (size < 4) return false;
  in.selector = data[0];
  in.offset = data[1] | size_t{data[2]} << 8;
  in.mode = data[3] % 4;
  in.patch = ByteSpan(data + 4, size - 4);
  return true;
}

inline Bytes Damage(const Bytes& honest, const Input& in) {
  Bytes m = honest;
  const size_t at = honest.empty() ? 0 : in.offset % honest.size();
  switch (in.mode) {
    case 0:
      for (size_t k = 0; k < in.patch.size() && at + k < m.size(); ++k) m[at + k] ^= in.patch[k];
      break;
    case 1:
      m.resize(at);
      break;
    case 2:
      m.insert(m.end(), in.patch.begin(), in.patch.end());
      break;
    default:
      m.assign(in.patch.begin(), in.patch.end());
  }
  return m;
}

}  // namespace tss::fuzz
