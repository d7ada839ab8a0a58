// Placeholder bodies so the API links while the implementation lands; every protocol step
// reports kInternal "not implemented yet". Replaced by base_ot.cpp / ote.cpp / rvole.cpp.
#include "crypto/ot/ot.h"

#include <algorithm>

#include "crypto/rng.h"

namespace tss::crypto::ot {

namespace {
Status NotYet() {
  return Status(ErrorCode::kInternal, "oblivious transfer: not implemented yet");
}
}  // namespace

OteSenderSetup::~OteSenderSetup() {
  Wipe(delta_.data(), delta_.size());
  Wipe(seeds_.data(), sizeof seeds_);
}
OteSenderSetup OteSenderSetup::Clone() const {
  OteSenderSetup c;
  c.setup_id_ = setup_id_;
  c.delta_ = delta_;
  c.seeds_ = seeds_;
  return c;
}
Bytes OteSenderSetup::Encode() const {
  return {};
}
Result<OteSenderSetup> OteSenderSetup::Decode(ByteSpan) {
  return NotYet();
}

OteReceiverSetup::~OteReceiverSetup() {
  Wipe(seeds_.data(), sizeof seeds_);
}
OteReceiverSetup OteReceiverSetup::Clone() const {
  OteReceiverSetup c;
  c.setup_id_ = setup_id_;
  c.seeds_ = seeds_;
  return c;
}
Bytes OteReceiverSetup::Encode() const {
  return {};
}
Result<OteReceiverSetup> OteReceiverSetup::Decode(ByteSpan) {
  return NotYet();
}

struct SetupReceiver::State {};
SetupReceiver::SetupReceiver(ByteSpan, Rng&) : s_(std::make_unique<State>()) {}
SetupReceiver::~SetupReceiver() = default;
Bytes SetupReceiver::Start() {
  return {};
}
Result<Bytes> SetupReceiver::Respond(ByteSpan) {
  return NotYet();
}
Result<OteReceiverSetup> SetupReceiver::Finish() {
  return NotYet();
}

struct SetupSender::State {};
SetupSender::SetupSender(ByteSpan, Rng&) : s_(std::make_unique<State>()) {}
SetupSender::~SetupSender() = default;
Result<Bytes> SetupSender::Respond(ByteSpan) {
  return NotYet();
}
Result<OteSenderSetup> SetupSender::Finish(ByteSpan) {
  return NotYet();
}

struct RvoleReceiver::State {
  Scalar b;
};
RvoleReceiver::RvoleReceiver(const OteReceiverSetup&, ByteSpan, Rng&, size_t)
    : s_(std::make_unique<State>()) {}
RvoleReceiver::~RvoleReceiver() = default;
Bytes RvoleReceiver::Start() {
  return {};
}
const Scalar& RvoleReceiver::Input() const {
  return s_->b;
}
Result<std::vector<Scalar>> RvoleReceiver::Finish(ByteSpan) {
  return NotYet();
}

Result<RvoleSenderOutput> RvoleSend(const OteSenderSetup&, ByteSpan, std::span<const Scalar>,
                                    ByteSpan, Rng&) {
  return NotYet();
}

size_t SetupMessage1Size() {
  return 0;
}
size_t SetupMessage2Size() {
  return 0;
}
size_t SetupMessage3Size() {
  return 0;
}
size_t RvoleMessage1Size() {
  return 0;
}
size_t RvoleMessage2Size(size_t) {
  return 0;
}

}  // namespace tss::crypto::ot
