#!/usr/bin/env python3
"""Storage and shutdown faults on real `tss node` processes (issue 12 part 5).

Each case runs a 3-of-4 cluster (tests/e2e/cluster.py: libp2p on loopback, poll 100 ms, session
expiry 4 s), makes a key, injects one fault and passes only if, afterwards:
  - every event is accounted for at every node: the same outcome everywhere, SUCCESS, or FAILED /
    EXPIRED with a reason (an event the `tss` command could not create in a node's database —
    it says so — is that node's to skip);
  - every node's `tss status --keys` row of the key shows the same public key, active generation
    and fingerprint, the generation the refreshes that succeeded imply;
  - a following `tss sign --wait` returns a signature that OpenSSL verifies.
The cases:
  sqlite-locked   another process holds `BEGIN EXCLUSIVE` on one node's SQLite database for longer
                  than the node's busy timeout (10 s) while signs are submitted and run: the node
                  stays up, logs "database is locked", and catches up once the lock is released.
  postgres-restart  a cluster on a real PostgreSQL server (tests/e2e/postgres.py); the server is
                  stopped (fast shutdown) while signs are in flight and started again a few
                  seconds later on the same data folder and port; the nodes, never restarted,
                  reconnect and every event completes.
  disk-full       one node's key-share folder (<home>/keyshares) on a small tmpfs, filled up; a
                  keyrefresh must fail there with a clear error naming ENOSPC, leave the old share
                  file byte for byte, keep generation g active at every holder (none activates
                  g+1 alone) and the key signing; once space is freed a keyrefresh completes.
                  Needs mount rights (root): skipped, saying so, where `mount` is refused.
  sigterm-refresh, sigterm-sign  SIGTERM to a participant while a keyrefresh / a sign is in its
                  rounds; the node must exit cleanly (status 0), and, restarted on the same home,
                  end consistent and signing.
Short form (CI): a few signs per case. Long form (TSS_FAULTS_LONG=1 or --long): more events, each
case repeated, the locked node also the coordinator. Prints one `storage-faults[...]` line of
figures per case (recovery time, events, errors the faulted node logged); --report FILE rewrites
the storage-faults section of FILE (docs/RELIABILITY.md) with them.

Usage: tests/faults/storage_faults.py --tss build/bin/tss [--long] [--only REGEX] [--report FILE]
TSS_KEEP_CLUSTER=1 keeps each case's cluster folder (node logs, databases) and names it.
"""
import argparse
import concurrent.futures
import errno
import hashlib
import json
import os
import re
from collections import Counter
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from cluster import (TERMINAL, CaseFailure, Cluster, check_accounted, check_keys,  # noqa: E402
                     check_signature, key_views, rewrite_section)
from postgres import PostgresServer  # noqa: E402

N = 4
COORDINATOR_RANGE = 100000  # blocks per coordinator turn: no turn change within a case
SESSION_EXPIRY = "4s"
BUSY_TIMEOUT_S = 10         # the nodes' SQLite busy timeout (eventstore/sqlite.cpp)
LOCK_S = BUSY_TIMEOUT_S + 4  # how long the other process holds the lock
PG_DOWN_S = 3               # how long the PostgreSQL server stays down
EVENT_BOUND = 120           # seconds an event may take to end everywhere after a fault


class Skip(Exception):
    """The machine cannot inject this fault (no rights); the case says so and is not failed."""


