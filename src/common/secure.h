// common/secure.h — containers for secrets: wiped on destruction, never printable.
//
// Owns: SecureBytes and Wipe(). Uses libsodium's sodium_memzero so the compiler cannot elide
// the wipe. Must not touch: logging (a secret type deliberately has no operator<<).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace tss {

void Wipe(void* data, size_t len);

// A byte buffer holding secret material. Move-only; wiped when destroyed or reassigned.
class SecureBytes {
 public:
  SecureBytes() = default;
  explicit SecureBytes(size_t n) : data_(n) {}
  explicit SecureBytes(std::span<const uint8_t> bytes) : data_(bytes.begin(), bytes.end()) {}
  SecureBytes(const SecureBytes&) = delete;
  SecureBytes& operator=(const SecureBytes&) = delete;
  SecureBytes(SecureBytes&& other) noexcept : data_(std::move(other.data_)) {}
  SecureBytes& operator=(SecureBytes&& other) noexcept {
    if (this != &other) {
      Clear();
      data_ = std::move(other.data_);
    }
    return *this;
  }
  ~SecureBytes() { Clear(); }

  // An explicit copy, so duplicating a secret is always visible at the call site.
  SecureBytes Clone() const { return SecureBytes(std::span<const uint8_t>(data_)); }
  void Clear() {
    if (!data_.empty()) Wipe(data_.data(), data_.size());
    data_.clear();
  }
  // Grows without leaving unwiped copies behind (reallocation would otherwise leak the old block).
  void Append(std::span<const uint8_t> bytes);

  uint8_t* data() { return data_.data(); }
  const uint8_t* data() const { return data_.data(); }
  size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  std::span<const uint8_t> span() const { return data_; }
  std::span<uint8_t> mutable_span() { return data_; }

 private:
  std::vector<uint8_t> data_;
};

}  // namespace tss
