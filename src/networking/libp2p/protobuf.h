// networking/libp2p/protobuf.h — the few protobuf wire-format pieces libp2p needs.
//
// Owns: writing and reading protobuf fields (varint and length-delimited) for the libp2p
// messages we exchange: PublicKey, the Noise handshake payload and Identify. They are tiny and
// fixed, so a hand-written, bounds-checked codec (fuzzed in fuzz/networking/) serves better
// than protoc-generated code: no generated sources in the build, no libprotobuf at run time, and
// every limit is explicit. Must not touch: I/O.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/bytes.h"

namespace tss::libp2p::pb {

enum WireType : uint8_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

// Fields are written in the order of the calls; libp2p's deterministic encodings write them
// in field-number order, which callers follow.
class Writer {
 public:
  void Varint(uint32_t field, uint64_t value);
  void Bytes(uint32_t field, ByteSpan value);
  void String(uint32_t field, std::string_view value) { Bytes(field, AsBytes(value)); }
  tss::Bytes Take() { return w_.Take(); }

 private:
  void Tag(uint32_t field, WireType type) { w_.UVarint(uint64_t{field} << 3 | type); }
  ByteWriter w_;
};

// Reads one field at a time; unknown fields of any standard wire type are skipped by Next().
// Groups (wire types 3 and 4), truncated fields and field number 0 are errors.
class Reader {
 public:
  explicit Reader(ByteSpan data) : data_(data) {}

  // Advances to the next field. Returns false at the end or on an error (see ok()).
  bool Next();
  uint32_t field() const { return field_; }
  WireType wire_type() const { return type_; }
  // The current field's value; false (and !ok()) if its wire type differs.
  bool GetVarint(uint64_t& value);
  bool GetBytes(ByteSpan& value);
  bool ok() const { return ok_; }

 private:
  bool ReadVarint(uint64_t& v);
  bool Fail() {
    ok_ = false;
    return false;
  }
  ByteSpan data_;
  size_t pos_ = 0;
  bool ok_ = true;
  uint32_t field_ = 0;
  WireType type_ = kVarint;
  uint64_t varint_ = 0;
  ByteSpan bytes_;
};

}  // namespace tss::libp2p::pb