class Case:
    """One cluster with a key; the events it ran and where each was created."""

    def __init__(self, tss, db_urls=None):
        # A case must not straddle a coordinator turn boundary (the roles would change under it).
        while int(time.time()) % COORDINATOR_RANGE > COORDINATOR_RANGE - 300:
            time.sleep(5)
        self.cluster = Cluster(tss, N, db_urls=db_urls, poll_interval="100ms",
                               session_expiry=SESSION_EXPIRY, retry_delay=1,
                               coordinator_range=COORDINATOR_RANGE)
        self.events = {}  # event id -> the nodes whose database holds it
        self.kinds = {}   # event id -> protocol
        self.cluster.start()
        keygen = self.cluster.keygen()
        if keygen.get("status") != "SUCCESS":
            raise CaseFailure(f"set-up keygen did not succeed: {keygen}")
        self.add(keygen["event_id"], "keygen")
        self.key_id, self.public_key, self.generation = keygen["key_id"], keygen["public_key"], 0

    def add(self, event_id, protocol, nodes=None):
        self.events[event_id] = nodes if nodes is not None else list(self.cluster.nodes)
        self.kinds[event_id] = protocol

    def node(self, rank):
        """The node at `rank` of this block's failover order (0: the primary coordinator)."""
        address = self.cluster.failover_order(time.time())[rank]
        return next(n for n in self.cluster.nodes if n.address == address)

    def submit(self, protocol, label=""):
        """Creates an event (no --wait) and returns its id and the nodes whose database the
        command could not create it in (it warns about each on stderr)."""
        args = ["keyrefresh", "--key-id", self.key_id] if protocol == "keyrefresh" else \
            ["sign", "--key-id", self.key_id, "--message", f"storage faults {label} {time.time()}"]
        proc = self.cluster.run(*args, "--json")
        event_id = json.loads(proc.stdout)["event_id"]
        missing = set(re.findall(r"event not created in (\S+)'s database", proc.stderr))
        self.add(event_id, protocol, [n for n in self.cluster.nodes if n.address not in missing])
        return event_id, missing

    def submit_many(self, protocol, count, label):
        """`count` events submitted at once, by parallel commands."""
        with concurrent.futures.ThreadPoolExecutor(count) as pool:
            return list(pool.map(lambda i: self.submit(protocol, f"{label} {i}"), range(count)))

    def accounted(self, bound=EVENT_BOUND):
        """Every event ended at every node that holds it, the same way; returns the outcomes,
        and sets the generation the successful refreshes imply."""
        outcomes = {e: check_accounted(self.cluster, e, bound, nodes)[0][0]
                    for e, nodes in self.events.items()}
        self.generation = sum(1 for e, o in outcomes.items()
                              if o == "SUCCESS" and self.kinds[e] == "keyrefresh")
        return outcomes

    def check_key(self):
        return check_keys(self.cluster, self.key_id, self.public_key, self.generation)

    def sign_verified(self, label):
        """A `tss sign --wait` whose signature OpenSSL verifies; returns its time in ms."""
        started = time.monotonic()
        signed = self.cluster.run_json("sign", "--key-id", self.key_id, "--message",
                                       f"after {label} {time.time()}", "--wait", "--timeout",
                                       f"{EVENT_BOUND}s", check=False)
        if "event_id" in signed:
            self.add(signed["event_id"], "sign")
        check_signature(signed, self.public_key)
        return (time.monotonic() - started) * 1000

    def finish(self, label):
        """The checks every case ends with; returns (outcomes, generation, sign ms)."""
        outcomes = self.accounted()
        generation, _ = self.check_key()
        sign_ms = self.sign_verified(label)
        return outcomes, generation, sign_ms

    def figures(self, outcomes, recovered_s, sign_ms, generation, notes):
        return {"events": len(outcomes), "success": list(outcomes.values()).count("SUCCESS"),
                "recovered_s": recovered_s, "sign_ms": sign_ms, "generation": generation,
                "notes": notes}

    def cleanup(self):
        if os.environ.get("TSS_KEEP_CLUSTER"):  # for reading the node logs after a run
            self.cluster.stop()
            print(f"storage-faults: cluster kept in {self.cluster.root}", flush=True)
            return
        self.cluster.cleanup()


def count_lines(text, pattern):
    return sum(1 for line in text.splitlines() if re.search(pattern, line))


