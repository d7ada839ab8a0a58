#!/usr/bin/env python3
"""End-to-end tests: real `tss node` processes over libp2p on loopback, real databases, the
`tss` commands a user runs, and every signature checked by OpenSSL.

    python3 tests/e2e/e2e_test.py --tss build/bin/tss [unittest arguments, e.g. -k Sqlite]
"""
import argparse
import json
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
from verify_signature import verify  # noqa: E402
import bip32_pub  # noqa: E402
from postgres import PostgresServer  # noqa: E402

TSS = "build/bin/tss"


def sha256_hex(text: str) -> str:
    import hashlib
    return hashlib.sha256(text.encode()).hexdigest()


def event_row(node, event_id):
    """(status, attempts) of the event in the node's own SQLite database, or (None, 0)."""
    with sqlite3.connect(os.path.join(node.home, "tss.db")) as conn:
        row = conn.execute("SELECT status, attempts FROM tss_events WHERE event_id = ?", (event_id,)).fetchone()
    return (row[0], row[1]) if row else (None, 0)


def coordinator_at(cluster, at):
    """The validator whose turn it is at Unix time `at`."""
    return cluster.failover_order(at)[0]


def wait_for(condition, timeout, what):
    """Polls `condition` until it holds; raises AssertionError naming `what` after `timeout` s."""
    deadline = time.time() + timeout
    while not condition():
        if time.time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.2)


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
        # An attempt without it starts and expires back to PENDING (none starts at all when the
        # killed node is the coordinator).
        if coordinator_at(cluster, time.time()) != victim.address:
            witness = cluster.nodes[0]
            wait_for(lambda: event_row(witness, event_id)[1] >= 1 and event_row(witness, event_id)[0] == "PENDING",
                     60, "an attempt without the killed node to expire")
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

    def test_unresponsive_participant_expires_and_the_retry_succeeds(self):
        cluster = self.make_cluster(session_expiry="2s")
        cluster.start()
        keygen = cluster.keygen()
        key_id, public_key = keygen["key_id"], keygen["public_key"]
        # A participant that is up but never answers (stopped, not killed: its sockets stay open).
        # Not the coordinator: with the coordinator stopped nothing would start.
        busy = {coordinator_at(cluster, time.time()), coordinator_at(cluster, time.time() + 120)}
        victim = next(n for n in cluster.nodes if n.address not in busy)
        victim.proc.send_signal(signal.SIGSTOP)
        try:
            event_id = cluster.run_json("keyrefresh", "--key-id", key_id)["event_id"]
            # The others start the session, see it go quiet past --session-expiry, move the event
            # back to PENDING at a later block, and try again (more than one attempt recorded).
            witness = next(n for n in cluster.nodes if n is not victim)
            wait_for(lambda: event_row(witness, event_id)[1] >= 2, 60, "a second attempt")
            self.assertNotIn("SUCCESS", event_statuses(cluster, event_id))
        finally:
            victim.proc.send_signal(signal.SIGCONT)
        deadline = time.time() + 90
        while time.time() < deadline:
            statuses = event_statuses(cluster, event_id)
            if set(statuses) <= {"SUCCESS", "FAILED", "EXPIRED"}:
                break
            time.sleep(0.5)
        self.assertEqual(statuses, ["SUCCESS"] * len(cluster.nodes), cluster.logs())
        check_signature(cluster.sign(key_id, message="after the expiry"), public_key)

    def test_startup_errors_are_clear_and_exit_non_zero(self):
        cluster = self.make_cluster(n=2)
        cluster.start()
        keygen = cluster.keygen()
        node = cluster.nodes[0]
        self.assertEqual(node.stop(signal.SIGTERM), 0, node.log_tail())

        def run_node(args, password=cluster.password):
            env = dict(os.environ, TSS_PASSWORD=password)
            return subprocess.run(args, capture_output=True, text=True, env=env, timeout=30)

        # Wrong password: the node refuses to start and its share file is untouched.
        share_files = {}
        for root, _, files in os.walk(node.home):
            for name in files:
                if keygen["key_id"] in name:
                    with open(os.path.join(root, name), "rb") as f:
                        share_files[name] = f.read()
        self.assertTrue(share_files, "no key share file found")
        wrong = run_node(node.args(), password="not-the-password")
        self.assertNotEqual(wrong.returncode, 0)
        self.assertIn("password", (wrong.stderr + wrong.stdout).lower())
        for root, _, files in os.walk(node.home):
            for name in files:
                if name in share_files:
                    with open(os.path.join(root, name), "rb") as f:
                        self.assertEqual(f.read(), share_files[name], name)

        # An unreadable database: a file that is not SQLite.
        garbage_db = os.path.join(cluster.root, "garbage.db")
        with open(garbage_db, "wb") as f:
            f.write(os.urandom(4096))
        bad_db = run_node(node.args() + ["--db", garbage_db])
        self.assertNotEqual(bad_db.returncode, 0)
        self.assertIn("database", (bad_db.stderr + bad_db.stdout).lower())
        with open(garbage_db, "rb") as f:
            self.assertEqual(len(f.read()), 4096)

        # A corrupt registry: the node and the commands say so instead of guessing.
        corrupt = os.path.join(cluster.root, "corrupt.json")
        with open(corrupt, "w") as f:
            f.write("{ not json")
        args = node.args()
        args[args.index("--registry") + 1] = corrupt
        bad_registry = run_node(args)
        self.assertNotEqual(bad_registry.returncode, 0)
        self.assertIn("registry", (bad_registry.stderr + bad_registry.stdout).lower())
        for command in (["keygen"], ["status"]):
            out = subprocess.run([cluster.tss, *command, "--registry", corrupt], capture_output=True, text=True,
                                 timeout=30)
            self.assertNotEqual(out.returncode, 0, command)
            self.assertIn("registry", out.stderr.lower(), command)
        # A missing registry: nothing to drive.
        missing = os.path.join(cluster.root, "missing.json")
        out = subprocess.run([cluster.tss, "status", "--registry", missing], capture_output=True, text=True,
                             timeout=30)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("registry", out.stderr.lower())

        # With the right settings it starts again and the key still signs.
        node.start()
        cluster.wait_registered()
        check_signature(cluster.sign(keygen["key_id"], message="after the refusals"), keygen["public_key"])

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


