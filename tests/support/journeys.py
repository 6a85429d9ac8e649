"""What the browser journeys share (tests/browser): a migrated app served on a free loopback port,
with the real local signing agent (``bidtool agent``, in this process, ``--origin`` = the server's
origin) serving SoftHSM2 tokens and key files of the development CA; and the steps of the pages that
talk to it (app/static/js/agent-client.js): wait for the agent's certificates, choose one, give its
PIN, bind it, log in with it, run the self-test, and the panel shown when no agent answers."""
from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import expect
from support.agent import AgentClient, start_agent

from devsetup.softhsm import SoftHsmToken, init_softhsm_token
from pki import pkcs11 as tokens
from pki.devca import DevCA, IssuedCertificate
from pki.devca.tokens import TokenCertificate, issue_to_token

#: what the journeys' pages need of a live server: CSRF checked as in production, no rate limits
JOURNEY_SETTINGS = {"WTF_CSRF_ENABLED": True, "RATELIMIT_ENABLED": False}


# ----------------------------------------------------------------------------- the live server

def migrated_app(instance: Path, **settings):
    """The application on a SQLite database in ``instance``, every migration applied."""
    import flask_migrate

    from app import create_app
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'ebid.sqlite3'}",
                      "INSTANCE_PATH": str(instance), "SECRET_KEY": "browser-test-secret",
                      "ENV_NAME": "testing", **settings})
    with app.app_context():
        flask_migrate.upgrade()
    return app


@dataclass
class Live:
    base: str                                   # http://127.0.0.1:<port>, also PUBLIC_BASE_URL
    agent: AgentClient | None                   # the agent's port, when one runs


@contextmanager
def served(app, name: str, *, agent: Sequence[str] | None = None, state_dir: Path | None = None) -> Iterator[Live]:
    """Serve ``app`` with werkzeug in a thread named ``name``. With ``agent`` (options of
    :func:`agent_options`), ``bidtool agent`` runs too for the server's origin on a free port, its
    wrong-PIN counts in ``state_dir``, and ``AGENT_URL`` points at it. All is stopped at the end."""
    from werkzeug.serving import make_server

    from app.extensions import db
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = base                 # as `make run` would set it
    agent_server = agent_thread = None
    if agent is not None:
        agent_server, agent_thread = start_agent(["agent", "--port", "0", "--origin", base,
                                                  "--state-dir", str(state_dir), *agent])
        app.config["AGENT_URL"] = f"http://127.0.0.1:{agent_server.port}"
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield Live(base, AgentClient(agent_server.port) if agent_server else None)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        if agent_server is not None:
            agent_server.shutdown()
            agent_server.server_close()
            agent_thread.join(10)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


# ----------------------------------------------------------------------------- tokens and the agent

def token_with_keys(ca: DevCA, hsm_dir: Path, label: str, identity, profile: str,
                    keys: Iterable[tuple[str, str]], *, pin: str, so_pin: str
                    ) -> tuple[SoftHsmToken, list[TokenCertificate]]:
    """A SoftHSM2 token ``label`` holding, for each (algorithm, purpose) of ``keys``, a key pair and
    its certificate issued by ``ca`` to ``identity`` (object label ``<purpose>-<algorithm>``)."""
    hsm = init_softhsm_token(hsm_dir, label, so_pin, pin)
    session = tokens.open_token(hsm.label, pin=pin)
    issued = [issue_to_token(ca, session, profile, identity, algorithm=algorithm, purpose=purpose,
                             label=f"{purpose}-{algorithm}") for algorithm, purpose in keys]
    tokens.close_sessions()
    return hsm, issued


