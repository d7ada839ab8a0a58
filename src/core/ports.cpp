#include "core/ports.h"

#include <chrono>
#include <nlohmann/json.hpp>

namespace tss::core {

uint64_t ClockBlockSource::CurrentBlock() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

int64_t UnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string SignatureResultJson(const KeyRecord& key, ByteSpan message_hash,
                                const SignatureBody& sig) {
  return nlohmann::json{{"key_id", key.key_id},
                        {"public_key", ToHex(key.public_key)},
                        {"message_hash", ToHex(message_hash)},
                        {"r", ToHex(sig.r)},
                        {"s", ToHex(sig.s)},
                        {"v", sig.v}}
      .dump();
}

Result<SignatureBody> SignatureOfResultJson(const std::string& json) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_object() || !j.contains("r") || !j.contains("s") || !j.contains("v") ||
      !j["r"].is_string() || !j["s"].is_string() || !j["v"].is_number_unsigned())
    return InvalidArgument("not a signature result");
  SignatureBody sig;
  auto r = FromHex(j["r"].get<std::string>());
  auto s = FromHex(j["s"].get<std::string>());
  if (!r.ok() || !s.ok() || r->size() != sig.r.size() || s->size() != sig.s.size() ||
      j["v"].get<uint64_t>() > 3)
    return InvalidArgument("not a signature result");
  std::copy(r->begin(), r->end(), sig.r.begin());
  std::copy(s->begin(), s->end(), sig.s.begin());
  sig.v = static_cast<uint8_t>(j["v"].get<uint64_t>());
  return sig;
}

std::string KeyResultJson(const NewKey& key) {
  return nlohmann::json{{"key_id", key.record.key_id},
                        {"public_key", ToHex(key.record.public_key)},
                        {"generation", key.generation}}
      .dump();
}

}  // namespace tss::core