def require_alive(case, nodes, when):
    for n in nodes:
        if not n.alive():
            raise CaseFailure(f"{n.address} exited ({n.proc.returncode}) {when}:\n{n.log_tail()}")


# ---- sqlite-locked ------------------------------------------------------------------------------
LOCKER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], timeout=60, isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
"""


def sqlite_locked(tss, long_form, rank):
    signs = 6 if long_form else 2
    case = Case(tss)
    try:
        c = case.cluster
        x = case.node(rank)
        offset = x.log_size()
        # Signs in flight as the lock begins, and more submitted while it is held.
        for i in range(signs):
            case.submit("sign", f"before lock {i}")
        locker = subprocess.Popen([sys.executable, "-c", LOCKER, os.path.join(x.home, "tss.db")],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            if locker.stdout.readline().strip() != "locked":
                raise CaseFailure("the locking process did not get the lock")
            locked_at = time.monotonic()
            during = case.submit_many("sign", signs, "during lock")
            not_created = sum(1 for _, missing in during if x.address in missing)
            # Hold it past the busy timeout (the node's writes give up in between).
            while time.monotonic() < locked_at + LOCK_S:
                require_alive(case, [x], "while its database was locked")
                time.sleep(0.2)
        finally:
            locker.stdin.close()
            locker.wait(timeout=30)
        released_at = time.monotonic()
        unfinished = sum(1 for e, nodes in case.events.items()
                         if x in nodes and x.event_row(e)[0] not in TERMINAL)
        log = x.log_since(offset)
        locked_errors = count_lines(log, r"database is locked")
        if not locked_errors:
            raise CaseFailure(f"{x.address} logged no 'database is locked' error:\n{log[-3000:]}")
        case.accounted()
        recovered_s = time.monotonic() - released_at
        require_alive(case, c.nodes, "after the lock")
        for event_id, missing in during:
            if x.address in missing and x.event_row(event_id)[0] is not None:
                raise CaseFailure(f"the command said {event_id} was not created in "
                                  f"{x.address}'s database, but it is there")
        outcomes, generation, sign_ms = case.finish("sqlite-locked")
        return case.figures(
            outcomes, recovered_s, sign_ms, generation,
            f"{x.address} (failover rank {rank}) locked {LOCK_S} s: {locked_errors} 'database is "
            f"locked' log lines, {not_created} of {signs} signs submitted meanwhile not created "
            f"there (the command said so), {unfinished} of its events unfinished at the release")
    finally:
        case.cleanup()


# ---- postgres-restart ---------------------------------------------------------------------------
def postgres_restart(tss, long_form):
    signs = 12 if long_form else 5
    pg = PostgresServer().start()
    try:
        urls = [pg.create_database(f"node{i}") for i in range(N)]
        case = Case(tss, db_urls=urls)
        try:
            c = case.cluster
            pids = [n.proc.pid for n in c.nodes]
            offsets = [n.log_size() for n in c.nodes]
            # Signs submitted at once (created in every database: an event the command could
            # create in only some would wait for its missing holders, not for the server); the
            # server stops the moment the commands are done, with the signs under way.
            case.submit_many("sign", signs, "in flight")
            if not pg.stop_server("fast"):
                raise CaseFailure("pg_ctl could not stop the server")
            stopped = [n.log_size() for n in c.nodes]
            logged = "".join(n.log_since(o)[:s - o] for n, o, s in zip(c.nodes, offsets, stopped))
            in_flight = sum(1 for e, kind in case.kinds.items()
                            if kind == "sign" and f"event {e}: SUCCESS" not in logged)
            time.sleep(PG_DOWN_S)  # the outage itself, not an assertion
            require_alive(case, c.nodes, "while PostgreSQL was down")
            pg.start_server()
            restarted_at = time.monotonic()
            case.accounted()
            recovered_s = time.monotonic() - restarted_at
            require_alive(case, c.nodes, "after PostgreSQL came back")
            if [n.proc.pid for n in c.nodes] != pids:
                raise CaseFailure("a node was restarted")
            errors = sum(count_lines(n.log_since(o), r"postgres:|PostgreSQL")
                         for n, o in zip(c.nodes, offsets))
            if not errors:
                raise CaseFailure("no node logged a PostgreSQL error while the server was down")
            outcomes, generation, sign_ms = case.finish("postgres-restart")
            return case.figures(
                outcomes, recovered_s, sign_ms, generation,
                f"server down {PG_DOWN_S} s, {in_flight} of {signs} signs unfinished at the stop; "
                f"{errors} PostgreSQL "
                f"error log lines over the 4 nodes")
        finally:
            case.cleanup()
    finally:
        pg.stop()


# ---- disk-full ----------------------------------------------------------------------------------
def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def fill(folder):
    """Writes a filler file until the folder's file system is full; returns its path."""
    path = os.path.join(folder, "filler")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as e:
        if e.errno != errno.ENOSPC:
            raise
    finally:
        os.close(fd)
    return path


