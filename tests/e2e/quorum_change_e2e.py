#!/usr/bin/env python3
"""Quorum change on real `tss node` processes over libp2p (issue 13): a key moves to the
validators registered now, same public key, and the new holders sign.

One cluster, poll 100 ms, SQLite, in four steps (each timed, one `quorum-change-e2e[...]` line):
  join   3-of-4 key; a fifth validator starts and registers; `tss status` shows the holders
         differ; `tss quorumchange --wait` -> 4-of-5, same public key, next generation at all
         five; one original holder stopped -> the remaining four (the newcomer among them) sign.
  leave  validator-02 restarts with --leaving; `tss quorumchange` -> 3-of-4 among the others; it
         holds no share any more (no key row, no key file); the rest sign.
  fail   a registered validator (a new holder) is stopped; a quorum change cannot complete and
         expires; the key is unchanged (same generation, same holders) and the old set signs.
Every signature is verified with OpenSSL (cluster.check_signature) against the key's public key.

Usage: tests/e2e/quorum_change_e2e.py --tss build/bin/tss
"""
import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from cluster import (CaseFailure, Cluster, check_keys, check_signature, outcome_everywhere,  # noqa: E402
                     wait_for)


def log(step, started, **figures):
    extra = " ".join(f"{k}={v}" for k, v in figures.items())
    print(f"quorum-change-e2e[{step}] {time.monotonic() - started:.1f}s {extra}", flush=True)


def quorum_change(cluster, key_id, *extra):
    """`tss quorumchange --wait --json`'s result, and how long the command took (s)."""
    started = time.monotonic()
    result = cluster.run_json("quorumchange", "--key-id", key_id, "--wait", *extra)
    return result, time.monotonic() - started


