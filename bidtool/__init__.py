"""bidtool, the bidder's client tools: the command line (``bidtool``) and, later, the local signing
agent. An entry point like ``app/``, but on the bidder's machine: it imports no Flask and holds no
domain rules; it calls :mod:`pki` for the cryptography and :mod:`bidding.bids` for the bid package."""
