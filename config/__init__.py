"""Settings per environment (:mod:`config.settings`) and the trust lists (``config/trust/``)."""
