// common/crash_point.h — named points at which a node kills itself, for the kill-point fault
// suite (tests/e2e/kill_matrix.py, issue 12 part 5).
//
// Why it exists: a SIGKILL sent from outside lands wherever the process happens to be, so a
// test that wants "the coordinator dies right after its begin reached a participant" or "a
// holder dies with its new share stored pending and no confirmation sent" cannot aim. Each
// phase of keygen, keyrefresh and sign has a named point here; `TSS_CRASH_AT=<point>[:<nth>]`,
// read once when `tss node` starts, arms one of them, and the nth time the node reaches it the
// process raises SIGKILL on itself: a real crash (no destructors, no flush, nothing written
// after it), at an exact place. Before dying it writes one line to stderr naming the point,
// nothing else (no event data, no key material).
//
// Owns: the table of points (Points(), what `tss crash-points` prints and the matrix test
// enumerates), arming from the environment, counting and killing. Must not touch: anything a
// point is about — call sites pass the protocol's name and the phase.
//
// Cost when unarmed (every production run): one relaxed atomic load and a branch per call
// site; Reach() is never called.
//
// Point names: `<protocol>.<phase>`, protocol `keygen`, `keyrefresh` or `sign`, phase from the
// table (`round<k>.sent` / `round<k>.received` for the protocol rounds). "sent" means the
// recipient's node acknowledged the message (libp2p's send completion; what a node sends itself,
// as the coordinator its own setup, reaches no "sent" point), "received" that the message passed
// the node's checks and is about to be acted on.
#pragma once

#include <atomic>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tss::crash {

struct Point {
  std::string name;      // e.g. "keyrefresh.round2.sent"
  std::string protocol;  // keygen, keyrefresh or sign
  // "coordinator": only the event's coordinator reaches it; "participant": only the other
  // participants do; "any": every participant does, the coordinator's own session included.
  std::string role;
  std::string when;  // what has happened when it is reached
};

// Every point, in protocol then phase order.
const std::vector<Point>& Points();

namespace detail {
extern std::atomic<bool> armed;
void Reach(std::string_view protocol, std::string_view phase, int round);
}  // namespace detail

// Arms the point named by $TSS_CRASH_AT (unset or empty: stays unarmed). Fails on a name that
// is not in Points() or a bad count, so a typo in a test cannot pass for a point never reached.
// Call once, before any thread that reaches points starts.
Status ArmFromEnvironment();
// The armed point's name, empty when unarmed (for the node's start-up log line).
std::string ArmedPoint();

inline bool Armed() {
  return detail::armed.load(std::memory_order_relaxed);
}

// Reached by the node at `phase` ("setup.sent", "round.received", …: see Points()) of a
// `protocol` session (its name in any case: "KEYGEN" or "keygen"); `round` is the protocol
// round for the round phases, 0 otherwise. Any thread.
inline void At(std::string_view protocol, std::string_view phase, int round = 0) {
  if (Armed()) detail::Reach(protocol, phase, round);
}

}  // namespace tss::crash
