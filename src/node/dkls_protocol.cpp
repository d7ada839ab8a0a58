#include "node/dkls_protocol.h"

#include <algorithm>
#include <set>

#include "core/roster.h"
#include "crypto/ecdsa.h"
#include "crypto/hash.h"
#include "dkls/dkls.h"
#include "dkls/wire.h"

namespace tss::node {

namespace {

using core::KeyRecord;
using core::Outcome;
using core::ProtocolType;
using core::SetupBody;
using core::Step;

// Party numbers are the same on both sides of this seam: the Roster numbers parties by their
// position in the key's holder list (plus one), which is exactly the Shamir index dkls/ uses.
std::vector<Step> ToSteps(std::vector<dkls::Message> messages) {
  std::vector<Step> out;
  out.reserve(messages.size());
  for (auto& m : messages) out.push_back(Step{m.round, m.to, std::move(m.payload)});
  return out;
}

// What every DKLs23 session does with steps; `S` is the dkls session type, so the outcome is
// read from it with its own type.
template <typename S>
class DklsSession : public core::ProtocolSession {
 public:
  explicit DklsSession(std::unique_ptr<S> session) : session_(std::move(session)) {}

  Result<std::vector<Step>> Start() override { return ToSteps(session_->Start()); }

  Result<std::vector<Step>> Handle(int from_party, const Step& step) override {
    // A transport that retries an unacknowledged write can deliver a message twice. An exact
    // copy carries nothing new, so it is dropped here; a *different* message for a round the
    // sender already spoke in is equivocation, which the session itself refuses and blames.
    crypto::Transcript id("tss/step-seen/v1");
    id.Append("from", static_cast<uint64_t>(from_party));
    id.Append("round", static_cast<uint64_t>(step.round));
    id.Append("to", static_cast<uint64_t>(step.to));
    id.Append("payload", step.payload);
    crypto::Digest digest{};
    id.ChallengeBytes("id", digest);
    if (!seen_.insert(digest).second) return std::vector<Step>{};
    dkls::Message m =
        session_->Incoming(static_cast<uint16_t>(from_party), step.to, step.round, step.payload);
    auto out = session_->Handle(m);  // m wipes its payload (share evaluations) as it dies
    if (!out.ok()) return out.status();
    return ToSteps(std::move(*out));
  }

  bool OfThisRun(int /*from_party*/, const Step& /*step*/) const override { return true; }
  bool Done() const override { return session_->Done(); }
  std::optional<int> BurnedPeer() const override { return std::nullopt; }

 protected:
  std::unique_ptr<S> session_;

 private:
  std::set<crypto::Digest> seen_;  // the steps received so far
};

class DklsSignSession final : public DklsSession<dkls::SignSession> {
 public:
  explicit DklsSignSession(std::unique_ptr<dkls::SignSession> session)
      : DklsSession(std::move(session)) {}
  // Round 1 carries the sender's fingerprint (dkls::wire::SignRound1). SignSession would blame
  // a sender whose fingerprint differs from ours; here the coordinator chose the generation, so
  // such a step is not of our run (ports.h). One that does not decode goes on to the session,
  // which blames its sender as before.
  bool OfThisRun(int /*from_party*/, const Step& step) const override {
    if (step.round != 1) return true;
    auto m = dkls::wire::SignRound1::Decode(step.payload);
    return !m.ok() || m->fingerprint == session_->fingerprint();
  }
  Result<Outcome> Finish() override {
    const auto& sig = session_->signature();
    if (!session_->Done() || !sig) return InternalError("signing finished without a signature");
    core::SignatureBody body;
    body.r = sig->r.ToBytes();
    body.s = sig->s.ToBytes();
    body.v = sig->recovery_id;
    return Outcome(body);
  }
  std::optional<int> BurnedPeer() const override {
    const auto& peer = session_->burned_peer();
    return peer ? std::optional<int>(*peer) : std::nullopt;
  }
};

// Completes `out` (key id and holders already set) with a new share: its public key — which must
// be `same_key` unless that is empty —, the encoded share, generation and fingerprint.
Result<Outcome> WithShare(core::NewKey out, const dkls::KeyShare& share, const Bytes& same_key,
                          const char* protocol) {
  KeyRecord& record = out.record;
  auto pk = share.public_key.ToBytes();
  record.public_key.assign(pk.begin(), pk.end());
  if (!same_key.empty() && record.public_key != same_key)
    return InternalError(std::string(protocol) + " changed the public key");
  record.share = share.Encode();
  out.generation = share.generation;
  out.fingerprint = share.Fingerprint();
  record.generation = out.generation;
  record.fingerprint = out.fingerprint;
  return Outcome(std::move(out));
}

// Keygen and keyrefresh: a new share. `key` is the refreshed key's record (null for keygen).
class DklsKeySession final : public DklsSession<dkls::DkgSession> {
 public:
  DklsKeySession(std::unique_ptr<dkls::DkgSession> session, SetupBody setup,
                 std::optional<KeyRecord> key)
      : DklsSession(std::move(session)), setup_(std::move(setup)), key_(std::move(key)) {}
  Result<Outcome> Finish() override {
    if (!session_->Done()) return InternalError("the protocol has not finished");
    TSS_ASSIGN_OR_RETURN(dkls::KeyShare share, session_->TakeShare());
    core::NewKey out;
    KeyRecord& record = out.record;
    if (key_) {
      record.key_id = key_->key_id;
      record.participants = key_->participants;
    } else {
      record.key_id = setup_.key_id.empty() ? share.KeyIdHex() : setup_.key_id;
      record.participants = setup_.participants;
    }
    record.threshold = share.t;
    return WithShare(std::move(out), share, key_ ? key_->public_key : Bytes{}, "keyrefresh");
  }

