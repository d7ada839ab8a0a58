// The API's decoders of outside bytes (api.h): listen addresses, request targets, event
// requests. A library of their own (core only), so that the fuzz target links nothing else.
#include <sodium.h>

#include <cctype>
#include <charconv>
#include <nlohmann/json.hpp>

#include "api/api.h"
#include "api/json_codec.h"

namespace tss::api {

using nlohmann::json;

namespace {

constexpr size_t kMaxQueryParameters = 32;
constexpr size_t kMaxEventId = 128;
constexpr uint64_t kDefaultExpiryBlocks = 3600;  // as `tss keygen|sign`

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes `text`; refuses bad escapes and control characters (NUL included).
Result<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size())
        return InvalidArgument("a truncated percent escape in the request target");
      int hi = HexDigit(text[i + 1]), lo = HexDigit(text[i + 2]);
      if (hi < 0 || lo < 0) return InvalidArgument("a bad percent escape in the request target");
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return InvalidArgument("a control character in the request target");
    out.push_back(c);
  }
  return out;
}

std::string NewEventId() {
  uint8_t b[16];
  randombytes_buf(b, sizeof b);
  return ToHex(b);
}

}  // namespace

bool ValidEventId(std::string_view id) {
  if (id.empty() || id.size() > kMaxEventId) return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
      return false;
  return true;
}

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  ListenAddress a;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return InvalidArgument("--api-listen: expected [IPv6]:PORT, got '" + std::string(text) + "'");
    a.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon)
      return InvalidArgument("--api-listen: expected HOST:PORT, got '" + std::string(text) + "'");
    a.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  if (a.host == "localhost") a.host = "127.0.0.1";
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535)
    return InvalidArgument("--api-listen: '" + std::string(port) + "' is not a port");
  a.port = static_cast<uint16_t>(value);
  // Which addresses are loopback is decided where they are parsed as addresses (the server);
  // these two spellings are all a default configuration uses.
  a.loopback = a.host.rfind("127.", 0) == 0 || a.host == "::1";
  if (a.host.empty())
    return InvalidArgument("--api-listen: no host in '" + std::string(text) + "'");
  return a;
}

Result<Target> ParseTarget(std::string_view target) {
  if (target.empty() || target.front() != '/')
    return InvalidArgument("the request target must be a path starting with '/'");
  Target t;
  auto question = target.find('?');
  TSS_ASSIGN_OR_RETURN(t.path, PercentDecode(target.substr(0, question), false));
  if (question == std::string_view::npos) return t;
  std::string_view query = target.substr(question + 1);
  size_t count = 0;
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    if (++count > kMaxQueryParameters) return InvalidArgument("too many query parameters");
    auto eq = pair.find('=');
    TSS_ASSIGN_OR_RETURN(auto name, PercentDecode(pair.substr(0, eq), true));
    std::string value;
    if (eq != std::string_view::npos) {
      TSS_ASSIGN_OR_RETURN(value, PercentDecode(pair.substr(eq + 1), true));
    }
    t.query[name] = value;
  }
  return t;
}

Result<core::Event> ParseEventRequest(std::string_view body, uint64_t current_block) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument("the body is not JSON");
  if (!j.is_object()) return InvalidArgument("the body must be a JSON object");
  core::Event e;
  e.block_number = current_block;
  uint64_t expiry_blocks = kDefaultExpiryBlocks;
  bool has_protocol = false;
  auto text = [](const json& v, const std::string& name) -> Result<std::string> {
    if (!v.is_string()) return InvalidArgument("\"" + name + "\" must be a string");
    return v.get<std::string>();
  };
  for (const auto& [name, value] : j.items()) {
    if (name == "event_id") {
      TSS_ASSIGN_OR_RETURN(e.event_id, text(value, name));
      if (!ValidEventId(e.event_id))
        return InvalidArgument("\"event_id\" must be 1 to 128 characters of A-Z a-z 0-9 . _ -");
    } else if (name == "protocol") {
      TSS_ASSIGN_OR_RETURN(auto protocol, text(value, name));
      auto parsed = core::ParseProtocolType(protocol);
      if (!parsed.ok()) return InvalidArgument("\"protocol\": " + parsed.status().message());
      e.protocol = *parsed;
      has_protocol = true;
    } else if (name == "key_id") {
      TSS_ASSIGN_OR_RETURN(e.key_id, text(value, name));
    } else if (name == "message_hash") {
      TSS_ASSIGN_OR_RETURN(auto hex, text(value, name));
      auto bytes = FromHex(hex);
      if (!bytes.ok() || bytes->size() != 32)
        return InvalidArgument("\"message_hash\" must be 64 hex digits (32 bytes)");
      e.message_hash = std::move(*bytes);
    } else if (name == "chain_path") {
      TSS_ASSIGN_OR_RETURN(e.chain_path, text(value, name));
    } else if (name == "expiry_blocks") {
      if (!value.is_number_unsigned() || value.get<uint64_t>() > (uint64_t{1} << 40))
        return InvalidArgument("\"expiry_blocks\" must be a whole number from 0 to 2^40");
      expiry_blocks = value.get<uint64_t>();
    } else {
      return InvalidArgument("unknown field \"" + name + "\"");
    }
  }
  if (!has_protocol)
    return InvalidArgument("\"protocol\" is required (KEYGEN, KEYREFRESH, SIGN, …)");
  if (e.event_id.empty()) e.event_id = NewEventId();
  e.expiry_height = expiry_blocks ? current_block + expiry_blocks : 0;
  TSS_RETURN_IF_ERROR(core::CheckEvent(e));
  return e;
}

