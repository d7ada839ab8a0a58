#include "core/selection.h"

#include <algorithm>

#include "crypto/hash.h"

namespace tss::core {

int Threshold(int n) {
  return (2 * n) / 3 + 1;
}

size_t CoordinatorIndex(uint64_t block, uint64_t range, size_t n) {
  if (n == 0 || range == 0) return 0;
  return static_cast<size_t>((block / range) % n);
}

std::vector<std::string> CoordinatorOrder(const std::vector<std::string>& sorted_validators,
                                          uint64_t block, uint64_t range) {
  std::vector<std::string> order;
  const size_t n = sorted_validators.size();
  order.reserve(n);
  const size_t primary = CoordinatorIndex(block, range, n);
  for (size_t k = 0; k < n; ++k) order.push_back(sorted_validators[(primary + k) % n]);
  return order;
}

std::optional<size_t> CoordinatorRank(const std::vector<std::string>& order,
                                      const std::string& candidate, uint64_t event_block,
                                      uint64_t block, uint64_t takeover_blocks,
                                      const std::function<bool(const std::string&)>& live) {
  auto it = std::find(order.begin(), order.end(), candidate);
  if (it == order.end()) return std::nullopt;
  const size_t rank = static_cast<size_t>(it - order.begin());
  if (rank == 0) return rank;
  // (b) the window: saturating, so a huge rank or window never wraps into "passed".
  const uint64_t wait = takeover_blocks > UINT64_MAX / rank ? UINT64_MAX : takeover_blocks * rank;
  if (block >= event_block && block - event_block >= wait) return rank;
  // (c) everyone ahead is down in this view.
  for (size_t k = 0; k < rank; ++k)
    if (live(order[k])) return std::nullopt;
  return rank;
}

std::vector<std::string> SelectSignParticipants(const std::vector<std::string>& sorted_validators,
                                                int t, const std::string& event_id,
                                                uint64_t block) {
  std::vector<std::string> pool = sorted_validators;
  crypto::Transcript seed("tss/sign-participants/v1");
  seed.Append("event", event_id);
  seed.Append("block", block);
  size_t want = std::min(pool.size(), static_cast<size_t>(std::max(t, 0)));
  for (size_t i = 0; i < want; ++i) {
    // Uniform index in [i, size) by rejection sampling on 64-bit draws (no modulo bias).
    uint64_t span = pool.size() - i, limit = UINT64_MAX - UINT64_MAX % span, draw;
    do {
      uint8_t b[8];
      seed.ChallengeBytes("draw", b);
      draw = 0;
      for (uint8_t x : b) draw = draw << 8 | x;
    } while (draw >= limit);
    std::swap(pool[i], pool[i + draw % span]);
  }
  pool.resize(want);
  std::sort(pool.begin(), pool.end());
  return pool;
}

Result<std::vector<std::string>> SignersFor(const std::vector<std::string>& key_holders,
                                            const std::vector<std::string>& sorted_validators,
                                            const std::vector<std::string>& excluded, int t,
                                            const std::string& event_id, uint64_t block) {
  std::vector<std::string> eligible;
  for (const auto& p : key_holders)
    if (std::binary_search(sorted_validators.begin(), sorted_validators.end(), p) &&
        std::find(excluded.begin(), excluded.end(), p) == excluded.end())
      eligible.push_back(p);
  std::sort(eligible.begin(), eligible.end());
  if (eligible.size() < static_cast<size_t>(t))
    return InvalidArgument("only " + std::to_string(eligible.size()) +
                           " of the key's holders are registered and not excluded; " +
                           std::to_string(t) + " must sign");
  return SelectSignParticipants(eligible, t, event_id, block);
}

Result<QuorumChangeMembers> QuorumChangeMembersFor(const std::vector<std::string>& key_holders,
                                                   int t_old,
                                                   const std::vector<std::string>& registered,
                                                   std::vector<std::string> leavers) {
  auto holds = [&](const std::string& v) {
    return std::find(key_holders.begin(), key_holders.end(), v) != key_holders.end();
  };
  if (registered.size() < 2)
    return InvalidArgument("a quorum change needs at least 2 registered validators");
  if (registered.size() > NodeMessage::kMaxParticipants)
    return InvalidArgument("too many registered validators");
  std::sort(leavers.begin(), leavers.end());
  QuorumChangeMembers out;
  out.participants = registered;
  for (const auto& v : leavers) {
    if (!holds(v)) return InvalidArgument("leaving " + v + " holds no share of the key");
    if (std::binary_search(registered.begin(), registered.end(), v))
      return InvalidArgument("leaving " + v + " is registered");
    if (!out.participants.empty() && out.participants.back() == v)
      return InvalidArgument("leaving " + v + " twice");
    out.participants.push_back(v);
  }
  for (const auto& v : out.participants) out.dealers += holds(v) ? 1 : 0;
  if (out.dealers < static_cast<size_t>(t_old))
    return InvalidArgument("only " + std::to_string(out.dealers) +
                           " of the key's holders can deal (registered, or leaving and "
                           "reachable); the key's threshold is " +
                           std::to_string(t_old));
  out.new_n = static_cast<uint16_t>(registered.size());
  out.new_t = static_cast<uint16_t>(Threshold(static_cast<int>(registered.size())));
  return out;
}

HolderChange CompareHolders(std::vector<std::string> holders, std::vector<std::string> registered) {
  std::sort(holders.begin(), holders.end());
  std::sort(registered.begin(), registered.end());
  HolderChange change;
  std::set_difference(registered.begin(), registered.end(), holders.begin(), holders.end(),
                      std::back_inserter(change.joining));
  std::set_difference(holders.begin(), holders.end(), registered.begin(), registered.end(),
                      std::back_inserter(change.leaving));
  return change;
}

SessionId DeriveSessionId(const std::string& event_id, const SetupBody& setup) {
  crypto::Transcript t("tss/session-id/v1");
  t.Append("event", event_id);
  t.Append("protocol", static_cast<uint64_t>(setup.protocol));
  t.Append("block", setup.block_number);
  t.Append("nonce", setup.nonce);
  t.Append("threshold", static_cast<uint64_t>(setup.threshold));
  t.Append("participants", static_cast<uint64_t>(setup.participants.size()));
  for (const auto& p : setup.participants) t.Append("participant", p);
  t.Append("key", setup.key_id);
  t.Append("hash", setup.message_hash);
  t.Append("path", setup.chain_path);
  t.Append("excluded", static_cast<uint64_t>(setup.excluded.size()));
  for (const auto& p : setup.excluded) t.Append("excluded-validator", p);
  if (setup.quorum) {
    t.Append("old-holders", static_cast<uint64_t>(setup.quorum->old_holders.size()));
    for (const auto& p : setup.quorum->old_holders) t.Append("old-holder", p);
    t.Append("new-n", static_cast<uint64_t>(setup.quorum->new_n));
    t.Append("key-digest", setup.quorum->key_digest);
  }
  SessionId sid;
  t.ChallengeBytes("sid", sid);
  return sid;
}

}  // namespace tss::core
