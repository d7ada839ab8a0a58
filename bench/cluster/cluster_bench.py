#!/usr/bin/env python3
"""Whole-cluster benchmark (DESIGN.md §9): real `tss node` processes over libp2p on loopback,
each with its own SQLite database, signing under one key.

It runs a keygen through the `tss` command, then feeds sign events straight into every node's
`tss_events` table, as a chain watcher would, in two phases:
  * burst: N events at once; sustained signatures per second = N / (last success - first event);
  * paced: events at a fixed rate below the burst throughput; latency = SUCCESS time minus the
    event's creation, per event, reported as p50/p90/max, with the poll interval shown beside it.
Every signature is checked with OpenSSL (tests/e2e/verify_signature.py) and every event must end
SUCCESS on every node: a lost or failed event fails the run (exit 1).

    python3 bench/cluster/cluster_bench.py --tss build/bin/tss [--nodes 4] [--burst 200]
                                            [--paced 100 --rate 20] [--poll-interval 100ms]
"""
import argparse
import json
import os
import secrets
import sqlite3
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "e2e"))
from cluster import Cluster  # noqa: E402
from verify_signature import verify  # noqa: E402


def connect(node):
    db = sqlite3.connect(os.path.join(node.home, "tss.db"), timeout=30, isolation_level=None)
    db.execute("PRAGMA busy_timeout = 30000")
    return db


def insert(dbs, events):
    """Creates each (event_id, hash) in every node's database, one transaction per node."""
    now_ms = int(time.time() * 1000)
    block = int(time.time())
    for db in dbs:
        db.execute("BEGIN IMMEDIATE")
        for event_id, key_id, message_hash in events:
            data = json.dumps({"key_id": key_id, "message_hash": message_hash})
            db.execute("INSERT INTO tss_events (event_id, block_number, protocol_type, status, "
                       "expiry_height, event_data, created_at, updated_at) "
                       "VALUES (?, ?, 'SIGN', 'PENDING', 0, ?, ?, ?)",
                       (event_id, block, data, now_ms, now_ms))
        db.execute("COMMIT")
    return now_ms


def wait_all(dbs, ids, timeout):
    """Waits until every event is terminal on every node. Returns {id: (status, result, t_ms)}:
    a failure if any node saw one, otherwise the earliest SUCCESS (when the signature existed)."""
    deadline = time.time() + timeout
    placeholders = ",".join("?" * len(ids))
    while True:
        outcome, open_copies = {}, 0
        for db in dbs:
            rows = db.execute(f"SELECT event_id, status, result, error, updated_at FROM tss_events "
                              f"WHERE event_id IN ({placeholders})", ids).fetchall()
            open_copies += len(ids) - len(rows)
            for event_id, status, result, error, updated in rows:
                if status in ("PENDING", "IN_PROGRESS"):
                    open_copies += 1
                    continue
                seen = outcome.get(event_id)
                if status != "SUCCESS":
                    outcome[event_id] = (status, error, updated)
                elif seen is None or (seen[0] == "SUCCESS" and updated < seen[2]):
                    outcome[event_id] = (status, result, updated)
        if open_copies == 0:
            return outcome
        if time.time() > deadline:
            raise RuntimeError(f"{open_copies} event copies still open after {timeout}s")
        time.sleep(0.05)


def check(outcome, created, public_key):
    latencies = []
    for event_id, (status, result, updated) in outcome.items():
        if status != "SUCCESS":
            raise RuntimeError(f"event {event_id} ended {status}: {result}")
        sig = json.loads(result)
        if not verify(public_key, created[event_id][1], sig["r"], sig["s"]):
            raise RuntimeError(f"OpenSSL rejects the signature of {event_id}")
        latencies.append(updated - created[event_id][0])
    return sorted(latencies)


def node_cpu_seconds(cluster):
    """User + system CPU seconds the node processes have used so far (Linux /proc). CPU per
    signature is the figure that holds when other work shares the machine; throughput is not."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for node in cluster.nodes:
        with open(f"/proc/{node.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 of stat(5))
    return total / ticks


def percentile(sorted_values, p):
    return sorted_values[min(len(sorted_values) - 1, int(p * len(sorted_values)))]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tss", default="build/bin/tss")
    ap.add_argument("--nodes", type=int, default=4)
    ap.add_argument("--burst", type=int, default=200)
    ap.add_argument("--paced", type=int, default=100)
    ap.add_argument("--rate", type=float, default=20.0, help="paced events per second")
    ap.add_argument("--poll-interval", default="100ms")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()

    cluster = Cluster(a.tss, a.nodes, poll_interval=a.poll_interval, session_expiry="60s")
    try:
        cluster.start()
        key = cluster.keygen()
        key_id, public_key = key["key_id"], key["public_key"]
        dbs = [connect(n) for n in cluster.nodes]
        t = a.nodes * 2 // 3 + 1

        # Burst: everything at once.
        created = {}
        batch = [(secrets.token_hex(16), key_id, secrets.token_hex(32)) for _ in range(a.burst)]
        cpu_before = node_cpu_seconds(cluster)
        start_ms = insert(dbs, batch)
        for event_id, _, h in batch:
            created[event_id] = (start_ms, h)
        outcome = wait_all(dbs, [e for e, _, _ in batch], timeout=60 + a.burst)
        burst_lat = check(outcome, created, public_key)
        burst_cpu_ms = (node_cpu_seconds(cluster) - cpu_before) * 1000 / a.burst
        burst_end = max(u for _, _, u in outcome.values())
        burst_rate = a.burst / max(1e-3, (burst_end - start_ms) / 1000)

        # Paced: one event every 1/rate seconds.
        paced_ids = []
        for _ in range(a.paced):
            e = (secrets.token_hex(16), key_id, secrets.token_hex(32))
            created[e[0]] = (insert(dbs, [e]), e[2])
            paced_ids.append(e[0])
            time.sleep(1 / a.rate)
        outcome = wait_all(dbs, paced_ids, timeout=60 + a.paced)
        paced_lat = check(outcome, created, public_key)

        report = {
            "nodes": a.nodes, "threshold": t, "poll_interval": a.poll_interval,
            "burst": {"signatures": a.burst, "per_second": round(burst_rate, 1),
                      "p50_ms": percentile(burst_lat, 0.5), "max_ms": burst_lat[-1],
                      "node_cpu_ms_per_signature": round(burst_cpu_ms, 2)},
            "paced": {"signatures": a.paced, "rate": a.rate, "p50_ms": percentile(paced_lat, 0.5),
                      "p90_ms": percentile(paced_lat, 0.9), "max_ms": paced_lat[-1]},
            "verified": "all (OpenSSL)", "lost": 0,
        }
        if a.json:
            print(json.dumps(report))
        else:
            print(f"{t}-of-{a.nodes} cluster, SQLite, libp2p on loopback, poll {a.poll_interval}")
            print(f"burst  {a.burst:5d} signatures: {burst_rate:7.1f}/s sustained "
                  f"(latency p50 {report['burst']['p50_ms']} ms, max {burst_lat[-1]} ms; "
                  f"{burst_cpu_ms:.1f} ms node CPU per signature, all nodes)")
            print(f"paced  {a.paced:5d} at {a.rate:g}/s: latency p50 {report['paced']['p50_ms']} ms, "
                  f"p90 {report['paced']['p90_ms']} ms, max {paced_lat[-1]} ms")
            print("every signature verified by OpenSSL; no event lost")
    except Exception:
        print(cluster.logs(), file=sys.stderr)
        raise
    finally:
        cluster.cleanup()


if __name__ == "__main__":
    main()