def disk_full(tss, long_form):
    case = Case(tss)
    mounted = None
    try:
        c = case.cluster
        x = case.node(2)
        folder = os.path.join(x.home, "keyshares")
        share = os.path.join(folder, f"{case.key_id}.share")
        saved = tempfile.mkdtemp(prefix="tss-storage-faults-")
        shutil.copytree(folder, os.path.join(saved, "k"), dirs_exist_ok=True)
        # Room, once the filler goes, for the record with two generations (active and retained)
        # beside its temp copy while it is replaced: about four shares.
        size_kib = 4 * os.path.getsize(share) // 1024 + 64
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kib}k,mode=0700", "tmpfs",
                               folder], capture_output=True, text=True)
        if proc.returncode != 0:
            raise Skip(f"cannot mount a tmpfs ({proc.stderr.strip() or proc.returncode}): "
                       "needs root or CAP_SYS_ADMIN")
        mounted = folder
        # The node keeps its share files open only while it reads or writes them: it sees the
        # copies on the tmpfs from its next access on.
        for name in os.listdir(os.path.join(saved, "k")):
            shutil.copy2(os.path.join(saved, "k", name), os.path.join(folder, name))
        shutil.rmtree(saved, ignore_errors=True)
        filler = fill(folder)
        digest = sha256_file(share)
        offset = x.log_size()

        # The key signs with the disk full (a sign writes no share).
        case.sign_verified("disk full")
        refreshes = 2 if long_form else 1
        failed_refreshes = 0
        x_error = None
        for i in range(refreshes):
            refresh, _ = case.submit("keyrefresh")
            # The node cannot store generation g+1 pending: the refresh must end the same
            # everywhere and not activate anywhere.
            rows = check_accounted(c, refresh, EVENT_BOUND)
            if rows[0][0] == "SUCCESS":
                raise CaseFailure(f"refresh {refresh} succeeded though {x.address} could not "
                                  "write its share")
            failed_refreshes += 1
            x_error = re.sub(r"/\S+/keyshares/\S+\.tmp", "<home>/keyshares/.<key id>.share.<…>.tmp",
                             x.event_row(refresh)[2] or "")
            if "No space left on device" not in x.log_since(offset):
                raise CaseFailure(f"{x.address} did not report the full disk:\n{x.log_tail()}")
            require_alive(case, [x], "after the failed write")
            if sha256_file(share) != digest:
                raise CaseFailure(f"{share} changed while the disk was full")
            views = key_views(c, case.key_id)
            gens = {a: ((v["active"] or {}).get("generation"), (v.get("pending") or {}).get(
                "generation")) for a, v in views.items()}
            if set(gens.values()) != {(0, None)}:
                raise CaseFailure(f"not every holder kept generation 0 alone active: {gens}")
            case.sign_verified(f"disk full, refresh {i} failed here")
        error_lines = [ln for ln in x.log_since(offset).splitlines() if "No space left" in ln]
        # Free the space: the refresh is retried, or (if it failed for good) a new one runs.
        os.unlink(filler)
        freed_at = time.monotonic()
        case.accounted()
        if case.generation == 0:
            out = c.run_json("keyrefresh", "--key-id", case.key_id, "--wait", "--timeout",
                             f"{EVENT_BOUND}s", check=False)
            case.add(out.get("event_id", "?"), "keyrefresh")
            if out.get("status") != "SUCCESS":
                raise CaseFailure(f"keyrefresh after freeing space did not succeed: {out}")
        recovered_s = time.monotonic() - freed_at
        outcomes, generation, sign_ms = case.finish("disk-full")
        if generation == 0:
            raise CaseFailure("no keyrefresh succeeded after the space was freed")
        return case.figures(
            outcomes, recovered_s, sign_ms, generation,
            f"{x.address}'s keyshares/ on a {size_kib} KiB tmpfs, full; {refreshes} refresh(es) "
            f"with no space: {failed_refreshes} FAILED everywhere ({x.address}'s error: "
            f"'{x_error}'), share file unchanged, generation 0 alone active everywhere, signing; "
            f"{len(error_lines)} ENOSPC log lines")
    finally:
        case.cluster.stop()
        if mounted:
            subprocess.run(["umount", mounted], check=False)
        case.cleanup()


