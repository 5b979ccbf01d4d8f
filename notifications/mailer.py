"""The worker's side of e-mail: render queued mails, send them, retry with back-off, build digests.

Transport: SMTP when ``PASSERELLE_SMTP_URL`` is set (``smtp://host:port`` with STARTTLS when the
server offers it, ``smtps://`` for TLS from the first byte, ``user:password@`` for credentials),
otherwise each mail is written as an ``.eml`` file in the outbox folder (``instance/outbox/``) for the
operator to read. Rendering uses the Flask templates of ``templates/mail/`` (call it inside an app
context).
"""
from __future__ import annotations

import email
import email.policy
import ipaddress
import logging
import os
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Any, Mapping, Protocol
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

import sqlite_utils
from flask import current_app

import storage

from . import notify
from .kinds import MailFailed
from .registry import DIGEST, registry

log = logging.getLogger(__name__)

DEFAULT_FROM = "Passerelle <ne-pas-repondre@passerelle.localhost>"
DEFAULT_BASE_URL = "http://127.0.0.1:5000"
# After a failed attempt, the next one waits this long; after the last, the mail is given up and the
# operator told. Six attempts over about 15 hours ride out an SMTP server's maintenance night.
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
                timedelta(hours=12))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# A mail claimed by a worker that died is taken again after this long.
CLAIM_TIMEOUT = timedelta(minutes=10)
SMTP_TIMEOUT_S = 30
# Daily digests go out from this hour (Paris time), once a day.
DIGEST_HOUR = 8
TIMEZONE = ZoneInfo("Europe/Paris")
# Mail text: 7-bit clean (quoted-printable), so that any relay accepts it and the .eml stays readable.
POLICY = email.policy.SMTP


@dataclass(frozen=True)
class MailSettings:
    from_addr: str = DEFAULT_FROM
    base_url: str = DEFAULT_BASE_URL
    smtp_url: str | None = None
    outbox_dir: str = "instance/outbox"
    digest_hour: int = DIGEST_HOUR

    @property
    def domain(self) -> str:
        address = parseaddr(self.from_addr)[1]
        return address.rpartition("@")[2] or "passerelle.localhost"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "MailSettings":
        return cls(from_addr=config.get("MAIL_FROM") or DEFAULT_FROM,
                   base_url=(config.get("BASE_URL") or DEFAULT_BASE_URL).rstrip("/"),
                   smtp_url=config.get("SMTP_URL") or None, outbox_dir=config["MAIL_OUTBOX"],
                   digest_hour=int(config.get("DIGEST_HOUR", DIGEST_HOUR)))


