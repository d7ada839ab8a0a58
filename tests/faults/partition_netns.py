#!/usr/bin/env python3
"""A partitioned validator (issue 12 part 5): expiry, retry, and completion when it heals.

A 3-of-4 cluster of real `tss node` processes (tests/e2e/cluster.py, SQLite, poll 100 ms,
session expiry 3 s), each node in its own network namespace on a private bridge
(tests/faults/netns.py); one node at a time is cut off silently (a blackhole qdisc on both ends
of its veth: why that way is in netns.py). The databases are files on the shared filesystem, so
the `tss` commands run from the root namespace as an operator's would. Cases, in one cluster:

  signer     a signer that is neither the coordinator nor its first backup is cut off while a
             sign session it takes part in is in its rounds (its link is slowed first, so the
             rounds last long enough to cut: the partition falls after it recorded the run and
             before any signature exists). That session must expire and the event be retried
             without it and complete; signs submitted during the partition complete (n − t = 1
             may be down). Healed: its copies of every event end SUCCESS with a signature
             OpenSSL accepts (or FAILED/EXPIRED with a reason), and signs that draw it complete.
  keyrefresh a keyrefresh submitted while a holder is cut off cannot complete (it needs every
             holder). Throughout the partition no node may activate the new generation (polled),
             and a sign still completes on the old one; healed, the refresh completes at every
             node and the key is consistent (same public key, generation + 1 and fingerprint at
             every node, from `tss status --keys`); a sign afterwards verifies.
  coordinator the primary coordinator is cut off: its first backup takes over and signs complete;
             healed, the primary catches up and coordinates again (a sign it coordinates
             completes).
Every signature is checked with OpenSSL (tests/e2e/verify_signature.py) at every node that has
it. Waits have generous bounds and never assert a speed; the figures are printed, one
`partition[...]` line per case: completion during the partition, catch-up after the heal, and
the session expiries and ACK-timeout retries the nodes logged.

Short form (CI, well under 90 s): each case once, the partitions as long as their signs take.
Long form (TSS_FAULTS_LONG=1 or --long): every case at several partition lengths (held past the
network's 10 s send timeout, after which the nodes count the cut-off one unreachable), more signs;
--report FILE rewrites the partition section of FILE (docs/RELIABILITY.md) with the table.

Where namespaces cannot be made (no root, no `ip`/`tc`), prints "partition-netns: skipped: …"
and exits with --skip-code (0 by default; ctest passes 77 and counts it a skip).
Usage: tests/faults/partition_netns.py --tss build/bin/tss [--long] [--only REGEX] [--report FILE]
TSS_KEEP_FAILED=1 keeps the cluster folder (node logs, databases) of a failed run and names it.
"""
import argparse
import datetime
import json
import os
import re
import signal
import sqlite3
import statistics
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from cluster import Cluster, check_signature, outcome_everywhere, rewrite_section, wait_for  # noqa: E402
from netns import Netns  # noqa: E402

N = 4                        # 3-of-4: one node may be cut off and signing goes on
SESSION_EXPIRY = "3s"        # inactivity after which a stalled session expires
COORDINATOR_RANGE = 100000   # blocks per coordinator turn: no turn change within a run
THROTTLE = "400kbit"         # the signer's link while we wait to cut its rounds (~2 s a sign)
BOUND = 120                  # seconds any awaited outcome may take; never a speed assertion
MAX_DRAWS = 12               # signs tried until one draws a given node (each does with p = 3/4)


