"""Settings per environment. Nothing secret is committed: the secret key comes from ``SECRET_KEY``
or is generated once into ``instance/secret_key``.

The environment is chosen by ``EBID_ENV`` (``development`` by default, ``testing``, ``production``).
Environment variables that override settings:

- ``DATABASE_URL``: e.g. ``postgresql+psycopg://user@/ebid?host=/run/postgresql``; default SQLite at
  ``instance/ebid.sqlite3``.
- ``SECRET_KEY``: the Flask secret key (sessions, CSRF tokens).
- ``EBID_FILE_STORE``: the directory where uploaded files are kept (default ``instance/files``).
- ``EBID_BID_STORE``: where bid envelopes and uploads in progress are kept (``BID_STORE_DIR``,
  default ``<FILE_STORE>/bids``); uploads and envelopes must be on one file system (renamed, not
  copied). Shared by every worker and host of a scaled set-up.
- ``EBID_DEVCA_DIR``: the development CA's directory (default ``instance/devca``).
- ``EBID_BASE_URL``: the platform's public base URL (``PUBLIC_BASE_URL``), written into the CRL
  distribution points of the certificates the development CA issues and shown on the home page
  (CRLs, the ``/tsa`` address); default ``http://$HOST:$PORT`` from the variables ``HOST`` and
  ``PORT`` that ``make run`` passes (default ``http://127.0.0.1:5000``). Set it when a proxy or
  another name stands in front of the platform.
- ``EBID_PROXY_HOPS``: how many reverse proxies sit in front (for the client address in the audit log).
- ``EBID_LOG_LEVEL``: ``DEBUG``, ``INFO`` (default), ``WARNING``.
- ``EBID_AGENT_URL``: where the certificate pages look for the local signing agent on the user's
  machine (``AGENT_URL``, default ``http://127.0.0.1:8765``).
- ``EBID_NOTIFIER``: the notifier that delivers outbound messages (``NOTIFIER``, ``"module:factory"``;
  default the development outbox, ``app.scheduler.notifier:outbox_notifier``).
- ``EBID_OPENING_KEY_SECRET``: the secret the per-tender opening keys are kept under
  (``OPENING_KEY_SECRET``, docs/opening.md); unset, it is derived from ``SECRET_KEY`` (development).
- ``EBID_PLATFORM_TOKEN_PIN``: the user PIN of the platform's token (``PLATFORM_TOKEN_PIN``; experts'
  event keys live on it); unset, the file ``<instance>/platform_token_pin`` (development).
- ``EBID_OCDS_OCID_PREFIX``: the OCID prefix of the OCDS packages (``OCDS_OCID_PREFIX``,
  docs/publication.md); the default ``ocds-ebid01-`` is for development only: a real publisher
  registers its prefix with the OCDS Data Support team.
- ``EBID_RATELIMIT_STORAGE``: where rate-limit counters live (``RATELIMIT_STORAGE_URI``, default
  ``memory://``, per process); a scaled set-up needs a shared store, e.g. ``redis://host:6379``.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000


class BaseConfig:
    """Settings shared by every environment. Paths are filled in by :func:`load_settings`."""

    ENV_NAME = "base"
    TESTING = False
    DEBUG = False
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = 8 * 3600          # a bid form may stay open a long working day
    MAX_CONTENT_LENGTH = 2 * 1024 ** 3       # bids can be large; views stream them to disk
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False            # True in production (HTTPS only)
    REMEMBER_COOKIE_HTTPONLY = True          # flask-login's remember-me cookie, should one be set
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    # Rate limits (Flask-Limiter). memory:// counts per process: with several gunicorn workers or
    # hosts set a shared store (e.g. redis://host:6379) or the limit multiplies by the processes.
    RATELIMIT_ENABLED = True                 # explicit: the limiter object is shared by every app
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True         # Retry-After and X-RateLimit-* on limited routes
    LOGIN_RATE_LIMIT = "10 per minute"       # POST /login and POST /api/v1/session, per client address
    # The JSON API's OpenAPI document (flask-smorest), served at /api/v1/openapi.json
    API_TITLE = "电子招投标平台 API (e-bidding platform API)"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    TSA_MAX_REQUEST = 64 * 1024              # an RFC 3161 request is a few hundred bytes
    REGISTRATION_LICENCE_MAX_BYTES = 10 * 1024 * 1024   # a business licence scan (PDF, PNG, JPEG)
    COMMITMENT_REVOCATION = "require"        # a commitment-letter signer's revocation status must be known (CRLs)
    # TSA policy written into every timestamp token: the platform's private arc (X.667 UUID arc,
    # as in config/trust/*.toml), branch 9 = time-stamping.
    TSA_POLICY_OID = "2.25.72332915291831301101814497930267910821.9.1"
    PROXY_HOPS = 0
    LOG_LEVEL = "INFO"
    TRUST_CONFIG_DIR = str(PROJECT_ROOT / "config" / "trust")
    # The local signing agent (bidtool agent, docs/agent.md) the certificate pages call from the
    # user's browser: its address on the user's own machine, rendered into those pages.
    AGENT_URL = "http://127.0.0.1:8765"
    # The scheduler process (`flask scheduler`, docs/operations.md): how often it looks for due side
    # effects, how long a claimed effect stays its own (a crashed scheduler's effect is run again
    # after this), how many it takes per round; and the notifier that delivers the outbox
    # ("module:factory" taking the app; the default keeps messages in the outbox, /operator/outbox).
    SCHEDULER_INTERVAL_SECONDS = 2.0
    SCHEDULER_LEASE_SECONDS = 60.0
    SCHEDULER_BATCH = 100
    # Every so often the scheduler purges expired uploads and stamp sessions' files (0: never; the
    # tests keep it off, so the effects of a test are only its own).
    HOUSEKEEPING_INTERVAL_SECONDS = 3600.0
    # Where a tender's opening key is made and used (docs/opening.md): on the platform's token
    # ("token", PLATFORM_TOKEN_LABEL below), or encrypted in the database ("database": tests that
    # have no platform token; the opening's own tests use the token).
    OPENING_KEY_STORE = "token"
    NOTIFIER = "app.scheduler.notifier:outbox_notifier"
    # Bid uploads (docs/uploads.md): largest envelope, largest chunk of one PATCH request, how long
    # an unfinished upload lives (never past the bid deadline).
    BID_MAX_SIZE = 2 * 1024 ** 3
    BID_MAX_CHUNK = 8 * 1024 ** 2
    BID_UPLOAD_LIFETIME_SECONDS = 24 * 3600
    # The platform's own token (SoftHSM2 in development): experts' event keys are generated and used
    # on it (docs/experts.md). Its PIN: EBID_PLATFORM_TOKEN_PIN, else <instance>/platform_token_pin,
    # which `flask setup-dev` writes when it makes the token. EXPERT_CA_PROFILE: the development CA
    # profile issuing event certificates (None: the first with an EC chain).
    PLATFORM_TOKEN_LABEL = "ebid-platform"
    PLATFORM_TOKEN_PIN: str | None = None
    EXPERT_CA_PROFILE: str | None = None
    # Open publication (docs/publication.md): the OCDS packages' OCID prefix (development default; a
    # real one is registered with the OCDS Data Support team) and the publisher's name.
    OCDS_OCID_PREFIX = "ocds-ebid01-"
    OCDS_PUBLISHER_NAME = "电子招投标平台"


class DevelopmentConfig(BaseConfig):
    ENV_NAME = "development"


class TestingConfig(BaseConfig):
    ENV_NAME = "testing"
    TESTING = True
    WTF_CSRF_ENABLED = False    # tests that check CSRF switch it back on
    LOG_LEVEL = "WARNING"
    HOUSEKEEPING_INTERVAL_SECONDS = 0.0
    OPENING_KEY_STORE = "database"


class ProductionConfig(BaseConfig):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True


CONFIGS: dict[str, type[BaseConfig]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def secret_key(instance_path: Path) -> str:
    """``SECRET_KEY`` from the environment, else the one stored in the instance folder, created on
    first use (mode 0600)."""
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(key + "\n")
    return key


def public_base_url() -> str:
    """``EBID_BASE_URL``, else ``http://$HOST:$PORT`` (the address ``make run`` serves on), without a
    trailing slash."""
    explicit = os.environ.get("EBID_BASE_URL")
    if explicit:
        return explicit.rstrip("/")
    return f"http://{os.environ.get('HOST') or DEFAULT_HOST}:{os.environ.get('PORT') or DEFAULT_PORT}"


def load_settings(env: str | None, instance_path: Path) -> dict[str, Any]:
    """All settings of environment ``env`` (default ``$EBID_ENV`` or ``development``) as a dict,
    with paths under ``instance_path`` and the environment-variable overrides applied."""
    env = env or os.environ.get("EBID_ENV", "development")
    try:
        cls = CONFIGS[env]
    except KeyError:
        raise SystemExit(f"未知的运行环境 {env!r} (unknown EBID_ENV; use one of {sorted(CONFIGS)})")
    settings = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
    devca = Path(os.environ.get("EBID_DEVCA_DIR", instance_path / "devca"))
    settings.update(
        SQLALCHEMY_DATABASE_URI=os.environ.get(
            "DATABASE_URL", f"sqlite:///{instance_path / 'ebid.sqlite3'}"),
        FILE_STORE=os.environ.get("EBID_FILE_STORE", str(instance_path / "files")),
        BID_STORE_DIR=os.environ.get("EBID_BID_STORE"),   # None: <FILE_STORE>/bids (app/bids/common.py)
        DEVCA_DIR=str(devca),
        CRL_DIR=str(devca / "crl"),
        TRUST_ANCHORS_DIR=str(devca / "anchors"),
        PUBLIC_BASE_URL=public_base_url(),
        PROXY_HOPS=int(os.environ.get("EBID_PROXY_HOPS", cls.PROXY_HOPS)),
        LOG_LEVEL=os.environ.get("EBID_LOG_LEVEL", cls.LOG_LEVEL),
        RATELIMIT_STORAGE_URI=os.environ.get("EBID_RATELIMIT_STORAGE", cls.RATELIMIT_STORAGE_URI),
        AGENT_URL=os.environ.get("EBID_AGENT_URL", cls.AGENT_URL).rstrip("/"),
        NOTIFIER=os.environ.get("EBID_NOTIFIER", cls.NOTIFIER),
        OPENING_KEY_SECRET=os.environ.get("EBID_OPENING_KEY_SECRET"),   # None: from SECRET_KEY (app/opening_keys.py)
        OCDS_OCID_PREFIX=os.environ.get("EBID_OCDS_OCID_PREFIX", cls.OCDS_OCID_PREFIX),
        PLATFORM_TOKEN_PIN=os.environ.get("EBID_PLATFORM_TOKEN_PIN"),   # None: <instance>/platform_token_pin (dev)
    )
    return settings
