"""Open publication (公开发布, issue 16 part 6, docs/publication.md): a tender's published events as
an OCDS 1.1 release package (:func:`bidding.publication.ocds.release_package`).

The tender's own events (publication, amendments, the published opening) are built here; the award
and contract areas add theirs with :func:`bidding.publication.ocds.register_release_source`.
"""
