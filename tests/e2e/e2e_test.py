#!/usr/bin/env python3
"""End-to-end tests: real `tss node` processes over libp2p on loopback, real databases, the
`tss` commands a user runs, and every signature checked by OpenSSL.

    python3 tests/e2e/e2e_test.py --tss build/bin/tss [unittest arguments, e.g. -k Sqlite]
"""
import argparse
import os
import signal
import sqlite3
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from cluster import Cluster, check_signature  # noqa: E402
from postgres import PostgresServer  # noqa: E402

TSS = "build/bin/tss"


def sha256_hex(text: str) -> str:
    import hashlib
    return hashlib.sha256(text.encode()).hexdigest()


def event_statuses(cluster, event_id):
    """Every node's status of the event, in node order (`tss status --json` shows all nodes)."""
    by_node = cluster.status(event_id)
    return [by_node[n.address][0]["status"] if by_node.get(n.address) else "UNKNOWN" for n in cluster.nodes]


class ClusterCase(unittest.TestCase):
    """One cluster per test; its node logs are printed when the test fails."""

    nodes = 4
    session_expiry = "10s"

    def make_cluster(self, **kw):
        kw.setdefault("session_expiry", self.session_expiry)
        cluster = Cluster(TSS, kw.pop("n", self.nodes), **kw)
        self.addCleanup(cluster.cleanup)
        self.addCleanup(lambda: self._outcome_logs(cluster))
        return cluster

    def _outcome_logs(self, cluster):
        # unittest has no failure hook; in a cleanup, the result object already holds this
        # test's failure (Python 3.11), so the node logs are printed only when it failed.
        result = getattr(getattr(self, "_outcome", None), "result", None)
        failed = [t for t, _ in (getattr(result, "errors", []) + getattr(result, "failures", []))]
        if self in failed:
            print(cluster.logs(), file=sys.stderr)

    def full_cycle(self, cluster):
        keygen = cluster.keygen()
        self.assertEqual(keygen["status"], "SUCCESS", keygen)
        key_id, public_key = keygen["key_id"], keygen["public_key"]
        self.assertEqual(len(public_key), 66)
        first = cluster.sign(key_id, message="first message")
        check_signature(first, public_key)
        self.assertEqual(first["message_hash"], sha256_hex("first message"))
        refresh = cluster.keyrefresh(key_id)
        self.assertEqual(refresh["status"], "SUCCESS", refresh)
        self.assertEqual(refresh["public_key"], public_key)
        second = cluster.sign(key_id, message_hash=sha256_hex("second message"))
        check_signature(second, public_key)
        return key_id, public_key


class SqliteClusterTest(ClusterCase):
    def test_keygen_sign_refresh_sign(self):
        cluster = self.make_cluster()
        cluster.start()
        self.full_cycle(cluster)
        # Every node's own database recorded every event as SUCCESS.
        for node in cluster.nodes:
            with sqlite3.connect(os.path.join(node.home, "tss.db")) as db:
                statuses = [row[0] for row in db.execute("SELECT status FROM tss_events")]
            self.assertEqual(statuses, ["SUCCESS"] * 4, node.address)
            # One sealed key-share file per node, which does not hold the public key in the clear.
            shares = os.listdir(os.path.join(node.home, "keyshares"))
            self.assertEqual(len(shares), 1, shares)

    def test_clean_shutdown_and_restart_keeps_keys(self):
        cluster = self.make_cluster()
        cluster.start()
        keygen = cluster.keygen()
        key_id, public_key = keygen["key_id"], keygen["public_key"]
        for node in cluster.nodes:
            self.assertEqual(node.stop(signal.SIGTERM), 0, node.log_tail())
        cluster.start()
        check_signature(cluster.sign(key_id, message="after a restart"), public_key)

    def test_crashed_node_recovers_and_the_event_finishes(self):
        cluster = self.make_cluster(session_expiry="2s")
        cluster.start()
        keygen = cluster.keygen()
        key_id, public_key = keygen["key_id"], keygen["public_key"]
        # Keyrefresh needs every holder: with one node killed it cannot finish...
        victim = cluster.nodes[-1]
        victim.kill()
        submitted = cluster.run_json("keyrefresh", "--key-id", key_id)
        event_id = submitted["event_id"]
        time.sleep(4)
        self.assertNotIn("SUCCESS", event_statuses(cluster, event_id))
        # ...and once the node is back (crash recovery resets its IN_PROGRESS sessions), a retry does.
        victim.start()
        cluster.wait_registered()
        deadline = time.time() + 90
        while time.time() < deadline:
            statuses = event_statuses(cluster, event_id)
            if set(statuses) <= {"SUCCESS", "FAILED"}:
                break
            time.sleep(0.5)
        self.assertEqual(statuses, ["SUCCESS"] * len(cluster.nodes))
        for events in cluster.status(event_id).values():
            self.assertEqual(events[0]["result"]["public_key"], public_key)
        check_signature(cluster.sign(key_id, message="after the recovery"), public_key)

    def test_user_errors_are_clear_and_change_nothing(self):
        cluster = self.make_cluster(n=3)
        cluster.start()
        unknown = cluster.run("sign", "--key-id", "00" * 32, "--message", "x", "--wait", "--timeout", "5s",
                              check=False)
        self.assertNotEqual(unknown.returncode, 0)
        bad_hash = cluster.run("sign", "--key-id", "ab", "--message-hash", "zz", check=False)
        self.assertEqual(bad_hash.returncode, 2, bad_hash.stderr)
        self.assertIn("message-hash", bad_hash.stderr)
        no_event = cluster.run("status", "--event-id", "no-such-event", check=False)
        self.assertNotEqual(no_event.returncode, 0)
        # The cluster still works afterwards.
        self.full_cycle(cluster)

    def test_node_refuses_a_missing_identity_key(self):
        cluster = self.make_cluster(n=1)
        node = cluster.nodes[0]
        args = [a for a in node.args()]
        i = args.index("--private-key-file")
        del args[i:i + 2]
        env = dict(os.environ, TSS_PASSWORD="pw")
        env.pop("TSS_PRIVATE_KEY", None)
        proc = subprocess.run(args, capture_output=True, text=True, env=env, timeout=30)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn("identity key", proc.stderr + proc.stdout)


class PostgresClusterTest(ClusterCase):
    def test_keygen_sign_refresh_sign_on_postgres(self):
        pg = PostgresServer().start()
        self.addCleanup(pg.stop)
        urls = [pg.create_database(f"node{i}") for i in range(self.nodes)]
        cluster = self.make_cluster(db_urls=urls)
        cluster.start()
        self.full_cycle(cluster)
        out = subprocess.run(["psql", urls[0], "-At", "-c", "SELECT status FROM tss_events"], capture_output=True,
                             text=True, check=True)
        self.assertEqual(out.stdout.split(), ["SUCCESS"] * 4)


def main():
    global TSS
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--tss", default=TSS)
    args, rest = parser.parse_known_args()
    TSS = os.path.abspath(args.tss)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
