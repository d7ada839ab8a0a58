#!/usr/bin/env python3
"""Interop tests: our C++ libp2p (`tss p2p …`) against a real js-libp2p peer from npm.

    python3 tests/interop/interop_test.py --tss build/bin/tss --work build/interop [unittest args]

The js peer's packages are installed with `npm ci` (package-lock.json pins them) into --work the
first time; later runs reuse them. Every test runs real processes over real loopback TCP.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TSS = "build/bin/tss"
WORK = "build/interop"
SEED_01 = "01" * 32
PEER_ID_01 = "12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5"  # the test vector
MIB = 1 << 20


def install_js_peer(work):
    """Copies the peer and its lock file into `work` and installs the pinned packages once."""
    os.makedirs(work, exist_ok=True)
    for name in ("package.json", "package-lock.json", "peer.mjs"):
        shutil.copyfile(os.path.join(HERE, name), os.path.join(work, name))
    stamp = os.path.join(work, "node_modules", ".package-lock.json")
    if not os.path.exists(stamp) or os.path.getmtime(stamp) < os.path.getmtime(os.path.join(HERE, "package-lock.json")):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=work, check=True,
                       timeout=600)


class Server:
    """A long-running peer (ours or js) that prints its multiaddr first; stopped on cleanup."""

    def __init__(self, args, cwd=None):
        self.proc = subprocess.Popen(args, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.addr = self.proc.stdout.readline().strip()
        if not self.addr:
            self.proc.kill()
            raise RuntimeError("peer did not start: " + self.proc.stderr.read())

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.alive():
            self.proc.terminate()  # ours stops on SIGTERM; js on SIGTERM too
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class InteropTest(unittest.TestCase):
    def run_js(self, *args, timeout=60):
        return subprocess.run(["node", "peer.mjs", *map(str, args)], cwd=WORK, capture_output=True, text=True,
                              timeout=timeout)

    def run_tss(self, *args, timeout=60):
        return subprocess.run([TSS, *map(str, args)], capture_output=True, text=True, timeout=timeout)

    def our_server(self, *extra):
        s = Server([TSS, "p2p", "serve", "--listen", "/ip4/127.0.0.1/tcp/0", "--private-key", SEED_01,
                    *map(str, extra)])
        self.addCleanup(s.stop)
        return s

    def js_server(self, max_message=None):
        s = Server(["node", "peer.mjs", "serve", *([] if max_message is None else [str(max_message)])], cwd=WORK)
        self.addCleanup(s.stop)
        return s

    def test_our_peer_id_is_the_test_vector(self):
        out = self.run_tss("p2p", "id", "--private-key", SEED_01)
        self.assertEqual(out.stdout.strip(), PEER_ID_01)
        server = self.our_server()
        self.assertTrue(server.addr.endswith("/p2p/" + PEER_ID_01), server.addr)

    def test_js_pings_us(self):
        server = self.our_server()
        out = self.run_js("ping", server.addr, 3)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(len([line for line in out.stdout.splitlines() if line.startswith("seq=")]), 3, out.stdout)

    def test_we_ping_js(self):
        js = self.js_server()
        out = self.run_tss("p2p", "ping", js.addr, "--count", 3)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertEqual(out.stdout.count(" time="), 3, out.stdout)

    def test_we_ping_js_by_wrong_peer_id_fails(self):
        js = self.js_server()
        wrong = js.addr.rsplit("/p2p/", 1)[0] + "/p2p/" + PEER_ID_01
        out = self.run_tss("p2p", "ping", wrong, "--timeout", 10)
        self.assertNotEqual(out.returncode, 0, out.stdout)
        self.assertIn("error", out.stderr)

    def test_js_identifies_us(self):
        server = self.our_server()
        out = self.run_js("identify", server.addr)
        self.assertEqual(out.returncode, 0, out.stderr)
        info = json.loads(out.stdout)
        self.assertEqual(info["peerId"], PEER_ID_01)
        self.assertEqual(info["remotePeer"], PEER_ID_01)
        for protocol in ("/ipfs/id/1.0.0", "/ipfs/ping/1.0.0", "/tss/2.0.0"):
            self.assertIn(protocol, info["protocols"])
        port = server.addr.split("/tcp/")[1].split("/")[0]
        self.assertIn("/ip4/127.0.0.1/tcp/" + port, info["listenAddrs"])
        self.assertTrue(info["agentVersion"].startswith("tss/"), info)
        self.assertTrue(info["observedAddr"].startswith("/ip4/127.0.0.1/tcp/"), info)

    def test_one_mib_from_js_to_us_and_back(self):
        server = self.our_server()
        out = self.run_js("send", server.addr, MIB)
        self.assertEqual(out.returncode, 0, out.stderr)
        result = json.loads(out.stdout)
        self.assertEqual(result["bytes"], MIB)
        self.assertEqual(result["sent"], result["echoed"])

    def test_oversized_message_to_js_is_refused_and_we_are_told(self):
        js = self.js_server(1000)
        out = self.run_tss("p2p", "send", js.addr, "--bytes", 1001)
        self.assertNotEqual(out.returncode, 0, out.stdout)
        self.assertIn("over its limit of 1000", out.stderr)
        out = self.run_tss("p2p", "send", js.addr, "--bytes", 1000)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)

    def test_one_mib_from_us_to_js_and_back(self):
        js = self.js_server()
        out = self.run_tss("p2p", "send", js.addr, "--bytes", MIB)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        result = json.loads(out.stdout)
        self.assertEqual(result["bytes"], MIB)
        self.assertEqual(result["sent"], result["echoed"])

    def test_many_sizes_both_ways(self):
        server, js = self.our_server(), self.js_server()
        for size in (0, 1, 127, 128, 65535, 65536, 300000):
            ours = self.run_js("send", server.addr, size)
            self.assertEqual(ours.returncode, 0, ours.stderr)
            self.assertEqual(json.loads(ours.stdout)["echoed"], json.loads(ours.stdout)["sent"])
            theirs = self.run_tss("p2p", "send", js.addr, "--bytes", size)
            self.assertEqual(theirs.returncode, 0, theirs.stderr)
            self.assertEqual(json.loads(theirs.stdout)["echoed"], json.loads(theirs.stdout)["sent"])

    def test_resent_and_replayed_messages_from_js_are_delivered_once(self):
        # js resends a message on a second stream, restarts (a new epoch), then replays its
        # first run: we echo each message once, in order, and refuse the replaced run.
        server = self.our_server()
        out = self.run_js("resend", server.addr)
        self.assertEqual(out.returncode, 0, out.stderr)
        result = json.loads(out.stdout)
        self.assertEqual(result["echoed"], result["sent"])
        self.assertTrue(result["staleRefused"], result)

    def test_oversized_message_from_js_is_refused_and_we_keep_serving(self):
        server = self.our_server("--max-message-size", 1000)
        out = self.run_js("send", server.addr, 1001)
        self.assertNotEqual(out.returncode, 0, out.stdout)
        self.assertIn("refused: over the limit of 1000 bytes", out.stderr)
        self.assertEqual(self.run_js("send", server.addr, 1000).returncode, 0)
        self.assertEqual(self.run_js("ping", server.addr, 1).returncode, 0)
        self.assertTrue(server.alive())

    def test_peer_outside_the_allowed_set_is_refused_on_tss_only(self):
        server = self.our_server("--allow", PEER_ID_01)  # only ourselves: js is a stranger
        out = self.run_js("send", server.addr, 10)
        self.assertNotEqual(out.returncode, 0, out.stdout)
        self.assertEqual(self.run_js("ping", server.addr, 1).returncode, 0)
        self.assertEqual(self.run_js("identify", server.addr).returncode, 0)


def main():
    global TSS, WORK
    parser = argparse.ArgumentParser()
    parser.add_argument("--tss", default=TSS)
    parser.add_argument("--work", default=WORK)
    args, rest = parser.parse_known_args()
    TSS, WORK = os.path.abspath(args.tss), os.path.abspath(args.work)
    install_js_peer(WORK)
    unittest.main(argv=[sys.argv[0], "-v", *rest])


if __name__ == "__main__":
    main()
