"""Bids (投标): the bid package (manifest, archive, sealing into the bidder's envelope) and, on the
platform, the envelopes it accepts until the opening.

- :mod:`bidding.bids.manifest`: the canonical manifest the bidder signs (files, digests, price);
- :mod:`bidding.bids.archive`: the tar archive of manifest, signature and files, streamed;
- :mod:`bidding.bids.sealing`: sign, pack and encrypt a bid, and open one again;
- :mod:`bidding.bids.models`: bids, their recipients and receipts, resumable uploads;
- :mod:`bidding.bids.uploads`: the bid store and the bytes of an upload (docs/uploads.md);
- :mod:`bidding.bids.services`: upload, acceptance (R11, R16, R17), withdrawal, who sees what;
- :mod:`bidding.bids.receipts`: the receipt's fields and the issuer the use cases are handed;
- :mod:`bidding.bids.pending`: pending bids hold their certificates (R10).
"""
