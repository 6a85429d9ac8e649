"""Several threads using token keys at once must not crash the process (SoftHSM runs unlocked
under python-pkcs11; pki.pkcs11 serialises every call)."""
from __future__ import annotations

import threading

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

from pki import pkcs11 as tokens


def test_threads_signing_decrypting_and_opening_at_once(softhsm, user_pin, rsa_key, ec_key):
    rsa_pub = serialization.load_der_public_key(rsa_key.public_key_info().dump())
    ec_pub = serialization.load_der_public_key(ec_key.public_key_info().dump())
    h = hashes.SHA256()
    ciphertext = rsa_pub.encrypt(b"cek", padding.OAEP(padding.MGF1(h), h, None))
    errors: list[BaseException] = []
    results: list[tuple[str, bytes, bytes]] = []
    start = threading.Barrier(6)

    def work(n: int) -> None:
        try:
            start.wait()
            for i in range(40):
                data = f"thread {n} message {i}".encode()
                if n % 3 == 0:
                    pss = i % 2 == 0
                    results.append(("rsa-pss" if pss else "rsa", data,
                                    rsa_key.sign(data, hash_algorithm="sha256", pss=pss)))
                elif n % 3 == 1:
                    results.append(("ec", data, ec_key.sign(data, hash_algorithm="sha256")))
                else:
                    key = tokens.open_key(f"pkcs11:token={softhsm.label};object=enc-rsa", pin=user_pin)
                    assert key.rsa_decrypt(ciphertext, oaep_hash="sha256") == b"cek"
        except BaseException as exc:     # collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(results) == 4 * 40
    for kind, data, sig in results:
        if kind == "ec":
            ec_pub.verify(sig, data, ec.ECDSA(hashes.SHA256()))
        elif kind == "rsa":
            rsa_pub.verify(sig, data, padding.PKCS1v15(), hashes.SHA256())
        else:
            rsa_pub.verify(sig, data, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