 private:
  SetupBody setup_;
  std::optional<KeyRecord> key_;  // without its share: the session holds what it needs
};

// Quorum change: a new holder's outcome is its new share; a leaving dealer's is the new sharing's
// public description with no share (the session manager's AwaitLeaving).
class DklsQuorumSession final : public DklsSession<dkls::QuorumChangeSession> {
 public:
  // `old_public_key`, `old_generation`: the key as we hold it now (a joiner: empty, 0).
  DklsQuorumSession(std::unique_ptr<dkls::QuorumChangeSession> session, SetupBody setup,
                    Bytes old_public_key, uint32_t old_generation)
      : DklsSession(std::move(session)),
        setup_(std::move(setup)),
        old_public_key_(std::move(old_public_key)),
        old_generation_(old_generation) {}
  Result<Outcome> Finish() override {
    if (!session_->Done()) return InternalError("the protocol has not finished");
    core::NewKey out;
    KeyRecord& record = out.record;
    record.key_id = setup_.key_id;
    record.participants.assign(setup_.participants.begin(),
                               setup_.participants.begin() + setup_.quorum->new_n);
    record.threshold = setup_.threshold;
    if (!session_->holds_new_share()) {
      record.public_key = old_public_key_;
      out.generation = old_generation_ + 1;
      return Outcome(std::move(out));
    }
    TSS_ASSIGN_OR_RETURN(dkls::KeyShare share, session_->TakeShare());
    if (share.n != record.participants.size() || share.t != record.threshold)
      return InternalError("the quorum change made a share of another n or t than the setup's");
    return WithShare(std::move(out), share, old_public_key_, "the quorum change");
  }

