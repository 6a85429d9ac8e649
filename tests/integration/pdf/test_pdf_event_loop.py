"""Stamping and verifying work wherever they are called from: inside a running asyncio loop (pyHanko's
and pyhanko-certvalidator's synchronous wrappers would call ``asyncio.run`` and fail there; pytest-
playwright leaves such a loop running) and from worker threads (a threaded web server)."""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from pki.pdf import SealPlacement, StampSpec, stamp_with_key, verify_pdf


def stamp_and_verify(world, party, x: float):
    stamped = stamp_with_key(world.docs[3], party.key, party.certificate,
                             StampSpec(party.seal_png, SealPlacement(x=x), cross_page=True),
                             chain=[party.intermediate], signing_time=world.now, timestamper=world.tsa,
                             validation=world.validation())
    return verify_pdf(stamped, trust=world.trust, crls=world.crls())


def test_inside_a_running_event_loop(world):
    party = world.party("事件循环测试单位", "ec", 701)

    async def inside():
        asyncio.get_running_loop()             # really inside
        return stamp_and_verify(world, party, 100)

    assert asyncio.run(inside()).ok()


def test_from_worker_threads(world):
    parties = [world.party(f"并发测试单位{n}", alg, 710 + n) for n, alg in enumerate(("rsa", "ec", "sm2"))]
    with ThreadPoolExecutor(max_workers=3) as pool:
        reports = list(pool.map(lambda p: stamp_and_verify(world, p, 200), parties))
    assert all(r.ok() for r in reports), [s.problems for r in reports for s in r.signatures]
