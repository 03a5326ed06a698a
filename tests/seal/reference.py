# Reads a sealed model file with python3-cryptography (OpenSSL's AES-GCM, HKDF and HMAC, driven from
# Python), following the layout docs/seal.md and include/modelguard/seal/seal.h describe, never modelguard's
# code: the independent reader of the format. Input JSON: {"sealed": path, "key_file": path}; or
# {"derive": [{"data_key": hex, "salt": hex, "purpose": text}], "nonces": [[index, last], ...]}.
# Prints JSON: {"plaintext_sha256": hex, "plaintext_size": n} or {"keys": [hex...], "nonces": [hex...]}.
import hashlib
import hmac
import json
import struct
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

request = json.load(open(sys.argv[1]))


def derive(data_key, salt, purpose):
    info = ("modelguard-seal/v1 " + purpose).encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(data_key)


def nonce(index, last):
    return index.to_bytes(11, "big") + bytes([1 if last else 0])


if "derive" in request:
    print(json.dumps({
        "keys": [derive(bytes.fromhex(d["data_key"]), bytes.fromhex(d["salt"]), d["purpose"]).hex()
                 for d in request["derive"]],
        "nonces": [nonce(i, last).hex() for i, last in request["nonces"]],
    }))
    sys.exit(0)

data = open(request["sealed"], "rb").read()
kek = bytes.fromhex(open(request["key_file"]).read().strip())
assert data[:8] == b"MGSEAL1\n", "magic"
(length,) = struct.unpack("<I", data[8:12])
header_bytes = data[:12 + length]
header = json.loads(data[12:12 + length])
mac = data[12 + length:12 + length + 32]
slot = dict(header["key"])
wrapped = bytes.fromhex(slot.pop("wrapped"))
aad = ("modelguard-seal/v1 key " + json.dumps(slot, separators=(",", ":"))).encode()
data_key = AESGCM(kek).decrypt(wrapped[:12], wrapped[12:], aad)
salt = bytes.fromhex(header["salt"])
assert hmac.compare_digest(hmac.new(derive(data_key, salt, "header"), header_bytes, hashlib.sha256).digest(), mac)
payload = AESGCM(derive(data_key, salt, "payload"))
size, chunk = header["plaintext_size"], header["chunk_size"]
count = max(1, -(-size // chunk))
at = 12 + length + 32
digest = hashlib.sha256()
for i in range(count):
    plain_size = min(chunk, size - i * chunk)
    piece = data[at:at + plain_size + 16]
    digest.update(payload.decrypt(nonce(i, i + 1 == count), piece, None))
    at += plain_size + 16
assert at == len(data), "trailing bytes"
assert digest.hexdigest() == header["plaintext_sha256"], "digest"
print(json.dumps({"plaintext_sha256": digest.hexdigest(), "plaintext_size": size}))
