"""End-to-end fixtures: the app served on a real port, driven by Chromium through Playwright.

Every test of this folder is skipped (with the reason) when the ``playwright``
package or the Chromium binary is missing, so that the rest of the suite still runs on a
developer's machine. CI installs both. The browser is Debian's Chromium
(``/usr/bin/chromium``, or ``$PASSERELLE_CHROMIUM``): Playwright's own browser
download is never used.

One server per session, on a copy of the demo database built at session start;
tests therefore share that database and must not depend on each other's data:
each one creates what it needs with unique references. Users log in through the
login form with the demo accounts (``web/demo.py``); the server runs with the
real security settings (Secure session cookie, CSRF tokens checked on every
form), only the per-address login rate limit is off so that one session can
log in many times.
"""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

import storage
from app import create_app
from web.db import get_db

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

HERE = Path(__file__).resolve().parent
CHROMIUM = Path(os.environ.get("PASSERELLE_CHROMIUM", "/usr/bin/chromium"))


def _missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if sync_playwright is None:
        return ("Tests navigateur ignorés : le paquet Python « playwright » n'est pas installé "
                "(pip install -r requirements-dev.txt ; aucun navigateur n'est téléchargé).")
    if not CHROMIUM.exists():
        return (f"Tests navigateur ignorés : Chromium introuvable ({CHROMIUM}) ; installez le paquet "
                "Debian « chromium » ou indiquez son chemin dans PASSERELLE_CHROMIUM.")
    return None


MISSING = _missing()


def pytest_collection_modifyitems(config, items):
    """Skip every test of this folder, with the reason, when Playwright or Chromium is missing.

    (A module-level ``pytest.skip`` in this conftest would crash ``pytest tests/browser``,
    where the conftest is loaded before collection.)
    """
    if MISSING is None:
        return
    skip = pytest.mark.skip(reason=MISSING)
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(skip)


CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"  # git-ignored
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="session")
def browser_demo_db(tmp_path_factory) -> Path:
    """The demo database, built once for the browser tests."""
    path = tmp_path_factory.mktemp("browser-demo") / "demo.sqlite"
    app = create_app({"TESTING": True, "DATABASE": str(path), "SECRET_KEY": "test"})
    result = app.test_cli_runner().invoke(args=["load-demo"])
    assert result.exit_code == 0, result.output
    return path


# The production settings, but for the login rate limit (10 per minute and per address: the tests log in
# far more often than that). The session cookie stays Secure: Chromium treats http://127.0.0.1 as a secure
# origin and keeps such a cookie, so the real configuration is the one tested. CSRF stays on: the browser
# submits the tokens the pages carry, which checks end to end that every form has one.
LIVE_CONFIG = {"TESTING": True, "SECRET_KEY": "browser-tests", "SESSION_COOKIE_SECURE": True,
               "WTF_CSRF_ENABLED": True, "RATELIMIT_ENABLED": False}


@pytest.fixture(scope="session")
def live_app(browser_demo_db, tmp_path_factory):
    """The app the browser talks to, on a copy of the demo database (with the demo accounts)."""
    path = tmp_path_factory.mktemp("browser-server") / "passerelle.sqlite"
    shutil.copy(browser_demo_db, path)
    return create_app({**LIVE_CONFIG, "DATABASE": str(path), "MAIL_OUTBOX": str(path.parent / "outbox")})


@pytest.fixture(scope="session")
def live_server(live_app):
    """Base URL of the app served by werkzeug on 127.0.0.1 (random port)."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    # Links in the mails point to this server (its port is known only now).
    live_app.config["BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="passerelle-e2e", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def make_account(live_app):
    """Create (once) an account with a password, straight in the app's storage; returns its email.

    For organisations without a demo account (B2, for instance): ``make_account("buyer", "B2", password)``.
    """

    def make(role: str, org_id: str | None, password: str, *, name: str | None = None) -> str:
        email = f"{role}.{(org_id or 'admin').lower()}@e2e.passerelle.test"
        with live_app.app_context():
            db = get_db()
            if storage.user_by_email(db, email) is None:
                storage.create_user(db, email=email, name=name or f"E2E {role} {org_id or ''}".strip(), role=role,
                                    org_id=org_id, password_hash=generate_password_hash(password))
        return email

    return make


@pytest.fixture(scope="session")
def deliver_mails(live_app, live_server):
    """Run ``run-jobs`` once on the live app (no SMTP: the outbox folder) and return the mails of the
    outbox for ``to`` (all of them without it), oldest first."""
    import jobs
    from notifications import mailer

    def deliver(to: str | None = None, kind: str | None = None) -> list:
        with live_app.app_context():
            db = storage.connect(live_app.config["DATABASE"])
            try:
                jobs.run_jobs(db, settings=jobs.JobSettings.from_config(live_app.config),
                              mail_settings=mailer.MailSettings.from_config(live_app.config))
            finally:
                db.conn.close()
        folder = Path(live_app.config["MAIL_OUTBOX"])
        mails = [mailer.read_eml(p) for p in sorted(folder.glob("*.eml"))]
        return [m for m in mails if (to is None or m["To"] == to) and (kind is None or m["X-Passerelle-Kind"] == kind)]

    return deliver


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session (overrides pytest-playwright's fixture if installed)."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"_browser_report_{report.when}", report)
    return report


@pytest.fixture
def page(browser, live_server, request, artifacts_dir):
    """A fresh page in a new context (no cookies: logged out), French locale, desktop size.

    Uncaught JavaScript errors fail the test; a failed test leaves a screenshot
    in test-artifacts/.
    """
    context = browser.new_context(base_url=live_server, locale="fr-FR", timezone_id="Europe/Paris", viewport=DESKTOP)
    context.set_default_timeout(10_000)
    page = context.new_page()
    js_errors: list[str] = []
    page.on("pageerror", lambda error: js_errors.append(str(error)))
    yield page
    report = getattr(request.node, "_browser_report_call", None)
    if report is not None and report.failed:
        page.screenshot(path=str(artifacts_dir / f"failed-{request.node.name}.png"), full_page=True)
    context.close()
    assert not js_errors, f"Erreurs JavaScript dans la page : {js_errors}"
