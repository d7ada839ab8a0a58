#!/usr/bin/env python3
"""The kill-point matrix (issue 12 part 5): real `tss node` processes killed at exact phases of
keygen, keyrefresh and sign, then restarted; the key must end consistent and able to sign.

A crash point (src/common/crash_point.h, listed by `tss crash-points`) is armed on one node of a
3-of-4 cluster (SQLite, poll 100 ms) by restarting it with TSS_CRASH_AT=<point>. The protocol
runs; the node raises SIGKILL on itself at that point; a moment later it is started again
without the variable. The case then checks, each with a generous bound (never a sleep that has
to be right):
  - the node died by SIGKILL at that very point (its log names it), in the role asked for: the
    event's coordinator, or another participant (the node log says who coordinated);
  - every event created so far ends at every node with the same outcome: SUCCESS, or FAILED /
    EXPIRED with a reason, never left PENDING or IN_PROGRESS;
  - the key is consistent: every node's `tss status --keys` row shows the same public key,
    generation and fingerprint, and the generation is the one the outcome implies;
  - a following `tss sign --wait` succeeds and OpenSSL verifies the signature (and for a sign
    case, the killed event's signature verifies at every node).
A point that some event does not reach (a sign whose drawn signers leave the armed node out)
just gets another event, up to a bound.

One cluster serves every case of a protocol while the cases pass (a failed case starts a new
one). Short form (CI): a representative subset of cases. Long form (TSS_FAULTS_LONG=1 or
--long): every point in every role it has. Prints one line per case and a table at the end;
--report FILE rewrites the kill-matrix section of FILE (docs/RELIABILITY.md) with the table.

Usage: tests/e2e/kill_matrix.py --tss build/bin/tss [--long] [--only REGEX] [--report FILE]
TSS_KEEP_FAILED=1 keeps a failed case's cluster folder (node logs, databases) and names it.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from cluster import (TERMINAL, CaseFailure, Cluster, check_accounted, check_keys,  # noqa: E402
                     check_signature, crash_points, outcome_everywhere, rewrite_section,
                     wait_for)
from verify_signature import verify  # noqa: E402

N = 4
COORDINATOR_RANGE = 100000  # blocks per coordinator turn: no turn change within a case
SESSION_EXPIRY = "4s"       # how long a run waits for a dead party before it is retried
RESTART_DELAY = 0.5         # seconds between the crash and the restart
MAX_EVENTS = 8              # events tried per case before a point counts as never reached
EVENT_BOUND = 180           # seconds an event may take to end everywhere after the restart

# The short form: one case per kind of phase, both roles, all three protocols.
SHORT = [
    ("keygen.round2.sent", "participant"),
    ("keygen.pending.stored", "coordinator"),
    ("keygen.confirm.sent", "participant"),
    ("keyrefresh.begin.sent", "coordinator"),
    ("keyrefresh.round3.received", "participant"),
    ("keyrefresh.activated", "coordinator"),
    ("sign.ack.received", "coordinator"),
    ("sign.round2.received", "participant"),
    ("sign.result.stored", "participant"),
]



def all_cases(points):
    cases = []
    for p in points:
        roles = {"coordinator": ["coordinator"], "participant": ["participant"],
                 "any": ["coordinator", "participant"]}[p["role"]]
        cases += [(p["name"], p["protocol"], role) for role in roles]
    return cases


def primary(cluster):
    """The coordinator at this block: the seed's (block / range) % n over sorted addresses."""
    ordered = sorted(n.address for n in cluster.nodes)
    return ordered[(int(time.time()) // cluster.coordinator_range) % len(ordered)]


class Group:
    """One cluster and the key its cases work on."""

    def __init__(self, tss, protocol):
        self.tss = tss
        self.protocol = protocol
        self.cluster = None
        self.events = []  # every event this cluster ran, checked terminal after each case

    def ensure(self):
        if self.cluster:
            return
        self.cluster = Cluster(self.tss, N, poll_interval="100ms", session_expiry=SESSION_EXPIRY,
                               retry_delay=1, coordinator_range=COORDINATOR_RANGE)
        self.cluster.start()
        self.events = []
        keygen = self.cluster.keygen()
        if keygen.get("status") != "SUCCESS":
            raise CaseFailure(f"set-up keygen did not succeed: {keygen}")
        self.events.append(keygen["event_id"])
        self.key_id, self.public_key = keygen["key_id"], keygen["public_key"]
        self.generation = 0

    def discard(self):
        if self.cluster:
            self.cluster.cleanup()
        self.cluster = None

    def create(self, i):
        c = self.cluster
        if self.protocol == "keygen":
            out = c.run_json("keygen")
        elif self.protocol == "keyrefresh":
            out = c.run_json("keyrefresh", "--key-id", self.key_id)
        else:
            out = c.run_json("sign", "--key-id", self.key_id, "--message",
                             f"kill matrix {i} {time.time()}")
        self.events.append(out["event_id"])
        return out["event_id"]


def run_case(group, point, protocol, role, index):
    # A case must not straddle a coordinator turn boundary (the role would change under it).
    while int(time.time()) % COORDINATOR_RANGE > COORDINATOR_RANGE - 300:
        time.sleep(5)
    group.ensure()
    c = group.cluster
    coordinator = primary(c)
    others = sorted(n.address for n in c.nodes if n.address != coordinator)
    address = coordinator if role == "coordinator" else others[index % len(others)]
    target = next(n for n in c.nodes if n.address == address)
    peers = [n for n in c.nodes if n is not target]
    offsets = {n.address: n.log_size() for n in c.nodes}
    offset = offsets[address]
    # Restarted armed, and counted live again by every peer (the node logs each change of its
    # liveness view): a primary its peers count unreachable is bypassed by its backups, and the
    # case would not be about the role it names.
    target.stop()
    gone = f"validator {address} is unreachable"
    for n in peers:
        wait_for(f"{n.address} sees {address} stop",
                 lambda n=n: gone in n.log_since(offsets[n.address]), 30, c)
    target.start({"TSS_CRASH_AT": point})
    wait_for(f"{address} restarted armed", lambda: re.search(
        r"node \S+ started", target.log_since(offset)), 30, c)
    back = f"validator {address} is reachable again"
    for n in peers:
        wait_for(f"{n.address} sees {address} back", lambda n=n: back in n.log_since(
            offsets[n.address]).split(gone, 1)[1], 30, c)

    first_event = len(group.events)
    crashed_event = None
    for i in range(MAX_EVENTS):
        event_id = group.create(i)
        status = wait_for(f"event {event_id} ends or {address} dies at {point}",
                          lambda: "died" if not target.alive()
                          else outcome_everywhere(c, event_id),
                          EVENT_BOUND, c)
        if status != "died":
            # A point right after the event's end (result stored, active sent) races our poll.
            try:
                target.proc.wait(timeout=3)
                status = "died"
            except subprocess.TimeoutExpired:
                pass
        if status == "died":
            crashed_event = event_id
            break
        if protocol != "sign":  # every holder takes part in keygen and keyrefresh
            raise CaseFailure(f"{point} not reached by {address} in event {event_id}: {status}")
    if crashed_event is None:
        raise CaseFailure(f"{point} not reached by {address} in {MAX_EVENTS} events")
    crashed_at = time.monotonic()
    code = target.proc.wait()
    log = target.log_since(offset)
    if code != -9 or f"crash point {point} reached" not in log:
        raise CaseFailure(f"{address} exited {code}, not at {point}:\n{target.log_tail()}")
    coordinated = f"event {crashed_event}: coordinating" in log
    actual_role = "coordinator" if coordinated else "participant"
    if actual_role != role:
        raise CaseFailure(f"{address} was the {actual_role} of event {crashed_event}, not the {role}")

    time.sleep(RESTART_DELAY)  # the operator's "a moment later"; nothing waits on it being right
    target.start()
    rows = check_accounted(c, crashed_event, EVENT_BOUND)
    recovered_s = time.monotonic() - crashed_at
    outcome = rows[0][0]
    # Every other event of this cluster ended too, the same everywhere.
    for event_id in group.events:
        check_accounted(c, event_id, EVENT_BOUND)

    if protocol == "keygen" and outcome == "SUCCESS":
        result = json.loads(rows[0][1])
        group.key_id, group.public_key, group.generation = result["key_id"], result["public_key"], 0
    elif protocol == "keyrefresh" and outcome == "SUCCESS":
        group.generation += 1
    elif protocol == "sign" and outcome == "SUCCESS":
        for node, r in zip(c.nodes, rows):
            result = json.loads(r[1])
            if not verify(group.public_key, result["message_hash"], result["r"], result["s"]):
                raise CaseFailure(f"{node.address}: OpenSSL rejects the signature of {crashed_event}")
    generation, fingerprint = check_keys(c, group.key_id, group.public_key, group.generation)

    started = time.monotonic()
    signed = c.run_json("sign", "--key-id", group.key_id, "--message", f"after {point}",
                        "--wait", "--timeout", f"{EVENT_BOUND}s", check=False)
    group.events.append(signed.get("event_id", "?"))
    check_signature(signed, group.public_key)
    sign_ms = (time.monotonic() - started) * 1000
    return {"point": point, "role": role, "protocol": protocol, "node": address,
            "events": len(group.events) - first_event - 1, "outcome": outcome,
            "recovered_s": recovered_s, "sign_ms": sign_ms, "generation": generation,
            "fingerprint": fingerprint[:12]}


def table(results):
    lines = ["| point | role | outcome | recovered | events | then signed |",
             "|---|---|---|---|---|---|"]
    for r in results:
        if r.get("error"):
            lines.append(f"| `{r['point']}` | {r['role']} | **FAIL**: {r['error'][:120]} | — | — | — |")
        else:
            lines.append(f"| `{r['point']}` | {r['role']} | {r['outcome']}, key consistent "
                         f"(gen {r['generation']}) | {r['recovered_s']:.1f} s | {r['events']} | "
                         f"{r['sign_ms']:.0f} ms, verified |")
    return "\n".join(lines)


def write_report(path, results, points, elapsed, long_form):
    passed = [r for r in results if not r.get("error")]
    distinct = {r["point"] for r in passed}
    recovered = sorted(r["recovered_s"] for r in passed)
    summary = (
        f"{'Long' if long_form else 'Short'} form, one run: {len(results)} cases "
        f"({len({r['point'] for r in results})} distinct points of {len(points)}, "
        f"{sum(1 for r in results if r['role'] == 'coordinator')} with the coordinator killed), "
        f"{len(passed)} passed, {len(results) - len(passed)} failed; {len(distinct)} distinct "
        f"points ended consistent and able to sign. Recovery (crash to the event's end at every "
        f"node) median {recovered[len(recovered) // 2]:.1f} s, slowest {recovered[-1]:.1f} s"
        if recovered else "no case passed")
    section = (f"{summary}; the whole run took {elapsed / 60:.0f} min.\n\n{table(results)}\n")
    rewrite_section(path, "kill-matrix", section)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tss", default="build/bin/tss")
    parser.add_argument("--long", action="store_true", default=os.environ.get("TSS_FAULTS_LONG") == "1")
    parser.add_argument("--only", help="run only the cases whose point matches this regex")
    parser.add_argument("--report", help="rewrite the kill-matrix section of this file")
    args = parser.parse_args()
    tss = os.path.abspath(args.tss)
    points = crash_points(tss)
    cases = all_cases(points)
    if not args.long:
        short = set(SHORT)
        cases = [c for c in cases if (c[0], c[2]) in short]
        if len(cases) != len(SHORT):
            raise SystemExit(f"short form names a case that is not in `tss crash-points`: {SHORT}")
    if args.only:
        cases = [c for c in cases if re.search(args.only, c[0])]
    print(f"kill-matrix: {len(cases)} cases ({len(points)} points; "
          f"{'long' if args.long else 'short'} form)", flush=True)
    groups = {}
    results = []
    start = time.monotonic()
    try:
        for index, (point, protocol, role) in enumerate(cases):
            group = groups.setdefault(protocol, Group(tss, protocol))
            case_start = time.monotonic()
            try:
                r = run_case(group, point, protocol, role, index)
                print(f"kill-matrix[{point} {role}] {r['outcome']} on every node, recovered in "
                      f"{r['recovered_s']:.1f} s, key consistent (generation {r['generation']}, "
                      f"{r['fingerprint']}), then signed in {r['sign_ms']:.0f} ms "
                      f"({time.monotonic() - case_start:.0f} s)", flush=True)
            except (AssertionError, RuntimeError, subprocess.TimeoutExpired, KeyError) as e:
                r = {"point": point, "role": role, "protocol": protocol,
                     "error": str(e).splitlines()[0] if str(e) else type(e).__name__}
                print(f"kill-matrix[{point} {role}] FAILED: {e}", flush=True)
                keep = os.environ.get("TSS_KEEP_FAILED")
                if keep and group.cluster:
                    print(f"kill-matrix: cluster kept in {group.cluster.root}", flush=True)
                    group.cluster.stop()
                    group.cluster = None
                group.discard()  # the next case starts from a fresh cluster
            results.append(r)
    finally:
        for g in groups.values():
            g.discard()
    elapsed = time.monotonic() - start
    print("\n" + table(results), flush=True)
    failed = [r for r in results if r.get("error")]
    print(f"\nkill-matrix: {len(results) - len(failed)}/{len(results)} cases passed, "
          f"{len({r['point'] for r in results if not r.get('error')})} distinct points, "
          f"{elapsed:.0f} s", flush=True)
    if args.report:
        write_report(args.report, results, points, elapsed, args.long)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
