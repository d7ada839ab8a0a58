#include "common/secure.h"

#include <sodium.h>

namespace tss {

void Wipe(void* data, size_t len) {
  sodium_memzero(data, len);
}

void SecureBytes::Append(std::span<const uint8_t> bytes) {
  if (data_.size() + bytes.size() > data_.capacity()) {
    std::vector<uint8_t> grown;
    grown.reserve(2 * (data_.size() + bytes.size()));
    grown.assign(data_.begin(), data_.end());
    Clear();
    data_ = std::move(grown);
  }
  data_.insert(data_.end(), bytes.begin(), bytes.end());
}

}  // namespace tss