class Run:
    """One cluster in namespaces, its key, and every event it created."""

    def __init__(self, tss):
        self.net = Netns(N)
        self.cluster = Cluster(tss, N, poll_interval="100ms", session_expiry=SESSION_EXPIRY,
                               retry_delay=1, coordinator_range=COORDINATOR_RANGE)
        self.events = []
        self.seq = 0

    def open(self):
        self.net.open()
        for i, node in enumerate(self.cluster.nodes):
            node.listen_host = self.net.addresses[i]
            node.prefix = self.net.exec_prefix(i)
        self.cluster.start()
        keygen = self.cluster.keygen()
        if keygen.get("status") != "SUCCESS":
            raise AssertionError(f"set-up keygen did not succeed: {keygen}")
        self.events.append(keygen["event_id"])
        self.key_id, self.public_key = keygen["key_id"], keygen["public_key"]
        self.generation = 0

    def close(self, keep=False):
        try:
            self.cluster.stop()
        finally:
            self.net.close()
            if not keep:
                self.cluster.cleanup()

    # -- nodes -----------------------------------------------------------------------------------
    def node(self, address):
        return next(n for n in self.cluster.nodes if n.address == address)

    def index(self, node):
        return self.cluster.nodes.index(node)

    def others(self, node):
        return [n for n in self.cluster.nodes if n is not node]

    def offsets(self):
        return {n.address: n.log_size() for n in self.cluster.nodes}

    def count_logged(self, offsets, text, nodes=None):
        return sum(n.log_since(offsets[n.address]).count(text) for n in nodes or self.cluster.nodes)

    @staticmethod
    def ran(node, event_id):
        """Whether `node` began a protocol run of the event: it records the run id durably
        before its first protocol message (the sign's rounds have started there)."""
        try:
            with sqlite3.connect(os.path.join(node.home, "tss.db"), timeout=5) as conn:
                return conn.execute("SELECT 1 FROM tss_runs WHERE event_id = ?",
                                    (event_id,)).fetchone() is not None
        except sqlite3.Error:
            return False

    # -- events ----------------------------------------------------------------------------------
    def submit_sign(self, tag):
        self.seq += 1
        event_id = self.cluster.run_json("sign", "--key-id", self.key_id, "--message",
                                         f"partition {tag} {self.seq} {time.time()}")["event_id"]
        self.events.append(event_id)
        return event_id

    def verified(self, node, event_id):
        """The event's outcome at `node`: SUCCESS with a signature OpenSSL accepts, or FAILED /
        EXPIRED with a reason; None while it has none. Raises on anything else."""
        status, result, error = node.event_row(event_id)
        if status == "SUCCESS":
            row = json.loads(result)
            if "r" in row:  # a sign's signature (keygen / keyrefresh results carry the key)
                check_signature(dict(row, status="SUCCESS"), self.public_key)
            return status
        if status in ("FAILED", "EXPIRED"):
            if not error:
                raise AssertionError(f"{node.address}: event {event_id} {status} without a reason")
            return status
        return None

    def wait_signed(self, event_id, nodes, started):
        """Seconds from `started` until every one of `nodes` holds the event's verified
        signature."""
        def done():
            outcomes = [self.verified(n, event_id) for n in nodes]
            if any(o in ("FAILED", "EXPIRED") for o in outcomes):
                raise AssertionError(f"event {event_id} ended {outcomes} at {[n.address for n in nodes]}")
            return all(o == "SUCCESS" for o in outcomes)
        wait_for(f"event {event_id} signed at {[n.address for n in nodes]}", done, BOUND,
                 self.cluster)
        return time.monotonic() - started

    def catch_up(self, node, events, started):
        """Seconds from `started` until `node` has an outcome for each of `events` (verified
        as `verified` says), and those outcomes."""
        outcomes = wait_for(f"{node.address} catches up on {len(events)} events",
                            lambda: (lambda o: o if all(o) else None)(
                                [self.verified(node, e) for e in events]), BOUND, self.cluster)
        return time.monotonic() - started, outcomes

    def sign_drawing(self, node, tag):
        """Signs (with `tss sign --wait`) until one of them draws `node` as a signer; each is
        verified. Returns (signs made, seconds the drawing one took)."""
        for made in range(1, MAX_DRAWS + 1):
            started = time.monotonic()
            out = self.cluster.run_json("sign", "--key-id", self.key_id, "--message",
                                        f"partition {tag} draw {made} {time.time()}", "--wait",
                                        "--timeout", f"{BOUND}s", check=False)
            self.events.append(out.get("event_id", "?"))
            check_signature(out, self.public_key)
            if self.ran(node, out["event_id"]):
                return made, time.monotonic() - started
        raise AssertionError(f"no sign drew {node.address} in {MAX_DRAWS} tries")

    def key_consistent(self):
        """Every node's (public key, generation, fingerprint) of the key, the same everywhere;
        raises when they differ or the public key changed."""
        seen = self.cluster.key_views(self.key_id)
        if len(set(seen.values())) != 1 or None in seen.values():
            raise AssertionError(f"key {self.key_id} split: {seen}")
        public_key, generation, fingerprint = next(iter(seen.values()))
        if public_key != self.public_key or not fingerprint:
            raise AssertionError(f"key {self.key_id}: {seen}, expected public key {self.public_key}")
        return generation, fingerprint

    def all_accounted(self):
        """Every event of the run ends at every node, the same everywhere."""
        for event_id in self.events:
            rows = wait_for(f"every node ends event {event_id}",
                            lambda e=event_id: outcome_everywhere(self.cluster, e), BOUND,
                            self.cluster)
            if len({r[0] for r in rows}) != 1:
                raise AssertionError(f"event {event_id} ended differently: {[r[0] for r in rows]}")
            for node in self.cluster.nodes:
                self.verified(node, event_id)


