#include "node/dkls_protocol.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "crypto/ecdsa.h"
#include "crypto/hash.h"
#include "dkls/dkls.h"

namespace tss::node {

namespace {

using coordinator::KeyRecord;
using coordinator::ProtocolSession;
using coordinator::ProtocolType;
using coordinator::SetupBody;
using coordinator::SignatureBody;
using nlohmann::json;

// The result column of a sign event: the same JSON whether we signed or observed.
std::string SignatureJson(const SetupBody& setup, const KeyRecord& key, const SignatureBody& sig) {
  return json{{"key_id", key.key_id},
              {"public_key", ToHex(key.public_key)},
              {"message_hash", ToHex(setup.message_hash)},
              {"r", ToHex(sig.r)},
              {"s", ToHex(sig.s)},
              {"v", sig.v}}
      .dump();
}

// Party numbers are the same on both sides of this seam: the session manager numbers parties by
// their position in the key's holder list (plus one), which is exactly the Shamir index dkls/
// uses, so no translation is needed.
std::vector<ProtocolSession::Outgoing> ToOutgoing(const std::vector<dkls::Message>& messages) {
  std::vector<ProtocolSession::Outgoing> out;
  out.reserve(messages.size());
  for (const auto& m : messages) {
    ProtocolSession::Outgoing o;
    if (m.to != dkls::kBroadcast) o.to_party = m.to;
    o.payload = m.Encode();
    out.push_back(std::move(o));
  }
  return out;
}

class DklsSession final : public ProtocolSession {
 public:
  DklsSession(SetupBody setup, std::optional<KeyRecord> key, std::unique_ptr<dkls::Session> session)
      : setup_(std::move(setup)), key_(std::move(key)), session_(std::move(session)) {}

  Result<std::vector<Outgoing>> Start() override { return ToOutgoing(session_->Start()); }

  Result<std::vector<Outgoing>> Handle(int from_party, ByteSpan payload) override {
    auto message = dkls::Message::Decode(payload);
    if (!message.ok())
      return ProtocolAbort(from_party,
                           "undecodable protocol message: " + message.status().message());
    // The network authenticated the peer behind from_party; a message claiming another sender is
    // a forgery attempt by that peer.
    if (message->from != from_party)
      return ProtocolAbort(from_party,
                           "message claims to come from party " + std::to_string(message->from));
    // A message of another run is not blamed on its sender: a coordinator that sent different
    // participants different contributions in BEGIN puts honest parties in different runs, and
    // blaming each other is what it would want. Such a message is dropped; the run stalls and
    // expires.
    if (message->session != session_->session_tag())
      return Status(ErrorCode::kNotFound, "a message of another run");
    // A transport that retries an unacknowledged write can deliver a message twice. An exact
    // copy carries nothing new, so it is dropped here; a *different* message for a round the
    // sender already spoke in is equivocation, which the session itself refuses and blames.
    if (!seen_.insert(crypto::Sha256(payload)).second) return std::vector<Outgoing>{};
    auto out = session_->Handle(*message);
    // Keygen and refresh payloads carry secret share evaluations f_i(j): this copy goes now.
    Wipe(message->payload.data(), message->payload.size());
    if (!out.ok()) return out.status();
    return ToOutgoing(*out);
  }

  bool Done() const override { return session_->Done(); }

  Result<Outcome> Finish() override {
    if (!session_->Done()) return InternalError("the protocol has not finished");
    Outcome outcome;
    if (setup_.protocol == ProtocolType::kSign) {
      const auto& sig = static_cast<dkls::SignSession&>(*session_).signature();
      if (!sig) return InternalError("signing finished without a signature");
      SignatureBody body;
      body.r = sig->r.ToBytes();
      body.s = sig->s.ToBytes();
      body.v = sig->recovery_id;
      outcome.result_json = SignatureJson(setup_, *key_, body);
      outcome.signature = body;
      return outcome;
    }
    TSS_ASSIGN_OR_RETURN(dkls::KeyShare share,
                         static_cast<dkls::DkgSession&>(*session_).TakeShare());
    KeyRecord record;
    if (key_) {
      record.key_id = key_->key_id;
      record.participants = key_->participants;
    } else {
      record.key_id = setup_.key_id.empty() ? share.KeyIdHex() : setup_.key_id;
      record.participants = setup_.participants;
    }
    record.threshold = share.t;
    auto pk = share.public_key.ToBytes();
    record.public_key.assign(pk.begin(), pk.end());
    if (key_ && record.public_key != key_->public_key)
      return InternalError("keyrefresh changed the public key");
    record.share = share.Encode();
    outcome.result_json = json{
        {"key_id", record.key_id},
        {"public_key", ToHex(record.public_key)},
        {"generation",
         share.generation}}.dump();
    outcome.key = std::move(record);
    return outcome;
  }

  std::optional<int> BurnedPeer() const override {
    if (setup_.protocol != ProtocolType::kSign) return std::nullopt;
    const auto& peer = static_cast<const dkls::SignSession&>(*session_).burned_peer();
    return peer ? std::optional<int>(*peer) : std::nullopt;
  }

