#!/usr/bin/env python3
"""`tss simulate` and `tss bench dkls` from the outside: every signature the simulation prints is
verified by OpenSSL (tests/e2e/verify_signature.py — code we did not write), the public key must
survive the refresh, a --chain-path signature must verify under the child key that
tests/e2e/bip32_pub.py derives (and not under the root key), bad arguments must exit 2 with an "error:" line, and the benchmark table must
have the peer's columns with every signature verified.

Usage: dkls_cli_test.py --tss PATH [unittest arguments]"""
import argparse
import json
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from verify_signature import verify  # noqa: E402
import bip32_pub  # noqa: E402

TSS = "build/bin/tss"
HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"  # sha256("test")
HEX64 = re.compile(r"^[0-9a-f]{64}$")


def run(*args, timeout=300):
    return subprocess.run([TSS, *args], capture_output=True, text=True, timeout=timeout)


class SimulateTest(unittest.TestCase):
    def simulate(self, n, t):
        proc = run("simulate", "--parties", str(n), "--threshold", str(t), "--message-hash", HASH,
                   "--refresh", "--json")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return json.loads(proc.stdout)

    def check_run(self, n, t):
        out = self.simulate(n, t)
        self.assertEqual((out["parties"], out["threshold"]), (n, t))
        self.assertRegex(out["public_key"], r"^0[23][0-9a-f]{64}$")
        self.assertRegex(out["key_id"], HEX64)
        sigs = out["signatures"]
        # The refreshed shares hold the same key, and OpenSSL accepts the signature made after the
        # refresh under the key made by keygen.
        self.assertEqual(out["public_key_after_refresh"], out["public_key"])
        self.assertEqual([s["after_refresh"] for s in sigs], [False, True])
        for sig in sigs:
            self.assertRegex(sig["r"], HEX64)
            self.assertRegex(sig["s"], HEX64)
            self.assertIn(sig["v"], (0, 1, 2, 3))
            self.assertEqual(len(sig["signers"]), t)
            self.assertEqual(len(set(sig["signers"])), t)
            self.assertTrue(all(1 <= i <= n for i in sig["signers"]))
            self.assertTrue(verify(out["public_key"], HASH, sig["r"], sig["s"]),
                            f"OpenSSL refuses {sig} under {out['public_key']}")
        if t < n:
            self.assertNotEqual(sigs[0]["signers"], sigs[1]["signers"])
        for name in ("keygen", "sign", "keyrefresh", "sign_after_refresh"):
            self.assertGreater(out["timings_ms"][name], 0)
        # Public data only: nothing that looks like a share or a seed.
        self.assertNotIn("secret", json.dumps(out))

    def test_2_of_3(self):
        self.check_run(3, 2)

    def test_3_of_5(self):
        self.check_run(5, 3)

    def test_4_of_4_signs_with_everyone(self):
        self.check_run(4, 4)

    def test_chain_path_signs_for_the_independently_derived_child(self):
        proc = run("simulate", "--parties", "4", "--threshold", "3", "--message-hash", HASH,
                   "--chain-path", "m/1/2/3", "--refresh", "--json")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        out = json.loads(proc.stdout)
        # The xpub is the key and chain code; the child comes from tests/e2e/bip32_pub.py.
        self.assertEqual(bip32_pub.decode_xpub(out["xpub"]), (0, out["public_key"], out["chain_code"]))
        child = bip32_pub.derive(out["public_key"], out["chain_code"], "m/1/2/3")
        self.assertEqual(out["child_public_key"], child)
        self.assertEqual(out["chain_path"], "m/1/2/3")
        self.assertEqual(len(out["signatures"]), 2)
        for sig in out["signatures"]:
            self.assertTrue(verify(child, HASH, sig["r"], sig["s"]), f"OpenSSL refuses {sig} under {child}")
            self.assertFalse(verify(out["public_key"], HASH, sig["r"], sig["s"]), "verifies under the root key")

    def test_readable_output(self):
        proc = run("simulate", "--parties", "3", "--threshold", "2", "--message-hash", "0x" + HASH)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("public_key: 0", proc.stdout)
        self.assertIn("verified", proc.stdout)
        self.assertNotIn("keyrefresh", proc.stdout)

    def test_bad_arguments_exit_2(self):
        cases = {
            "threshold above parties": (["--parties", "3", "--threshold", "4"], "cannot exceed"),
            "threshold 1": (["--parties", "3", "--threshold", "1"], "at least 2"),
            "too many parties": (["--parties", "256", "--threshold", "2"], "2..255"),
            "short hash": (["--parties", "3", "--threshold", "2", "--message-hash", "abcd"], "32 bytes"),
            "not hex": (["--parties", "3", "--threshold", "2", "--message-hash", "zz" * 32], "32 bytes"),
            "hardened chain path": (["--parties", "3", "--threshold", "2", "--chain-path", "m/0'"], "hardened"),
            "malformed chain path": (["--parties", "3", "--threshold", "2", "--chain-path", "m//1"], "--chain-path"),
        }
        for name, (args, words) in cases.items():
            with self.subTest(name):
                if "--message-hash" not in args:
                    args = args + ["--message-hash", HASH]
                proc = run("simulate", *args)
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertIn("error: ", proc.stderr)
                self.assertIn(words, proc.stderr)
                self.assertEqual(proc.stdout, "")

    def test_parse_errors_exit_2(self):
        for args in (["--parties", "3", "--threshold", "2"],  # no hash
                     ["--parties", "three", "--threshold", "2", "--message-hash", HASH],
                     ["--parties", "3", "--threshold", "2", "--message-hash", HASH, "--bogus"]):
            with self.subTest(args=args):
                proc = run("simulate", *args)
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertNotEqual(proc.stderr, "")


class BenchTest(unittest.TestCase):
    def test_table_shape(self):
        proc = run("bench", "dkls", "2/3", "1")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        lines = proc.stdout.strip().splitlines()
        # Exactly the peer's header (../shared/bench-peers/bench.mjs), then one row per config.
        self.assertEqual(lines[0].split(),
                         ["config", "keygen_ms", "sign_ms", "keygen_bytes", "sign_bytes", "verified"])
        self.assertEqual(len(lines), 2)
        config, keygen_ms, sign_ms, keygen_bytes, sign_bytes, verified = lines[1].split()
        self.assertEqual(config, "2-of-3")
        self.assertGreater(float(keygen_ms), 0)
        self.assertGreater(float(sign_ms), 0)
        self.assertGreater(int(keygen_bytes), 0)
        self.assertGreater(int(sign_bytes), 0)
        self.assertEqual(verified, "true")

    def test_json(self):
        proc = run("bench", "dkls", "2/3,3/4", "1", "--json")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        rows = json.loads(proc.stdout)
        self.assertEqual([r["config"] for r in rows], ["2-of-3", "3-of-4"])
        self.assertTrue(all(r["verified"] for r in rows))

    def test_bad_spec_exit_2(self):
        for spec in ("2-3", "4/3", "1/3", "2/3,", "2/x", "2/300"):
            with self.subTest(spec=spec):
                proc = run("bench", "dkls", spec, "1")
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertIn("error: ", proc.stderr)
        proc = run("bench", "dkls", "2/3", "0")
        self.assertEqual(proc.returncode, 2, proc.stderr)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--tss", default=TSS)
    known, rest = parser.parse_known_args()
    TSS = known.tss
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)