def agent_options(ca: DevCA, profile: str, *, hsms: Iterable[SoftHsmToken] = (),
                  key_files: Iterable[IssuedCertificate] = (), chains: Iterable[str] = ()) -> list[str]:
    """``bidtool agent`` options for the tokens, the key files (with their certificates) of ``ca``'s
    records, and the ``profile``'s intermediate CA of each algorithm of ``chains``."""
    options: list[str] = []
    for hsm in hsms:
        options += ["--pkcs11", hsm.uri().format()]
    for record in key_files:
        options += ["--key", str(ca.path(record.key_file)), "--cert", str(ca.path(record.cert_file))]
    for algorithm in chains:
        options += ["--chain", str(ca.anchors_dir / profile / f"{algorithm}-ca.pem")]
    return options


# ----------------------------------------------------------------------------- the agent pages

def expect_certificates(page, panel: str, count: int) -> None:
    """The page found the agent and offers ``count`` of its certificates in ``panel``."""
    expect(page.locator(f"{panel} .cert-option")).to_have_count(count, timeout=20_000)


def sign_with(page, panel: str, option_text: str, pin: str, button: str) -> None:
    """In ``panel``, choose the agent's certificate whose choice says ``option_text``, give its PIN
    and press ``button``."""
    options = page.locator(f"{panel} .cert-option")
    expect(options.first).to_be_visible(timeout=20_000)
    options.filter(has_text=option_text).locator("input[type=radio]").check()
    page.locator(f"{panel} input[name=pin]").fill(pin)
    page.locator(f"{panel} button[type=submit]", has_text=button).click()


def bind_on_the_page(page, option_text: str, pin: str, *, seal_png: Path | None = None,
                     seal_kind: str = "公章") -> None:
    """On /certificates/bind, bind the certificate (with the seal image the CA delivered, or with
    none) and see it bound (a sealed one: usable for stamping)."""
    if seal_png is None:
        page.locator("input[name=seal_image]").set_input_files([])
    else:
        page.locator("details.seal-upload summary").click()
        page.locator("select[name=seal_kind]").select_option(seal_kind)
        page.locator("input[name=seal_image]").set_input_files(str(seal_png))
    sign_with(page, "#agent-panel", option_text, pin, "签名并绑定")
    result = page.locator("#agent-panel .agent-result")
    expect(result).to_contain_text("证书已绑定", timeout=30_000)
    if seal_png is not None:
        expect(result).to_contain_text("可用于签章")


def log_in_with_certificate(page, base: str, option_text: str, pin: str) -> None:
    """On /login (its certificates already listed), log in with the certificate and land on /account."""
    sign_with(page, "#certificate-login", option_text, pin, "证书登录")
    expect(page).to_have_url(base + "/account", timeout=30_000)


def run_self_test(page, pin: str, expected: str) -> None:
    """On the self-test page, test the offered encryption certificate with ``pin``; the page says ``expected``."""
    page.locator("#self-test-panel input[name=pin]").fill(pin)
    page.get_by_role("button", name="开始加解密测试").click()
    expect(page.locator(".agent-result")).to_contain_text(expected, timeout=30_000)


def without_the_agent(page) -> None:
    """Nothing answers on the loopback agent ports for this page."""
    page.route("http://127.0.0.1:*/v1/**", lambda route: route.abort())


def expect_the_agent_missing(page, panel: str, base: str) -> None:
    """``panel`` says it cannot reach the agent and shows how to start it for this platform."""
    missing = page.locator(f"{panel} .agent-missing")
    expect(missing).to_be_visible(timeout=20_000)
    expect(missing).to_contain_text(f"bidtool agent --origin {base}")
    expect(page.locator(f"{panel} .agent-status")).to_contain_text("无法连接本机签名助手")


def bind_encryption_on_the_page(page, option_text: str, pin: str) -> None:
    """On /certificates/bind, bind the agent's encryption certificate by proof of decryption and see
    it bound."""
    sign_with(page, "#encryption-bind-panel", option_text, pin, "解密验证并绑定")
    expect(page.locator("#encryption-bind-panel .agent-result")).to_contain_text("加密证书已绑定", timeout=30_000)
