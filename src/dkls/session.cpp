#include "dkls/session.h"

#include <algorithm>
#include <string>

namespace tss::dkls {

namespace {
std::string Who(uint16_t party) {
  return "party " + std::to_string(party);
}
}  // namespace

Session::Session(ProtocolKind kind, ByteSpan session_id, uint16_t me, std::vector<uint16_t> parties,
                 int rounds, const std::vector<int>& broadcast_rounds)
    : kind_(kind),
      tag_(SessionTag(kind, session_id)),
      me_(me),
      parties_(std::move(parties)),
      rounds_(rounds),
      broadcast_round_(rounds + 1, false),
      inbox_(rounds + 1, std::vector<std::optional<Bytes>>(parties_.size())) {
  for (int r : broadcast_rounds) broadcast_round_.at(r) = true;
}

Session::~Session() {
  ClearInbox();
}

void Session::ClearInbox() {
  for (auto& round : inbox_)
    for (auto& slot : round) {
      if (slot) Wipe(slot->data(), slot->size());
      slot.reset();
    }
}

size_t Session::PositionOf(uint16_t party) const {
  return std::lower_bound(parties_.begin(), parties_.end(), party) - parties_.begin();
}

Message Session::MakeMessage(uint16_t to, int round, Bytes payload) const {
  Message m;
  m.protocol = kind_;
  m.session = tag_;
  m.from = me_;
  m.to = to;
  m.round = static_cast<uint8_t>(round);
  m.payload = std::move(payload);
  return m;
}

Message Session::Incoming(uint16_t from, uint16_t to, int round, Bytes payload) const {
  Message m = MakeMessage(to, round, std::move(payload));
  m.from = from;
  return m;
}

Status Session::Fail(Status status) {
  if (status_.ok()) {
    status_ = std::move(status);
    ClearInbox();
    Abandon();
  }
  return status_;
}

std::vector<uint16_t> Session::Waiting() const {
  std::vector<uint16_t> out;
  if (done_ || Failed()) return out;
  for (size_t p = 0; p < parties_.size(); ++p)
    if (parties_[p] != me_ && !inbox_[current_][p]) out.push_back(parties_[p]);
  return out;
}

std::vector<Message> Session::Start() {
  if (started_ || Failed()) return {};
  started_ = true;
  auto first = Round1();
  if (!first.ok()) {
    (void)Fail(first.status());
    return {};
  }
  // Peers may already have sent all of round 1.
  auto more = Advance();
  if (!more.ok()) return {};
  first->insert(first->end(), std::make_move_iterator(more->begin()),
                std::make_move_iterator(more->end()));
  return std::move(first).value();
}

Status Session::Check(const Message& m) const {
  const std::string what = std::string(ProtocolKindName(kind_)) + " round " +
                           std::to_string(m.round) + " message from " + Who(m.from);
  if (!std::binary_search(parties_.begin(), parties_.end(), m.from) || m.from == me_)
    return ProtocolAbort(m.from, what + ": sender is not a participant of this session");
  if (m.protocol != kind_)
    return ProtocolAbort(m.from, what + ": belongs to protocol " + ProtocolKindName(m.protocol));
  if (m.session != tag_)
    return ProtocolAbort(m.from, what + ": belongs to another session (replayed?)");
  if (m.round < 1 || m.round > rounds_)
    return ProtocolAbort(m.from, what + ": this protocol has rounds 1.." + std::to_string(rounds_));
  if (broadcast_round_[m.round] ? m.to != kBroadcast : m.to != me_)
    return ProtocolAbort(m.from, what + ": wrongly addressed (to " + std::to_string(m.to) + ")");
  if (m.round < current_ || inbox_[m.round][PositionOf(m.from)])
    return ProtocolAbort(m.from, what + ": duplicate");
  if (m.round > current_ + 1)
    return ProtocolAbort(m.from, what + ": sent before round " + std::to_string(m.round - 1) +
                                     " could have completed");
  return Status::Ok();
}

Result<std::vector<Message>> Session::Handle(const Message& message) {
  if (Failed()) return status_;
  if (done_)
    return ProtocolAbort(message.from, std::string(ProtocolKindName(kind_)) +
                                           " session already finished; message from " +
                                           Who(message.from) + " refused");
  if (Status s = Check(message); !s.ok()) return Fail(std::move(s));
  inbox_[message.round][PositionOf(message.from)] = message.payload;
  if (!started_) return std::vector<Message>{};
  return Advance();
}

Result<std::vector<Message>> Session::Advance() {
  std::vector<Message> out;
  while (!done_) {
    auto& round = inbox_[current_];
    for (size_t p = 0; p < parties_.size(); ++p)
      if (parties_[p] != me_ && !round[p]) return out;
    std::vector<Bytes> in(parties_.size());
    for (size_t p = 0; p < parties_.size(); ++p)
      if (round[p]) in[p] = std::move(*round[p]);
    for (auto& slot : round) slot.reset();
    auto next = Process(current_, in);
    for (Bytes& payload : in) Wipe(payload.data(), payload.size());  // keygen's f_i(j), say
    if (!next.ok()) return Fail(next.status());
    out.insert(out.end(), std::make_move_iterator(next->begin()),
               std::make_move_iterator(next->end()));
    if (current_ == rounds_) {
      done_ = true;
    } else {
      ++current_;
    }
  }
  return out;
}

Result<std::vector<Message>> ThreeRoundSession::Process(int round, std::vector<Bytes>& in) {
  switch (round) {
    case 1:
      return Round2(in);
    case 2:
      return Round3(in);
    default:
      TSS_RETURN_IF_ERROR(Finish(in));
      return std::vector<Message>{};
  }
}

}  // namespace tss::dkls
