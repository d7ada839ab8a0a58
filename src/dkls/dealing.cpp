#include "dkls/dealing.h"

#include <string>

namespace tss::dkls {

namespace ot = crypto::ot;

Status Blame(uint16_t party, ProtocolKind kind, int round, std::string_view why) {
  return ProtocolAbort(party, std::string(ProtocolKindName(kind)) + " round " +
                                  std::to_string(round) + ": party " + std::to_string(party) +
                                  ": " + std::string(why));
}

Status Blame(uint16_t party, ProtocolKind kind, int round, const Status& why) {
  return Blame(party, kind, round, why.message());
}

Bytes ProofContext(std::string_view label, ByteSpan sid, uint16_t party) {
  crypto::Transcript tr(label);
  tr.Append("sid", sid);
  tr.Append("party", party);
  Bytes out(32);
  tr.ChallengeBytes("context", out);
  return out;
}

PairSetup::PairSetup(ByteSpan sid, ProtocolKind kind, uint16_t me, uint16_t peer)
    : sid_(sid.begin(), sid.end()), kind_(kind), me_(me), peer_(peer) {}
PairSetup::~PairSetup() = default;
PairSetup::PairSetup(PairSetup&&) noexcept = default;
PairSetup& PairSetup::operator=(PairSetup&&) noexcept = default;

Bytes PairSetup::SetupId(uint16_t alice, uint16_t bob) const {
  crypto::Transcript tr("tss/dkls/ot-setup/v1");
  tr.Append("sid", sid_);
  tr.Append("protocol", static_cast<uint64_t>(kind_));
  tr.Append("alice", alice);
  tr.Append("bob", bob);
  Bytes out(32);
  tr.ChallengeBytes("setup id", out);
  return out;
}

Bytes PairSetup::Start(crypto::Rng& rng) {
  receiver_ = std::make_unique<ot::SetupReceiver>(SetupId(peer_, me_), rng);
  return receiver_->Start();
}

Result<Bytes> PairSetup::Respond(ByteSpan m1, crypto::Rng& rng) {
  sender_ = std::make_unique<ot::SetupSender>(SetupId(me_, peer_), rng);
  auto m2 = sender_->Respond(m1);
  if (!m2.ok()) return Blame(peer_, kind_, 1, m2.status());
  rng.Fill(my_half_.bytes);
  return m2;
}

// The pair's zero-sharing seed: both halves, lower index first, bound to the run.
Result<Bytes> PairSetup::Confirm(const Seed& their_half, ByteSpan m2) {
  const bool low = me_ < peer_;
  crypto::Transcript tr("tss/dkls/zero-seed/v1");
  tr.Append("sid", sid_);
  tr.Append("protocol", static_cast<uint64_t>(kind_));
  tr.Append("low", low ? me_ : peer_);
  tr.Append("high", low ? peer_ : me_);
  tr.Append("low half", low ? my_half_.bytes : their_half.bytes);
  tr.Append("high half", low ? their_half.bytes : my_half_.bytes);
  tr.ChallengeBytes("seed", zero_seed_.bytes);
  auto m3 = receiver_->Respond(m2);
  if (!m3.ok()) return Blame(peer_, kind_, 2, m3.status());
  return m3;
}

Result<PeerMaterial> PairSetup::Finish(ByteSpan m3) {
  auto send = sender_->Finish(m3);
  if (!send.ok()) return Blame(peer_, kind_, 3, send.status());
  auto recv = receiver_->Finish();
  if (!recv.ok()) return InternalError("OT setup receiver: " + recv.status().message());
  PeerMaterial material;
  material.index = peer_;
  material.zero_seed = zero_seed_;
  material.ot_send = std::move(send).value();
  material.ot_recv = std::move(recv).value();
  return material;
}

Echo::Echo(const crypto::Digest& context) : transcript_("tss/dkls/echo/v1") {
  transcript_.Append("context", context);
}

void Echo::Add(const crypto::Commitment& commitment, ByteSpan opened) {
  transcript_.Append("commitment", commitment.value);
  transcript_.Append("opened", opened);
}

crypto::Digest Echo::Final() {
  crypto::Digest out;
  transcript_.ChallengeBytes("echo", out);
  return out;
}

Status EchoMismatch(uint16_t party, ProtocolKind kind) {
  return Blame(party, kind, 3,
               "saw different commitments or openings than we did (it or the party that "
               "equivocated is dishonest)");
}

}  // namespace tss::dkls
