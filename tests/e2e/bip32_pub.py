#!/usr/bin/env python3
"""BIP32 public derivation (CKDpub) in pure Python, written for the tests independently of
src/crypto/bip32.*: secp256k1 affine point arithmetic over the integers, HMAC-SHA512 from the
standard library, and the Base58Check `xpub` decoding. Slow and variable time; public data only.

    python3 tests/e2e/bip32_pub.py --self-test
checks it against a published BIP32 vector (test vector 2, m -> m/0, the one also in
tests/crypto/bip32_test.cpp) and exits 0 when it matches.
"""
import hashlib
import hmac
import sys

# secp256k1 (SEC 2, section 2.4.1).
P = 2**256 - 2**32 - 977
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
     0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)
HARDENED = 0x80000000
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def point_add(a, b):
    """a + b; None is the point at infinity."""
    if a is None:
        return b
    if b is None:
        return a
    if a[0] == b[0]:
        if (a[1] + b[1]) % P == 0:
            return None
        slope = 3 * a[0] * a[0] * pow(2 * a[1], -1, P) % P
    else:
        slope = (b[1] - a[1]) * pow(b[0] - a[0], -1, P) % P
    x = (slope * slope - a[0] - b[0]) % P
    return x, (slope * (a[0] - x) - a[1]) % P


def point_mul(k, point):
    """k·point by double-and-add."""
    out = None
    while k:
        if k & 1:
            out = point_add(out, point)
        point = point_add(point, point)
        k >>= 1
    return out


def compress(point) -> bytes:
    return bytes([2 + (point[1] & 1)]) + point[0].to_bytes(32, "big")


def decompress(data: bytes):
    if len(data) != 33 or data[0] not in (2, 3):
        raise ValueError("not a compressed secp256k1 point")
    x = int.from_bytes(data[1:], "big")
    y = pow((x * x * x + 7) % P, (P + 1) // 4, P)
    if (y * y - (x * x * x + 7)) % P != 0:
        raise ValueError("x is not on the curve")
    if (y & 1) != (data[0] & 1):
        y = P - y
    return x, y


def ckd_pub(key: bytes, chain_code: bytes, index: int):
    """One non-hardened CKDpub step: (child key, child chain code), keys 33 bytes compressed."""
    if index >= HARDENED:
        raise ValueError("hardened index: no public derivation")
    digest = hmac.new(chain_code, key + index.to_bytes(4, "big"), hashlib.sha512).digest()
    tweak = int.from_bytes(digest[:32], "big")
    if tweak >= N:
        raise ValueError("invalid child (IL >= n)")
    child = point_add(point_mul(tweak, G), decompress(key))
    if child is None:
        raise ValueError("invalid child (point at infinity)")
    return compress(child), digest[32:]


def parse_path(path: str):
    """'m/1/2/3' -> [1, 2, 3]; refuses hardened steps and anything else."""
    parts = path.split("/")
    if parts[0] != "m":
        raise ValueError("a path starts with m")
    out = []
    for step in parts[1:]:
        if not step.isdigit() or int(step) >= HARDENED:
            raise ValueError(f"not a non-hardened step: {step!r}")
        out.append(int(step))
    return out


def derive(key_hex: str, chain_code_hex: str, path: str) -> str:
    """The child public key (hex) at `path` from a key and chain code (hex)."""
    key, chain = bytes.fromhex(key_hex), bytes.fromhex(chain_code_hex)
    for index in parse_path(path):
        key, chain = ckd_pub(key, chain, index)
    return key.hex()


def decode_xpub(text: str):
    """(depth, public key hex, chain code hex) of a Base58Check `xpub`; raises on a bad one."""
    value = 0
    for c in text:
        value = value * 58 + B58.index(c)
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    raw = b"\x00" * (len(text) - len(text.lstrip("1"))) + raw
    payload, check = raw[:-4], raw[-4:]
    if hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] != check:
        raise ValueError("bad checksum")
    if len(payload) != 78 or payload[:4] != bytes.fromhex("0488b21e"):
        raise ValueError("not a mainnet xpub")
    decompress(payload[45:78])
    return payload[4], payload[45:78].hex(), payload[13:45].hex()


def self_test() -> bool:
    # BIP32 test vector 2: m -> m/0 (tests/crypto/bip32_test.cpp has the same pair).
    parent = ("xpub661MyMwAqRbcFW31YEwpkMuc5THy2PSt5bDMsktWQcFF8syAmRUapSCGu8ED9W6oDMSgv6Zz8idoc4a6mr8BDzTJ"
              "Y47LJhkJ8UB7WEGuduB")
    child = ("xpub69H7F5d8KSRgmmdJg2KhpAK8SR3DjMwAdkxj3ZuxV27CprR9LgpeyGmXUbC6wb7ERfvrnKZjXoUmmDznezpbZb7a"
             "p6r1D3tgFxHmwMkQTPH")
    _, key, chain = decode_xpub(parent)
    depth, child_key, child_chain = decode_xpub(child)
    got_key, got_chain = ckd_pub(bytes.fromhex(key), bytes.fromhex(chain), 0)
    ok = depth == 1 and got_key.hex() == child_key and got_chain.hex() == child_chain
    # And a tampered index or chain code must give another child.
    ok = ok and ckd_pub(bytes.fromhex(key), bytes.fromhex(chain), 1)[0].hex() != child_key
    return ok and derive(key, chain, "m/0") == child_key


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        good = self_test()
        print("bip32_pub self-test", "passed" if good else "FAILED")
        sys.exit(0 if good else 1)
    print(__doc__)
    sys.exit(2)
