"""Helpers shared by the web tests (a module of its own: two conftest.py files cannot be imported by name)."""
from __future__ import annotations

from werkzeug.security import generate_password_hash

import storage
from web.db import get_db

PASSWORD = "mot-de-passe-de-test"
ROLE_OF_SPACE = {"cre": "cre", "direction": "direction", "employer": "employer", "buyer": "buyer", "admin": "admin"}


def user_email(role: str, org_id: str | None) -> str:
    return f"{role}.{(org_id or 'admin').lower()}@test.passerelle.fr"


def ensure_user(app, role: str, org_id: str | None) -> dict:
    """A test account of this role in this organisation (created once per database)."""
    with app.app_context():
        db = get_db()
        email = user_email(role, org_id)
        user = storage.user_by_email(db, email)
        if user is None:
            storage.create_user(db, email=email, name=f"Test {role} {org_id or ''}".strip(), role=role,
                                org_id=org_id, password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"))
            user = storage.user_by_email(db, email)
        return user


def enter(client, space: str, org_id: str | None):
    """Log a test client in as a user of this space's role in this organisation."""
    role = ROLE_OF_SPACE[space]
    ensure_user(client.application, role, org_id)
    response = client.post("/connexion", data={"email": user_email(role, org_id), "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def token_for(app, role: str, org_id: str | None) -> str:
    """An API token of a test account; returns the header value."""
    from datetime import datetime, timedelta, timezone

    from web.auth import hash_secret

    user = ensure_user(app, role, org_id)
    token = f"test-{role}-{org_id}-token"
    with app.app_context():
        db = get_db()
        if storage.token_owner(db, hash_secret(token)) is None:
            expires = (datetime.now(timezone.utc) + timedelta(days=90)).isoformat()
            storage.create_token(db, user["id"], "tests", hash_secret(token), token[:8], expires_at=expires)
    return f"Bearer {token}"


def api_client(app, role: str, org_id: str | None):
    """A test client that sends the API token of a test account of this role with every request."""
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = token_for(app, role, org_id)
    return client


def run_jobs(app, **config) -> dict:
    """One run of the periodic jobs (``flask run-jobs``), on the app's own database and outbox."""
    import jobs
    from notifications import mailer

    with app.app_context():
        settings = {**app.config, **config}
        db = storage.connect(app.config["DATABASE"])
        try:
            return jobs.run_jobs(db, settings=jobs.JobSettings.from_config(settings),
                                 mail_settings=mailer.MailSettings.from_config(settings))
        finally:
            db.conn.close()


def outbox(app, *, to: str | None = None, kind: str | None = None) -> list:
    """The messages written to the app's outbox folder (oldest first), optionally for one address or kind."""
    from pathlib import Path

    from notifications import mailer

    folder = Path(app.config["MAIL_OUTBOX"])
    messages = [mailer.read_eml(p) for p in sorted(folder.glob("*.eml"))] if folder.exists() else []
    return [m for m in messages if (to is None or m["To"] == to) and (kind is None or m["X-Passerelle-Kind"] == kind)]


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()