class DeliveryError(Exception):
    """A mail could not be handed over; ``permanent`` when retrying cannot help (address refused)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


# -- rendering -------------------------------------------------------------------
def build_message(mail: Mapping[str, Any], settings: MailSettings) -> EmailMessage:
    """The message of a queued mail: French plain text and HTML alternatives, attachments."""
    context = dict(mail["context"])
    link = context.get("link") or "/"
    context.update(url=settings.base_url + link, base_url=settings.base_url, mail_domain=settings.domain,
                   preferences_url=settings.base_url + "/compte/notifications")
    if mail["kind"] == "digest":
        template, subject, attachments = "digest", context["title"], []
        for item in context.get("items", []):
            item["url"] = settings.base_url + item["link"]
    else:
        kind = registry.get(mail["kind"])
        template, subject = kind.template, kind.subject(context)
        attachments = kind.attachments(context)
        context["can_be_disabled"] = kind.can_be_disabled
    message = EmailMessage(policy=POLICY)
    message["From"] = settings.from_addr
    message["To"] = mail["to_addr"]
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(timezone.utc))
    message["Message-ID"] = make_msgid(idstring=f"m{mail['id']}", domain=settings.domain)
    # Tells mail servers and out-of-office responders that no human sent it.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Passerelle-Kind"] = mail["kind"]
    message.set_content(_render(f"mail/{template}.txt", context), cte="quoted-printable")
    message.add_alternative(_render(f"mail/{template}.html", context), subtype="html", cte="quoted-printable")
    for filename, mime, content in attachments:
        maintype, subtype = mime.split("/")
        params = {"method": "PUBLISH"} if subtype == "calendar" else {}
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename, params=params)
    return message


def _render(name: str, context: Mapping[str, Any]) -> str:
    """The app's Jinja environment (filters, autoescape of .html) without the page context processors,
    which read the logged-in user of a request: a mail is rendered by the worker, outside any request."""
    return current_app.jinja_env.get_template(name).render(**context)


# -- transports ------------------------------------------------------------------
class Transport(Protocol):
    def send(self, data: bytes, *, sender: str, recipient: str, mail: Mapping[str, Any]) -> str | None: ...

    def close(self) -> None: ...


class OutboxTransport:
    """No SMTP configured: each mail is an ``.eml`` file (readable by any mail program) in a folder only
    the app's account may read (the mails carry names and links)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def send(self, data: bytes, *, sender: str, recipient: str, mail: Mapping[str, Any]) -> str:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        stamp = (mail.get("created_at") or "").replace(":", "").replace("-", "")[:15]
        path = self.folder / f"{stamp}-{mail['id']:06d}-{mail['kind']}.eml"
        partial = path.with_suffix(".tmp")
        fd = os.open(partial, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        partial.replace(path)  # a reader never sees half a file
        return str(path)

    def close(self) -> None:
        return None


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    implicit_tls: bool
    starttls: str            # "auto" (when offered), "required", "never"
    username: str | None
    password: str | None
    cafile: str | None = None


def parse_smtp_url(url: str) -> SmtpConfig:
    """``smtp://[user:password@]host[:port][?starttls=auto|required|never&cafile=PATH]`` or ``smtps://…``."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError(f"PASSERELLE_SMTP_URL invalide : « {url} » (attendu smtp://hôte:port ou smtps://…)")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    starttls = query.get("starttls", "auto")
    if starttls not in ("auto", "required", "never"):
        raise ValueError("PASSERELLE_SMTP_URL : starttls vaut auto, required ou never")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"PASSERELLE_SMTP_URL : port invalide dans « {url} »") from None
    implicit = parts.scheme == "smtps"
    return SmtpConfig(host=parts.hostname, port=port or (465 if implicit else 25), implicit_tls=implicit,
                      starttls="never" if implicit else starttls,
                      username=unquote(parts.username) if parts.username else None,
                      password=unquote(parts.password) if parts.password else None, cafile=query.get("cafile"))


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SmtpTransport:
    """One connection per worker run, opened on the first mail; STARTTLS as the URL and server allow."""

    def __init__(self, url: str) -> None:
        self.config = parse_smtp_url(url)
        self._smtp: smtplib.SMTP | None = None

    def _tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.config.cafile)

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        if c.implicit_tls:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(c.host, c.port, timeout=SMTP_TIMEOUT_S, context=self._tls_context())
        else:
            smtp = smtplib.SMTP(c.host, c.port, timeout=SMTP_TIMEOUT_S)
        smtp.ehlo()
        secure = c.implicit_tls
        if c.starttls != "never" and smtp.has_extn("starttls"):
            smtp.starttls(context=self._tls_context())
            smtp.ehlo()
            secure = True
        elif c.starttls == "required":
            smtp.close()
            raise DeliveryError("Le serveur SMTP ne propose pas STARTTLS (exigé par l'URL).")
        if c.username:
            if not secure and not _is_loopback(c.host):
                smtp.close()
                raise DeliveryError("Identifiants SMTP non envoyés : la connexion n'est pas chiffrée "
                                    "(utilisez smtps:// ou un serveur qui propose STARTTLS).")
            smtp.login(c.username, c.password or "")
        return smtp

    def send(self, data: bytes, *, sender: str, recipient: str, mail: Mapping[str, Any]) -> None:
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            self._smtp.sendmail(sender, [recipient], data)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reason = next(iter(exc.recipients.values()))
            raise DeliveryError(f"Adresse refusée ({code}) : {_text(reason)}", permanent=code >= 500) from exc
        except smtplib.SMTPResponseException as exc:
            self._reset()
            # 5xx: the server will always refuse this mail; 535 (authentication) is a setting to fix, then retry.
            raise DeliveryError(f"Refus du serveur SMTP ({exc.smtp_code}) : {_text(exc.smtp_error)}",
                                permanent=exc.smtp_code >= 500 and exc.smtp_code != 535) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self._reset()
            raise DeliveryError(f"Serveur SMTP injoignable ou connexion perdue : {exc}") from exc

    def _reset(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            finally:
                self._smtp = None

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._reset()


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def transport_for(settings: MailSettings) -> Transport:
    return SmtpTransport(settings.smtp_url) if settings.smtp_url else OutboxTransport(settings.outbox_dir)


# -- the worker ------------------------------------------------------------------
def _utc(value: str) -> datetime:
    return datetime.fromisoformat(value)


def deliver_due_mails(db: sqlite_utils.Database, settings: MailSettings, transport: Transport, *,
                      limit: int = 500) -> dict[str, int]:
    """Send every mail due now; a failure is retried later with back-off, then given up (and the
    administrators told). Returns how many were sent, postponed and given up."""
    counts = {"sent": 0, "retry": 0, "failed": 0}
    at = storage.now()
    stale = (_utc(at) - CLAIM_TIMEOUT).isoformat()
    sender = parseaddr(settings.from_addr)[1]
    for mail in storage.claim_due_mails(db, at=at, stale_before=stale, limit=limit):
        try:
            if not mail.get("message"):
                message = build_message(mail, settings)
                mail["message"] = message.as_bytes().decode("ascii")
                storage.save_rendered_mail(db, mail["id"], subject=str(message["Subject"]), message=mail["message"])
            path = transport.send(mail["message"].encode("ascii"), sender=sender, recipient=mail["to_addr"], mail=mail)
        except DeliveryError as exc:
            counts[_failed(db, mail, str(exc), permanent=exc.permanent)] += 1
        except Exception as exc:  # a rendering bug must not stop the other mails
            log.exception("mail %s", mail["id"])
            counts[_failed(db, mail, f"Erreur interne : {exc}", permanent=False)] += 1
        else:
            storage.mark_mail_sent(db, mail["id"], eml_path=path)
            counts["sent"] += 1
    transport.close()
    return counts


def _failed(db: sqlite_utils.Database, mail: Mapping[str, Any], error: str, *, permanent: bool) -> str:
    attempts = (mail.get("attempts") or 0) + 1
    if permanent or attempts >= MAX_ATTEMPTS:
        with storage.transaction(db):
            storage.mark_mail_failed(db, mail["id"], error=error, retry_at=None)
            notify(db, MailFailed, storage.users_with_role(db, "admin"),
                   {"to_addr": mail["to_addr"], "attempts": attempts, "error": error, "mail_id": mail["id"]},
                   link=f"/admin/courriels?statut=echec#courriel-{mail['id']}", object_type="mail",
                   object_id=mail["id"])
        return "failed"
    retry_at = (datetime.now(timezone.utc).replace(microsecond=0) + RETRY_DELAYS[attempts - 1]).isoformat()
    storage.mark_mail_failed(db, mail["id"], error=error, retry_at=retry_at)
    return "retry"


def queue_digests(db: sqlite_utils.Database, settings: MailSettings) -> int:
    """Once a day from ``digest_hour`` (Paris time), one mail per user gathering the notifications they
    asked to receive as a digest. Returns how many digests were queued."""
    local = datetime.now(timezone.utc).astimezone(TIMEZONE)
    if local.hour < settings.digest_hour:
        return 0
    queued = 0
    for user_id, items in storage.pending_digests(db, DIGEST).items():
        user = storage.get_user(db, user_id)
        if not user["active"]:
            continue
        count = len(items)
        context = {"title": f"Passerelle : votre résumé du jour ({count} notification{'s' if count > 1 else ''})",
                   "link": "/notifications", "recipient_name": user["name"] or "",
                   "items": [{"title": n["title"], "link": n["link"], "at": n["created_at"]} for n in items]}
        with storage.transaction(db):
            # One digest a day per user, however many workers run (the mark is taken with the mail).
            if not storage.mark_job_done(db, "digest", f"{user_id}:{local.date().isoformat()}"):
                continue
            storage.enqueue_mail(db, kind="digest", to_addr=user["email"], user_id=user_id, context=context,
                                 notification_ids=[n["id"] for n in items])
        queued += 1
    return queued


def read_eml(path: str | Path) -> email.message.EmailMessage:
    """An outbox file as a message (for the operator's page and the tests)."""
    with open(path, "rb") as handle:
        return email.message_from_binary_file(handle, policy=email.policy.default)


def parse_message(data: str | bytes) -> email.message.EmailMessage:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return email.message_from_bytes(data, policy=email.policy.default)
