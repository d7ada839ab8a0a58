// networking/libp2p/varint.h — unsigned varints (multiformats) decoded from a growing buffer.
//
// Owns: the incremental uvarint decoder the framed layers (multistream, /tss messages) use to
// tell "need more bytes" from "invalid". Encoding uses common/bytes.h's ByteWriter::UVarint.
#pragma once

#include <cstdint>

#include "common/bytes.h"

namespace tss::libp2p {

enum class VarintStatus { kOk, kNeedMore, kInvalid };

// Decodes a minimal uvarint of at most 9 bytes (63 bits) from the front of `in`. On kOk sets
// `value` and `length` (bytes used). kInvalid for a non-minimal or over-long encoding.
VarintStatus DecodeUvarint(ByteSpan in, uint64_t& value, size_t& length);

// The encoding of `value` (1 to 10 bytes).
Bytes EncodeUvarint(uint64_t value);

}  // namespace tss::libp2p
