#include "core/ports.h"

#include <chrono>
#include <nlohmann/json.hpp>

namespace tss::core {

uint64_t ClockBlockSource::CurrentBlock() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
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

std::string KeyResultJson(const NewKey& key) {
  return nlohmann::json{{"key_id", key.record.key_id},
                        {"public_key", ToHex(key.record.public_key)},
                        {"generation", key.generation}}
      .dump();
}

}  // namespace tss::core