def check_moved(result, public_key, holders, generation):
    """The quorum change's result JSON: SUCCESS, the same public key, the new holders, their
    threshold floor(2n/3)+1 and the next generation."""
    want = {"status": "SUCCESS", "public_key": public_key, "participants": holders,
            "threshold": 2 * len(holders) // 3 + 1, "generation": generation}
    got = {k: result.get(k) for k in want}
    if got != want:
        raise CaseFailure(f"quorum change result {result}, expected {want}")


def signs(cluster, key_id, public_key, text):
    result = cluster.sign(key_id, message=f"{text} {time.time()}")
    check_signature(result, public_key)
    return result


def holders_differ(cluster, key_id, at):
    """`tss status --keys --json`'s holders_differ of the key at node `at`."""
    rows = cluster.run_json("status", "--keys")[at]
    row = next(k for k in rows if k["key_id"] == key_id)
    return row["holders_differ"]


def has_key_file(node, key_id):
    return os.path.exists(os.path.join(node.home, "keyshares", key_id + ".share"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tss", default="build/bin/tss")
    args = parser.parse_args()
    # Keep clear of a coordinator turn boundary (1000 blocks = 1000 s) during the run.
    while int(time.time()) % 1000 > 820:
        time.sleep(1)
    cluster = Cluster(os.path.abspath(args.tss), 4, poll_interval="100ms", session_expiry="10s")
    try:
        started = time.monotonic()
        cluster.start()
        keygen = cluster.keygen()
        key_id, public_key = keygen["key_id"], keygen["public_key"]
        generation = keygen["generation"]
        if keygen.get("threshold") != 3 or len(keygen.get("participants", [])) != 4:
            raise CaseFailure(f"expected a 3-of-4 key: {keygen}")
        log("keygen", started, key=key_id)

        # -- join ----------------------------------------------------------------------------
        started = time.monotonic()
        newcomer = cluster.add_node()
        differ = holders_differ(cluster, key_id, "validator-01")
        if differ != {"joining": [newcomer.address], "leaving": []}:
            raise CaseFailure(f"tss status should show {newcomer.address} joining: {differ}")
        moved, took = quorum_change(cluster, key_id)
        generation += 1
        everyone = sorted(n.address for n in cluster.nodes)
        check_moved(moved, public_key, everyone, generation)
        check_keys(cluster, key_id, public_key, generation)
        log("join", started, holders=len(everyone), threshold=moved["threshold"],
            quorumchange_wait_s=f"{took:.2f}")
        started = time.monotonic()
        cluster.nodes[0].stop()  # validator-01, an original holder
        signed = signs(cluster, key_id, public_key, "after join")
        log("join-sign", started, stopped="validator-01", verified=signed["verified"])
        cluster.nodes[0].start()
        wait_for("validator-01 back", lambda: holders_differ(cluster, key_id, "validator-01") is None,
                 30, cluster)

        # -- leave ---------------------------------------------------------------------------
        started = time.monotonic()
        leaver = cluster.nodes[1]  # validator-02
        leaver.stop()
        leaver.extra_args = ["--leaving"]
        leaver.start()

        def registered_leaving():
            with open(cluster.registry) as f:
                entries = json.load(f)["nodes"]
            return any(e["validator_address"] == leaver.address and e.get("leaving") for e in entries)
        wait_for("validator-02 registered as leaving", registered_leaving, 30, cluster)
        differ = wait_for("tss status shows validator-02 leaving",
                          lambda: holders_differ(cluster, key_id, "validator-03"), 30, cluster)
        if differ != {"joining": [], "leaving": [leaver.address]}:
            raise CaseFailure(f"tss status should show {leaver.address} leaving: {differ}")
        time.sleep(1.5)  # every node re-reads the registry each second
        moved, took = quorum_change(cluster, key_id)
        generation += 1
        stayers = sorted(n.address for n in cluster.nodes if n is not leaver)
        check_moved(moved, public_key, stayers, generation)
        rows = wait_for("validator-02 holds no share",
                        lambda: (r := cluster.key_rows(key_id)) and r[leaver.address] is None and r,
                        30, cluster)
        views = {a: (r["public_key"], r["active"]["generation"], r["active"]["fingerprint"])
                 for a, r in rows.items() if a != leaver.address}
        if None in views.values() or len(set(views.values())) != 1 or \
                next(iter(views.values()))[:2] != (public_key, generation):
            raise CaseFailure(f"the remaining holders disagree after the leave: {views}")
        if has_key_file(leaver, key_id):
            raise CaseFailure(f"{leaver.address} still has a key file for {key_id}")
        log("leave", started, holders=len(stayers), threshold=moved["threshold"],
            quorumchange_wait_s=f"{took:.2f}")
        started = time.monotonic()
        signed = signs(cluster, key_id, public_key, "after leave")
        leaver.stop()
        signed = signs(cluster, key_id, public_key, "after leave, leaver stopped")
        log("leave-sign", started, verified=signed["verified"])

        # -- fail ----------------------------------------------------------------------------
        started = time.monotonic()
        down = cluster.nodes[2]  # validator-03: registered, so a new holder of any change
        down.stop()
        live = [n for n in cluster.nodes if n.alive()]
        before = {a: r["active"] for a, r in cluster.key_rows(key_id).items() if r}
        event_id = cluster.run_json("quorumchange", "--key-id", key_id, "--expiry-blocks", "6")["event_id"]
        rows = wait_for("the quorum change without a new holder ends",
                        lambda: outcome_everywhere(cluster, event_id, live), 90, cluster)
        if any(r[0] == "SUCCESS" for r in rows):
            raise CaseFailure(f"a quorum change without {down.address} succeeded: {rows}")
        after = {a: r["active"] for a, r in cluster.key_rows(key_id).items() if r}
        if after != before:
            raise CaseFailure(f"the failed quorum change changed the key: {before} -> {after}")
        signed = signs(cluster, key_id, public_key, "after a failed quorum change")
        log("fail", started, outcome=rows[0][0], generation=generation, verified=signed["verified"])
        print("quorum-change-e2e: every step passed, every signature verified", flush=True)
    finally:
        cluster.cleanup()


if __name__ == "__main__":
    try:
        main()
    except CaseFailure as e:
        print(f"quorum-change-e2e: FAILED: {e}", flush=True)
        sys.exit(1)