 private:
  SetupBody setup_;
  Bytes old_public_key_;
  uint32_t old_generation_ = 0;
};

}  // namespace

Result<std::unique_ptr<core::ProtocolSession>> DklsProtocolFactory::CreateQuorumChange(
    const SetupBody& setup, const core::Roster& roster, ByteSpan sid, const KeyRecord* key) {
  if (!setup.quorum) return InvalidArgument("a quorum change's setup without its layout");
  dkls::QuorumChangePlan plan;
  plan.new_n = static_cast<uint16_t>(roster.new_n());
  plan.new_t = setup.threshold;
  for (uint16_t party : roster.Parties())
    plan.members.push_back({party, static_cast<uint16_t>(roster.OldIndexOf(party))});
  const auto me = static_cast<uint16_t>(roster.me());
  std::optional<dkls::KeyShare> old;
  if (const int old_index = roster.OldIndexOf(me)) {
    if (!key) return InvalidArgument("we deal in the quorum change but have no share of the key");
    TSS_ASSIGN_OR_RETURN(dkls::KeyShare share, Decoded(*key));
    if (share.index != old_index)
      return InvalidArgument("the stored share belongs to another party index");
    if (share.n != key->participants.size() || share.t != key->threshold)
      return InvalidArgument("the stored share does not match the key record");
    old = std::move(share);
  }
  crypto::Digest key_id{};
  std::copy(setup.quorum->key_digest.begin(), setup.quorum->key_digest.end(), key_id.begin());
  TSS_ASSIGN_OR_RETURN(auto s, dkls::QuorumChangeSession::Create(plan, me, old ? &*old : nullptr,
                                                                 key_id, sid, rng_));
  return std::unique_ptr<core::ProtocolSession>(std::make_unique<DklsQuorumSession>(
      std::move(s), setup, key ? key->public_key : Bytes{}, key ? key->generation : 0));
}

Result<std::unique_ptr<core::ProtocolSession>> DklsProtocolFactory::Create(
    const SetupBody& setup, const core::Roster& roster, const core::SessionId& run_id,
    const KeyRecord* key) {
  ByteSpan sid(run_id.data(), run_id.size());
  if (roster.me() < 1 || roster.me() > dkls::kMaxParties)
    return InvalidArgument("party index out of range");
  const auto me = static_cast<uint16_t>(roster.me());
  if (setup.protocol == ProtocolType::kKeygen) {
    if (setup.participants.size() > dkls::kMaxParties)
      return InvalidArgument("too many participants");
    TSS_ASSIGN_OR_RETURN(
        auto s, dkls::KeygenSession::Create(static_cast<uint16_t>(setup.participants.size()),
                                            setup.threshold, me, sid, rng_));
    return std::unique_ptr<core::ProtocolSession>(
        std::make_unique<DklsKeySession>(std::move(s), setup, std::nullopt));
  }
  if (setup.protocol == ProtocolType::kQuorumChange)
    return CreateQuorumChange(setup, roster, sid, key);
  if (!key) return InvalidArgument("keyrefresh and sign need the key share");
  TSS_ASSIGN_OR_RETURN(dkls::KeyShare share, OurShare(*key, roster));
  if (setup.protocol == ProtocolType::kSign) {
    TSS_ASSIGN_OR_RETURN(crypto::Scalar tweak, Tweak(share, setup.chain_path));
    TSS_ASSIGN_OR_RETURN(auto s, dkls::SignSession::Create(share, roster.Parties(),
                                                           setup.message_hash, sid, rng_, tweak));
    return std::unique_ptr<core::ProtocolSession>(std::make_unique<DklsSignSession>(std::move(s)));
  }
  TSS_ASSIGN_OR_RETURN(auto s, dkls::KeyrefreshSession::Create(share, sid, rng_));
  KeyRecord public_part;
  public_part.key_id = key->key_id;
  public_part.participants = key->participants;
  public_part.threshold = key->threshold;
  public_part.public_key = key->public_key;
  return std::unique_ptr<core::ProtocolSession>(
      std::make_unique<DklsKeySession>(std::move(s), setup, std::move(public_part)));
}

Result<dkls::KeyShare> DklsProtocolFactory::Decoded(const KeyRecord& key) {
  std::lock_guard lock(mu_);
  auto& generations = decoded_[key.key_id];
  auto it = generations.find(key.generation);
  const auto encoded = key.share.span();
  if (it == generations.end() || !std::ranges::equal(it->second.encoded.span(), encoded)) {
    TSS_ASSIGN_OR_RETURN(dkls::KeyShare share, dkls::KeyShare::Decode(encoded));
    const crypto::Digest fingerprint = share.Fingerprint();
    it = generations
             .insert_or_assign(key.generation,
                               DecodedShare{SecureBytes(encoded), std::move(share), fingerprint})
             .first;
    // The active and the retained generation at most: the oldest other one goes.
    if (generations.size() > 2)
      generations.erase(generations.begin() == it ? std::next(it) : generations.begin());
  }
  const DecodedShare& decoded = it->second;
  const dkls::KeyShare& share = decoded.share;
  // The share is the generation the record names (records older than version 3 name none: a
  // zero fingerprint), so a sign never runs with another generation than BEGIN named.
  if (key.fingerprint != core::KeyFingerprint{} &&
      (share.generation != key.generation || decoded.fingerprint != key.fingerprint))
    return InvalidArgument("the stored share is not generation " + std::to_string(key.generation) +
                           " of the key (it is generation " + std::to_string(share.generation) +
                           ")");
  return share.Clone();
}

Result<dkls::KeyShare> DklsProtocolFactory::OurShare(const KeyRecord& key,
                                                     const core::Roster& roster) {
  TSS_ASSIGN_OR_RETURN(dkls::KeyShare share, Decoded(key));
  if (share.index != roster.me())
    return InvalidArgument("the stored share belongs to another party index");
  if (share.n != key.participants.size() || share.t != key.threshold)
    return InvalidArgument("the stored share does not match the key record");
  return share;
}

Status DklsProtocolFactory::CanRun(const SetupBody& setup, const core::Roster& roster,
                                   const KeyRecord* key) {
  if (setup.protocol != ProtocolType::kSign) return Status::Ok();
  if (!key) return InvalidArgument("sign needs the key share");
  TSS_ASSIGN_OR_RETURN(dkls::KeyShare share, OurShare(*key, roster));
  TSS_RETURN_IF_ERROR(Tweak(share, setup.chain_path).status());
  for (uint16_t j : roster.Parties()) {
    const dkls::PeerMaterial* peer = share.Peer(j);
    if (j != roster.me() && peer && peer->burned)
      return InvalidArgument("our OT material with " + *roster.AddressOf(j) +
                             " is burned; the key needs a refresh before we sign with it");
  }
  return Status::Ok();
}

Status DklsProtocolFactory::Burn(KeyRecord& key, int party) {
  TSS_ASSIGN_OR_RETURN(dkls::KeyShare share, dkls::KeyShare::Decode(key.share.span()));
  if (party < 1 || party > share.n || party == share.index)
    return InvalidArgument("no pair with party " + std::to_string(party) + " to burn");
  TSS_RETURN_IF_ERROR(share.Burn(static_cast<uint16_t>(party)));
  key.share = share.Encode();
  return Status::Ok();
}

Result<crypto::Scalar> DklsProtocolFactory::Tweak(const dkls::KeyShare& share,
                                                  const std::string& chain_path) {
  if (chain_path.empty()) return crypto::Scalar();
  TSS_ASSIGN_OR_RETURN(auto path, crypto::bip32::ParsePath(chain_path));
  TSS_ASSIGN_OR_RETURN(auto derived, share.Derive(path));
  return derived.tweak;
}

Result<Bytes> DklsProtocolFactory::SigningKey(const KeyRecord& key, const std::string& chain_path) {
  if (chain_path.empty()) return key.public_key;
  if (!key.Active()) return InvalidArgument("the key has no active share to derive from");
  // Any holder's share gives the same group key and chain code: the index is not checked.
  TSS_ASSIGN_OR_RETURN(dkls::KeyShare share, Decoded(key));
  TSS_ASSIGN_OR_RETURN(crypto::Scalar tweak, Tweak(share, chain_path));
  const auto child = (share.public_key + crypto::Point::BaseMul(tweak)).ToBytes();
  return Bytes(child.begin(), child.end());
}

Result<std::array<uint8_t, 32>> DklsProtocolFactory::ProtocolKeyId(const KeyRecord& key) {
  if (!key.Active()) return InvalidArgument("the key has no active share");
  TSS_ASSIGN_OR_RETURN(dkls::KeyShare share, Decoded(key));
  std::array<uint8_t, 32> out{};
  std::copy(share.key_id.begin(), share.key_id.end(), out.begin());
  return out;
}

Result<Bytes> DklsProtocolFactory::ChainCode(const KeyRecord& key) {
  if (!key.Active()) return Bytes{};
  TSS_ASSIGN_OR_RETURN(dkls::KeyShare share, Decoded(key));
  if (!share.chain_code) return Bytes{};
  return Bytes(share.chain_code->begin(), share.chain_code->end());
}

Status DklsProtocolFactory::VerifySignature(ByteSpan public_key, ByteSpan message_hash,
                                            const core::SignatureBody& sig) {
  return crypto::VerifyRecoverableEcdsa(public_key, message_hash, sig.r, sig.s, sig.v);
}

}  // namespace tss::node
