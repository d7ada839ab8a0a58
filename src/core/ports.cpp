#include "core/ports.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include "crypto/bip32.h"

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

std::string SignatureResultJson(const KeyRecord& key, ByteSpan public_key,
                                const std::string& chain_path, ByteSpan message_hash,
                                const SignatureBody& sig) {
  nlohmann::json j{{"key_id", key.key_id},
                   {"public_key", ToHex(public_key)},
                   {"message_hash", ToHex(message_hash)},
                   {"r", ToHex(sig.r)},
                   {"s", ToHex(sig.s)},
                   {"v", sig.v}};
  if (!chain_path.empty()) {
    j["root_public_key"] = ToHex(key.public_key);
    j["chain_path"] = chain_path;
  }
  return j.dump();
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
  nlohmann::json j{{"key_id", key.record.key_id},
                   {"public_key", ToHex(key.record.public_key)},
                   {"generation", key.generation}};
  if (!key.record.participants.empty()) {
    j["participants"] = key.record.participants;
    j["threshold"] = key.record.threshold;
  }
  crypto::bip32::ExtendedPublicKey xpub;
  auto point = crypto::Point::FromBytes(key.record.public_key);
  if (key.chain_code.size() == xpub.chain_code.size() && point.ok()) {
    std::copy(key.chain_code.begin(), key.chain_code.end(), xpub.chain_code.begin());
    xpub.key = *point;
    j["chain_code"] = ToHex(key.chain_code);
    j["xpub"] = crypto::bip32::EncodeXpub(xpub);
  }
  return j.dump();
}

}  // namespace tss::core
