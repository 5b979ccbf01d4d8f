"""Security state shared by every worker: sessions, login limits, API tokens, the administrator's reach."""
from __future__ import annotations

import re
import shutil
import time
from datetime import datetime, timedelta, timezone

import pytest

import storage
from app import create_app
from conftest import TEST_CONFIG
from web import auth
from web_helpers import PASSWORD, enter, ensure_user, token_for, user_email

API = "/api/v1"


def _db(app):
    return storage.connect(app.config["DATABASE"])


def login(client, email, password, ip="203.0.113.1"):
    return client.post("/connexion", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": ip})


@pytest.fixture
def limited(demo_db, tmp_path):
    """Two app instances on one database file, rate limit on: two workers of one server."""
    path = tmp_path / "shared.sqlite"
    shutil.copy(demo_db, path)
    config = {**TEST_CONFIG, "DATABASE": str(path), "RATELIMIT_ENABLED": True}
    return create_app(config), create_app(config)


# -- sessions ---------------------------------------------------------------------------
def test_logout_revokes_the_session_for_a_copied_cookie(app):
    client = enter(app.test_client(), "cre", "S1")
    stolen = app.test_client()
    cookie = client.get_cookie("session")
    stolen.set_cookie("session", cookie.value)
    assert stolen.get("/cre/").status_code == 200                     # the copy works while the session is open
    client.post("/deconnexion")
    assert client.get("/cre/").status_code == 302
    assert stolen.get("/cre/").status_code == 302                     # and no longer after logout


def test_a_deactivated_account_loses_its_open_sessions(app):
    client = enter(app.test_client(), "employer", "E14")
    admin = enter(app.test_client(), "admin", None)
    user = ensure_user(app, "employer", "E14")
    admin.post(f"/admin/comptes/{user['id']}/actif", data={"active": "0"})
    assert client.get("/employeur/").status_code == 302
    admin.post(f"/admin/comptes/{user['id']}/actif", data={"active": "1"})
    assert client.get("/employeur/").status_code == 302                # reactivation does not revive it


# -- login rate limit and lockout ------------------------------------------------------
def test_login_rate_limit_holds_across_two_workers(limited):
    first, second = limited
    statuses = [login(first.test_client(), "x@y.fr", "faux").status_code for _ in range(6)]
    statuses += [login(second.test_client(), "x@y.fr", "faux").status_code for _ in range(4)]
    assert statuses == [401] * 10
    assert login(second.test_client(), "x@y.fr", "faux").status_code == 429
    assert login(first.test_client(), "x@y.fr", "faux").status_code == 429
    # Another address is not slowed down by this one.
    assert login(first.test_client(), "x@y.fr", "faux", ip="198.51.100.9").status_code == 401


def test_the_rate_limit_window_slides(limited, monkeypatch):
    first, _ = limited
    for _ in range(10):
        login(first.test_client(), "x@y.fr", "faux")
    assert login(first.test_client(), "x@y.fr", "faux").status_code == 429
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 61)
    assert login(first.test_client(), "x@y.fr", "faux").status_code == 401


def test_failures_from_one_address_delay_it_progressively(app, monkeypatch):
    ensure_user(app, "cre", "S1")
    email, attacker = user_email("cre", "S1"), "192.0.2.10"
    for _ in range(auth.FAILURES_BEFORE_DELAY):
        assert login(app.test_client(), email, "faux", attacker).status_code == 401
    assert login(app.test_client(), email, PASSWORD, attacker).status_code == 401       # must wait 1 min
    real = time.time
    # The refused try was a failure too: the wait doubled (2 min from it).
    monkeypatch.setattr(time, "time", lambda: real() + 70)
    assert login(app.test_client(), email, PASSWORD, attacker).status_code == 401
    monkeypatch.setattr(time, "time", lambda: real() + 70 + 16 * 60)                   # 15 minutes at most
    assert login(app.test_client(), email, PASSWORD, attacker).status_code == 302


def test_guessing_from_many_addresses_leaves_known_addresses_open(app):
    ensure_user(app, "cre", "S1")
    email = user_email("cre", "S1")
    assert login(app.test_client(), email, PASSWORD, "198.51.100.50").status_code == 302   # the person's office
    for i in range(auth.ACCOUNT_ALERT_FAILURES + 1):
        login(app.test_client(), email, "faux", f"192.0.2.{i + 1}")
    assert login(app.test_client(), email, PASSWORD, "203.0.113.77").status_code == 401     # a new address waits
    assert login(app.test_client(), email, PASSWORD, "198.51.100.50").status_code == 302   # the known one does not


