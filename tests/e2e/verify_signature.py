#!/usr/bin/env python3
"""Verifies a secp256k1 ECDSA signature with OpenSSL's command-line tool — code we did not write.

Usage: verify_signature.py PUBLIC_KEY_HEX MESSAGE_HASH_HEX R_HEX S_HEX
Exit 0 and prints "verified" when OpenSSL accepts the signature; exit 1 otherwise.
       verify_signature.py --self-test
Checks the verifier itself against a signature OpenSSL makes, and that tampering is refused.
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


def parse_der_signature(der: bytes):
    """(r, s) as 32-byte values from a DER ECDSA signature (short-form lengths, as secp256k1 uses)."""
    if len(der) < 8 or der[0] != 0x30 or der[1] != len(der) - 2:
        raise ValueError("not a DER signature")
    out, i = [], 2
    for _ in range(2):
        if der[i] != 0x02:
            raise ValueError("not a DER integer")
        n = der[i + 1]
        out.append(der[i + 2:i + 2 + n].lstrip(b"\x00").rjust(32, b"\x00"))
        i += 2 + n
    return out[0], out[1]


def self_test() -> int:
    with tempfile.TemporaryDirectory() as d:
        key, digest_path, sig_path = (os.path.join(d, n) for n in ("k.pem", "h.bin", "s.der"))
        subprocess.run(["openssl", "ecparam", "-name", "secp256k1", "-genkey", "-noout", "-out", key], check=True)
        spki = subprocess.run(["openssl", "ec", "-in", key, "-pubout", "-conv_form", "compressed", "-outform",
                               "DER"], check=True, capture_output=True).stdout
        pub = spki[len(SPKI_PREFIX):].hex()
        digest = os.urandom(32)
        with open(digest_path, "wb") as f:
            f.write(digest)
        subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", key, "-in", digest_path, "-out", sig_path],
                       check=True)
        with open(sig_path, "rb") as f:
            r, s = parse_der_signature(f.read())
    good = verify(pub, digest.hex(), r.hex(), s.hex())
    tampered_hash = verify(pub, bytes([digest[0] ^ 1]).hex() + digest[1:].hex(), r.hex(), s.hex())
    tampered_s = verify(pub, digest.hex(), r.hex(), (s[:-1] + bytes([s[-1] ^ 1])).hex())
    if good and not tampered_hash and not tampered_s:
        print("self-test passed: OpenSSL's signature verifies, tampered ones do not")
        return 0
    print(f"self-test FAILED: good={good} tampered_hash={tampered_hash} tampered_s={tampered_s}", file=sys.stderr)
    return 1


def main() -> int:
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
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
