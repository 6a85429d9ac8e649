"""Bids (投标): the bid package (manifest, archive, sealing into the bidder's envelope).

- :mod:`bidding.bids.manifest`: the canonical manifest the bidder signs (files, digests, price);
- :mod:`bidding.bids.archive`: the tar archive of manifest, signature and files, streamed;
- :mod:`bidding.bids.sealing`: sign, pack and encrypt a bid, and open one again.
"""
