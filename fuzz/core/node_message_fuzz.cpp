// Fuzzes NodeMessage::Decode: every accepted message must re-encode to the same bytes.
#include <cstdlib>

#include "core/messages.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tss::ByteSpan in(data, size);
  auto m = tss::core::NodeMessage::Decode(in);
  if (m.ok() && m->Encode() != tss::Bytes(in.begin(), in.end())) std::abort();
  return 0;
}
