#!/usr/bin/env python3
"""The bounded soak (issue 12 part 5): mixed keygen / keyrefresh / sign work on five real `tss
node` processes (tests/e2e/cluster.py: libp2p on loopback, SQLite, poll 100 ms, threshold 4)
under random faults, at most one node faulted at a time; at the end every event is accounted for
and every key is consistent and signs, and the nodes' memory stayed flat.

A seeded random schedule (the seed is printed; `--seed S` replays the same schedule — the
actions, faults, delays and crash points drawn, not the machine's timing) drives:
  - work: keygens of new keys, keyrefreshes, and signs, single and in bursts, across the keys
    made so far; created with the `tss` commands (no --wait), as an operator would, several at
    once, the backlog of unfinished events bounded;
  - faults, one node at a time: SIGKILL and restart after a random delay; a restart armed with
    TSS_CRASH_AT=<point>[:<nth>] (a named crash point, `tss crash-points`), the node dying there
    and restarted after a delay (or disarmed if no work reached the point); SIGSTOP for a random
    pause, then SIGCONT; SIGTERM (a clean shutdown, which must end with exit 0) and restart.
    One node, drawn from the seed, is only ever paused, so one process lives through the whole
    run for the memory figures.
After the work, every node up, a settle period (bounded), then the checks — any failure makes
the script exit 1:
  - no node exited that the soak did not stop or arm (a crash is a defect);
  - every event created is terminal at every node whose database took it, with the same outcome
    everywhere: SUCCESS, or FAILED / EXPIRED with a reason recorded; none PENDING/IN_PROGRESS;
  - a SUCCESS sign holds, at every node, a signature of the requested hash under the key's
    public key that OpenSSL verifies (tests/e2e/verify_signature.py); a SUCCESS keygen the same
    public key at every node; a SUCCESS keyrefresh the same public key and generation;
  - every key whose keygen succeeded is consistent (`tss status --keys`: same public key, active
    generation and fingerprint at every node, the generation of its last successful refresh),
    and a final `tss sign --wait` per key returns a signature OpenSSL verifies; a key whose
    keygen did not succeed is held by no node;
  - memory: each node's RSS (/proc/PID/status VmRSS) is sampled every second; for each node's
    longest life (for the paused-only node: the whole run) the medians of the first and last
    quarters of its samples after a warm-up are compared and the growth is printed, also per
    1000 events. The long form fails on growth beyond MEMORY_BOUND (both more than 20 % and more
    than 20 MiB); the short form only prints it.
Printed at the end: events by type and outcome (and the reasons of those that did not
succeed), faults by kind, sign latency p50/p95 (from starting `tss sign` to the first node
holding the signature, faults included), RSS start/end per node.

Short form (CI, about a minute): 35 s of work. Long form: TSS_FAULTS_LONG=1 (10 minutes of work) or
`--minutes N`; `--report FILE` rewrites the soak section of FILE (docs/RELIABILITY.md).

Usage: tests/faults/soak.py --tss build/bin/tss [--seed S] [--minutes N] [--report FILE]
TSS_KEEP_FAILED=1 keeps the cluster folder (node logs, databases) of a failed run and names it;
--keep keeps it whatever the outcome.
"""
import argparse
import hashlib
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
from cluster import TERMINAL, Cluster, check_signature, crash_points, rewrite_section  # noqa: E402
from verify_signature import verify  # noqa: E402

N = 5                       # threshold 4: one node down at a time still signs
SESSION_EXPIRY = "4s"       # how long a run waits for a dead party before it is retried
COORDINATOR_RANGE = 120     # blocks (seconds) per coordinator turn: the long form crosses several
SHORT_WORK_S = 35
LONG_MINUTES = 10
SETTLE_BOUND_S = 240        # every event terminal everywhere within this, once all nodes are up
FINAL_SIGN_TIMEOUT = "120s"
MEMORY_BOUND = (0.20, 20 * 1024)  # growth that fails the long form: more than 20 % and 20 MiB
KEYS_AT_START = 2

