"""The procurement domain: parties, certificates bound to parties, delegation, tenders, bids,
opening, evaluation, contracts and the rules of DESIGN.md §4. Imports no Flask."""
