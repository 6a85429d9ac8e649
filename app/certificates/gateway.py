"""Which CA the certificate service desk talks to: the setting ``CA_GATEWAY`` names a factory
(``"module:function"`` or a callable) that takes the application and returns a
:class:`bidding.certificates.ca_gateway.CaGateway`; the default is :func:`dev_gateway`, the
development CA under ``DEVCA_DIR``. The gateway is built once per application."""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from bidding.certificates.ca_gateway import CaGateway, DevCaGateway

DEFAULT_FACTORY = "app.certificates.gateway:dev_gateway"


def ca_gateway() -> CaGateway:
    """The application's CA gateway, built on first use from ``CA_GATEWAY``."""
    gateway = current_app.extensions.get("ca_gateway")
    if gateway is None:
        factory: Any = current_app.config.get("CA_GATEWAY") or DEFAULT_FACTORY
        if isinstance(factory, str):
            module, _, name = factory.partition(":")
            factory = getattr(importlib.import_module(module), name)
        gateway = current_app.extensions["ca_gateway"] = factory(current_app._get_current_object())  # type: ignore[attr-defined]
    return gateway


def dev_gateway(app: Flask) -> DevCaGateway:
    """The development CA of ``DEVCA_DIR``. SO PINs: ``DEVCA_TOKEN_SECRETS`` (label → (SO PIN, user
    PIN)) when set, else the demo's ``SECRETS.txt`` (``flask setup-dev``), whose SoftHSM directory
    this process is then pointed at. A key file made for a lost-key replacement is protected by
    ``DEVCA_KEY_PASSWORD`` (development only)."""
    from pki.devca import DevCA
    config = app.config
    ca = DevCA(config["DEVCA_DIR"], config["TRUST_ANCHORS_DIR"], config_dir=config["TRUST_CONFIG_DIR"],
               clock=app.extensions["clock"], base_url=config["PUBLIC_BASE_URL"])
    known = config.get("DEVCA_TOKEN_SECRETS")
    secrets = dict(known) if known is not None else _demo_token_secrets(app)
    password = str(config.get("DEVCA_KEY_PASSWORD") or "devca-replacement-key").encode("utf-8")
    return DevCaGateway(ca, key_password=password, token_secrets=secrets)


def _demo_token_secrets(app: Flask):  # type: ignore[no-untyped-def]
    """label → (SO PIN, user PIN) of the demo's tokens, read at each unlock (the demo may be re-made)."""
    demo = Path(app.config.get("DEMO_DIR") or Path(app.instance_path) / "demo")
    softhsm = Path(app.config.get("SOFTHSM_DIR") or Path(app.instance_path) / "softhsm")

    def lookup(label: str) -> tuple[str, str] | None:
        from devsetup.demo import demo_secrets
        from devsetup.softhsm import use_softhsm_dir
        for entry in demo_secrets(demo).values():
            if entry.get("token") == label and "so_pin" in entry and "user_pin" in entry:
                use_softhsm_dir(softhsm)
                return entry["so_pin"], entry["user_pin"]
        return None
    return lookup
