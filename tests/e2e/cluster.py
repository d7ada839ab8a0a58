#!/usr/bin/env python3
"""A local tss cluster of real `tss node` processes, for the demo and the end-to-end tests.

Each node gets its own home folder, Ed25519 identity, loopback port and database (a SQLite file,
or a PostgreSQL database when a server URL is given); all share one registry file. Commands
(`tss keygen/sign/keyrefresh/status`) run as separate processes, exactly as a user would.
A node may listen elsewhere than loopback and run under a command prefix (`listen_host`,
`prefix`: e.g. its own network namespace, `ip netns exec NS`), set before it starts.
"""
import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from verify_signature import verify  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    def __init__(self, cluster, index: int, db_url: str | None):
        self.cluster = cluster
        self.index = index
        self.address = f"validator-{index:02d}"
        self.private_key = secrets.token_hex(32)
        self.port = free_port()
        self.home = os.path.join(cluster.root, self.address)
        os.makedirs(self.home, exist_ok=True)
        self.db_url = db_url
        self.log_path = os.path.join(self.home, "node.log")
        self.proc = None
        self.listen_host = "127.0.0.1"
        self.prefix = []  # the node runs as prefix + args(); the prefix must exec, not fork
        self.extra_args = []  # more `tss node` flags (e.g. --api-listen), set before it starts

    def args(self):
        a = [self.cluster.tss, "node", "--validator-address", self.address, "--private-key-file",
             self.key_file(), "--p2p-listen", f"/ip4/{self.listen_host}/tcp/{self.port}", "--home", self.home,
             "--registry", self.cluster.registry, "--poll-interval", self.cluster.poll_interval,
             "--session-expiry", self.cluster.session_expiry, "--retry-delay", str(self.cluster.retry_delay),
             "--coordinator-range", str(self.cluster.coordinator_range)]
        if self.db_url:
            a += ["--db", self.db_url]
        return a + self.extra_args

    def key_file(self):
        path = os.path.join(self.home, "identity.key")
        if not os.path.exists(path):
            with open(path, "w") as f:
                f.write(self.private_key + "\n")
            os.chmod(path, 0o600)
        return path

    def start(self, extra_env=None):
        """Starts the node; `extra_env` adds variables (e.g. TSS_CRASH_AT) to its environment."""
        log = open(self.log_path, "ab")
        env = dict(os.environ, TSS_PASSWORD=self.cluster.password)
        env.pop("TSS_CRASH_AT", None)  # a crash point is armed only where a test asks for one
        env.update(extra_env or {})
        self.proc = subprocess.Popen(self.prefix + self.args(), stdout=log, stderr=subprocess.STDOUT, env=env)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if not self.alive():
            return None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def kill(self):
        return self.stop(signal.SIGKILL)

    def event_row(self, event_id):
        """(status, result, error) of an event in this node's own database (its SQLite file, or
        its PostgreSQL database through psql), read directly (the node may be down); Nones when
        the row or the database cannot be read."""
        if self.db_url:
            return self._postgres_event_row(event_id)
        try:
            with sqlite3.connect(os.path.join(self.home, "tss.db"), timeout=5) as conn:
                r = conn.execute("SELECT status, result, error FROM tss_events WHERE event_id = ?",
                                 (event_id,)).fetchone()
        except sqlite3.Error:
            return None, None, None
        return r if r else (None, None, None)

    def event_rows(self, event_ids, timeout=5):
        """{event_id: (status, result, error)} of those of `event_ids` this node's SQLite database
        holds, read directly; None when the database cannot be read (e.g. locked by a node that
        is stopped mid-write longer than `timeout`)."""
        ids = list(event_ids)
        rows = {}
        try:
            with sqlite3.connect(os.path.join(self.home, "tss.db"), timeout=timeout) as conn:
                for i in range(0, len(ids), 500):
                    chunk = ids[i:i + 500]
                    rows.update((r[0], r[1:]) for r in conn.execute(
                        "SELECT event_id, status, result, error FROM tss_events WHERE event_id IN "
                        f"({','.join('?' * len(chunk))})", chunk))
        except sqlite3.Error:
            return None
        return rows

    def _postgres_event_row(self, event_id):
        # Event ids are the command's own hex ids; the query quotes nothing else. Fields are
        # separated by the ASCII unit separator, which no status, result or error contains.
        if not all(c.isalnum() or c in "-_." for c in event_id):
            raise ValueError(f"unexpected event id {event_id!r}")
        try:
            out = subprocess.run(["psql", self.db_url, "-AtX", "-F", "\x1f", "-c",
                                  "SELECT status, coalesce(result, ''), coalesce(error, '') "
                                  f"FROM tss_events WHERE event_id = '{event_id}'"],
                                 capture_output=True, text=True, timeout=10)
        except subprocess.TimeoutExpired:
            return None, None, None
        if out.returncode != 0 or not out.stdout.strip():
            return None, None, None
        status, result, error = out.stdout.rstrip("\n").split("\x1f")
        return status, result or None, error or None

    def log_size(self):
        try:
            return os.path.getsize(self.log_path)
        except OSError:
            return 0

    def log_since(self, offset):
        """What the node logged after byte `offset` of its log (see log_size)."""
        try:
            with open(self.log_path, errors="replace") as f:
                f.seek(offset)
                return f.read()
        except OSError:
            return ""

    def log_tail(self, n=40):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""