# ---- sigterm ------------------------------------------------------------------------------------
def sigterm(tss, long_form, protocol):
    rounds = 3 if long_form else 1
    case = Case(tss)
    try:
        c = case.cluster
        x = case.node(1)
        results = []
        for i in range(rounds):
            offset = x.log_size()
            event_id = None
            # A sign draws 3 of the 4: submit until one draws the node.
            for attempt in range(8):
                event_id, _ = case.submit(protocol, f"sigterm {i}.{attempt}")
                created = rf"event {event_id}: session created \(\S+ as (party|observer)"
                deadline = time.monotonic() + EVENT_BOUND
                joined = None
                while joined is None and time.monotonic() < deadline:
                    joined = re.search(created, x.log_since(offset))
                    time.sleep(0.002)
                if joined and joined.group(1) == "party":
                    break
                check_accounted(c, event_id, EVENT_BOUND)
                event_id = None
            if event_id is None:
                raise CaseFailure(f"no {protocol} drew {x.address} in 8 events")
            # Into its rounds: a keyrefresh's take about half a second here, a sign's a few ms.
            time.sleep((0.1 + 0.1 * (i % 3)) if protocol == "keyrefresh" else 0.002 * (i % 3))
            termed = time.monotonic()
            code = x.stop()  # SIGTERM, then waits
            shutdown_ms = (time.monotonic() - termed) * 1000
            if code != 0:
                raise CaseFailure(f"{x.address} exited {code} on SIGTERM:\n{x.log_tail()}")
            # Where the node was: the last thing it logged about the event before the signal.
            before = x.log_since(offset).split("received SIGTERM", 1)[0]
            phase = [ln.split(f"event {event_id}: ", 1)[-1] for ln in before.splitlines()
                     if f"event {event_id}" in ln][-1]
            x.start()
            restarted = time.monotonic()
            rows = check_accounted(c, event_id, EVENT_BOUND)
            results.append((rows[0][0], shutdown_ms, time.monotonic() - restarted, phase))
        outcomes, generation, sign_ms = case.finish(f"sigterm-{protocol}")
        return {"events": len(outcomes), "success": list(outcomes.values()).count("SUCCESS"),
                "recovered_s": max(r[2] for r in results), "sign_ms": sign_ms,
                "generation": generation,
                "notes": f"{x.address} SIGTERMed {len(results)}× (last logged for the event: "
                         + ", ".join(f"'{p}' {k}×" for p, k in Counter(
                             re.sub(r" \(.*", "", r[3]) for r in results).items())
                         + f"), exit 0 in {min(r[1] for r in results):.0f}–"
                         f"{max(r[1] for r in results):.0f} ms; the events: "
                         + ", ".join(f"{o} {k}×" for o, k in Counter(r[0] for r in results).items())
                         + " everywhere"}
    finally:
        case.cleanup()


