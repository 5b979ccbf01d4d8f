"""Accounts and web security: login, lockout, rate limit, CSRF, sessions, invitations, headers, audit."""
from __future__ import annotations

import re
import time


import storage
from app import create_app
from conftest import TEST_CONFIG
from web.db import get_db
from web_helpers import PASSWORD, ensure_user, enter, outbox, run_jobs, text_of, user_email


def login(client, email, password):
    return client.post("/connexion", data={"email": email, "password": password})


def test_home_sends_visitors_to_login_and_users_to_their_space(app):
    client = app.test_client()
    assert client.get("/").location.endswith("/connexion")
    enter(client, "employer", "E14")
    assert client.get("/").location.endswith("/employeur/")


def test_wrong_password_and_unknown_address_get_the_same_answer(app):
    ensure_user(app, "cre", "S1")
    wrong = login(app.test_client(), user_email("cre", "S1"), "pas le bon")
    unknown = login(app.test_client(), "personne@nulle.part", "pas le bon")
    assert wrong.status_code == unknown.status_code == 401
    message = "Adresse ou mot de passe incorrect, ou compte temporairement bloqué."
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)


def test_account_locks_after_repeated_failures_from_that_address_only(app):
    ensure_user(app, "cre", "S1")
    attacker = {"REMOTE_ADDR": "192.0.2.66"}
    client = app.test_client()
    for _ in range(5):
        client.post("/connexion", data={"email": user_email("cre", "S1"), "password": "faux"}, environ_base=attacker)
    locked = client.post("/connexion", data={"email": user_email("cre", "S1"), "password": PASSWORD},
                         environ_base=attacker)                     # right password, but this address waits
    assert locked.status_code == 401
    # The person, from their own address, is not kept out by someone else's failures.
    assert app.test_client().post("/connexion", data={"email": user_email("cre", "S1"), "password": PASSWORD},
                                  environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code == 302


def test_login_attempts_are_rate_limited(tmp_path, demo_db):
    import shutil
    path = tmp_path / "rl.sqlite"
    shutil.copy(demo_db, path)
    app = create_app({**TEST_CONFIG, "DATABASE": str(path), "RATELIMIT_ENABLED": True})
    client = app.test_client()
    statuses = [login(client, "x@y.fr", "faux").status_code for _ in range(12)]
    assert statuses[:10] == [401] * 10 and statuses[-1] == 429
    assert "Trop de tentatives" in login(client, "x@y.fr", "faux").get_data(as_text=True)


def test_post_without_csrf_token_is_refused(tmp_path, demo_db):
    import shutil
    path = tmp_path / "csrf.sqlite"
    shutil.copy(demo_db, path)
    app = create_app({**TEST_CONFIG, "DATABASE": str(path), "WTF_CSRF_ENABLED": True})
    ensure_user(app, "cre", "S1")
    client = app.test_client()
    page = client.get("/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/connexion", data={"email": user_email("cre", "S1"), "password": PASSWORD}).status_code == 400
    ok = client.post("/connexion", data={"email": user_email("cre", "S1"), "password": PASSWORD, "csrf_token": token})
    assert ok.status_code == 302
    before = storage.list_profiles(storage.connect(path), siae_id="S1")[0]
    refused = client.post(f"/cre/profils/{before['id']}/archiver")          # no token
    assert refused.status_code == 400 and "Formulaire expiré" in refused.get_data(as_text=True)
    assert storage.get_profile(storage.connect(path), before["id"])["archived"] == 0


def test_every_form_of_a_page_carries_a_csrf_token(app):
    client = enter(app.test_client(), "cre", "S1")
    for url in ("/cre/profils/nouveau", "/cre/essai", "/cre/import/profils", "/compte"):
        page = client.get(url).get_data(as_text=True)
        forms = re.findall(r"<form method=\"post\".*?</form>", page, re.S)
        assert forms and all('name="csrf_token"' in f for f in forms), url


def test_session_expires_after_idle_time(app, monkeypatch):
    client = enter(app.test_client(), "cre", "S1")
    assert client.get("/cre/").status_code == 200
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 31 * 60)
    response = client.get("/cre/")
    assert response.status_code == 302 and "/connexion" in response.location


def test_logout_ends_the_session(app):
    client = enter(app.test_client(), "cre", "S1")
    client.post("/deconnexion")
    assert client.get("/cre/").status_code == 302


def test_password_change_closes_other_sessions(app):
    first = enter(app.test_client(), "cre", "S1")
    second = enter(app.test_client(), "cre", "S1")
    short = first.post("/compte", data={"action": "mot_de_passe", "current": PASSWORD, "password": "court",
                                        "confirm": "court"})
    assert short.status_code == 400 and "au moins 12 caractères" in short.get_data(as_text=True)
    new = "un-nouveau-mot-de-passe"
    first.post("/compte", data={"action": "mot_de_passe", "current": PASSWORD, "password": new, "confirm": new})
    assert first.get("/cre/").status_code == 200
    assert second.get("/cre/").status_code == 302                      # the other session is over
    assert login(app.test_client(), user_email("cre", "S1"), new).status_code == 302