class Cluster:
    def __init__(self, tss: str, n: int, db_urls=None, poll_interval="100ms", session_expiry="10s",
                 retry_delay=1, coordinator_range=1000, root=None):
        self.tss = os.path.abspath(tss)
        self.root = root or tempfile.mkdtemp(prefix="tss-cluster-")
        self.registry = os.path.join(self.root, "registry.json")
        self.password = secrets.token_hex(16)
        self.poll_interval = poll_interval
        self.session_expiry = session_expiry
        self.retry_delay = retry_delay
        self.coordinator_range = coordinator_range
        db_urls = db_urls or [None] * n
        self.nodes = [Node(self, i + 1, db_urls[i]) for i in range(n)]

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self, timeout=30):
        for node in self.nodes:
            node.start()
        self.wait_registered(timeout)

    def wait_registered(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for node in self.nodes:
                if not node.alive():
                    raise RuntimeError(f"{node.address} exited early:\n{node.log_tail()}")
            try:
                with open(self.registry) as f:
                    entries = json.load(f)
                entries = entries.get("nodes", entries) if isinstance(entries, dict) else entries
                names = {e.get("validator_address") for e in entries}
                if all(node.address in names for node in self.nodes):
                    return
            except (OSError, ValueError):
                pass
            time.sleep(0.1)
        raise RuntimeError("nodes did not all register in time:\n" + self.logs())

    def stop(self):
        for node in self.nodes:
            node.stop()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def logs(self):
        return "\n".join(f"--- {n.address} ---\n{n.log_tail()}" for n in self.nodes)

    # -- commands --------------------------------------------------------------------------------
    def run(self, *args, check=True, timeout=180):
        cmd = [self.tss, *args, "--registry", self.registry]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}\n"
                               + self.logs())
        return proc

    def run_json(self, *args, **kw):
        proc = self.run(*args, "--json", **kw)
        return json.loads(proc.stdout)

    def keygen(self, key_id=None):
        args = ["keygen", "--wait"] + (["--key-id", key_id] if key_id else [])
        return self.run_json(*args)

    def keyrefresh(self, key_id):
        return self.run_json("keyrefresh", "--key-id", key_id, "--wait")

    def sign(self, key_id, message=None, message_hash=None, chain_path=None):
        args = ["sign", "--key-id", key_id, "--wait"]
        args += ["--message-hash", message_hash] if message_hash else ["--message", message]
        args += ["--chain-path", chain_path] if chain_path else []
        return self.run_json(*args)

    def status(self, event_id):
        return self.run_json("status", "--event-id", event_id)

    def key_rows(self, key_id):
        """Every node's tss_keys row of a key, from `tss status --keys`: {address: row}, None for
        a node that holds no such key."""
        states = self.run_json("status", "--keys")
        return {node.address: next((k for k in states.get(node.address, []) if k["key_id"] == key_id),
                                   None) for node in self.nodes}

    def key_views(self, key_id):
        """Every node's view of a key: {address: (public key, active generation, its
        fingerprint)}, None for a node that holds no such key."""
        views = {}
        for address, row in self.key_rows(key_id).items():
            active = (row["active"] or {}) if row else {}
            views[address] = ((row["public_key"], active.get("generation"),
                               active.get("fingerprint")) if row else None)
        return views

    def check_key(self, key_id, public_key, generation):
        """Raises unless every node holds the key with the same public key, active generation and
        fingerprint, and those are `public_key` and `generation`; returns (generation,
        fingerprint)."""
        views = self.key_views(key_id)
        if None in views.values():
            raise AssertionError(f"key {key_id} missing at some node: {views}")
        if len(set(views.values())) != 1:
            raise AssertionError(f"key {key_id} split: {views}")
        seen_key, seen_generation, fingerprint = next(iter(views.values()))
        if seen_key != public_key or seen_generation != generation or not fingerprint:
            raise AssertionError(f"key {key_id}: every node has {views}, expected public key "
                                 f"{public_key} generation {generation}")
        return seen_generation, fingerprint

    def failover_order(self, at):
        """Validators in failover order at Unix time `at`: the primary coordinator (blocks are
        seconds; turns of --coordinator-range blocks over the address-sorted validators), then
        its backups."""
        ordered = sorted(n.address for n in self.nodes)
        primary = (int(at) // self.coordinator_range) % len(ordered)
        return [ordered[(primary + k) % len(ordered)] for k in range(len(ordered))]


def crash_points(tss):
    """The named crash points `TSS_CRASH_AT=<point>[:<nth>]` arms in `tss node` (name, protocol,
    role), as `tss crash-points --json` lists them."""
    out = subprocess.run([tss, "crash-points", "--json"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def rewrite_section(path, name, section):
    """Replaces what stands between `<!-- NAME:begin -->` and `<!-- NAME:end -->` in the file
    (docs/RELIABILITY.md) with `section`: how the fault scripts publish their figures."""
    with open(path) as f:
        text = f.read()
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    if begin not in text or end not in text:
        raise SystemExit(f"{path} has no {begin} … {end} section")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    with open(path, "w") as f:
        f.write(f"{head}{begin}\n{section}{end}{tail}")


def check_signature(result, public_key):
    """Verifies a `tss sign --json` result with OpenSSL; raises on any mismatch."""
    if result.get("status") != "SUCCESS":
        raise AssertionError(f"sign did not succeed: {result}")
    if result["public_key"] != public_key:
        raise AssertionError(f"signed under {result['public_key']}, expected {public_key}")
    if not verify(public_key, result["message_hash"], result["r"], result["s"]):
        raise AssertionError(f"OpenSSL rejects the signature {result}")


# -- checks shared by the fault scripts (tests/e2e/kill_matrix.py, tests/faults/*.py) ----------
TERMINAL = {"SUCCESS", "FAILED", "EXPIRED"}


class CaseFailure(AssertionError):
    """A fault case's check failed (the scripts report it and go on with the next case)."""


def wait_for(what, predicate, bound, cluster=None):
    """Polls `predicate` until it returns something true, and returns that; after `bound`
    seconds raises CaseFailure naming `what` (with the cluster's node logs when given)."""
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise CaseFailure(f"{what}: not within {bound} s" + ("\n" + cluster.logs() if cluster else ""))


def outcome_everywhere(cluster, event_id, nodes=None):
    """Each node's (status, result, error) of the event once it is terminal at all of `nodes`
    (default: every node of the cluster), else None."""
    rows = [n.event_row(event_id) for n in (nodes or cluster.nodes)]
    return rows if all(r[0] in TERMINAL for r in rows) else None


def check_accounted(cluster, event_id, bound, nodes=None):
    """Waits until the event ends at every one of `nodes` and checks it ended the same way
    everywhere, with a reason wherever it is not SUCCESS; returns the rows."""
    nodes = nodes or cluster.nodes
    rows = wait_for(f"every node ends event {event_id}",
                    lambda: outcome_everywhere(cluster, event_id, nodes), bound, cluster)
    if len({r[0] for r in rows}) != 1:
        raise CaseFailure(f"event {event_id} ended differently: "
                          f"{[(n.address, r[0], r[2]) for n, r in zip(nodes, rows)]}")
    if rows[0][0] != "SUCCESS" and not all(r[2] for r in rows):
        raise CaseFailure(f"event {event_id} {rows[0][0]} without a reason at some node: {rows}")
    return rows


def key_views(cluster, key_id):
    """Every node's tss_keys row of the key (Cluster.key_rows); CaseFailure if a node has none."""
    rows = cluster.key_rows(key_id)
    missing = [address for address, row in rows.items() if row is None]
    if missing:
        raise CaseFailure(f"{', '.join(missing)} hold no key {key_id}")
    return rows


def check_keys(cluster, key_id, public_key, expect_generation):
    """Cluster.check_key, failing the case (CaseFailure) rather than the script."""
    try:
        return cluster.check_key(key_id, public_key, expect_generation)
    except CaseFailure:
        raise
    except AssertionError as e:
        raise CaseFailure(str(e)) from None