# Work: (kind, weight). A burst is 3–8 signs at once across the keys.
WORK = [("keygen", 3), ("keyrefresh", 9), ("sign", 55), ("burst", 33)]
# Faults: (kind, weight).
FAULTS = [("kill", 1), ("crash_point", 1), ("pause", 1), ("term", 1)]
# A crash point's protocol, (protocol, weight): about as often as the work reaches each.
CRASH_PROTOCOLS = [("sign", 6), ("keyrefresh", 3), ("keygen", 1)]


def now():
    return time.monotonic()


def sha256_hex(text):
    return hashlib.sha256(text.encode()).hexdigest()


class Soak:
    def __init__(self, tss, seed, work_s, long_form, settle_bound=SETTLE_BOUND_S):
        self.tss = tss
        self.settle_bound = settle_bound
        self.seed = seed
        self.work_s = work_s
        self.long_form = long_form
        self.work_rng = random.Random(f"{seed}/work")
        self.fault_rng = random.Random(f"{seed}/faults")
        self.points = crash_points(tss)
        self.cluster = Cluster(tss, N, poll_interval="100ms", session_expiry=SESSION_EXPIRY,
                               retry_delay=1, coordinator_range=COORDINATOR_RANGE)
        self.lock = threading.Lock()
        self.events = {}       # event_id -> dict (see submit)
        self.open = set()      # events not yet terminal at every node that took them
        self.inflight = []     # (Popen, meta) of commands still running
        self.keys = {}         # key_id -> {"keygen": event_id, "public_key": hex once SUCCESS}
        self.key_counter = 0
        self.created = 0       # events created so far (for the memory figures)
        self.expected_down = set()  # addresses the fault thread is stopping or has armed
        self.defects = []      # what the run found wrong, in words
        self.faults = []       # dicts: kind, node, detail
        self.rss = {}          # (address, pid) -> [(t, kib, events created)]
        self.lives = {n.address: [] for n in self.cluster.nodes}  # address -> [pid, ...]
        self.stop_work = threading.Event()
        self.stop_monitor = threading.Event()
        self.t0 = None
        spared = self.fault_rng.randrange(N)
        self.spared = self.cluster.nodes[spared]  # only ever paused: lives the whole run

    # -- commands ---------------------------------------------------------------------------------
    def submit(self, kind, key_id, message=None):
        args = {"keygen": ["keygen", "--key-id", key_id],
                "keyrefresh": ["keyrefresh", "--key-id", key_id],
                "sign": ["sign", "--key-id", key_id, "--message", message or ""]}[kind]
        cmd = [self.tss, *args, "--json", "--registry", self.cluster.registry]
        meta = {"type": kind, "key_id": key_id, "submitted": now(),
                "message_hash": sha256_hex(message) if message else None}
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        with self.lock:
            self.inflight.append((proc, meta))

    def reap(self, block=False):
        """Collects finished commands (with `block`, every command, waiting for it): their event
        ids and the nodes that did not take them. Called from the monitor and, at the end, from
        the main thread: each command is claimed under the lock, so only one reads it."""
        with self.lock:
            claimed = [(p, m) for p, m in self.inflight if block or p.poll() is not None]
            for item in claimed:
                self.inflight.remove(item)
        for proc, meta in claimed:
            out, err = proc.communicate()
            with self.lock:
                if proc.returncode != 0:
                    self.defects.append(f"`tss {meta['type']}` for {meta['key_id']} failed "
                                        f"({proc.returncode}): {err.strip()[:300]}")
                    continue
                meta["event_id"] = json.loads(out)["event_id"]
                meta["created"] = now()
                # "warning: event not created in validator-03's database: <why>"
                meta["not_created"] = dict(re.findall(
                    r"event not created in (\S+)'s database: (.*)", err))
                meta["rows"] = {}
                meta["first_success"] = None
                self.events[meta["event_id"]] = meta
                self.open.add(meta["event_id"])
                self.created += 1

    # -- the monitor: event outcomes, memory, unexpected exits --------------------------------------
    def monitor(self):
        last_rss = 0.0
        while not self.stop_monitor.is_set():
            self.reap()
            self.poll_events()
            if now() - last_rss >= 1.0:
                last_rss = now()
                self.sample_rss()
            self.check_exits()
            time.sleep(0.05)

    def poll_events(self):
        with self.lock:
            ids = sorted(self.open)
        if not ids:
            return
        for node in self.cluster.nodes:
            rows = node.event_rows(ids, timeout=0.5)
            if rows is None:
                continue  # locked or unreadable just now: read again next round
            t = now()
            with self.lock:
                for event_id, row in rows.items():
                    ev = self.events[event_id]
                    ev["rows"][node.address] = row
                    if row[0] == "SUCCESS" and ev["first_success"] is None:
                        ev["first_success"] = t
        with self.lock:
            for event_id in ids:
                ev = self.events[event_id]
                takers = [n.address for n in self.cluster.nodes
                          if n.address not in ev["not_created"]]
                if all(ev["rows"].get(a, (None,))[0] in TERMINAL for a in takers):
                    self.open.discard(event_id)
                    ev["ended"] = now()
                    statuses = {ev["rows"][a][0] for a in takers}
                    if ev["type"] == "keygen" and statuses == {"SUCCESS"}:
                        result = json.loads(ev["rows"][takers[0]][1])
                        self.keys[ev["key_id"]]["public_key"] = result["public_key"]

    def sample_rss(self):
        t = now()
        with self.lock:
            procs = [(n.address, n.proc) for n in self.cluster.nodes if n.proc]
            created = self.created
        for address, proc in procs:
            try:
                with open(f"/proc/{proc.pid}/status") as f:
                    kib = next(int(ln.split()[1]) for ln in f if ln.startswith("VmRSS:"))
            except (OSError, StopIteration):
                continue  # exited between the look and the read
            with self.lock:
                if proc.pid not in self.lives[address]:
                    self.lives[address].append(proc.pid)
                self.rss.setdefault((address, proc.pid), []).append((t, kib, created))

    def check_exits(self):
        with self.lock:
            for node in self.cluster.nodes:
                if node.address in self.expected_down or node.alive():
                    continue
                code = node.proc.returncode
                self.defects.append(f"{node.address} exited unasked with {code}:\n"
                                    f"{node.log_tail(15)}")
                print(f"soak: DEFECT {node.address} exited unasked ({code}); restarting it",
                      flush=True)
                node.start()

    # -- faults -------------------------------------------------------------------------------------
    def fault_loop(self, gap_range):
        rng = self.fault_rng
        kinds, weights = zip(*FAULTS)
        while True:
            # Every draw is made each round, whatever the kind, so one seed gives one schedule.
            gap = rng.uniform(*gap_range)
            kind = rng.choices(kinds, weights)[0]
            target = rng.randrange(N)
            delay = rng.uniform(0.2, 3.0)
            pause = rng.uniform(0.5, 8.0)
            protocol = rng.choices(*zip(*CRASH_PROTOCOLS))[0]
            pick = rng.random()
            nth = rng.randint(1, 2)
            if self.stop_work.wait(gap):
                return
            node = self.cluster.nodes[target]
            # A point the node can reach in its present role (the primary coordinator's points,
            # or a participant's): one it cannot would only ever be disarmed.
            role = ("coordinator" if self.cluster.failover_order(time.time())[0] == node.address
                    else "participant")
            reachable = [p["name"] for p in self.points
                         if p["protocol"] == protocol and p["role"] in (role, "any")]
            point = reachable[int(pick * len(reachable))]
            if node is self.spared and kind != "pause":
                kind = "pause"
            fault = {"kind": kind, "node": node.address, "at": now() - self.t0}
            if kind == "pause":
                node.proc.send_signal(signal.SIGSTOP)
                time.sleep(pause)
                node.proc.send_signal(signal.SIGCONT)
                fault["detail"] = f"{pause:.1f} s"
            else:
                with self.lock:
                    self.expected_down.add(node.address)
                if kind == "kill":
                    node.kill()
                    fault["detail"] = f"restart after {delay:.1f} s"
                elif kind == "term":
                    self.term(node, fault)
                    fault["detail"] = f"restart after {delay:.1f} s"
                else:
                    self.crash_at(node, f"{point}:{nth}", fault)
                time.sleep(delay)
                with self.lock:
                    node.start()
                    self.expected_down.discard(node.address)
            print(f"soak: {fault['at']:6.1f} s  fault {kind} {node.address}: {fault['detail']}",
                  flush=True)
            self.faults.append(fault)

    def term(self, node, fault):
        """SIGTERM: a clean shutdown, which must end with exit 0 within 30 s."""
        started = now()
        code = node.stop(signal.SIGTERM, timeout=30)
        fault["shutdown_s"] = now() - started
        if code != 0:
            with self.lock:
                self.defects.append(f"{node.address} ended with {code} after SIGTERM "
                                    f"(-9: not within 30 s):\n{node.log_tail(15)}")
        return code

    def crash_at(self, node, armed, fault):
        """Restarts the node armed with TSS_CRASH_AT; waits for it to die there (or disarms it)."""
        self.term(node, fault)
        offset = os.path.getsize(node.log_path)
        with self.lock:
            node.start({"TSS_CRASH_AT": armed})
        window = 30 if self.long_form else 12
        try:
            code = node.proc.wait(timeout=window)
        except subprocess.TimeoutExpired:
            code = None
        point = armed.split(":")[0]
        with open(node.log_path, errors="replace") as f:
            f.seek(offset)
            reached = f"crash point {point} reached" in f.read()
        if code is None and not reached:
            fault["detail"] = f"{armed} not reached in {window} s, disarmed"
            self.term(node, fault)
            return
        if code is None:  # reached just now: it is dying
            code = node.proc.wait(timeout=10)
        if code != -signal.SIGKILL or not reached:
            with self.lock:
                self.defects.append(f"{node.address} armed at {armed} exited {code} without "
                                    f"reaching it:\n{node.log_tail(15)}")
        fault["detail"] = f"died at {armed}"
        fault["reached"] = True

    # -- work -------------------------------------------------------------------------------------
    def new_key(self):
        self.key_counter += 1
        key_id = f"soak-{self.seed}-{self.key_counter}"
        self.keys[key_id] = {"public_key": None}
        return key_id

    def work_loop(self, gap_range, backlog):
        rng = self.work_rng
        kinds, weights = zip(*WORK)
        end = self.t0 + self.work_s
        counter = 0
        while now() < end:
            gap = rng.uniform(*gap_range)
            kind = rng.choices(kinds, weights)[0]
            burst = rng.randint(3, 8)
            picks = [rng.random() for _ in range(8)]
            time.sleep(gap)
            while len(self.open) + len(self.inflight) >= backlog and now() < end:
                time.sleep(0.05)  # an operator's bounded queue: wait for room
            with self.lock:
                usable = sorted(k for k, v in self.keys.items() if v["public_key"])
            if kind == "keygen":
                self.submit("keygen", self.new_key())
                continue
            if kind == "keyrefresh":
                self.submit("keyrefresh", usable[int(picks[0] * len(usable))])
                continue
            for i in range(burst if kind == "burst" else 1):
                counter += 1
                key_id = usable[int(picks[i] * len(usable))]
                self.submit("sign", key_id, f"soak {self.seed} {counter} {time.time()}")

    # -- the run ----------------------------------------------------------------------------------
    def run(self):
        c = self.cluster
        print(f"soak: seed {self.seed} (replay: --seed {self.seed}); {self.work_s:.0f} s of work; "
              f"{N} nodes in {c.root}; {self.spared.address} only paused", flush=True)
        c.start()
        for _ in range(KEYS_AT_START):
            key_id = self.new_key()
            out = c.run_json("keygen", "--key-id", key_id, "--wait", "--timeout", "120s")
            if out.get("status") != "SUCCESS":
                raise AssertionError(f"set-up keygen did not succeed: {out}")
            self.keys[key_id] = {"public_key": out["public_key"], "setup": True}
        self.t0 = now()
        monitor = threading.Thread(target=self.monitor, daemon=True)
        monitor.start()
        fault_gap = (3, 8) if self.long_form else (2, 5)
        faults = threading.Thread(target=self.fault_loop, args=(fault_gap,), daemon=True)
        faults.start()
        self.work_loop((0.2, 1.2) if self.long_form else (0.3, 1.2), 30)
        self.stop_work.set()
        faults.join()
        self.reap(block=True)
        self.work_end = work_end = now()
        print(f"soak: work ended after {work_end - self.t0:.0f} s, {len(self.events)} events, "
              f"{len(self.faults)} faults; settling with every node up", flush=True)
        deadline = now() + self.settle_bound
        while self.open and now() < deadline:
            time.sleep(0.2)
        self.settle_s = now() - work_end
        self.stop_monitor.set()
        monitor.join()
        self.poll_events()  # the last look, with the monitor stopped
        self.check_exits()
        self.check_events()
        self.check_keys()
        return self.report()

    # -- the checks -------------------------------------------------------------------------------
    def check_events(self):
        verified = {}  # (public key, hash, r, s) -> OpenSSL's verdict, each asked once
        for event_id, ev in self.events.items():
            takers = [n.address for n in self.cluster.nodes if n.address not in ev["not_created"]]
            rows = {a: ev["rows"].get(a, (None, None, None)) for a in takers}
            what = f"{ev['type']} {event_id} ({ev['key_id']})"
            stuck = {a: r[0] for a, r in rows.items() if r[0] not in TERMINAL}
            if stuck:
                self.defects.append(f"{what} not ended after {self.settle_bound:.0f} s of settling: "
                                    f"{stuck}; not created at {ev['not_created'] or 'none'}")
                continue
            statuses = {r[0] for r in rows.values()}
            if len(statuses) != 1:
                self.defects.append(f"{what} ended differently: "
                                    f"{ {a: (r[0], r[2]) for a, r in rows.items()} }")
            ev["outcome"] = statuses.pop() if len(statuses) == 1 else "SPLIT"
            for a, (status, result, error) in rows.items():
                if status != "SUCCESS":
                    if not error:
                        self.defects.append(f"{what} {status} at {a} without a reason")
                    continue
                result = json.loads(result)
                key = self.keys[ev["key_id"]]["public_key"]
                if ev["type"] == "sign":
                    if result.get("message_hash") != ev["message_hash"]:
                        self.defects.append(f"{what} at {a} signed {result.get('message_hash')}, "
                                            f"asked {ev['message_hash']}")
                        continue
                    claim = (key, result["message_hash"], result["r"], result["s"])
                    if claim not in verified:
                        verified[claim] = (result.get("public_key") == key
                                           and verify(*claim))
                    if not verified[claim]:
                        self.defects.append(f"{what} at {a}: OpenSSL rejects the signature "
                                            f"{result} under {key}")
                elif result.get("public_key") != key or result.get("key_id") != ev["key_id"]:
                    self.defects.append(f"{what} at {a}: result {result}, key {key}")
                elif ev["type"] == "keyrefresh":
                    ev.setdefault("generations", set()).add(result["generation"])
            if ev["type"] == "keyrefresh" and len(ev.get("generations", ())) > 1:
                self.defects.append(f"{what}: generations differ {ev['generations']}")
        self.signatures_verified = len(verified)

    def check_keys(self):
        c = self.cluster
        self.final_signs = []
        for key_id, key in sorted(self.keys.items()):
            if not key["public_key"]:
                views = c.key_views(key_id)
                holders = [a for a, v in views.items() if v]
                if holders:
                    self.defects.append(f"key {key_id} (keygen did not succeed) held by {holders}")
                continue
            refreshes = [e for e in self.events.values()
                         if e["type"] == "keyrefresh" and e["key_id"] == key_id
                         and e.get("outcome") == "SUCCESS"]
            generation = max((max(e["generations"]) for e in refreshes), default=0)
            try:
                c.check_key(key_id, key["public_key"], generation)
                started = now()
                signed = c.run_json("sign", "--key-id", key_id, "--message", f"final {key_id}",
                                    "--wait", "--timeout", FINAL_SIGN_TIMEOUT, check=False)
                check_signature(signed, key["public_key"])
                self.final_signs.append((now() - started) * 1000)
            except (AssertionError, RuntimeError, KeyError, ValueError) as e:
                self.defects.append(f"key {key_id} (generation {generation} expected): {e}")

    # -- figures ----------------------------------------------------------------------------------
    def memory(self):
        """Per node: its longest life's RSS growth (median of the last quarter of the samples
        after warm-up minus the first quarter's), and per 1000 events created meanwhile."""
        warmup = 60 if self.long_form else 10
        rows = []
        for node in self.cluster.nodes:
            lives = [self.rss[(node.address, pid)] for pid in self.lives[node.address]]
            if not lives:
                continue
            longest = max(lives, key=lambda s: s[-1][0] - s[0][0])
            # After warm-up, and during the work (an idle settle would flatten the last quarter).
            after = [s for s in longest
                     if s[0] - longest[0][0] >= warmup and s[0] <= self.work_end]
            row = {"node": node.address, "lives": len(lives), "start_kib": lives[0][0][1],
                   "end_kib": lives[-1][-1][1], "life_s": longest[-1][0] - longest[0][0],
                   "spared": node is self.spared}
            if len(after) >= 8:
                q = len(after) // 4
                first = statistics.median(s[1] for s in after[:q])
                last = statistics.median(s[1] for s in after[-q:])
                events = after[-1][2] - after[0][2]
                row.update(first_kib=first, last_kib=last, growth_kib=last - first, events=events,
                           per_1000_kib=(last - first) * 1000 / events if events else None)
                row["over"] = (last - first > MEMORY_BOUND[0] * first
                               and last - first > MEMORY_BOUND[1])
            rows.append(row)
        return rows

    def report(self):
        lines = []
        by = {}
        reasons = {}
        for ev in self.events.values():
            outcome = ev.get("outcome", "NOT ENDED")
            by.setdefault(ev["type"], {}).setdefault(outcome, 0)
            by[ev["type"]][outcome] += 1
            if outcome in ("FAILED", "EXPIRED"):
                errors = {r[2] for r in ev["rows"].values() if r[2]}
                for e in errors:
                    key = f"{ev['type']} {outcome}: {e[:110]}"
                    reasons[key] = reasons.get(key, 0) + 1
        total = len(self.events)
        lines.append(f"events: {total} — " + "; ".join(
            f"{t} " + ", ".join(f"{n} {o}" for o, n in sorted(by[t].items()))
            for t in ("keygen", "keyrefresh", "sign") if t in by))
        for r, n in sorted(reasons.items()):
            lines.append(f"  {n} × {r}")
        not_created = sum(1 for ev in self.events.values() if ev["not_created"])
        if not_created:
            lines.append(f"  {not_created} events not created at some node (its database busy)")
        kinds = {}
        for f in self.faults:
            kinds[f["kind"]] = kinds.get(f["kind"], 0) + 1
        reached = sum(1 for f in self.faults if f.get("reached"))
        lines.append(f"faults: {len(self.faults)} — " + ", ".join(
            f"{n} {k}" for k, n in sorted(kinds.items()))
            + f" ({reached} crash points reached)")
        latencies = sorted((ev["first_success"] - ev["submitted"]) * 1000
                           for ev in self.events.values()
                           if ev["type"] == "sign" and ev["first_success"])
        if latencies:
            p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
            lines.append(f"sign latency (start of `tss sign` to the first node's SUCCESS): "
                         f"p50 {statistics.median(latencies):.0f} ms, p95 {p95:.0f} ms, "
                         f"max {latencies[-1]:.0f} ms over {len(latencies)} signs")
        lines.append(f"settled in {self.settle_s:.1f} s; {self.signatures_verified} distinct "
                     f"signatures verified by OpenSSL; {len(self.final_signs)} keys consistent "
                     f"and signed once more")
        memory = self.memory()
        for m in memory:
            line = (f"rss {m['node']}: {m['start_kib'] / 1024:.1f} MiB at start, "
                    f"{m['end_kib'] / 1024:.1f} MiB at end; {m['lives']} "
                    f"{'life' if m['lives'] == 1 else 'lives'}"
                    + (" (only paused)" if m["spared"] else "")
                    + f", longest {m['life_s']:.0f} s")
            if "growth_kib" in m:
                per = (f", {m['per_1000_kib'] / 1024:+.2f} MiB per 1000 events"
                       if m["per_1000_kib"] is not None else "")
                line += (f": {m['first_kib'] / 1024:.1f} → {m['last_kib'] / 1024:.1f} MiB "
                         f"({m['growth_kib'] / 1024:+.1f} MiB over {m['events']} events{per})")
            else:
                line += ": too short to judge"
            lines.append(line)
            if self.long_form and m.get("over"):
                self.defects.append(f"{m['node']}: RSS grew {m['growth_kib'] / 1024:.1f} MiB, "
                                    f"beyond {MEMORY_BOUND[0]:.0%} and "
                                    f"{MEMORY_BOUND[1] // 1024} MiB")
        self.summary = lines
        for line in lines:
            print(f"soak: {line}", flush=True)
        for d in self.defects[:20]:
            print(f"soak: DEFECT {d}", flush=True)
        if len(self.defects) > 20:
            print(f"soak: … and {len(self.defects) - 20} more defects", flush=True)
        return not self.defects