def test_invitation_first_login(app, runner):
    admin = enter(app.test_client(), "admin", None)
    page = admin.post("/admin/comptes", data={"email": "nouvelle@cre.fr", "name": "Léa", "role": "cre",
                                              "org_id": "S3"}).get_data(as_text=True)
    assert "/invitation/" not in page and "nouvelle@cre.fr créé" in page     # the administrator never sees it
    assert "part par courriel à nouvelle@cre.fr" in page                     # the invitee gets it by mail
    run_jobs(app)
    [mail] = outbox(app, to="nouvelle@cre.fr", kind="invitation")
    link = re.search(r"https://passerelle\.test(/invitation/[\w-]+)", text_of(mail)).group(1)
    visitor = app.test_client()
    bad = visitor.post(link, data={"password": "court", "confirm": "court"})
    assert bad.status_code == 400 and "au moins 12 caractères" in bad.get_data(as_text=True)
    ok = visitor.post(link, data={"password": "mot-de-passe-solide", "confirm": "mot-de-passe-solide"})
    assert ok.status_code == 302 and ok.location.endswith("/cre/")
    assert visitor.get("/cre/").status_code == 200
    assert app.test_client().get(link).status_code == 404             # a link works once


def test_admin_cannot_reach_data_and_can_deactivate_accounts(app):
    admin = enter(app.test_client(), "admin", None)
    assert admin.get("/cre/profils").status_code == 403
    user = ensure_user(app, "employer", "E14")
    admin.post(f"/admin/comptes/{user['id']}/actif")
    assert login(app.test_client(), user_email("employer", "E14"), PASSWORD).status_code == 401


def test_open_redirect_is_refused(app):
    ensure_user(app, "cre", "S1")
    response = app.test_client().post("/connexion", data={"email": user_email("cre", "S1"), "password": PASSWORD,
                                                          "next": "//evil.example/"})
    assert response.location.endswith("/cre/")


def test_security_headers_and_cookie_flags(tmp_path):
    app = create_app({"TESTING": True, "DATABASE": str(tmp_path / "h.sqlite"), "SECRET_KEY": "x",
                      "WTF_CSRF_ENABLED": False})
    ensure_user(app, "admin", None)
    response = app.test_client().post("/connexion", data={"email": user_email("admin", None), "password": PASSWORD},
                                      base_url="https://localhost")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = app.test_client().get("/connexion")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["X-Content-Type-Options"] == "nosniff"


def test_no_inline_script_or_style_in_pages(app):
    client = enter(app.test_client(), "buyer", "B1")
    for url in ("/acheteur/", "/acheteur/marches/1"):
        page = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", page) and ' style="' not in page


def test_cli_creates_organisations_and_users(runner, app):
    assert runner.invoke(args=["create-org", "--id", "S9", "--kind", "siae", "--name", "ACI test"]).exit_code == 0
    result = runner.invoke(args=["create-user", "--email", "a@b.fr", "--name", "A", "--role", "cre", "--org", "S9"])
    assert result.exit_code == 0 and "/invitation/" in result.output
    wrong = runner.invoke(args=["create-user", "--email", "c@d.fr", "--name", "C", "--role", "cre", "--org", "E14"])
    assert wrong.exit_code != 0 and "appartient à une organisation de type siae" in wrong.output
    weak = runner.invoke(args=["create-user", "--email", "e@f.fr", "--name", "E", "--role", "admin", "--password", "x"])
    assert weak.exit_code != 0 and "au moins 12 caractères" in weak.output


