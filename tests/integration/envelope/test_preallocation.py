"""The writer reserves the envelope's exact size on disk before streaming into it: the file must
end up exactly as long as the envelope (no preallocated zeros), whatever the cipher and size."""
from __future__ import annotations

import os

import pytest

from pki import envelope


@pytest.mark.parametrize("cipher", ["aes-256-gcm", "aes-256-cbc"])
@pytest.mark.parametrize("size", [0, 15, 16, 17, (1 << 20) + 1])
def test_file_is_exactly_the_envelope(tmp_path, rsa_party, cipher, size):
    src = tmp_path / "plain.bin"
    src.write_bytes(os.urandom(size))
    info = envelope.encrypt_file(src, tmp_path / "env.der", recipients=[rsa_party.cert], cipher=cipher)
    assert (tmp_path / "env.der").stat().st_size == info.envelope_size
    envelope.decrypt_file(tmp_path / "env.der", tmp_path / "out.bin", key=rsa_party.key, certificate=rsa_party.cert)
    assert (tmp_path / "out.bin").read_bytes() == src.read_bytes()


def test_stream_into_the_middle_of_a_file_keeps_what_follows_out(tmp_path, rsa_party):
    """encrypt_stream into an open file at an offset reserves from that offset on."""
    src = tmp_path / "plain.bin"
    src.write_bytes(os.urandom(5000))
    with open(tmp_path / "env.der", "wb") as dst, open(src, "rb") as fh:
        dst.write(b"HEAD")
        info = envelope.encrypt_stream(fh, dst, recipients=[rsa_party.cert])
    assert (tmp_path / "env.der").stat().st_size == 4 + info.envelope_size
