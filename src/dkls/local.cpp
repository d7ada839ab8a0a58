#include "dkls/local.h"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <string>

namespace tss::dkls {

Status RunLocal(std::span<Session* const> sessions, Traffic* traffic,
                const Interceptor& intercept) {
  std::deque<Message> queue;
  auto enqueue = [&](std::vector<Message>&& msgs) {
    for (Message& m : msgs) {
      std::vector<Message> extra;
      if (intercept && !intercept(m, extra)) {
        for (Message& e : extra) queue.push_back(std::move(e));
        continue;
      }
      queue.push_back(std::move(m));
      for (Message& e : extra) queue.push_back(std::move(e));
    }
  };
  for (Session* s : sessions) enqueue(s->Start());

  while (!queue.empty()) {
    Message m = std::move(queue.front());
    queue.pop_front();
    Bytes wire = m.Encode();
    if (traffic) {
      traffic->messages++;
      traffic->bytes += wire.size();
    }
    auto decoded = Message::Decode(wire);
    Wipe(wire.data(), wire.size());  // as a transport should, once delivered
    if (!decoded.ok()) return decoded.status();
    for (Session* s : sessions) {
      if (s->me() == m.from || (m.to != kBroadcast && m.to != s->me())) continue;
      // A failed session keeps failing; the others go on, as they would on separate machines.
      auto out = s->Handle(*decoded);
      if (out.ok()) enqueue(std::move(out).value());
    }
  }
  for (Session* s : sessions)
    if (s->Failed()) return s->status();
  for (Session* s : sessions) {
    if (!s->Done()) {
      std::string who;
      for (uint16_t p : s->Waiting()) who += " " + std::to_string(p);
      return Status(ErrorCode::kTimeout,
                    "party " + std::to_string(s->me()) + " is still waiting for parties" + who);
    }
  }
  return Status::Ok();
}

namespace {

template <typename S>
std::vector<Session*> Pointers(std::vector<std::unique_ptr<S>>& sessions) {
  std::vector<Session*> out;
  out.reserve(sessions.size());
  for (auto& s : sessions) out.push_back(s.get());
  return out;
}

Result<std::vector<KeyShare>> Collect(std::vector<std::unique_ptr<DkgSession>>& sessions) {
  std::vector<KeyShare> out;
  for (auto& s : sessions) {
    TSS_ASSIGN_OR_RETURN(KeyShare k, s->TakeShare());
    out.push_back(std::move(k));
  }
  return out;
}

}  // namespace

Result<std::vector<KeyShare>> LocalKeygen(uint16_t n, uint16_t t, ByteSpan session_id,
                                          crypto::Rng& rng, Traffic* traffic) {
  std::vector<std::unique_ptr<DkgSession>> sessions;
  for (uint16_t i = 1; i <= n; ++i) {
    TSS_ASSIGN_OR_RETURN(auto s, KeygenSession::Create(n, t, i, session_id, rng));
    sessions.push_back(std::move(s));
  }
  auto ptrs = Pointers(sessions);
  TSS_RETURN_IF_ERROR(RunLocal(ptrs, traffic));
  return Collect(sessions);
}

Result<std::vector<KeyShare>> LocalKeyrefresh(std::span<const KeyShare> shares, ByteSpan session_id,
                                              crypto::Rng& rng, Traffic* traffic) {
  std::vector<std::unique_ptr<DkgSession>> sessions;
  for (const KeyShare& k : shares) {
    TSS_ASSIGN_OR_RETURN(auto s, KeyrefreshSession::Create(k, session_id, rng));
    sessions.push_back(std::move(s));
  }
  auto ptrs = Pointers(sessions);
  TSS_RETURN_IF_ERROR(RunLocal(ptrs, traffic));
  return Collect(sessions);
}

Result<Signature> LocalSign(std::span<const KeyShare* const> shares, ByteSpan message_hash,
                            ByteSpan session_id, crypto::Rng& rng, Traffic* traffic,
                            const crypto::Scalar& tweak) {
  std::vector<uint16_t> signers;
  for (const KeyShare* k : shares) signers.push_back(k->index);
  std::vector<std::unique_ptr<SignSession>> sessions;
  for (const KeyShare* k : shares) {
    TSS_ASSIGN_OR_RETURN(auto s,
                         SignSession::Create(*k, signers, message_hash, session_id, rng, tweak));
    sessions.push_back(std::move(s));
  }
  auto ptrs = Pointers(sessions);
  TSS_RETURN_IF_ERROR(RunLocal(ptrs, traffic));
  // Every signer verified its own output; they must also agree.
  const Signature& first = *sessions.front()->signature();
  for (auto& s : sessions) {
    const Signature& sig = *s->signature();
    if (sig.r != first.r || sig.s != first.s || sig.recovery_id != first.recovery_id)
      return InternalError("signers finished with different signatures");
  }
  return first;
}

Result<QuorumChangePlan> PlanQuorumChange(std::span<const QuorumChangeDealer> dealers,
                                          uint16_t new_n, uint16_t new_t) {
  QuorumChangePlan plan;
  plan.new_n = new_n;
  plan.new_t = new_t;
  plan.members.resize(new_n);
  for (uint16_t i = 1; i <= new_n; ++i) plan.members[i - 1].party = i;
  uint16_t next_leaver = new_n;
  std::vector<QuorumChangePlan::Member> leavers;
  for (const QuorumChangeDealer& d : dealers) {
    if (d.old_share == nullptr) return InvalidArgument("quorum change: a dealer without a share");
    if (!d.new_index) {
      if (next_leaver == kMaxParties) return InvalidArgument("quorum change: too many members");
      leavers.push_back({++next_leaver, d.old_share->index});
      continue;
    }
    if (*d.new_index < 1 || *d.new_index > new_n || plan.members[*d.new_index - 1].old_index != 0)
      return InvalidArgument("quorum change: new index " + std::to_string(*d.new_index) +
                             " outside 1..new n or given twice");
    plan.members[*d.new_index - 1].old_index = d.old_share->index;
  }
  plan.members.insert(plan.members.end(), leavers.begin(), leavers.end());
  return plan;
}

Result<std::vector<KeyShare>> LocalQuorumChange(std::span<const QuorumChangeDealer> dealers,
                                                uint16_t new_n, uint16_t new_t, ByteSpan session_id,
                                                crypto::Rng& rng, Traffic* traffic) {
  TSS_ASSIGN_OR_RETURN(QuorumChangePlan plan, PlanQuorumChange(dealers, new_n, new_t));
  std::vector<std::unique_ptr<QuorumChangeSession>> sessions;
  for (const auto& member : plan.members) {
    const KeyShare* old = nullptr;
    for (const QuorumChangeDealer& d : dealers)
      if (member.old_index != 0 && d.old_share->index == member.old_index) old = d.old_share;
    TSS_ASSIGN_OR_RETURN(
        auto s, QuorumChangeSession::Create(plan, member.party, old,
                                            dealers.front().old_share->key_id, session_id, rng));
    sessions.push_back(std::move(s));
  }
  auto ptrs = Pointers(sessions);
  TSS_RETURN_IF_ERROR(RunLocal(ptrs, traffic));
  std::vector<KeyShare> out;
  for (auto& s : sessions) {
    if (!s->holds_new_share()) continue;
    TSS_ASSIGN_OR_RETURN(KeyShare k, s->TakeShare());
    out.push_back(std::move(k));
  }
  return out;
}

namespace {
// Uniform in [0, bound) by rejection, so no index is favoured.
uint32_t UniformBelow(crypto::Rng& rng, uint32_t bound) {
  const uint32_t limit = UINT32_MAX - UINT32_MAX % bound;
  for (;;) {
    uint32_t v = 0;
    rng.Fill({reinterpret_cast<uint8_t*>(&v), sizeof v});
    if (v < limit) return v % bound;
  }
}
}  // namespace

std::vector<uint16_t> RandomSigners(uint16_t n, uint16_t t, crypto::Rng& rng) {
  std::vector<uint16_t> all(n);
  for (uint16_t i = 0; i < n; ++i) all[i] = static_cast<uint16_t>(i + 1);
  for (uint16_t i = 0; i < t; ++i)  // partial Fisher–Yates
    std::swap(all[i], all[i + UniformBelow(rng, static_cast<uint32_t>(n - i))]);
  all.resize(t);
  std::sort(all.begin(), all.end());
  return all;
}

}  // namespace tss::dkls