class WaitAndStatusTest(ClusterCase):
    """Issue 12 part 4: `--wait` ends without the nodes that are down and names them; `tss status`
    shows each node's liveness, its peers as it sees them, and the key's generations."""

    def status_of_key(self, view, address, key_id):
        keys = [k for k in view[address].get("keys", []) if k["key_id"] == key_id]
        self.assertEqual(len(keys), 1, view[address])
        return keys[0]

    @staticmethod
    def add_registry_entry(cluster, address, database):
        """Lists one more validator, without a peer id (so the nodes leave it out), atomically
        and with the file's own mode (the nodes refuse a registry others may write)."""
        with open(cluster.registry) as f:
            doc = json.load(f)
        doc["nodes"].append({"validator_address": address, "peer_id": "", "multiaddrs": [],
                             "database": database, "last_update": int(time.time())})
        tmp = cluster.registry + ".tmp"
        with open(tmp, "w") as f:
            json.dump(doc, f)
        os.chmod(tmp, os.stat(cluster.registry).st_mode & 0o777)
        os.replace(tmp, cluster.registry)

    @staticmethod
    def answer_sign(cluster, key_id, public_key, answer, status="SUCCESS", error=None):
        """Runs `tss sign --wait` on a database of its own that mirrors the key, and records
        `answer` there as the event's outcome (`status`, with `error` as its reason) once the
        command has created it; returns the command's outcome."""
        db = os.path.join(cluster.root, f"lone-{time.monotonic_ns()}.db")
        subprocess.run([cluster.tss, "status", "--db", db], capture_output=True, check=True, timeout=30)
        with sqlite3.connect(db) as conn:
            conn.execute("INSERT INTO tss_keys (key_id, public_key, updated_at) VALUES (?, ?, 0)",
                         (key_id, public_key))
        cmd = subprocess.Popen([cluster.tss, "sign", "--db", db, "--key-id", key_id, "--message-hash",
                                answer["message_hash"], "--wait", "--json", "--grace", "1s", "--timeout", "60s"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        def created():
            with sqlite3.connect(db, timeout=10) as conn:
                return conn.execute("SELECT event_id FROM tss_events").fetchone()
        wait_for(created, 30, "the command to create its event")
        with sqlite3.connect(db, timeout=10) as conn:
            conn.execute("UPDATE tss_events SET status = ?, result = ?, error = ?",
                         (status, json.dumps(answer) if status == "SUCCESS" else "", error or ""))
        out, err = cmd.communicate(timeout=60)
        return subprocess.CompletedProcess(cmd.args, cmd.returncode, out, err)

    def test_wait_finishes_without_a_killed_node_and_status_shows_it(self):
        # Keep clear of a coordinator turn boundary, so that the node killed below stays a plain
        # signer (not the coordinator, not its first backup).
        while int(time.time()) % 1000 > 880:
            time.sleep(1)
        cluster = self.make_cluster()
        cluster.start()
        keygen = cluster.keygen()
        self.assertEqual(keygen["not_answered"], [], keygen)
        key_id, public_key = keygen["key_id"], keygen["public_key"]
        refresh = cluster.keyrefresh(key_id)
        self.assertEqual(refresh["status"], "SUCCESS", refresh)
        self.assertEqual(refresh["generation"], 1, refresh)

        # Every node alive, and every node at generation 1 of the key with one fingerprint.
        wait_for(lambda: all(v["alive"] for v in cluster.run_json("status").values()), 30,
                 "every node's heartbeat")
        view = cluster.run_json("status")
        fingerprints = set()
        for node in cluster.nodes:
            key = self.status_of_key(view, node.address, key_id)
            self.assertEqual(key["public_key"], public_key)
            self.assertEqual(key["active"]["generation"], 1, key)
            self.assertIsNone(key["pending"], key)
            fingerprints.add(key["active"]["fingerprint"])
            self.assertEqual(set(view[node.address]["peers"]), {n.address for n in cluster.nodes} - {node.address})
        self.assertEqual(len(fingerprints), 1, view)

        victim = next(n for n in cluster.nodes if n.address == cluster.failover_order(time.time())[2])
        live = [n for n in cluster.nodes if n is not victim]
        victim.kill()
        # Before issue 12 part 4 this waited for the killed node until --timeout (10 min); the
        # bound is generous, the point is that it returns at all.
        started = time.monotonic()
        proc = cluster.run("sign", "--key-id", key_id, "--message", "one node down", "--wait", "--json",
                           "--timeout", "120s")
        elapsed = time.monotonic() - started
        result = first = json.loads(proc.stdout)
        check_signature(result, public_key)
        self.assertTrue(result["verified"], result)
        self.assertEqual([n["validator"] for n in result["not_answered"]], [victim.address], result)
        self.assertIn("not alive", result["not_answered"][0]["reason"])
        self.assertIn(victim.address, proc.stderr)
        for node in live:
            self.assertEqual(result["nodes"][node.address]["status"], "SUCCESS", result)
        self.assertLess(elapsed, 60, result)
        print(f"sign --wait with {victim.address} killed returned in {elapsed:.1f} s", file=sys.stderr)
        # The human form names it too.
        text = cluster.run("sign", "--key-id", key_id, "--message", "still down", "--wait").stdout
        self.assertIn("verified: true", text)
        self.assertIn(f"{victim.address}: did not answer: node not alive", text)

        # `tss status`: the killed node is not alive, the others see it unreachable, and its
        # database still shows the key's generation after the refresh.
        def seen_down():
            v = cluster.run_json("status")
            return not v[victim.address]["alive"] and all(
                v[n.address]["peers"].get(victim.address) == "unreachable" for n in live)
        wait_for(seen_down, 30, f"every live node to see {victim.address} unreachable")
        view = cluster.run_json("status")
        self.assertEqual(view[victim.address]["presence"], "stale", view[victim.address])
        self.assertTrue(all(view[n.address]["alive"] for n in live), view)
        self.assertEqual(self.status_of_key(view, victim.address, key_id)["active"]["generation"], 1)
        text = cluster.run("status").stdout
        self.assertIn(f"{victim.address}  node not alive: last heartbeat", text)
        self.assertIn(f"{victim.address} unreachable", text)
        self.assertIn("generation 1 active", text)

        # A registered node whose database cannot be reached (nothing listens on port 1) is
        # named as such; the event is created and signed on the others.
        self.add_registry_entry(cluster, "validator-99", "postgres://tss@127.0.0.1:1/none?connect_timeout=2")
        self.assertEqual(cluster.run_json("status")["validator-99"]["presence"], "database unreachable")
        result = cluster.run_json("sign", "--key-id", key_id, "--message", "one database down", "--wait",
                                  "--timeout", "120s")
        check_signature(result, public_key)
        reasons = {n["validator"]: n["reason"] for n in result["not_answered"]}
        self.assertEqual(set(reasons), {victim.address, "validator-99"}, result)
        self.assertIn("database unreachable", reasons["validator-99"])

        # An event that ends FAILED or EXPIRED exits non-zero, printing that outcome: FAILED as
        # a node records it (the test plays the node in a database of the command's own, since
        # every sign the command lets through can succeed), EXPIRED from the real nodes (no such
        # key).
        failed = self.answer_sign(cluster, key_id, public_key, {"message_hash": "ab" * 32}, status="FAILED",
                                  error="protocol abort: party 2 sent a bad round-2 message")
        self.assertEqual(failed.returncode, 1, failed.stderr)
        self.assertEqual(json.loads(failed.stdout)["status"], "FAILED", failed.stdout)
        self.assertIn("bad round-2 message", failed.stdout + failed.stderr)
        expired = cluster.run("sign", "--key-id", "no-such-key", "--message", "x", "--expiry-blocks", "2",
                              "--wait", "--json", "--timeout", "120s", check=False)
        self.assertEqual(expired.returncode, 1, expired.stderr)
        self.assertEqual(json.loads(expired.stdout)["status"], "EXPIRED", expired.stdout)

        # The command checks a signature itself: in a database of its own (--db), the test plays
        # the node and records a SUCCESS; a real signature is accepted, one whose s belongs to
        # another signature is refused with exit 1.
        genuine = {k: result[k] for k in ("key_id", "public_key", "message_hash", "r", "s", "v")}
        accepted = self.answer_sign(cluster, key_id, public_key, genuine)
        self.assertEqual(accepted.returncode, 0, accepted.stderr)
        self.assertTrue(json.loads(accepted.stdout)["verified"], accepted.stdout)
        forged = dict(genuine, s=first["s"])
        refused = self.answer_sign(cluster, key_id, public_key, forged)
        self.assertEqual(refused.returncode, 1, refused.stderr)
        self.assertIn("does not verify", refused.stderr)
        self.assertFalse(json.loads(refused.stdout)["verified"], refused.stdout)

        # A clean stop is its own state: the node says so in its last heartbeat.
        stopped = live[0]
        self.assertEqual(stopped.stop(), 0, stopped.log_tail())
        self.assertEqual(cluster.run_json("status")[stopped.address]["presence"], "stopped")


class DerivedKeyTest(ClusterCase):
    """Issue 13, BIP32: a 3-of-4 key signs at a non-hardened chain path for the child key that
    this test derives itself (tests/e2e/bip32_pub.py, not the nodes' code), verified by OpenSSL;
    the root key does not verify it; a refresh keeps the child; a hardened path is refused by the
    command before any event exists."""

    def event_count(self, cluster):
        total = 0
        for node in cluster.nodes:
            with sqlite3.connect(os.path.join(node.home, "tss.db")) as conn:
                total += conn.execute("SELECT COUNT(*) FROM tss_events").fetchone()[0]
        return total

    def test_chain_path_signs_for_the_child_key_before_and_after_a_refresh(self):
        self.assertTrue(bip32_pub.self_test(), "the test's own CKDpub fails the published vector")
        cluster = self.make_cluster()
        cluster.start()
        keygen = cluster.keygen()
        self.assertEqual(keygen["status"], "SUCCESS", keygen)
        key_id, root = keygen["key_id"], keygen["public_key"]
        self.assertRegex(keygen["chain_code"], r"^[0-9a-f]{64}$")
        self.assertEqual(bip32_pub.decode_xpub(keygen["xpub"]), (0, root, keygen["chain_code"]))
        child = bip32_pub.derive(root, keygen["chain_code"], "m/1/2/3")
        self.assertNotEqual(child, root)

        first = cluster.sign(key_id, message="derived", chain_path="m/1/2/3")
        check_signature(first, child)  # OpenSSL, under the child this test derived
        self.assertEqual(first["root_public_key"], root)
        self.assertEqual(first["chain_path"], "m/1/2/3")
        self.assertTrue(first["verified"])  # --wait's own check, against the child
        self.assertFalse(verify(root, first["message_hash"], first["r"], first["s"]),
                         "the derived signature verifies under the root key")
        # Every node recorded the same child key.
        for events in cluster.status(first["event_id"]).values():
            self.assertEqual(events[0]["result"]["public_key"], child)

        refresh = cluster.keyrefresh(key_id)
        self.assertEqual(refresh["status"], "SUCCESS", refresh)
        self.assertEqual((refresh["public_key"], refresh["chain_code"]), (root, keygen["chain_code"]))
        second = cluster.sign(key_id, message="derived after the refresh", chain_path="m/1/2/3")
        check_signature(second, child)
        self.assertFalse(verify(root, second["message_hash"], second["r"], second["s"]))

        # Hardened and malformed paths: exit 2 from the command, and no event in any database.
        before = self.event_count(cluster)
        for path in ("m/1'/2", "m/0h", "m/1/", "1/2"):
            with self.subTest(path=path):
                proc = cluster.run("sign", "--key-id", key_id, "--message", "no", "--chain-path", path,
                                   check=False)
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertIn("--chain-path", proc.stderr)
        self.assertIn("hardened", cluster.run("sign", "--key-id", key_id, "--message", "no", "--chain-path",
                                              "m/1'/2", check=False).stderr)
        self.assertEqual(self.event_count(cluster), before)


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