def ms(seconds):
    return f"{seconds * 1000:.0f} ms"


def spread(times):
    return (f"{len(times)} signs, p50 {ms(statistics.median(times))}, max {ms(max(times))}"
            if times else "no signs")


def caught(seconds, outcomes):
    return f"{len(outcomes)} events in {ms(seconds)}: {', '.join(sorted(set(outcomes)))}"


def during(run, victim, hold, signs, tag, check=lambda: None):
    """Signs one event after another while `victim` is cut off, waiting for each at every other
    node, until `signs` are done and `hold` seconds have passed since the cut (run.cut_at);
    `check()` runs after each. Returns the sign times and the events."""
    times, events = [], []
    live = run.others(victim)
    while len(events) < signs or time.monotonic() < run.cut_at + hold:
        started = time.monotonic()
        event_id = run.submit_sign(tag)
        times.append(run.wait_signed(event_id, live, started))
        events.append(event_id)
        check()
    return times, events


def noticed(run, victim, offsets):
    """Seconds from the cut until the last of the other nodes logged `victim` unreachable (its
    liveness view: a silent partition shows only when a send to it times out), or None when
    one of them never did."""
    last = 0.0
    for node in run.others(victim):
        text = node.log_since(offsets[node.address])
        at = text.find(f"validator {victim.address} is unreachable")
        if at < 0:
            return None
        stamp = text[text.rfind("\n", 0, at) + 1:][:23]  # "2026-12-03T16:08:21.193": local time
        last = max(last, datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f").timestamp())
    return last - run.cut_wall


def partition(run, node):
    run.net.partition(run.index(node))
    run.cut_at, run.cut_wall = time.monotonic(), time.time()


def figures(run, victim, offsets):
    """What the other nodes logged since `offsets`: session expiries, ACK timeouts, and when
    they all counted the victim unreachable."""
    live = run.others(victim)
    seen = noticed(run, victim, offsets)
    return dict(expiries=run.count_logged(offsets, "session expired", live),
                retries=run.count_logged(offsets, "acknowledged the setup in time", live),
                noticed="never" if seen is None else f"{seen:.1f} s")


def case_signer(run, hold, signs):
    c = run.cluster
    order = c.failover_order(time.time())
    victim = run.node(order[2])  # neither the primary nor its first backup
    i = run.index(victim)
    live = run.others(victim)
    offsets = run.offsets()
    # Cut the victim while a sign it takes part in is in its rounds: slowed, its rounds last
    # about two seconds; it is cut once it has recorded the run and before any node holds the
    # signature. A sign that does not draw it, or whose rounds end before the cut, is let finish
    # and another one tried.
    cut_event = None
    for attempt in range(MAX_DRAWS):
        run.net.throttle(i, THROTTLE)
        event_id = run.submit_sign("signer cut")
        signed = lambda e=event_id: any(n.event_row(e)[0] == "SUCCESS" for n in c.nodes)
        wait_for(f"{victim.address} begins event {event_id}, or it is signed",
                 lambda: run.ran(victim, event_id) or signed(), BOUND, c)
        if not signed():
            partition(run, victim)
            if not signed():
                cut_event = event_id
                break
        run.net.heal(i)
        run.wait_signed(event_id, c.nodes, time.monotonic())
    if cut_event is None:
        raise AssertionError(f"no sign drew {victim.address} into rounds we could cut")
    # The cut session expires at the live signers, and the event is retried without the victim.
    cut_s = run.wait_signed(cut_event, live, run.cut_at)
    expired = run.count_logged(offsets, f"event {cut_event}: session expired", live)
    if not expired:
        raise AssertionError(f"event {cut_event} completed without a session expiry at "
                             f"{[n.address for n in live]}: the partition missed its rounds")
    attempts = run.count_logged(offsets, f"event {cut_event}: coordinating", live)
    times, events = during(run, victim, hold, signs, "signer")
    seen = figures(run, victim, offsets)
    run.net.heal(i)
    healed = time.monotonic()
    caught_s, outcomes = run.catch_up(victim, [cut_event] + events, healed)
    draws, draw_s = run.sign_drawing(victim, "signer healed")
    return dict(seen, case="signer", node=victim.address, hold=healed - run.cut_at,
                cut=f"{ms(cut_s)} ({attempts} attempts, {expired} expiries)",
                during=spread(times), caught=caught(caught_s, outcomes),
                after=f"drawn in sign {draws}, {ms(draw_s)}")


def case_coordinator(run, hold, signs):
    c = run.cluster
    order = c.failover_order(time.time())
    primary, backup = run.node(order[0]), run.node(order[1])
    offsets = run.offsets()
    partition(run, primary)
    times, events = during(run, primary, hold, signs, "coordinator")
    by_backup = sum(backup.log_since(offsets[backup.address]).count(
        f"event {e}: coordinating SIGN with 3 participants as backup") > 0 for e in events)
    if by_backup != len(events):
        raise AssertionError(f"{backup.address} coordinated {by_backup} of {len(events)} signs "
                             f"while the primary {primary.address} was cut off")
    seen = figures(run, primary, offsets)
    run.net.heal(run.index(primary))
    healed = time.monotonic()
    heal_offset = primary.log_size()
    caught_s, outcomes = run.catch_up(primary, events, healed)
    # The primary resumes: a sign it coordinates (not as a backup) completes everywhere.
    for made in range(1, MAX_DRAWS + 1):
        event_id = run.submit_sign("coordinator healed")
        run.wait_signed(event_id, c.nodes, time.monotonic())
        if f"event {event_id}: coordinating SIGN with 3 participants\n" in primary.log_since(heal_offset):
            break
    else:
        raise AssertionError(f"the primary {primary.address} coordinated none of {MAX_DRAWS} "
                             "signs after the heal")
    return dict(seen, case="coordinator", node=primary.address,
                hold=healed - run.cut_at, cut=f"{by_backup}/{len(events)} by {backup.address}",
                during=spread(times), caught=caught(caught_s, outcomes),
                after=f"primary coordinates from sign {made}, {ms(time.monotonic() - healed)} "
                      "after the heal")


def case_keyrefresh(run, hold, signs):
    c = run.cluster
    order = c.failover_order(time.time())
    victim = run.node(order[2])
    before = run.key_consistent()
    offsets = run.offsets()
    partition(run, victim)
    refresh = c.run_json("keyrefresh", "--key-id", run.key_id)["event_id"]
    run.events.append(refresh)
    polls = 0

    def nobody_refreshed():
        """Throughout the partition the refresh completes nowhere and every node keeps g."""
        nonlocal polls
        if run.key_consistent() != before:
            raise AssertionError(f"generation changed during the partition: {c.key_views(run.key_id)}")
        rows = [n.event_row(refresh)[0] for n in c.nodes]
        if "SUCCESS" in rows:
            raise AssertionError(f"keyrefresh {refresh} succeeded without {victim.address}: {rows}")
        polls += 1

    times, events = during(run, victim, hold, signs, "keyrefresh", nobody_refreshed)
    seen = figures(run, victim, offsets)
    run.net.heal(run.index(victim))
    healed = time.monotonic()
    refreshed_s = run.wait_signed(refresh, c.nodes, healed)
    run.generation += 1
    generation, fingerprint = run.key_consistent()
    if generation != run.generation or fingerprint == before[1]:
        raise AssertionError(f"after the refresh every node has generation {generation}, "
                             f"fingerprint {fingerprint}; expected generation {run.generation} "
                             f"and a fingerprint other than {before[1]}")
    caught_s, outcomes = run.catch_up(victim, events, healed)
    draws, draw_s = run.sign_drawing(victim, "keyrefresh healed")
    return dict(seen, case="keyrefresh", node=victim.address, hold=healed - run.cut_at,
                cut=f"generation {before[0]} kept everywhere ({polls} polls)",
                during=spread(times),
                caught=f"refresh {ms(refreshed_s)}, generation {generation} everywhere "
                       f"({fingerprint[:12]}); {caught(caught_s, outcomes)}",
                after=f"drawn in sign {draws}, {ms(draw_s)}")


def line(r):
    return (f"partition[{r['case']} {r['node']} {r['hold']:.0f} s] cut: {r['cut']}; during: "
            f"{r['during']}; counted unreachable after {r['noticed']}; expiries {r['expiries']}, "
            f"ACK-timeout retries {r['retries']}; "
            f"healed: caught up {r['caught']}; then {r['after']}")


COLUMNS = [("case", lambda r: f"{r['case']} ({r['node']})"),
           ("partition", lambda r: f"{r['hold']:.0f} s"),
           ("during the partition", lambda r: r["cut"]),
           ("signs during it", lambda r: r["during"]),
           ("counted unreachable", lambda r: r["noticed"]),
           ("expiries / retries", lambda r: f"{r['expiries']} / {r['retries']}"),
           ("after the heal", lambda r: r["caught"]),
           ("then", lambda r: r["after"])]


def table(results):
    """Markdown: a row per case; a failed one names its error in place of its figures."""
    out = ["| " + " | ".join(name for name, _ in COLUMNS) + " |", "|---" * len(COLUMNS) + "|"]
    for r in results:
        cells = ([r["case"], f"{r['hold']} s", f"**FAIL**: {r['error'][:120]}"]
                 + [""] * (len(COLUMNS) - 3) if r.get("error") else [f(r) for _, f in COLUMNS])
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def write_report(path, results, elapsed):
    failed = sum(1 for r in results if r.get("error"))
    section = (f"Long form, one run: {len(results)} cases, {len(results) - failed} passed, "
               f"{failed} failed; {elapsed / 60:.0f} min.\n\n{table(results)}\n")
    rewrite_section(path, "partition", section)


CASES = {"signer": case_signer, "coordinator": case_coordinator, "keyrefresh": case_keyrefresh}
# (case, partition held at least this many seconds, signs during it)
SHORT = [("signer", 0, 2), ("keyrefresh", 6, 1), ("coordinator", 0, 2)]
LONG = [(case, hold, 6) for hold in (0, 20, 60) for case in ("signer", "keyrefresh", "coordinator")]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tss", default="build/bin/tss")
    parser.add_argument("--long", action="store_true", default=os.environ.get("TSS_FAULTS_LONG") == "1")
    parser.add_argument("--report", help="rewrite the partition section of this file")
    parser.add_argument("--only", help="run only the cases whose name matches this regex")
    parser.add_argument("--skip-code", type=int, default=0, help="exit code when skipped")
    args = parser.parse_args()
    why_not = Netns.available()
    if why_not:
        print(f"partition-netns: skipped: {why_not} (needs root and iproute2)", flush=True)
        sys.exit(args.skip_code)
    cases = [c for c in (LONG if args.long else SHORT) if re.search(args.only or "", c[0])]
    print(f"partition-netns: {len(cases)} cases ({'long' if args.long else 'short'} form)",
          flush=True)
    # ctest's timeout and an operator's kill send SIGTERM: leave through the finally below, so
    # the nodes stop and our namespaces go (only a SIGKILL can leave them, named tssp<pid>*).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    run = Run(os.path.abspath(args.tss))
    results, failed = [], False
    start = time.monotonic()
    try:
        run.open()
        for case, hold, signs in cases:
            try:
                r = CASES[case](run, hold, signs)
                print(line(r), flush=True)
            except (AssertionError, RuntimeError) as e:
                failed = True
                r = {"case": case, "hold": hold, "error": str(e).splitlines()[0]}
                print(f"partition[{case} {hold} s] FAILED: {e}", flush=True)
            results.append(r)
            if failed:
                break  # the cluster may be left partitioned or split: later cases would not say much
        if not failed:
            run.all_accounted()
            print(f"partition-netns: every event ended the same at every node; key consistent "
                  f"at generation {run.key_consistent()[0]}", flush=True)
    except (AssertionError, RuntimeError) as e:
        failed = True
        print(f"partition-netns: FAILED: {e}", flush=True)
    finally:
        keep = failed and os.environ.get("TSS_KEEP_FAILED")
        run.close(keep=bool(keep))
        if keep:
            print(f"partition-netns: cluster kept in {run.cluster.root}", flush=True)
    elapsed = time.monotonic() - start
    if results:
        print("\n" + table(results), flush=True)
    print(f"\npartition-netns: {'FAILED' if failed else 'passed'}, {elapsed:.0f} s", flush=True)
    if args.report:
        write_report(args.report, results, elapsed)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
