#!/usr/bin/env python3
"""Verifies a secp256k1 ECDSA signature with OpenSSL's command-line tool — code we did not write.

Usage: verify_signature.py PUBLIC_KEY_HEX MESSAGE_HASH_HEX R_HEX S_HEX
Exit 0 and prints "verified" when OpenSSL accepts the signature; exit 1 otherwise.
"""
import os
import subprocess
import sys
import tempfile

# DER SubjectPublicKeyInfo header for an id-ecPublicKey on secp256k1 with a 33-byte point.
SPKI_PREFIX = bytes.fromhex("3036301006072a8648ce3d020106052b8104000a032200")


def der_integer(value: bytes) -> bytes:
    value = value.lstrip(b"\x00") or b"\x00"
    if value[0] & 0x80:
        value = b"\x00" + value
    return bytes([0x02, len(value)]) + value


def der_signature(r: bytes, s: bytes) -> bytes:
    body = der_integer(r) + der_integer(s)
    return bytes([0x30, len(body)]) + body


def verify(public_key_hex: str, hash_hex: str, r_hex: str, s_hex: str) -> bool:
    pub = bytes.fromhex(public_key_hex)
    digest = bytes.fromhex(hash_hex)
    if len(pub) != 33 or len(digest) != 32:
        raise ValueError("public key must be 33 bytes and hash 32 bytes")
    with tempfile.TemporaryDirectory() as d:
        paths = {name: os.path.join(d, name) for name in ("pub.der", "sig.der", "hash.bin")}
        with open(paths["pub.der"], "wb") as f:
            f.write(SPKI_PREFIX + pub)
        with open(paths["sig.der"], "wb") as f:
            f.write(der_signature(bytes.fromhex(r_hex), bytes.fromhex(s_hex)))
        with open(paths["hash.bin"], "wb") as f:
            f.write(digest)
        # pkeyutl verifies the raw digest, exactly as ECDSA signs it.
        proc = subprocess.run(
            ["openssl", "pkeyutl", "-verify", "-pubin", "-keyform", "DER", "-inkey", paths["pub.der"],
             "-sigfile", paths["sig.der"], "-in", paths["hash.bin"]],
            capture_output=True, text=True)
        return proc.returncode == 0 and "Verified Successfully" in proc.stdout


def main() -> int:
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    if verify(*sys.argv[1:]):
        print("verified")
        return 0
    print("signature does NOT verify", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
