#include "core/messages.h"

#include <algorithm>
#include <set>

#include "crypto/hash.h"

namespace tss::core {

const char* MessageTypeName(MessageType t) {
  switch (t) {
    case MessageType::kSetup:
      return "setup";
    case MessageType::kAck:
      return "ack";
    case MessageType::kNack:
      return "nack";
    case MessageType::kBegin:
      return "begin";
    case MessageType::kStep:
      return "step";
    case MessageType::kResult:
      return "result";
    case MessageType::kCommit:
      return "commit";
  }
  return "unknown";
}

const char* CommitStageName(CommitStage s) {
  switch (s) {
    case CommitStage::kConfirm:
      return "confirm";
    case CommitStage::kActive:
      return "active";
    case CommitStage::kAbort:
      return "abort";
    case CommitStage::kFailed:
      return "failed";
  }
  return "unknown";
}

namespace {
void PutString(ByteWriter& w, const std::string& s) {
  w.LengthPrefixed(AsBytes(s));
}
bool GetString(ByteReader& r, std::string& out, size_t max) {
  ByteSpan s;
  if (!r.LengthPrefixed(s, max)) return false;
  out.assign(s.begin(), s.end());
  return true;
}
void PutStrings(ByteWriter& w, const std::vector<std::string>& list) {
  w.UVarint(list.size());
  for (const auto& s : list) PutString(w, s);
}
// A list of distinct, non-empty addresses, at most kMaxParticipants of them.
Status GetStrings(ByteReader& r, std::vector<std::string>& out, const char* what) {
  uint64_t count = 0;
  if (!r.UVarint(count)) return InvalidArgument(std::string(what) + ": truncated");
  if (count > NodeMessage::kMaxParticipants)
    return InvalidArgument(std::string(what) + ": too many entries");
  std::set<std::string> seen;
  for (uint64_t i = 0; i < count; ++i) {
    std::string p;
    if (!GetString(r, p, NodeMessage::kMaxAddressLength) || p.empty())
      return InvalidArgument(std::string(what) + ": bad entry");
    if (!seen.insert(p).second) return InvalidArgument(std::string(what) + ": duplicate " + p);
    out.push_back(std::move(p));
  }
  return Status::Ok();
}
void PutGeneration(ByteWriter& w, const GenerationId& g) {
  w.U32(g.generation);
  w.Raw(g.fingerprint);
}
bool GetGeneration(ByteReader& r, GenerationId& g) {
  return r.U32(g.generation) && r.Raw(g.fingerprint.size(), g.fingerprint.data());
}
}  // namespace

SessionId RunId(const SessionId& session_id, const std::vector<Contribution>& contributions) {
  crypto::Transcript t("tss/run-id/v1");
  t.Append("session", session_id);
  t.Append("count", static_cast<uint64_t>(contributions.size()));
  for (const auto& c : contributions) t.Append("contribution", c);
  SessionId run;
  t.ChallengeBytes("run", run);
  return run;
}

Bytes NodeMessage::Encode() const {
  ByteWriter w;
  w.U8(kVersion);
  w.U8(static_cast<uint8_t>(type));
  PutString(w, event_id);
  w.Raw(session_id);
  switch (type) {
    case MessageType::kSetup:
      w.U8(static_cast<uint8_t>(setup.protocol));
      w.U64(setup.block_number);
      w.U64(setup.nonce);
      w.U16(setup.threshold);
      w.UVarint(setup.participants.size());
      for (const auto& p : setup.participants) PutString(w, p);
      PutString(w, setup.key_id);
      w.LengthPrefixed(setup.message_hash);
      PutString(w, setup.chain_path);
      PutStrings(w, setup.excluded);
      if (setup.protocol == ProtocolType::kQuorumChange) {
        const QuorumChangeLayout none;
        const QuorumChangeLayout& q = setup.quorum ? *setup.quorum : none;
        PutStrings(w, q.old_holders);
        w.U16(q.new_n);
        w.Raw(q.key_digest);
      }
      break;
    case MessageType::kAck:
      w.Raw(contribution);
      w.UVarint(generations.size());
      for (const auto& g : generations) PutGeneration(w, g);
      break;
    case MessageType::kNack:
      PutString(w, reason);
      PutStrings(w, refused);
      break;
    case MessageType::kBegin:
      w.UVarint(contributions.size());
      for (const auto& c : contributions) w.Raw(c);
      w.U8(generation ? 1 : 0);
      if (generation) PutGeneration(w, *generation);
      break;
    case MessageType::kStep:
      w.U8(step.round);
      w.U16(step.to);
      w.LengthPrefixed(step.payload);
      break;
    case MessageType::kResult:
      w.Raw(signature.r);
      w.Raw(signature.s);
      w.U8(signature.v);
      break;
    case MessageType::kCommit:
      w.U8(static_cast<uint8_t>(commit.stage));
      w.U8(commit.ask ? 1 : 0);
      PutString(w, commit.key_id);
      w.U32(commit.generation);
      w.Raw(commit.fingerprint);
      break;
  }
  return w.Take();
}

Result<NodeMessage> NodeMessage::Decode(ByteSpan bytes) {
  ByteReader r(bytes);
  NodeMessage m;
  uint8_t version = 0, type = 0;
  if (!r.U8(version) || !r.U8(type)) return InvalidArgument("node message: truncated header");
  if (version != kVersion)
    return InvalidArgument("node message: unsupported version " + std::to_string(version));
  if (type < 1 || type > 7)
    return InvalidArgument("node message: unknown type " + std::to_string(type));
  m.type = static_cast<MessageType>(type);
  if (!GetString(r, m.event_id, kMaxEventIdLength) || m.event_id.empty())
    return InvalidArgument("node message: bad event id");
  if (!r.Raw(m.session_id.size(), m.session_id.data()))
    return InvalidArgument("node message: truncated session id");
  switch (m.type) {
    case MessageType::kSetup: {
      uint8_t protocol = 0;
      uint64_t count = 0;
      if (!r.U8(protocol) || !r.U64(m.setup.block_number) || !r.U64(m.setup.nonce) ||
          !r.U16(m.setup.threshold) || !r.UVarint(count))
        return InvalidArgument("setup: truncated");
      if (protocol < 1 || protocol > 4)
        return InvalidArgument("setup: unknown protocol " + std::to_string(protocol));
      m.setup.protocol = static_cast<ProtocolType>(protocol);
      if (count < 2 || count > kMaxParticipants)
        return InvalidArgument("setup: participant count out of range");
      std::set<std::string> seen;
      for (uint64_t i = 0; i < count; ++i) {
        std::string p;
        if (!GetString(r, p, kMaxAddressLength) || p.empty())
          return InvalidArgument("setup: bad participant");
        if (!seen.insert(p).second) return InvalidArgument("setup: duplicate participant " + p);
        m.setup.participants.push_back(std::move(p));
      }
      if (m.setup.threshold < 2 || m.setup.threshold > count)
        return InvalidArgument("setup: threshold out of range");
      ByteSpan hash;
      if (!GetString(r, m.setup.key_id, kMaxEventIdLength) || !r.LengthPrefixed(hash, 32) ||
          !GetString(r, m.setup.chain_path, kMaxAddressLength))
        return InvalidArgument("setup: truncated");
      if (!hash.empty() && hash.size() != 32)
        return InvalidArgument("setup: message hash must be 32 bytes");
      if ((m.setup.protocol == ProtocolType::kSign) != (hash.size() == 32))
        return InvalidArgument("setup: a message hash goes with sign and only with sign");
      if (m.setup.protocol != ProtocolType::kKeygen && m.setup.key_id.empty())
        return InvalidArgument("setup: keyrefresh, sign and quorum change need a key id");
      m.setup.message_hash.assign(hash.begin(), hash.end());
      TSS_RETURN_IF_ERROR(GetStrings(r, m.setup.excluded, "setup: excluded"));
      if (!std::is_sorted(m.setup.excluded.begin(), m.setup.excluded.end()))
        return InvalidArgument("setup: excluded must be sorted");
      if (m.setup.protocol != ProtocolType::kSign && !m.setup.excluded.empty())
        return InvalidArgument("setup: only sign excludes validators");
      if (m.setup.protocol == ProtocolType::kQuorumChange) {
        QuorumChangeLayout& q = m.setup.quorum.emplace();
        TSS_RETURN_IF_ERROR(GetStrings(r, q.old_holders, "setup: old holders"));
        if (q.old_holders.size() < 2) return InvalidArgument("setup: fewer than 2 old holders");
        if (!r.U16(q.new_n) || !r.Raw(q.key_digest.size(), q.key_digest.data()))
          return InvalidArgument("setup: truncated quorum change");
        if (q.new_n < 2 || q.new_n > count || m.setup.threshold > q.new_n)
          return InvalidArgument("setup: new holder count out of range");
      }
      break;
    }
    case MessageType::kAck: {
      uint64_t count = 0;
      if (!r.Raw(m.contribution.size(), m.contribution.data()))
        return InvalidArgument("ack: truncated contribution");
      if (!r.UVarint(count)) return InvalidArgument("ack: truncated generations");
      if (count > kMaxGenerations) return InvalidArgument("ack: too many generations");
      m.generations.resize(count);
      for (size_t i = 0; i < m.generations.size(); ++i) {
        if (!GetGeneration(r, m.generations[i]))
          return InvalidArgument("ack: truncated generation");
        if (i > 0 && m.generations[i].generation >= m.generations[i - 1].generation)
          return InvalidArgument("ack: generations must be distinct, newest first");
      }
      break;
    }
    case MessageType::kNack:
      if (!GetString(r, m.reason, 1024)) return InvalidArgument("nack: bad reason");
      TSS_RETURN_IF_ERROR(GetStrings(r, m.refused, "nack: refused"));
      break;
    case MessageType::kBegin: {
      uint64_t count = 0;
      if (!r.UVarint(count) || count < 2 || count > kMaxParticipants)
        return InvalidArgument("begin: contribution count out of range");
      m.contributions.resize(count);
      for (auto& c : m.contributions)
        if (!r.Raw(c.size(), c.data())) return InvalidArgument("begin: truncated contribution");
      uint8_t has = 0;
      if (!r.U8(has)) return InvalidArgument("begin: truncated generation");
      if (has > 1) return InvalidArgument("begin: bad generation flag");
      if (has && !GetGeneration(r, m.generation.emplace()))
        return InvalidArgument("begin: truncated generation");
      break;
    }
    case MessageType::kStep: {
      ByteSpan p;
      if (!r.U8(m.step.round) || !r.U16(m.step.to)) return InvalidArgument("step: truncated");
      if (m.step.round == 0) return InvalidArgument("step: round 0");
      if (!r.LengthPrefixed(p, kMaxPayload)) return InvalidArgument("step: bad payload");
      m.step.payload.assign(p.begin(), p.end());
      break;
    }
    case MessageType::kResult:
      if (!r.Raw(32, m.signature.r.data()) || !r.Raw(32, m.signature.s.data()) ||
          !r.U8(m.signature.v))
        return InvalidArgument("result: truncated signature");
      if (m.signature.v > 3) return InvalidArgument("result: recovery id out of range");
      break;
    case MessageType::kCommit: {
      uint8_t stage = 0, ask = 0;
      if (!r.U8(stage) || !r.U8(ask)) return InvalidArgument("commit: truncated");
      if (stage < 1 || stage > 4)
        return InvalidArgument("commit: unknown stage " + std::to_string(stage));
      if (ask > 1) return InvalidArgument("commit: bad ask flag");
      m.commit.stage = static_cast<CommitStage>(stage);
      m.commit.ask = ask == 1;
      if (!GetString(r, m.commit.key_id, kMaxEventIdLength) || !r.U32(m.commit.generation) ||
          !r.Raw(m.commit.fingerprint.size(), m.commit.fingerprint.data()))
        return InvalidArgument("commit: truncated");
      if (m.commit.key_id.empty() && m.commit.stage != CommitStage::kAbort &&
          m.commit.stage != CommitStage::kFailed)
        return InvalidArgument("commit: a confirmation needs a key id");
      break;
    }
  }
  if (!r.done()) return InvalidArgument("node message: trailing bytes");
  return m;
}

}  // namespace tss::core
