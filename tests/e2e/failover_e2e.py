#!/usr/bin/env python3
"""Signing with validators stopped for good, on real `tss node` processes over libp2p (issue 12,
parts 2 and 3), and the figures docs/RELIABILITY.md quotes.

Two cases, poll 100 ms, SQLite:
  - 3-of-4: signs with all up, then with one signer SIGKILLed;
  - 5-of-7: signs with all up, then with the coordinator (primary at this block) and its first
    backup SIGKILLed.
Each sign is created with `tss sign` (no --wait, whose end includes its grace for the stopped
nodes) and followed in the live nodes' own databases until the first one holds the signature;
every signature is then checked with OpenSSL on every live node.
The latency is from starting `tss sign` to that first SUCCESS (so it includes the command's own
start-up and its writes to every database). Figures are printed, one `failover-e2e[...]` line per
phase; the script fails only if a signature does not complete or does not verify.

Usage: tests/e2e/failover_e2e.py --tss build/bin/tss [--signs 10]
"""
import argparse
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from cluster import Cluster, check_signature  # noqa: E402


def row(node, event_id):
    try:
        with sqlite3.connect(os.path.join(node.home, "tss.db"), timeout=5) as conn:
            r = conn.execute("SELECT status, result FROM tss_events WHERE event_id = ?",
                             (event_id,)).fetchone()
    except sqlite3.Error:
        return None, None
    return (r[0], r[1]) if r else (None, None)


def failover_order(cluster, at):
    """Validators in failover order at Unix time `at`: the primary, then its backups."""
    ordered = sorted(n.address for n in cluster.nodes)
    primary = (int(at) // cluster.coordinator_range) % len(ordered)
    return [ordered[(primary + k) % len(ordered)] for k in range(len(ordered))]


def sign_and_time(cluster, key_id, public_key, i, timeout=60):
    live = [n for n in cluster.nodes if n.alive()]
    start = time.monotonic()
    event_id = cluster.run_json("sign", "--key-id", key_id, "--message", f"failover {i} {time.time()}")["event_id"]
    first = None
    deadline = start + timeout
    while time.monotonic() < deadline:
        done = [n.event_row(event_id)[0] for n in live]
        if first is None and "SUCCESS" in done:
            first = (time.monotonic() - start) * 1000
        if all(s == "SUCCESS" for s in done):
            break
        if "FAILED" in done:
            raise AssertionError(f"event {event_id} failed: {done}")
        time.sleep(0.005 if first is None else 0.05)
    else:
        raise AssertionError(f"event {event_id} did not finish on every live node in {timeout} s: "
                             + str([n.event_row(event_id)[0] for n in live]) + "\n" + cluster.logs())
    for n in live:
        result = json.loads(n.event_row(event_id)[1])
        result["status"] = "SUCCESS"
        check_signature(result, public_key)
    return first


def phase(cluster, name, key_id, public_key, signs):
    ms = sorted(sign_and_time(cluster, key_id, public_key, i) for i in range(signs))
    print(f"failover-e2e[{name}] signs={len(ms)} p50_ms={statistics.median(ms):.0f} "
          f"max_ms={ms[-1]:.0f}", flush=True)


def run_case(tss, n, stop_ranks, signs, name):
    # Keep clear of a coordinator turn boundary (1000 blocks = 1000 s) during the case.
    while int(time.time()) % 1000 > 880:
        time.sleep(1)
    cluster = Cluster(tss, n, poll_interval="100ms", session_expiry="10s")
    try:
        cluster.start()
        keygen = cluster.keygen()
        assert keygen["status"] == "SUCCESS", keygen
        key_id, public_key = keygen["key_id"], keygen["public_key"]
        phase(cluster, f"{name} all up", key_id, public_key, signs)
        order = cluster.failover_order(time.time())
        stopped = [order[k] for k in stop_ranks]
        for node in cluster.nodes:
            if node.address in stopped:
                node.kill()
        phase(cluster, f"{name} stopped {'+'.join(f'rank{k}' for k in stop_ranks)}", key_id,
              public_key, signs)
        # Who coordinated: the node logs say "coordinating SIGN ... as backup k".
        counts = {}
        for node in cluster.nodes:
            if node.alive():
                with open(node.log_path, errors="replace") as f:
                    lines = [ln for ln in f if "coordinating SIGN" in ln]
                if lines:
                    counts[node.address] = (len(lines), sum("as backup" in ln for ln in lines))
        print(f"failover-e2e[{name}] attempts by node (all, as backup): {counts}; stopped: {stopped}",
              flush=True)
    finally:
        cluster.cleanup()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tss", default="build/bin/tss")
    parser.add_argument("--signs", type=int, default=10)
    args = parser.parse_args()
    tss = os.path.abspath(args.tss)
    # 3-of-4: rank 2 is a signer, not the coordinator or its first backup.
    run_case(tss, 4, [2], args.signs, "3-of-4")
    run_case(tss, 7, [0, 1], args.signs, "5-of-7")
    print("failover-e2e: every signature completed and verified", flush=True)


if __name__ == "__main__":
    main()
