"""DESIGN §6: no plaintext of a bid on the platform before its opening. A marker inside every bid is
found nowhere in the database, the file store or the logs before ``opening_at``, nor after a
RecipientInfo was released; once a bid is decrypted it is in that bid's opened folder, and only
there."""
from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text
from support.opening import MARKER, OPENING, release, released_key, submit, submit_bid

NEEDLES = [MARKER.encode("utf-8"), MARKER.encode("utf-16-le")]


def _places_with_marker(world, capfd, caplog) -> set[str]:
    from app.extensions import db
    found = set()
    with world.app.app_context():
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(text(f'SELECT * FROM "{table.name}"')):
                if any(n in repr(tuple(row)).encode() for n in NEEDLES):
                    found.add(f"db:{table.name}")
    for path in Path(world.app.instance_path).rglob("*"):
        if path.is_file() and any(n in path.read_bytes() for n in NEEDLES):
            found.add(str(path.relative_to(world.app.instance_path)))
    out, err = capfd.readouterr()
    if any(n in (caplog.text + out + err).encode() for n in NEEDLES):
        found.add("logs")
    return found


def test_the_marker_appears_only_in_the_opened_folder_after_decryption(opening_world, tmp_path, capfd, caplog):
    caplog.set_level(logging.DEBUG)
    world = opening_world
    for name in ("supplier2", "supplier3"):
        submit_bid(world, tmp_path / "bidder", name)
    world.at(OPENING - timedelta(milliseconds=1))
    assert release(world, "supplier3").status_code == 409
    assert _places_with_marker(world, capfd, caplog) == set()
    world.at(OPENING)
    given = release(world, "supplier3").json
    assert _places_with_marker(world, capfd, caplog) == set()

    assert submit(world, "supplier3", released_key(world, "supplier3", given)).status_code == 200
    found = _places_with_marker(world, capfd, caplog)
    opened = world.opened("supplier3").relative_to(world.app.instance_path)
    assert found and all(place.startswith(str(opened) + "/") for place in found), found
    assert not world.opened("supplier2").exists()