CASES = [
    ("sqlite-locked", lambda tss, long_form: sqlite_locked(tss, long_form, 2)),
    ("postgres-restart", postgres_restart),
    ("disk-full", disk_full),
    ("sigterm-refresh", lambda tss, long_form: sigterm(tss, long_form, "keyrefresh")),
    ("sigterm-sign", lambda tss, long_form: sigterm(tss, long_form, "sign")),
]
LONG_ONLY = [
    ("sqlite-locked-coordinator", lambda tss, long_form: sqlite_locked(tss, long_form, 0)),
]


def table(results):
    lines = ["| case | outcome | events (SUCCESS) | recovered | then signed | what happened |",
             "|---|---|---|---|---|---|"]
    for name, r in results:
        if r.get("skipped"):
            lines.append(f"| {name} | skipped: {r['skipped']} | — | — | — | — |")
        elif r.get("error"):
            lines.append(f"| {name} | **FAIL**: {r['error'][:120]} | — | — | — | — |")
        else:
            lines.append(f"| {name} | every event accounted for, key consistent (gen "
                         f"{r['generation']}) | {r['events']} ({r['success']}) | "
                         f"{r['recovered_s']:.1f} s | {r['sign_ms']:.0f} ms, verified | "
                         f"{r['notes']} |")
    return "\n".join(lines)


def write_report(path, results, elapsed, long_form):
    section = (f"{'Long' if long_form else 'Short'} form, one run, {elapsed:.0f} s:\n\n"
               f"{table(results)}\n")
    rewrite_section(path, "storage-faults", section)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tss", default="build/bin/tss")
    parser.add_argument("--long", action="store_true", default=os.environ.get("TSS_FAULTS_LONG") == "1")
    parser.add_argument("--only", help="run only the cases whose name matches this regex")
    parser.add_argument("--report", help="rewrite the storage-faults section of this file")
    args = parser.parse_args()
    tss = os.path.abspath(args.tss)
    cases = CASES + (LONG_ONLY if args.long else [])
    if args.only:
        cases = [c for c in cases if re.search(args.only, c[0])]
    repeats = 2 if args.long else 1
    results = []
    start = time.monotonic()
    for name, run in cases:
        for rep in range(repeats):
            label = name if repeats == 1 else f"{name} #{rep + 1}"
            case_start = time.monotonic()
            try:
                r = run(tss, args.long)
                print(f"storage-faults[{label}] {r['events']} events ({r['success']} SUCCESS), "
                      f"recovered in {r['recovered_s']:.1f} s, key consistent (generation "
                      f"{r['generation']}), then signed in {r['sign_ms']:.0f} ms; {r['notes']} "
                      f"({time.monotonic() - case_start:.0f} s)", flush=True)
            except Skip as e:
                r = {"skipped": str(e)}
                print(f"storage-faults[{label}] SKIPPED: {e}", flush=True)
            except (CaseFailure, RuntimeError, OSError, subprocess.TimeoutExpired, KeyError) as e:
                r = {"error": str(e).splitlines()[0] if str(e) else type(e).__name__}
                print(f"storage-faults[{label}] FAILED: {e}", flush=True)
            results.append((label, r))
    elapsed = time.monotonic() - start
    print("\n" + table(results), flush=True)
    failed = [n for n, r in results if r.get("error")]
    print(f"\nstorage-faults: {len(results) - len(failed)}/{len(results)} cases passed or skipped, "
          f"{elapsed:.0f} s", flush=True)
    if args.report:
        write_report(args.report, results, elapsed, args.long)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