bool SameRequest(const core::Event& stored, const core::Event& request) {
  return stored.protocol == request.protocol && stored.key_id == request.key_id &&
         stored.message_hash == request.message_hash && stored.chain_path == request.chain_path;
}

namespace {

// The error of a FAILED event names its culprit as "culprit <address>: …" (sessionmanager/).
std::string CulpritOf(const std::string& error) {
  constexpr std::string_view kPrefix = "culprit ";
  if (error.rfind(kPrefix, 0) != 0) return "";
  auto end = error.find(": ", kPrefix.size());
  return end == std::string::npos ? "" : error.substr(kPrefix.size(), end - kPrefix.size());
}

json GenerationJson(const core::KeyGeneration& g) {
  return {{"generation", g.number}, {"fingerprint", g.fingerprint}};
}

// A field of an object, of the type T; kInvalidArgument naming it otherwise.
template <typename T>
Result<T> Field(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end()) return InvalidArgument(std::string("no \"") + name + "\" in the answer");
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    return InvalidArgument(std::string("\"") + name + "\" has the wrong type");
  }
}
template <typename T>
T Optional(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return T{};
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    return T{};
  }
}

Result<std::optional<core::KeyGeneration>> GenerationOfJson(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return std::optional<core::KeyGeneration>();
  if (!it->is_object()) return InvalidArgument(std::string("\"") + name + "\" is not an object");
  core::KeyGeneration g;
  TSS_ASSIGN_OR_RETURN(g.number, Field<uint32_t>(*it, "generation"));
  TSS_ASSIGN_OR_RETURN(g.fingerprint, Field<std::string>(*it, "fingerprint"));
  return std::optional<core::KeyGeneration>(g);
}

}  // namespace

json EventJson(const core::Event& e) {
  json j{{"event_id", e.event_id},
         {"protocol", core::ProtocolTypeName(e.protocol)},
         {"status", core::EventStatusName(e.status)},
         {"block_number", e.block_number},
         {"expiry_height", e.expiry_height},
         {"attempts", e.attempts},
         {"created_at", e.created_at},
         {"updated_at", e.updated_at}};
  if (!e.key_id.empty()) j["key_id"] = e.key_id;
  if (!e.message_hash.empty()) j["message_hash"] = ToHex(e.message_hash);
  if (!e.chain_path.empty()) j["chain_path"] = e.chain_path;
  if (!e.result.empty()) j["result"] = json::parse(e.result, nullptr, /*allow_exceptions=*/false);
  if (!e.error.empty()) j["error"] = e.error;
  if (auto culprit = CulpritOf(e.error); !culprit.empty()) j["culprit"] = culprit;
  if (!e.defect.empty()) j["defect"] = e.defect;
  return j;
}

