#include "common/crash_point.h"

#include <unistd.h>

#include <array>
#include <cctype>
#include <csignal>
#include <cstdlib>

namespace tss::crash {

namespace {

// Every DKLs23 protocol here runs three rounds (dkls/dkg.h, dkls/sign.h).
constexpr int kRounds = 3;

struct Phase {
  const char* phase;  // "round.sent" expands to round1.sent … round3.sent
  bool keygen, keyrefresh, sign;
  const char* role;
  const char* when;
};

// In the order an event goes through them.
constexpr std::array<Phase, 15> kPhases{{
    {"setup.sent", true, true, true, "coordinator",
     "a participant acknowledged our setup (begin not sent)"},
    {"setup.received", true, true, true, "any",
     "setup accepted: session created, event IN_PROGRESS, our ACK not sent"},
    {"ack.sent", true, true, true, "participant", "the coordinator has our ACK"},
    {"ack.received", true, true, true, "coordinator",
     "an ACK counted (with the last one, begin not yet sent)"},
    {"begin.sent", true, true, true, "coordinator", "a participant has our begin"},
    {"begin.received", true, true, true, "any",
     "begin accepted and the run id recorded durably; the protocol not started"},
    {"round.sent", true, true, true, "any", "a participant has our step of this round"},
    {"round.received", true, true, true, "any",
     "a participant's step of this round accepted, not yet processed"},
    {"pending.stored", true, true, false, "any",
     "the new share saved durably as pending; no confirmation sent"},
    {"confirm.sent", true, true, false, "any", "a holder has our confirmation"},
    {"confirm.received", true, true, false, "any",
     "a holder's confirmation arrived, not yet counted"},
    {"activated", true, true, false, "any",
     "the new generation saved active; event not yet SUCCESS, no holder told"},
    {"result.stored", true, true, true, "any",
     "event SUCCESS recorded (keygen/keyrefresh: after activation; sign: the verified "
     "signature)"},
    {"active.sent", true, true, false, "any", "a holder has our commit{active}"},
    {"result.sent", false, false, true, "any", "a holder has our signature"},
}};

std::vector<Point> BuildPoints() {
  std::vector<Point> points;
  for (const char* protocol : {"keygen", "keyrefresh", "sign"}) {
    const std::string p = protocol;
    bool rounds_done = false;
    for (const Phase& ph : kPhases) {
      if (!(p == "keygen" ? ph.keygen : p == "keyrefresh" ? ph.keyrefresh : ph.sign)) continue;
      if (!std::string_view(ph.phase).starts_with("round.")) {
        points.push_back({p + "." + ph.phase, p, ph.role, ph.when});
        continue;
      }
      // The round rows expand together, round by round: round1.sent, round1.received, …
      if (rounds_done) continue;
      rounds_done = true;
      for (int k = 1; k <= kRounds; ++k)
        for (const Phase& r : kPhases)
          if (std::string_view(r.phase).starts_with("round."))
            points.push_back({p + ".round" + std::to_string(k) + (r.phase + 5), p, r.role, r.when});
    }
  }
  return points;
}

// Written once by ArmFromEnvironment, before any thread reaches a point; read-only after.
std::string armed_name;
long armed_nth = 1;
std::atomic<long> reached{0};

bool SameName(std::string_view protocol, std::string_view phase, int round) {
  // armed_name is "<protocol>.<phase>" with the round spelled in: compare piece by piece, so
  // nothing is allocated on a hit of another point.
  std::string_view name = armed_name;
  if (name.size() <= protocol.size() || name[protocol.size()] != '.') return false;
  for (size_t i = 0; i < protocol.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(protocol[i])) != name[i]) return false;
  name.remove_prefix(protocol.size() + 1);
  if (round == 0) return name == phase;
  // phase "round.sent" against "round2.sent"
  const std::string_view rest = phase.substr(std::string_view("round").size());
  const std::string digits = std::to_string(round);
  return name.starts_with("round") && name.substr(5).starts_with(digits) &&
         name.substr(5 + digits.size()) == rest;
}

}  // namespace

namespace detail {
std::atomic<bool> armed{false};

void Reach(std::string_view protocol, std::string_view phase, int round) {
  if (!SameName(protocol, phase, round)) return;
  if (reached.fetch_add(1) + 1 != armed_nth) return;
  // write(2), not the logger: async-signal-safe, unbuffered, and the only line this writes.
  const std::string line =
      "crash point " + armed_name + " reached (" + std::to_string(armed_nth) + "): SIGKILL\n";
  (void)!write(STDERR_FILENO, line.data(), line.size());
  raise(SIGKILL);
  _exit(137);  // not reached: SIGKILL cannot be caught
}
}  // namespace detail

const std::vector<Point>& Points() {
  static const std::vector<Point> points = BuildPoints();
  return points;
}

Status ArmFromEnvironment() {
  const char* env = std::getenv("TSS_CRASH_AT");
  if (!env || !*env) return Status::Ok();
  std::string spec = env;
  long nth = 1;
  if (auto colon = spec.find(':'); colon != std::string::npos) {
    const std::string count = spec.substr(colon + 1);
    char* end = nullptr;
    nth = std::strtol(count.c_str(), &end, 10);
    if (count.empty() || *end != '\0' || nth < 1)
      return InvalidArgument("TSS_CRASH_AT: the count after ':' must be a number >= 1, not '" +
                             count + "'");
    spec.resize(colon);
  }
  bool known = false;
  for (const Point& p : Points()) known |= p.name == spec;
  if (!known)
    return InvalidArgument("TSS_CRASH_AT: no crash point named '" + spec +
                           "' (`tss crash-points` lists them)");
  armed_name = spec;
  armed_nth = nth;
  reached = 0;
  detail::armed = true;
  return Status::Ok();
}

std::string ArmedPoint() {
  if (!detail::armed) return "";
  return armed_name + ":" + std::to_string(armed_nth);
}

}  // namespace tss::crash
