"""Helpers shared by the tests, imported as ``support.<module>`` (pytest puts ``tests/`` on the
path through the root conftest). Fixtures stay in conftest.py files; plain helpers and constants
live here so that no test imports another folder's conftest by bare name."""
