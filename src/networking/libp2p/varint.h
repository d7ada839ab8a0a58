// networking/libp2p/varint.h — unsigned varints (multiformats) decoded from a growing buffer.
//
// Owns: the incremental uvarint decoder that tells "need more bytes" from "invalid", for the
// layers that frame with uvarints: multistream-select lines (multistream_codec.h), the
// /tss/2.0.0 frames' sequence numbers, lengths and limits (tss_frame.h), and io.h's
// ReadUvarint (multistream on a stream, identify's length prefix). Decoding from a complete
// buffer is common/bytes.h's ByteReader::UVarint, and EncodeUvarint below wraps ByteWriter's.
#pragma once

#include <cstdint>

#include "common/bytes.h"

namespace tss::libp2p {

enum class VarintStatus { kOk, kNeedMore, kInvalid };

// Decodes a minimal uvarint of at most 9 bytes (63 bits) from the front of `in`. On kOk sets
// `value` and `length` (bytes used). kNeedMore when `in` ends inside the uvarint; kInvalid for
// a non-minimal or over-long encoding.
VarintStatus DecodeUvarint(ByteSpan in, uint64_t& value, size_t& length);

// The encoding of `value`: 1 to 9 bytes below 2^63. A larger value takes 10 bytes, which
// DecodeUvarint (like every uvarint reader here) refuses: never send one.
Bytes EncodeUvarint(uint64_t value);

}  // namespace tss::libp2p
