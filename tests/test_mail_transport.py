"""The mail transports: the SMTP URL, STARTTLS with a real TLS server (aiosmtpd), the outbox folder."""
from __future__ import annotations

import shutil
import ssl
import stat
import subprocess

import pytest

from notifications import mailer
from notifications.mailer import DeliveryError, OutboxTransport, SmtpTransport, parse_smtp_url


@pytest.mark.parametrize("url, expected", [
    ("smtp://127.0.0.1:1025", ("127.0.0.1", 1025, False, "auto", None, None)),
    ("smtp://relay.example", ("relay.example", 25, False, "auto", None, None)),
    ("smtps://relay.example", ("relay.example", 465, True, "never", None, None)),
    ("smtp://app%40site.fr:p%40ss%20w@relay.example:587?starttls=required",
     ("relay.example", 587, False, "required", "app@site.fr", "p@ss w")),
])
def test_smtp_url(url, expected):
    c = parse_smtp_url(url)
    assert (c.host, c.port, c.implicit_tls, c.starttls, c.username, c.password) == expected


@pytest.mark.parametrize("url", ["http://relay.example", "smtp://", "smtp://relay:port", "smtp://h?starttls=maybe"])
def test_a_wrong_smtp_url_is_refused_in_french(url):
    with pytest.raises(ValueError, match="PASSERELLE_SMTP_URL"):
        parse_smtp_url(url)


def test_the_outbox_writes_private_eml_files(tmp_path):
    folder = tmp_path / "outbox"
    path = OutboxTransport(folder).send(b"Subject: x\r\n\r\nbody\r\n", sender="a@b", recipient="c@d",
                                        mail={"id": 7, "kind": "invitation", "created_at": "2026-03-01T10:00:00+00:00"})
    assert path.endswith("20260301T100000-000007-invitation.eml")
    assert stat.S_IMODE((folder / path.rsplit("/", 1)[1]).stat().st_mode) == 0o600
    assert not list(folder.glob("*.tmp"))


@pytest.fixture
def tls_files(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl absent : le test STARTTLS a besoin d'un certificat de test")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


def _server(tls_files, *, require_starttls: bool):
    from aiosmtpd.controller import Controller

    from conftest_smtp import Sink, free_port

    cert, key = tls_files
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port(), tls_context=context,
                            require_starttls=require_starttls)
    controller.start()
    return controller, sink


def test_starttls_is_used_when_the_server_offers_it_and_the_certificate_is_checked(tls_files):
    controller, sink = _server(tls_files, require_starttls=True)
    try:
        cert = tls_files[0]
        ok = SmtpTransport(f"smtp://127.0.0.1:{controller.port}?starttls=required&cafile={cert}")
        ok.send(b"Subject: chiffre\r\n\r\nbonjour\r\n", sender="a@passerelle.test", recipient="b@passerelle.test",
                mail={})
        ok.close()
        assert sink.received == [("a@passerelle.test", ["b@passerelle.test"])]
        # Without the CA that signed it, the certificate is refused: nothing is sent in clear instead.
        unknown = SmtpTransport(f"smtp://127.0.0.1:{controller.port}")
        with pytest.raises(DeliveryError):
            unknown.send(b"Subject: x\r\n\r\ny\r\n", sender="a@passerelle.test", recipient="b@passerelle.test", mail={})
        assert len(sink.received) == 1
    finally:
        controller.stop()


def test_starttls_required_but_not_offered_is_a_failure(smtp_plain):
    port = smtp_plain
    with pytest.raises(DeliveryError, match="STARTTLS"):
        SmtpTransport(f"smtp://127.0.0.1:{port}?starttls=required").send(
            b"Subject: x\r\n\r\ny\r\n", sender="a@b.fr", recipient="c@d.fr", mail={})


def test_credentials_never_go_in_clear_to_a_remote_server(monkeypatch):
    class PlainServer:
        def __init__(self, *args, **kwargs):
            pass

        def ehlo(self):
            return None

        def has_extn(self, name):
            return False

        def close(self):
            return None

        def login(self, *args):  # pragma: no cover - must not be reached
            raise AssertionError("login over a clear connection")

    monkeypatch.setattr(mailer.smtplib, "SMTP", PlainServer)
    with pytest.raises(DeliveryError, match="pas chiffrée"):
        SmtpTransport("smtp://user:secret@relay.example:587").send(b"x", sender="a@b.fr", recipient="c@d.fr", mail={})


@pytest.fixture
def smtp_plain():
    from aiosmtpd.controller import Controller

    from conftest_smtp import Sink, free_port

    controller = Controller(Sink(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()
