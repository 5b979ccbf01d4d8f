"""Web fixtures, flaskr-style: an app on a temporary database, a client, a CLI runner.

The demo database is built once per test session (it maps 120 profiles and
ranks candidates for the demo proposals); each test gets its own copy.
"""
from __future__ import annotations

import shutil

import pytest

from app import create_app
from web.db import get_db
from web_helpers import enter

# CSRF and rate limits are switched off for most tests and checked by their own tests;
# the test client talks plain HTTP, so the session cookie cannot be Secure here.
TEST_CONFIG = {"TESTING": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
               "SESSION_COOKIE_SECURE": False}


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    app = create_app({**TEST_CONFIG, "DATABASE": str(path), "MAIL_OUTBOX": str(path.parent / "outbox")})
    result = app.test_cli_runner().invoke(args=["load-demo"])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def app(demo_db, tmp_path):
    path = tmp_path / "passerelle.sqlite"
    shutil.copy(demo_db, path)
    # Mails go to this test's own outbox folder (never the repository's instance/).
    return create_app({**TEST_CONFIG, "DATABASE": str(path), "MAIL_OUTBOX": str(tmp_path / "outbox"),
                       "BASE_URL": "https://passerelle.test"})


@pytest.fixture
def empty_app(tmp_path):
    return create_app({**TEST_CONFIG, "DATABASE": str(tmp_path / "empty.sqlite"),
                       "MAIL_OUTBOX": str(tmp_path / "outbox")})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    with app.app_context():
        yield get_db()


@pytest.fixture
def cre(client):
    """A client in the CRE space of S1 (the Montreuil ressourcerie)."""
    return enter(client, "cre", "S1")


@pytest.fixture
def employer(app):
    """A client in the employer space of E14 (Filéa Câblage, need N028)."""
    return enter(app.test_client(), "employer", "E14")


class SmtpSink:
    """What a real SMTP server (aiosmtpd, in this process) received; ``reply`` sets its answer to DATA
    ("250 OK", or a refusal such as "451 …" / "550 …" to test retries and failures)."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.reply = "250 OK"
        self.logins: list[tuple[str, str]] = []

    async def handle_DATA(self, server, session, envelope):
        if self.reply.startswith("250"):
            self.received.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                                  "data": envelope.original_content or envelope.content})
        return self.reply

    def messages(self, to: str | None = None) -> list:
        from notifications.mailer import parse_message

        return [parse_message(r["data"]) for r in self.received if to is None or to in r["to"]]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1 (free port): ``(url, sink)``; it accepts AUTH over loopback."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    sink = SmtpSink()

    def authenticate(server, session, envelope, mechanism, data):
        sink.logins.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=data.password == b"s3cret p@ss")

    controller = Controller(sink, hostname="127.0.0.1", port=free_port(), authenticator=authenticate,
                            auth_require_tls=False)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{controller.port}", sink
    finally:
        controller.stop()
