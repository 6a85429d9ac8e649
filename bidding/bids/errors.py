"""Refusals of bid packages."""
from __future__ import annotations


class PackageError(ValueError):
    """A bid package is malformed, incomplete, or does not match its manifest."""


class PackageIntegrityError(PackageError):
    """The package was altered or is not the bidder's: a file digest, the manifest's signature or
    the signer's identity does not check out."""


class OutputRefused(PackageError):
    """The output folder cannot be used safely: a symbolic link, not a folder, or not empty and
    not to be replaced. Nothing was written."""