def test_api_tokens_are_created_shown_once_and_revoked(app):
    client = enter(app.test_client(), "cre", "S1")
    page = client.post("/compte", data={"action": "jeton", "name": "suivi"}).get_data(as_text=True)
    token = re.search(r"<code>([\w-]{40,})</code>", page).group(1)
    assert app.test_client().get("/api/v1/profiles", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert token not in client.get("/compte").get_data(as_text=True)
    with app.app_context():
        token_id = storage.list_tokens(get_db(), ensure_user(app, "cre", "S1")["id"])[0]["id"]
    client.post("/compte", data={"action": "revoquer", "token_id": token_id})
    assert app.test_client().get("/api/v1/profiles", headers={"Authorization": f"Bearer {token}"}).status_code == 401


# -- consent, rights of the person, audit -----------------------------------------
def test_a_person_without_consent_cannot_be_proposed(app, db):
    cre = enter(app.test_client(), "cre", "S1")
    person = storage.profile_by_reference(db, "ACI-MTR-0028")
    need = storage.list_needs(db)[0]
    page = cre.post(f"/cre/besoins/{need['id']}/proposer", data={"profile_id": person["id"]}, follow_redirects=True)
    assert "n&#39;a pas donné son accord" in page.get_data(as_text=True)
    assert not storage.list_proposals(db, profile_id=person["id"])


def test_withdrawn_consent_hides_the_person_from_the_employer(app, db):
    cre = enter(app.test_client(), "cre", "S1")
    proposal = next(p for p in storage.list_proposals(db, siae_id="S1") if p["employer_id"] == "E14") if any(
        p["employer_id"] == "E14" for p in storage.list_proposals(db, siae_id="S1")) else None
    if proposal is None:
        need = next(n for n in storage.list_needs(db) if n["employer_id"] == "E14")
        person = storage.list_profiles(db, siae_id="S1")[0]
        storage.create_proposal(db, need_id=need["id"], profile_id=person["id"], message="Minutieuse", score=0.5,
                                explanation={"direct": ["Couture"]}, proposed_by="t")
        proposal = storage.list_proposals(db, profile_id=person["id"])[0]
    person = storage.get_profile(db, proposal["profile_id"])
    form = {"reference": person["reference"], "first_name": person["first_name"], "skills_text": person["skills_text"]}
    cre.post(f"/cre/profils/{person['id']}/modifier", data=form)            # consent box unticked
    assert storage.get_profile(db, person["id"])["consent_at"] is None
    employer = enter(app.test_client(), "employer", "E14")
    page = employer.get(f"/employeur/candidatures/{proposal['id']}").get_data(as_text=True)
    assert "Candidature retirée" in page and person["first_name"] not in page
    assert person["first_name"] not in employer.get("/employeur/candidatures").get_data(as_text=True)


def test_person_export_contains_everything_and_is_audited(app, db):
    cre = enter(app.test_client(), "cre", "S4")
    person = storage.profile_by_reference(db, "ETTI-PAR-0004")          # a clause participant in the demo
    data = cre.get(f"/cre/profils/{person['id']}/donnees.json").get_json()
    assert data["profile"]["reference"] == "ETTI-PAR-0004"
    assert data["clause_participations"] and data["clause_hours"]
    actions = [e["action"] for e in storage.audit_entries(db, object_type="profile", object_id=person["id"])]
    assert "export des données (droit d'accès)" in actions


def test_anonymising_a_person_keeps_the_clause_totals(app, db):
    from web.clause_status import contract_status

    cre = enter(app.test_client(), "cre", "S4")
    person = storage.profile_by_reference(db, "ETTI-PAR-0004")
    contract = storage.contract_by_reference(db, "B1", "2026-MTR-017")
    before = contract_status(db, contract).total
    refused = cre.post(f"/cre/profils/{person['id']}/anonymiser", data={"confirm": "oui"}, follow_redirects=True)
    assert "tapez ANONYMISER" in refused.get_data(as_text=True)
    cre.post(f"/cre/profils/{person['id']}/anonymiser", data={"confirm": "ANONYMISER"})
    after = contract_status(db, contract).total
    assert (after.counted, after.participants) == (before.counted, before.participants)
    row = storage.get_profile(db, person["id"])
    assert row["first_name"] == "Personne anonymisée" and row["eligibility"] == [] and row["reference"].startswith("ANON-")
    assert "ETTI-PAR-0004" not in str(storage.person_export(db, person["id"])["profile"])


def test_views_of_sensitive_data_are_audited(app, db):
    cre = enter(app.test_client(), "cre", "S1")
    person = storage.list_profiles(db, siae_id="S1")[0]
    cre.get(f"/cre/profils/{person['id']}")
    buyer = enter(app.test_client(), "buyer", "B1")
    contract = storage.list_contracts(db, buyer_id="B1")[0]
    buyer.get(f"/acheteur/marches/{contract['id']}/heures")
    entries = storage.audit_entries(db)
    assert any(e["action"] == "consultation" and e["object_id"] == str(person["id"])
               and e["user_email"] == user_email("cre", "S1") for e in entries)
    assert any(e["object_type"] == "contract" and e["role"] == "buyer" for e in entries)
    admin = enter(app.test_client(), "admin", None)
    assert "Journal des accès" in admin.get("/admin/journal").get_data(as_text=True)


def test_employer_pages_never_show_eligibility(app, db):
    employer = enter(app.test_client(), "employer", "E14")
    labels = ["RSA", "RQTH", "AAH", "DELD", "Éligibilité", "éligibilité", "QPV", "Bénéficiaire"]
    urls = ["/employeur/", "/employeur/candidatures"]
    urls += [f"/employeur/candidatures/{p['id']}" for p in storage.list_proposals(db, employer_id="E14")]
    urls += [f"/employeur/besoins/{n['id']}" for n in storage.list_needs(db, employer_id="E14", status=None)]
    for url in urls:
        page = employer.get(url).get_data(as_text=True)
        for label in labels:
            assert label not in page, (url, label)


def test_sessions_last_eight_hours_at_most_even_when_active(app, monkeypatch):
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 8 * 3600
    client = enter(app.test_client(), "cre", "S1")
    real = time.time
    for k in range(1, 24):             # a request every 20 minutes: never idle, up to 7 h 40
        monkeypatch.setattr(time, "time", lambda k=k: real() + k * 20 * 60)
        assert client.get("/cre/profils").status_code == 200, k
    monkeypatch.setattr(time, "time", lambda: real() + 8 * 3600 + 60)
    assert client.get("/cre/").status_code == 302
