// Fuzzes what the API decodes of outside bytes before it touches the store: the request target
// (path and query) and the body of POST /v1/events. Input: the target, a newline, the body.
// Whatever is accepted must keep the decoders' promises: an origin-form path without control
// characters, and an event core::CheckEvent accepts, with a well-formed id.
#include <cstdlib>
#include <string_view>

#include "api/api.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto newline = in.find('\n');
  std::string_view target = in.substr(0, newline);
  std::string_view body = newline == std::string_view::npos ? "" : in.substr(newline + 1);

  if (auto t = tss::api::ParseTarget(target); t.ok()) {
    if (t->path.empty() || t->path.front() != '/') std::abort();
    for (char c : t->path)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) std::abort();
    if (t->query.size() > 32) std::abort();
  }
  if (auto e = tss::api::ParseEventRequest(body, 1000); e.ok()) {
    if (!tss::core::CheckEvent(*e).ok()) std::abort();
    if (e->event_id.empty() || e->event_id.size() > 128) std::abort();
    if (e->block_number != 1000) std::abort();
    if (!tss::api::SameRequest(*e, *e)) std::abort();
  }
  return 0;
}