Result<core::Event> EventOfJson(const json& j) {
  if (!j.is_object()) return InvalidArgument("an event must be a JSON object");
  core::Event e;
  TSS_ASSIGN_OR_RETURN(e.event_id, Field<std::string>(j, "event_id"));
  TSS_ASSIGN_OR_RETURN(auto protocol, Field<std::string>(j, "protocol"));
  TSS_ASSIGN_OR_RETURN(e.protocol, core::ParseProtocolType(protocol));
  TSS_ASSIGN_OR_RETURN(auto status, Field<std::string>(j, "status"));
  TSS_ASSIGN_OR_RETURN(e.status, core::ParseEventStatus(status));
  TSS_ASSIGN_OR_RETURN(e.block_number, Field<uint64_t>(j, "block_number"));
  TSS_ASSIGN_OR_RETURN(e.expiry_height, Field<uint64_t>(j, "expiry_height"));
  TSS_ASSIGN_OR_RETURN(e.attempts, Field<int64_t>(j, "attempts"));
  TSS_ASSIGN_OR_RETURN(e.created_at, Field<int64_t>(j, "created_at"));
  TSS_ASSIGN_OR_RETURN(e.updated_at, Field<int64_t>(j, "updated_at"));
  e.key_id = Optional<std::string>(j, "key_id");
  if (auto hash = Optional<std::string>(j, "message_hash"); !hash.empty()) {
    TSS_ASSIGN_OR_RETURN(e.message_hash, FromHex(hash));
  }
  e.chain_path = Optional<std::string>(j, "chain_path");
  if (auto it = j.find("result"); it != j.end() && !it->is_null()) e.result = it->dump();
  e.error = Optional<std::string>(j, "error");
  e.defect = Optional<std::string>(j, "defect");
  return e;
}

json KeyJson(const core::KeyState& k) {
  json j{{"key_id", k.key_id},
         {"public_key", k.public_key},
         {"active", GenerationJson(k.active)},
         {"needs_refresh", k.needs_refresh},
         {"culprits", k.culprits},
         {"threshold", k.threshold},
         {"holders", k.holders}};
  j["pending"] = k.pending ? GenerationJson(*k.pending) : json(nullptr);
  j["previous"] = k.previous ? GenerationJson(*k.previous) : json(nullptr);
  return j;
}

Result<core::KeyState> KeyOfJson(const json& j) {
  if (!j.is_object()) return InvalidArgument("a key must be a JSON object");
  core::KeyState k;
  TSS_ASSIGN_OR_RETURN(k.key_id, Field<std::string>(j, "key_id"));
  TSS_ASSIGN_OR_RETURN(k.public_key, Field<std::string>(j, "public_key"));
  TSS_ASSIGN_OR_RETURN(auto active, GenerationOfJson(j, "active"));
  if (!active) return InvalidArgument("a key without an active generation");
  k.active = *active;
  TSS_ASSIGN_OR_RETURN(k.pending, GenerationOfJson(j, "pending"));
  TSS_ASSIGN_OR_RETURN(k.previous, GenerationOfJson(j, "previous"));
  TSS_ASSIGN_OR_RETURN(k.needs_refresh, Field<bool>(j, "needs_refresh"));
  TSS_ASSIGN_OR_RETURN(k.culprits, Field<std::vector<std::string>>(j, "culprits"));
  k.threshold = Optional<uint16_t>(j, "threshold");
  k.holders = Optional<std::vector<std::string>>(j, "holders");
  return k;
}

json HeartbeatJson(const core::Heartbeat& b) {
  return {{"validator", b.validator},     {"beat_at", b.beat_at}, {"started_at", b.started_at},
          {"interval_ms", b.interval_ms}, {"stopped", b.stopped}, {"peers", b.peers}};
}

Result<core::Heartbeat> HeartbeatOfJson(const json& j) {
  if (!j.is_object()) return InvalidArgument("a heartbeat must be a JSON object");
  core::Heartbeat b;
  TSS_ASSIGN_OR_RETURN(b.validator, Field<std::string>(j, "validator"));
  TSS_ASSIGN_OR_RETURN(b.beat_at, Field<int64_t>(j, "beat_at"));
  TSS_ASSIGN_OR_RETURN(b.started_at, Field<int64_t>(j, "started_at"));
  TSS_ASSIGN_OR_RETURN(b.interval_ms, Field<int64_t>(j, "interval_ms"));
  TSS_ASSIGN_OR_RETURN(b.stopped, Field<bool>(j, "stopped"));
  TSS_ASSIGN_OR_RETURN(b.peers, (Field<std::map<std::string, std::string>>(j, "peers")));
  return b;
}

}  // namespace tss::api
