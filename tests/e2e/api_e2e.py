#!/usr/bin/env python3
"""Issue 14's end-to-end test of the node's HTTP API: real `tss node` processes (tests/e2e/
cluster.py) each serving `--api-listen` with a bearer token. Keygen and sign are submitted
through every node's own API under one event id, the signature is read back through the API
and verified by OpenSSL (code we did not write); requests without the token are 401; a table of
bad requests is each a 4xx with a JSON message while the node goes on serving; and every node's
`/metrics` is parsed by the Prometheus client library's own parser.

    python3 tests/e2e/api_e2e.py --tss build/bin/tss [--nodes 3]
"""
import argparse
import base64
import hashlib
import http.client
import json
import os
import re
import secrets
import socket
import sqlite3
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from cluster import Cluster, free_port  # noqa: E402
from verify_signature import verify  # noqa: E402

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:  # Debian's python3-prometheus-client, under another interpreter (pyenv)
    sys.path.append("/usr/lib/python3/dist-packages")
    try:
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError:
        sys.exit("python3-prometheus-client is missing: run scripts/install-deps.sh")


class Api:
    """One node's API over http.client (a fresh connection per call)."""

    def __init__(self, port, token):
        self.port = port
        self.token = token

    def call(self, method, path, body=None, token=True, raw_body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        h = dict(headers or {})
        if token:
            h["Authorization"] = f"Bearer {self.token}"
        data = raw_body if raw_body is not None else (json.dumps(body) if body is not None else None)
        if data is not None:
            h["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=h)
        resp = conn.getresponse()
        text = resp.read().decode(errors="replace")
        conn.close()
        return resp.status, text

    def json(self, method, path, body=None, **kw):
        status, text = self.call(method, path, body, **kw)
        return status, json.loads(text)


def raw_request(port, data: bytes):
    """Sends bytes as they are; returns the answer's status code (0 when none came)."""
    reply = b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        try:  # the server may answer and stop reading before the whole request is sent
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            reply += chunk
    if not reply.startswith(b"HTTP/1."):
        return 0, reply
    return int(reply[9:12]), reply.split(b"\r\n\r\n", 1)[-1]


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def wait_everywhere(apis, event_id, bound):
    """Each node's event JSON once every node has it SUCCESS; raises on FAILED/EXPIRED or after
    `bound` seconds."""
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        events = [a.json("GET", f"/v1/events/{event_id}")[1] for a in apis]
        statuses = [e.get("status") for e in events]
        bad = [e for e in events if e.get("status") in ("FAILED", "EXPIRED")]
        check(not bad, f"event {event_id} did not succeed: {bad}")
        if all(s == "SUCCESS" for s in statuses):
            return events
        time.sleep(0.2)
    raise AssertionError(f"event {event_id} not SUCCESS everywhere within {bound} s: {statuses}")


def submit_everywhere(apis, body):
    """POSTs one event (same id) to every node's API; each answers 201."""
    for a in apis:
        status, reply = a.json("POST", "/v1/events", body)
        check(status == 201 and reply == {"event_id": body["event_id"]}, f"POST {body}: {status} {reply}")


def bad_requests(api, token):
    """(what, how to send it, expected status) for the table of bad requests."""
    auth = f"Authorization: Bearer {token}\r\n".encode()

    def http(method, target, body=b"", extra=b""):
        head = f"{method} {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n".encode() + auth + extra
        if body or method == "POST":
            head += f"Content-Length: {len(body)}\r\n".encode()
        return head + b"\r\n" + body

    good_hash = "ab" * 32
    return [
        ("garbage", b"\x16\x03\x01\x00\xa5 not http\r\n\r\n", 400),
        ("a header over 8 KiB", http("GET", "/v1/keys", extra=b"X-Big: " + b"a" * 9000 + b"\r\n"), 431),
        ("a body over 16 KiB", http("POST", "/v1/events", b"{" * 20000), 413),
        ("a target over 2 KiB", http("GET", "/v1/events/" + "a" * 2500), 414),
        ("bad JSON", http("POST", "/v1/events", b'{"protocol": '), 400),
        ("JSON not an object", http("POST", "/v1/events", b'["SIGN"]'), 400),
        ("an unknown protocol", http("POST", "/v1/events", b'{"protocol": "MINT"}'), 400),
        ("an unknown field", http("POST", "/v1/events", b'{"protocol": "KEYGEN", "keyid": "x"}'), 400),
        ("bad hex", http("POST", "/v1/events",
                         json.dumps({"protocol": "SIGN", "key_id": "k", "message_hash": "zz" * 32}).encode()), 400),
        ("a short hash", http("POST", "/v1/events",
                              json.dumps({"protocol": "SIGN", "key_id": "k", "message_hash": "ab"}).encode()), 400),
        ("a hardened chain path", http("POST", "/v1/events", json.dumps(
            {"protocol": "SIGN", "key_id": "k", "message_hash": good_hash, "chain_path": "m/0'"}).encode()), 400),
        ("a sign without a key", http("POST", "/v1/events",
                                      json.dumps({"protocol": "SIGN", "message_hash": good_hash}).encode()), 400),
        ("a bad event id", http("POST", "/v1/events", b'{"protocol": "KEYGEN", "event_id": "../../etc"}'), 400),
        ("a negative expiry", http("POST", "/v1/events", b'{"protocol": "KEYGEN", "expiry_blocks": -5}'), 400),
        ("a bad percent escape", http("GET", "/v1/events/%G0"), 400),
        ("a NUL in the path", http("GET", "/v1/events/a%00b"), 400),
        ("a bad status filter", http("GET", "/v1/events?status=WHATEVER"), 400),
        ("a bad limit", http("GET", "/v1/events?limit=0"), 400),
        ("an unknown event", http("GET", "/v1/events/no-such-event"), 404),
        ("an unknown key", http("GET", "/v1/keys/no-such-key"), 404),
        ("an unknown path", http("GET", "/admin"), 404),
        ("a wrong method", http("PUT", "/v1/events"), 405),
        ("no token", b"GET /v1/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 401),
        ("a wrong token", b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                          b"Authorization: Bearer " + b"x" * len(token) + b"\r\n\r\n", 401),
    ]


def parse_metrics(text):
    """{family name: family} as the Prometheus client library parses the text."""
    return {f.name: f for f in text_string_to_metric_families(text)}


def sample(families, family, name, **labels):
    for s in families[family].samples:
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return None


def secret_forms(cluster, token):
    """{text form of a secret: what it is}: the password, the API token and every identity seed,
    as written and, for hex, upper-cased and base64 of the bytes."""
    named = {"the key-share password": cluster.password, "the API token": token}
    for node in cluster.nodes:
        named[f"{node.address}'s identity key"] = node.private_key
    forms = {}
    for what, value in named.items():
        forms[value] = forms[value.upper()] = what
        try:
            forms[base64.b64encode(bytes.fromhex(value)).decode()] = what
        except ValueError:
            pass
    return forms


def check_logs_and_databases(cluster, token):
    """Every log line is one JSON object (--log-format json); no secret appears in any log line,
    any column of any row of any table of any node's database, the registry, or a node's files
    (the key shares are sealed: not even the password's text is in them). Returns how many
    places were searched."""
    forms = secret_forms(cluster, token)
    places = []  # (where, text)
    for node in cluster.nodes:
        with open(node.log_path, errors="replace") as f:
            lines = f.read().splitlines()
        check(lines, f"{node.address} logged nothing")
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                raise AssertionError(f"{node.address}: a log line that is not JSON: {line!r}")
            check(set(entry) == {"time", "level", "validator", "message"} and entry["validator"] == node.address,
                  f"{node.address}: log line {entry}")
        places.append((f"{node.address}'s log", "\n".join(lines)))
        with sqlite3.connect(os.path.join(node.home, "tss.db")) as conn:
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            check({"tss_events", "tss_keys", "tss_runs", "tss_heartbeats"} <= set(tables), f"tables: {tables}")
            for table in tables:
                for row in conn.execute(f"SELECT * FROM {table}"):  # noqa: S608 (names from sqlite_master)
                    for column in row:
                        text = column.hex() if isinstance(column, bytes) else str(column)
                        places.append((f"{node.address}'s {table}", text))
        for root, _, files in os.walk(node.home):
            for name in files:
                if name.endswith(".key") or name == "node.log" or name.startswith("tss.db"):
                    continue  # the identity key file itself; the log and database, read above
                with open(os.path.join(root, name), "rb") as f:
                    places.append((os.path.join(root, name), f.read().decode("latin-1")))
    with open(cluster.registry) as f:
        places.append(("the registry", f.read()))
    for where, text in places:
        for form, what in forms.items():
            check(form not in text, f"{what} appears in {where}")
    return len(places)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tss", default="build/bin/tss")
    parser.add_argument("--nodes", type=int, default=3)
    args = parser.parse_args()
    cluster = Cluster(args.tss, args.nodes)
    token = secrets.token_hex(24)
    token_file = os.path.join(cluster.root, "api.token")
    with open(token_file, "w") as f:
        f.write(token + "\n")
    os.chmod(token_file, 0o600)
    apis = []
    for node in cluster.nodes:
        port = free_port()
        node.extra_args = ["--api-listen", f"127.0.0.1:{port}", "--api-token-file", token_file,
                           "--log-format", "json"]
        apis.append(Api(port, token))
    started = time.monotonic()
    ok = False
    try:
        cluster.start()
        for a in apis:  # the API is up once the node has started
            deadline = time.monotonic() + 20
            while True:
                try:
                    status, health = a.json("GET", "/health", token=False)
                    if status == 200:
                        break
                except OSError:
                    pass
                check(time.monotonic() < deadline, f"no /health on port {a.port}")
                time.sleep(0.1)
            check(health["status"] == "ok" and health["database"] == "ok", f"health: {health}")

        # Without the token: 401, and nothing created.
        for a in apis:
            status, reply = a.json("POST", "/v1/events", {"protocol": "KEYGEN"}, token=False)
            check(status == 401 and "error" in reply, f"POST without a token: {status} {reply}")
            status, _ = a.call("GET", "/v1/events", token=False)
            check(status == 401, f"GET /v1/events without a token: {status}")
            check(a.json("GET", "/v1/events")[1] == {"events": []}, "an event was created without the token")

        # Keygen through every node's API, one event id.
        t0 = time.monotonic()
        keygen_id = "api-keygen-" + secrets.token_hex(4)
        submit_everywhere(apis, {"event_id": keygen_id, "protocol": "KEYGEN"})
        events = wait_everywhere(apis, keygen_id, 180)
        keygen_s = time.monotonic() - t0
        results = [e["result"] for e in events]
        check(len({(r["key_id"], r["public_key"]) for r in results}) == 1, f"nodes disagree: {results}")
        key_id, public_key = results[0]["key_id"], results[0]["public_key"]
        for a in apis:
            status, key = a.json("GET", f"/v1/keys/{key_id}")
            check(status == 200 and key["public_key"] == public_key, f"/v1/keys/{key_id}: {status} {key}")
            check(key["threshold"] == len(cluster.nodes) * 2 // 3 + 1 and key["active"]["generation"] == 0
                  and key["holders"] == [n.address for n in cluster.nodes], f"/v1/keys/{key_id}: {key}")
            status, keys = a.json("GET", "/v1/keys")
            check(status == 200 and [k["key_id"] for k in keys["keys"]] == [key_id], f"/v1/keys: {keys}")

        # Sign through every node's API; a repeat is idempotent, another body under the id a 409.
        message_hash = hashlib.sha256(b"issue 14: signed through the API").hexdigest()
        sign = {"event_id": "api-sign-" + secrets.token_hex(4), "protocol": "SIGN", "key_id": key_id,
                "message_hash": message_hash}
        t0 = time.monotonic()
        submit_everywhere(apis, sign)
        status, reply = apis[0].json("POST", "/v1/events", sign)
        check(status == 200 and reply == {"event_id": sign["event_id"]}, f"repeat: {status} {reply}")
        status, reply = apis[0].json("POST", "/v1/events", dict(sign, message_hash="00" * 32))
        check(status == 409 and "error" in reply, f"another body: {status} {reply}")
        events = wait_everywhere(apis, sign["event_id"], 120)
        sign_s = time.monotonic() - t0
        for e in events:
            r = e["result"]
            check(r["public_key"] == public_key and r["message_hash"] == message_hash, f"result: {r}")
            check(verify(public_key, message_hash, r["r"], r["s"]), f"OpenSSL rejects {r}")
        status, listed = apis[1].json("GET", "/v1/events?status=SUCCESS&limit=10")
        check(status == 200 and {e["event_id"] for e in listed["events"]} >= {keygen_id, sign["event_id"]},
              f"list: {listed}")

        # The `tss` commands reach the nodes through the APIs their registry entries name.
        with open(cluster.registry) as f:
            entries = json.load(f)["nodes"]
        check(sorted(e.get("api") for e in entries) == sorted(f"http://127.0.0.1:{a.port}" for a in apis),
              f"registry api URLs: {entries}")
        # The commands get a copy of the registry whose databases do not exist: they must use the APIs.
        no_db = os.path.join(cluster.root, "registry-api-only.json")
        with open(no_db, "w") as f:
            json.dump({"nodes": [dict(e, database=f"/nonexistent/{e['validator_address']}.db") for e in entries]}, f)
        os.chmod(no_db, 0o644)

        def cli(*command, check_exit=True):
            proc = subprocess.run([cluster.tss, *command, "--registry", no_db], capture_output=True, text=True,
                                  timeout=180)
            check(proc.returncode == 0 or not check_exit, f"tss {command}: {proc.stdout}\n{proc.stderr}")
            return proc

        cli_hash = hashlib.sha256(b"issue 14: signed by tss sign through the APIs").hexdigest()
        t0 = time.monotonic()
        result = json.loads(cli("sign", "--key-id", key_id, "--message-hash", cli_hash, "--wait", "--json",
                                "--token-file", token_file).stdout)
        cli_sign_s = time.monotonic() - t0
        check(result["status"] == "SUCCESS" and result.get("verified") is True, f"tss sign: {result}")
        check(verify(public_key, cli_hash, result["r"], result["s"]), f"OpenSSL rejects {result}")
        statuses = json.loads(cli("status", "--event-id", result["event_id"], "--json", "--token-file",
                                  token_file).stdout)
        check(all(statuses[n.address][0]["status"] == "SUCCESS" for n in cluster.nodes), f"status: {statuses}")
        denied = cli("keygen", "--json", check_exit=False)  # no token: every API says 401
        check(denied.returncode != 0 and "token" in denied.stderr, f"keygen without a token: {denied.stderr}")

        # The table of bad requests, against one node; it must keep serving after each.
        for what, data, expected in bad_requests(apis[0], token):
            status, body = raw_request(apis[0].port, data)
            check(status == expected, f"{what}: {status}, expected {expected}: {body[:200]!r}")
            check("error" in json.loads(body), f"{what}: no JSON message: {body[:200]!r}")
            status, health = apis[0].json("GET", "/health", token=False)
            check(status == 200 and health["status"] == "ok", f"after {what}: {status} {health}")

        # /metrics, parsed by the Prometheus client library.
        for node, a in zip(cluster.nodes, apis):
            status, text = a.call("GET", "/metrics")
            check(status == 200, f"/metrics: {status}")
            families = parse_metrics(text)
            for name in ("tss_events", "tss_event_duration_seconds", "tss_sessions_active",
                         "tss_messages_received", "tss_messages_sent", "tss_messages_dropped",
                         "tss_peers_connected", "tss_coordinator_takeovers", "tss_build_info",
                         "tss_blamed_keys"):
                check(name in families, f"{node.address}: no {name} in /metrics:\n{text}")
            check(families["tss_event_duration_seconds"].type == "histogram", "duration is not a histogram")
            check(families["tss_messages_received"].type == "counter", "messages_received is not a counter")
            check(sample(families, "tss_events", "tss_events", protocol="SIGN", status="SUCCESS") == 2,
                  f"{node.address}: tss_events SIGN SUCCESS")
            check(sample(families, "tss_events", "tss_events", protocol="KEYGEN", status="SUCCESS") == 1,
                  f"{node.address}: tss_events KEYGEN SUCCESS")
            check(sample(families, "tss_event_duration_seconds", "tss_event_duration_seconds_count",
                         protocol="SIGN") == 2, f"{node.address}: sign duration count")
            check(sample(families, "tss_peers_connected", "tss_peers_connected") == args.nodes - 1,
                  f"{node.address}: peers connected")
            check(sample(families, "tss_messages_received", "tss_messages_received_total") > 0,
                  f"{node.address}: no messages received")
            # The example alert rules name only metrics a node serves.
            served = set(families) | {s.name for f in families.values() for s in f.samples}
            with open(os.path.join(HERE, "..", "..", "deploy", "tss-alerts.yml")) as f:
                named = set(re.findall(r"\btss_[a-z_]+", f.read()))
            check(named <= served, f"deploy/tss-alerts.yml names metrics no node serves: {named - served}")
        cluster.stop()  # logs flushed, databases closed
        searched = check_logs_and_databases(cluster, token)
        ok = True
        print(f"api e2e: {args.nodes} nodes; keygen {keygen_s:.1f} s and sign {sign_s:.2f} s through "
              f"every node's API, `tss sign --wait` through the APIs {cli_sign_s:.2f} s; 401s, {len(bad_requests(apis[0], token))} bad requests and /metrics "
              f"checked; no secret in {searched} log, column and file texts; "
              f"{time.monotonic() - started:.1f} s in all")
    finally:
        if not ok:
            print(cluster.logs(), file=sys.stderr)
        cluster.cleanup()


if __name__ == "__main__":
    main()
