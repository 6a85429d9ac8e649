"""Developer tooling, not part of the platform: SoftHSM2 token directories for development and
tests, and the demo parties that ``flask setup-dev`` creates. Imports no Flask; nothing in
``app/`` depends on it except the development CLI commands."""