# -- API tokens ----------------------------------------------------------------------------
def test_create_token_command_prints_a_working_token_valid_90_days(app, runner):
    ensure_user(app, "cre", "S1")
    result = runner.invoke(args=["create-token", "--email", user_email("cre", "S1"), "--name", "import nocturne"])
    assert result.exit_code == 0
    token = result.output.strip()
    assert re.fullmatch(r"[\w-]{40,}", token)
    assert app.test_client().get(f"{API}/profiles", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    [row] = [t for t in storage.list_tokens(_db(app), ensure_user(app, "cre", "S1")["id"]) if t["name"] == "import nocturne"]
    expires = datetime.fromisoformat(row["expires_at"])
    assert timedelta(days=89) < expires - datetime.now(timezone.utc) <= timedelta(days=90)
    short = runner.invoke(args=["create-token", "--email", user_email("cre", "S1"), "--name", "court", "--days", "7"])
    assert short.exit_code == 0
    unknown = runner.invoke(args=["create-token", "--email", "personne@nulle.part", "--name", "x"])
    assert unknown.exit_code != 0 and "Aucun compte actif" in unknown.output


def test_an_expired_token_is_refused(app):
    header = token_for(app, "cre", "S1")
    client = app.test_client()
    assert client.get(f"{API}/profiles", headers={"Authorization": header}).status_code == 200
    db = _db(app)
    past = (datetime.now(timezone.utc) - timedelta(seconds=1)).isoformat()
    db.execute("UPDATE api_tokens SET expires_at = ?", [past])
    db.conn.commit()
    assert client.get(f"{API}/profiles", headers={"Authorization": header}).status_code == 401


def test_the_account_page_lets_the_user_choose_the_validity(app):
    client = enter(app.test_client(), "buyer", "B1")
    page = client.post("/compte", data={"action": "jeton", "name": "tableur", "days": "30"}).get_data(as_text=True)
    assert re.search(r"<code>([\w-]{40,})</code>", page)
    [row] = storage.list_tokens(_db(app), ensure_user(app, "buyer", "B1")["id"])
    assert timedelta(days=29) < datetime.fromisoformat(row["expires_at"]) - datetime.now(timezone.utc) <= timedelta(days=30)
    refused = client.post("/compte", data={"action": "jeton", "name": "éternel", "days": "36500"})
    assert refused.status_code == 400
    assert len(storage.list_tokens(_db(app), ensure_user(app, "buyer", "B1")["id"])) == 1


def test_a_password_change_revokes_the_api_tokens(app):
    header = token_for(app, "cre", "S1")
    client = enter(app.test_client(), "cre", "S1")
    new = "un-tout-nouveau-mot-de-passe"
    client.post("/compte", data={"action": "mot_de_passe", "current": PASSWORD, "password": new, "confirm": new})
    assert app.test_client().get(f"{API}/profiles", headers={"Authorization": header}).status_code == 401
    assert client.get("/cre/").status_code == 200                      # the session that changed it goes on


def test_token_use_is_written_at_most_once_an_hour(app):
    header = token_for(app, "cre", "S1")
    client = app.test_client()
    db = _db(app)
    recent = (datetime.now(timezone.utc) - timedelta(minutes=10)).replace(microsecond=0).isoformat()
    db.execute("UPDATE api_tokens SET last_used_at = ?", [recent])
    db.conn.commit()
    watcher = _db(app)
    before = watcher.execute("PRAGMA data_version").fetchone()[0]
    for _ in range(3):
        assert client.get(f"{API}/needs", headers={"Authorization": header}).status_code == 200
    assert watcher.execute("PRAGMA data_version").fetchone()[0] == before          # three reads, no write
    old = (datetime.now(timezone.utc) - timedelta(hours=2)).isoformat()
    db.execute("UPDATE api_tokens SET last_used_at = ?", [old])
    db.conn.commit()
    client.get(f"{API}/needs", headers={"Authorization": header})
    assert _db(app).execute("SELECT last_used_at FROM api_tokens").fetchone()[0] > recent


def test_reading_pages_writes_nothing(app):
    client = enter(app.test_client(), "employer", "E14")
    client.get("/employeur/")
    watcher = _db(app)
    before = watcher.execute("PRAGMA data_version").fetchone()[0]
    for _ in range(3):
        assert client.get("/employeur/").status_code == 200
    assert watcher.execute("PRAGMA data_version").fetchone()[0] == before


# -- the administrator never gets into an account ----------------------------------------
def test_an_admin_creating_an_account_never_sees_its_invitation(app, runner):
    admin = enter(app.test_client(), "admin", None)
    response = admin.post("/admin/comptes", data={"email": "cre.nouvelle@s3.fr", "name": "Inès", "role": "cre",
                                                  "org_id": "S3"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "/invitation/" not in page and "invitation-link" in page
    db = _db(app)
    created = storage.user_by_email(db, "cre.nouvelle@s3.fr")
    assert created["invitation_hash"] and not created["password_hash"]
    # The audit row says who created which account, and carries no secret.
    rows = [e for e in storage.audit_entries(db) if e["action"] == "création de compte"]
    assert rows and rows[0]["object_id"] == str(created["id"]) and "cre.nouvelle@s3.fr" in rows[0]["detail"]
    assert created["invitation_hash"] not in str(rows)
    # Another administrator sees it in the journal.
    other = app.test_client()
    ensure_user(app, "admin", None)
    storage.create_user(db, email="admin2@test.passerelle.fr", name="Autre admin", role="admin", org_id=None,
                        password_hash=storage.get_user(db, ensure_user(app, "admin", None)["id"])["password_hash"])
    assert other.post("/connexion", data={"email": "admin2@test.passerelle.fr", "password": PASSWORD}).status_code == 302
    journal = other.get("/admin/journal").get_data(as_text=True)
    assert "création de compte" in journal and "cre.nouvelle@s3.fr" in journal
    # Only the operator's command line gives the link; the old link is replaced by the new one.
    first = re.search(r"/invitation/([\w-]+)", runner.invoke(args=["invitation-link", "--email", "cre.nouvelle@s3.fr"]).output).group(1)
    second = re.search(r"/invitation/([\w-]+)", runner.invoke(args=["invitation-link", "--email", "cre.nouvelle@s3.fr"]).output).group(1)
    assert app.test_client().get(f"/invitation/{first}").status_code == 404
    assert app.test_client().get(f"/invitation/{second}").status_code == 200


def test_invitation_link_refuses_an_account_that_has_a_password(app, runner):
    ensure_user(app, "cre", "S1")
    result = runner.invoke(args=["invitation-link", "--email", user_email("cre", "S1")])
    assert result.exit_code != 0 and "déjà choisi son mot de passe" in result.output