 private:
  SetupBody setup_;
  std::optional<KeyRecord> key_;
  std::unique_ptr<dkls::Session> session_;
  std::set<crypto::Digest> seen_;  // hashes of the protocol messages received so far
};

Result<std::vector<uint16_t>> SignerIndices(const SetupBody& setup, const KeyRecord& key) {
  std::vector<uint16_t> signers;
  for (const auto& p : setup.participants) {
    auto it = std::find(key.participants.begin(), key.participants.end(), p);
    if (it == key.participants.end()) return InvalidArgument("signer " + p + " holds no share");
    signers.push_back(static_cast<uint16_t>(it - key.participants.begin() + 1));
  }
  return signers;
}

}  // namespace

Result<std::unique_ptr<ProtocolSession>> DklsProtocolFactory::Create(
    const std::string& /*event_id*/, const SetupBody& setup, const coordinator::SessionId& run_id,
    int my_party, const KeyRecord* key) {
  ByteSpan sid(run_id.data(), run_id.size());
  if (my_party < 1 || my_party > dkls::kMaxParties)
    return InvalidArgument("party index out of range");
  const auto me = static_cast<uint16_t>(my_party);
  std::unique_ptr<dkls::Session> session;
  std::optional<KeyRecord> key_copy;
  if (setup.protocol == ProtocolType::kKeygen) {
    if (setup.participants.size() > dkls::kMaxParties)
      return InvalidArgument("too many participants");
    TSS_ASSIGN_OR_RETURN(
        auto s, dkls::KeygenSession::Create(static_cast<uint16_t>(setup.participants.size()),
                                            setup.threshold, me, sid, rng_));
    session = std::move(s);
  } else {
    if (!key) return InvalidArgument("keyrefresh and sign need the key share");
    TSS_ASSIGN_OR_RETURN(dkls::KeyShare share, dkls::KeyShare::Decode(key->share.span()));
    if (share.index != me)
      return InvalidArgument("the stored share belongs to another party index");
    if (share.n != key->participants.size() || share.t != key->threshold)
      return InvalidArgument("the stored share does not match the key record");
    if (setup.protocol == ProtocolType::kKeyrefresh) {
      TSS_ASSIGN_OR_RETURN(auto s, dkls::KeyrefreshSession::Create(share, sid, rng_));
      session = std::move(s);
    } else {
      TSS_ASSIGN_OR_RETURN(auto signers, SignerIndices(setup, *key));
      TSS_ASSIGN_OR_RETURN(auto s, dkls::SignSession::Create(share, std::move(signers),
                                                             setup.message_hash, sid, rng_));
      session = std::move(s);
    }
    KeyRecord copy;  // without the share: the session holds what it needs
    copy.key_id = key->key_id;
    copy.participants = key->participants;
    copy.threshold = key->threshold;
    copy.public_key = key->public_key;
    key_copy = std::move(copy);
  }
  return std::unique_ptr<ProtocolSession>(
      std::make_unique<DklsSession>(setup, std::move(key_copy), std::move(session)));
}

Status DklsProtocolFactory::CanRun(const SetupBody& setup, int my_party, const KeyRecord* key) {
  if (setup.protocol != ProtocolType::kSign) return Status::Ok();
  if (!key) return InvalidArgument("sign needs the key share");
  TSS_ASSIGN_OR_RETURN(auto signers, SignerIndices(setup, *key));
  TSS_ASSIGN_OR_RETURN(dkls::KeyShare share, dkls::KeyShare::Decode(key->share.span()));
  for (uint16_t j : signers) {
    const dkls::PeerMaterial* peer = share.Peer(j);
    if (j != my_party && peer && peer->burned)
      return InvalidArgument("our OT material with " + key->participants[j - 1] +
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

Result<std::string> DklsProtocolFactory::AcceptSignature(const SetupBody& setup,
                                                         const KeyRecord& key,
                                                         const SignatureBody& sig) {
  if (setup.protocol != ProtocolType::kSign)
    return InvalidArgument("only signatures are reported to observers");
  TSS_RETURN_IF_ERROR(crypto::VerifyEcdsa(key.public_key, setup.message_hash, sig.r, sig.s));
  // The recovery id is part of what we record (chains recover the signer from it): it must
  // recover this key, or a wrong v would be stored as if verified.
  TSS_ASSIGN_OR_RETURN(auto r, crypto::Scalar::FromBytes(sig.r));
  TSS_ASSIGN_OR_RETURN(auto s, crypto::Scalar::FromBytes(sig.s));
  TSS_ASSIGN_OR_RETURN(crypto::Point recovered,
                       crypto::RecoverEcdsa(setup.message_hash, r, s, sig.v));
  auto compressed = recovered.ToBytes();
  if (!std::equal(compressed.begin(), compressed.end(), key.public_key.begin(),
                  key.public_key.end()))
    return InvalidArgument("recovery id " + std::to_string(sig.v) + " does not recover the key");
  return SignatureJson(setup, key, sig);
}

}  // namespace tss::node
