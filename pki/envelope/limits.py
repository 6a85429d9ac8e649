"""Limits on what an envelope's framing may ask of the reader (docs/formats.md, "Limits").

An envelope comes from someone else (a bidder, an attacker): each limit below keeps memory and time
in proportion to the file's size, and each is far above what any real encoder writes. Going beyond
one is refused with :class:`pki.envelope.errors.LimitExceeded` (kind ``input``).
"""
from __future__ import annotations

#: Constructed elements inside one another, counted from the ContentInfo (OpenSSL's deepest
#: envelope: about 8). Everything here is walked without recursion, so the limit is about honesty
#: of the input, not Python's stack.
MAX_DEPTH = 32

#: Bytes of any one structure parsed in memory: the RecipientInfos, originatorInfo, attributes,
#: an AlgorithmIdentifier. A RecipientInfo is a few hundred bytes.
MAX_STRUCTURE = 1 << 20

#: RecipientInfos in one envelope.
MAX_RECIPIENTS = 1024

#: Bytes of one distinguished name (the issuer naming a recipient's certificate). Real names are
#: under 1 KiB; a 1 MiB name of 80 000 RDNs cost 210 MB to parse.
MAX_NAME = 8 << 10

#: Changes of segment size in BER content: consecutive OCTET STRING segments of one size (as every
#: streaming encoder writes them, OpenSSL included) are reassembled at C speed however many there
#: are; each change of size, or each constructed wrapper, costs a step in Python (~1 µs), so there
#: may be at most this many (under a second of work). Segments over 64 KiB are not counted.
MAX_SEGMENT_RUNS = 1 << 18

#: Segments of at most this size are counted against MAX_SEGMENT_RUNS (bigger ones cost I/O, not
#: Python steps).
COUNTED_SEGMENT = 64 << 10