def write_report(path, soak, elapsed):
    section = (f"Seed {soak.seed}, {soak.work_s / 60:.0f} minutes of work, the whole run "
               f"{elapsed / 60:.1f} min, {len(soak.defects)} defects"
               + (":" if soak.defects else ".") + "\n\n"
               + "".join(f"- DEFECT {d.splitlines()[0]}\n" for d in soak.defects)
               + "```\n" + "\n".join(soak.summary) + "\n```\n")
    rewrite_section(path, "soak", section)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tss", default="build/bin/tss")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--minutes", type=float, default=None,
                        help=f"long form with this much work (TSS_FAULTS_LONG=1: {LONG_MINUTES})")
    parser.add_argument("--report", help="rewrite the soak section of this file")
    parser.add_argument("--keep", action="store_true", help="keep the cluster folder")
    parser.add_argument("--settle", type=float, default=SETTLE_BOUND_S,
                        help="seconds every event has to end once the work is over")
    args = parser.parse_args()
    minutes = args.minutes
    if minutes is None and os.environ.get("TSS_FAULTS_LONG") == "1":
        minutes = LONG_MINUTES
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)
    soak = Soak(os.path.abspath(args.tss), seed, minutes * 60 if minutes else SHORT_WORK_S,
                minutes is not None, args.settle)
    started = now()
    ok = False
    try:
        ok = soak.run()
    finally:
        elapsed = now() - started
        for node in soak.cluster.nodes:  # a node left paused would not see its SIGTERM
            if node.alive():
                node.proc.send_signal(signal.SIGCONT)
        if args.keep or (not ok and os.environ.get("TSS_KEEP_FAILED")):
            soak.cluster.stop()
            print(f"soak: cluster kept in {soak.cluster.root}", flush=True)
        else:
            soak.cluster.cleanup()
    if args.report and hasattr(soak, "summary"):
        write_report(args.report, soak, elapsed)
    print(f"soak: {'passed' if ok else 'FAILED'} (seed {seed}, {elapsed:.0f} s)", flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
