"""E-mail and in-app notifications, end to end: a change in the app → a mail queued in the same
transaction → one run of the worker → what a real SMTP server (aiosmtpd) received, or the outbox.

Each event's mail is checked for its recipients and content, and an employer's mail for what must never
be in it (eligibility, notes). Clocks are moved with time-machine, never slept through.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from icalendar import Calendar

import storage
from web_helpers import api_client, enter, html_of, outbox, run_jobs, text_of, user_email

EMPLOYER_TEST = user_email("employer", "E14")
CRE_TEST = user_email("cre", "S1")
CLAIRE = "employeur@demo.passerelle.fr"  # the demo account of E14
# What an employer's mail must never carry about the person.
SENSITIVE = ("RSA", "RQTH", "DELD", "éligibilité", "Éligibilité", "suivi psy", "Notes", "ACI-MTR")


def connect(app):
    return storage.connect(app.config["DATABASE"])


def propose_through_the_page(app, need_reference: str = "N028", message: str = "Minutieuse et ponctuelle") -> int:
    """The CRE of S1 proposes a person of S1 (with eligibility and notes) from the need's page."""
    db = connect(app)
    enter(app.test_client(), "employer", "E14")  # an E14 account besides the demo one: both are told
    need = next(n for n in storage.list_needs(db) if n["reference"] == need_reference)
    cre = enter(app.test_client(), "cre", "S1")
    storage.update_user(db, storage.user_by_email(db, CRE_TEST)["id"], {"phone": "01 99 00 11 22"})
    page = cre.get(f"/cre/besoins/{need['id']}?n=60").get_data(as_text=True)
    proposed = {p["profile_id"] for p in storage.list_proposals(db, need_id=need["id"])}
    candidate = next(int(c) for c in re.findall(r'data-candidate="(\d+)"', page) if int(c) not in proposed)
    storage.update_profile(db, candidate, {"notes": "Notes confidentielles : suivi psy", "eligibility": ["RSA", "RQTH"]})
    response = cre.post(f"/cre/besoins/{need['id']}/proposer", data={"profile_id": candidate, "message": message})
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.location.rsplit("/", 1)[1])


PARIS = timezone(timedelta(hours=1))  # winter time: the dates used below are in January and March


@pytest.fixture
def early_morning():
    """A fixed winter morning before the daily digests go (8:00 Paris): only immediate mails leave."""
    with time_machine.travel(datetime(2027, 1, 12, 6, 30, tzinfo=PARIS)):
        yield


def drain(app, **config) -> None:
    """Send what the demo data queued, so that a test reads only its own mails."""
    run_jobs(app, **config)


# -- 1. a new proposal reaches the employer's users -------------------------------------
def test_a_proposal_made_on_the_page_is_mailed_to_every_employer_user_by_smtp(app, smtp_server):
    url, sink = smtp_server
    drain(app, SMTP_URL=url)
    sink.received.clear()
    proposal_id = propose_through_the_page(app)
    db = connect(app)
    proposal = storage.get_proposal(db, proposal_id)
    queued = [m for m in storage.list_mails(db) if m["kind"] == "nouvelle_candidature" and m["status"] == "en_attente"]
    assert {m["to_addr"] for m in queued} == {CLAIRE, EMPLOYER_TEST}  # queued with the proposal

    counts = run_jobs(app, SMTP_URL=url)

    assert counts["mails_sent"] >= 2
    mails = [m for m in sink.messages() if m["X-Passerelle-Kind"] == "nouvelle_candidature"]
    assert sorted(m["To"] for m in mails) == sorted([CLAIRE, EMPLOYER_TEST])
    assert not any(set(r["to"]) - {CLAIRE, EMPLOYER_TEST} for r in sink.received if b"nouvelle_candidature" in r["data"])
    mail = mails[0]
    assert mail["Subject"] == f"Nouvelle candidature : {proposal['first_name']} pour « {proposal['need_title']} »"
    assert mail["From"] == "Passerelle <ne-pas-repondre@passerelle.localhost>"
    text, html = text_of(mail), html_of(mail)
    link = f"https://passerelle.test/employeur/candidatures/{proposal_id}"
    for body in (text, html):
        assert link in body
        assert proposal["first_name"] in body and "Minutieuse et ponctuelle" in body
        assert "01 99 00 11 22" in body and CRE_TEST in body          # the proposing CRE's contact
        for word in SENSITIVE:
            assert word not in body, word
    assert all(storage.get_mail(db, m["id"])["status"] == "envoye" for m in queued)


def test_a_proposal_through_the_api_is_delivered_in_one_run_without_smtp_to_the_outbox(app):
    drain(app)
    before = len(outbox(app, kind="nouvelle_candidature"))
    db = connect(app)
    enter(app.test_client(), "employer", "E14")
    need = next(n for n in storage.list_needs(db) if n["reference"] == "N028")
    proposed = {p["profile_id"] for p in storage.list_proposals(db, need_id=need["id"])}
    profile = next(p for p in storage.list_profiles(db, siae_id="S1") if p["id"] not in proposed and p["consent_at"])
    client = api_client(app, "cre", "S1")
    response = client.post("/api/v1/proposals", json={"need_id": need["id"], "profile_id": profile["id"]})
    assert response.status_code == 201, response.get_json()
    employers = {u["email"] for u in storage.org_members(db, need["employer_id"], role="employer")}
    assert employers == {CLAIRE, EMPLOYER_TEST}

    run_jobs(app)

    new = outbox(app, kind="nouvelle_candidature")[before:]
    assert {m["To"] for m in new} == employers
    assert profile["first_name"] in text_of(new[0]) and need["title"] in new[0]["Subject"]
    # The API's caller is the proposer: named as the contact.
    assert user_email("cre", "S1") in text_of(new[0])


# -- 2. answers and state changes go back to the CRE who proposed ------------------------
def test_each_employer_answer_reaches_the_proposing_cre_and_cre_notes_never_reach_the_employer(app, early_morning):
    proposal_id = propose_through_the_page(app)
    drain(app)
    employer = enter(app.test_client(), "employer", "E14")
    employer.get(f"/employeur/candidatures/{proposal_id}")  # seen: a digest item by default, no mail now
    employer.post(f"/employeur/candidatures/{proposal_id}/reponse", data={"status": "pmsmp", "note": "Deux semaines ?"})
    cre = enter(app.test_client(), "cre", "S1")
    cre.post(f"/cre/propositions/{proposal_id}/note", data={"note": "Garde d'enfant difficile"})
    cre.post(f"/cre/propositions/{proposal_id}/etat", data={"status": "periode_essai", "note": "Elle hésite encore"})
    run_jobs(app)

    to_cre = outbox(app, to=CRE_TEST)
    assert [m["X-Passerelle-Kind"] for m in to_cre] == ["reponse_employeur"]   # nothing for her own moves
    assert "PMSMP" in to_cre[0]["Subject"] and "Deux semaines ?" in text_of(to_cre[0])
    assert f"https://passerelle.test/cre/propositions/{proposal_id}" in text_of(to_cre[0])
    to_employer = [m for m in outbox(app, to=EMPLOYER_TEST) if m["X-Passerelle-Kind"] == "candidature_mise_a_jour"]
    assert len(to_employer) == 1 and "Période d'essai" in to_employer[0]["Subject"]
    for body in (text_of(to_employer[0]), html_of(to_employer[0])):
        assert "hésite" not in body and "Garde d" not in body
    # Nobody else in S1 is told of this CRE's proposal.
    others = [m for m in outbox(app) if m["To"] == "cre@demo.passerelle.fr" and m["X-Passerelle-Kind"] == "reponse_employeur"
              and str(proposal_id) in text_of(m)]
    assert others == []


# -- 3. preferences: immediately, daily digest, none --------------------------------------
def test_preferences_per_kind_none_and_daily_digest(app):
    drain(app)
    employer = enter(app.test_client(), "employer", "E14")
    page = employer.get("/compte/notifications").get_data(as_text=True)
    assert "Nouvelle candidature reçue" in page and "Mot de passe oublié" in page and "toujours envoyé" in page
    response = employer.post("/compte/notifications", data={"mode-nouvelle_candidature": "quotidien",
                                                           "mode-relance_candidature": "aucun",
                                                           "phone": "+33 1 99 00 55 66"})
    assert response.status_code == 302
    bad = employer.post("/compte/notifications", data={"mode-nouvelle_candidature": "parfois"})
    assert bad.status_code == 400 and "choisissez dans la liste" in bad.get_data(as_text=True)
    db = connect(app)
    me = storage.user_by_email(db, EMPLOYER_TEST)
    assert me["phone"] == "+33 1 99 00 55 66"
    assert storage.notification_settings(db, me["id"], "E14")["nouvelle_candidature"] == "quotidien"

    paris = PARIS
    with time_machine.travel(datetime(2027, 3, 2, 7, 0, tzinfo=paris), tick=False):
        first = propose_through_the_page(app, "N028")
        run_jobs(app)
        assert outbox(app, to=EMPLOYER_TEST, kind="nouvelle_candidature") == []   # waits for the digest
        assert len(outbox(app, to=CLAIRE, kind="nouvelle_candidature")) >= 1      # Claire chose nothing
        assert storage.unread_count(db, me["id"]) >= 1                           # in the app at once
    with time_machine.travel(datetime(2027, 3, 2, 8, 5, tzinfo=paris), tick=False):
        run_jobs(app)
        run_jobs(app)  # a second run the same day sends no second digest
    digests = outbox(app, to=EMPLOYER_TEST, kind="digest")
    assert len(digests) == 1
    proposal = storage.get_proposal(db, first)
    assert proposal["first_name"] in text_of(digests[0]) and "résumé du jour" in digests[0]["Subject"]
    assert f"/employeur/candidatures/{first}" in text_of(digests[0])

    # "aucun": no reminder mail for this account, the other account still gets its own.
    with time_machine.travel(datetime(2027, 3, 10, 9, 0, tzinfo=paris), tick=False):
        run_jobs(app)
    assert outbox(app, to=EMPLOYER_TEST, kind="relance_candidature") == []
    assert outbox(app, to=CLAIRE, kind="relance_candidature")
    assert any(n["kind"] == "relance_candidature" for n in storage.list_notifications(db, me["id"]))


def test_invitations_and_resets_cannot_be_turned_off(app):
    db = connect(app)
    user = storage.user_by_email(db, enter(app.test_client(), "cre", "S1") and CRE_TEST)
    storage.save_notification_settings(db, user["id"], "S1", {"mot_de_passe": "aucun", "invitation": "aucun"})
    app.test_client().post("/mot-de-passe-oublie", data={"email": CRE_TEST})
    run_jobs(app)
    assert len(outbox(app, to=CRE_TEST, kind="mot_de_passe")) == 1


# -- 4. password reset: single use, expiring, no enumeration ------------------------------------
def test_password_reset_link_is_single_use_and_expires(app):
    enter(app.test_client(), "cre", "S1")
    visitor = app.test_client()
    answer_known = visitor.post("/mot-de-passe-oublie", data={"email": CRE_TEST}, follow_redirects=True)
    answer_unknown = visitor.post("/mot-de-passe-oublie", data={"email": "personne@nulle.part"}, follow_redirects=True)
    assert answer_known.get_data(as_text=True).count("Si un compte existe") == 1
    assert answer_unknown.status_code == answer_known.status_code == 200
    assert "Si un compte existe" in answer_unknown.get_data(as_text=True)
    run_jobs(app)
    assert outbox(app, to="personne@nulle.part") == []
    [mail] = outbox(app, to=CRE_TEST, kind="mot_de_passe")
    link = re.search(r"https://passerelle\.test(/mot-de-passe-oublie/[\w-]+)", text_of(mail)).group(1)
    db = connect(app)
    row = next(m for m in storage.list_mails(db) if m["kind"] == "mot_de_passe")
    assert link not in (row["message"] or "") and row["context"] == {}   # the link left the database once sent

    assert visitor.post(link, data={"password": "court", "confirm": "court"}).status_code == 400
    done = visitor.post(link, data={"password": "un nouveau mot de passe", "confirm": "un nouveau mot de passe"})
    assert done.status_code == 302
    assert visitor.post("/connexion", data={"email": CRE_TEST, "password": "un nouveau mot de passe"}).status_code == 302
    assert app.test_client().get(link).status_code == 404          # used once

    app.test_client().post("/mot-de-passe-oublie", data={"email": CRE_TEST})
    run_jobs(app)
    second = outbox(app, to=CRE_TEST, kind="mot_de_passe")[-1]
    link2 = re.search(r"https://passerelle\.test(/mot-de-passe-oublie/[\w-]+)", text_of(second)).group(1)
    with time_machine.travel(datetime.now(timezone.utc) + timedelta(minutes=61)):
        assert app.test_client().get(link2).status_code == 404     # expired after one hour


# -- 5. delivery: retries with back-off, failures shown to the operator --------------------------
def test_a_refusing_server_is_retried_with_back_off_then_given_up_and_the_operator_told(app, smtp_server, runner):
    url, sink = smtp_server
    admin = enter(app.test_client(), "admin", None)  # the operator's account exists before the failure
    drain(app, SMTP_URL=url)
    sink.reply = "451 4.3.0 Try again later"
    propose_through_the_page(app)
    start = datetime.now(timezone.utc)
    counts = run_jobs(app, SMTP_URL=url)
    assert counts["mails_sent"] == 0 and counts["mails_retried"] >= 2
    db = connect(app)
    pending = [m for m in storage.list_mails(db) if m["kind"] == "nouvelle_candidature" and m["status"] == "en_attente"]
    assert pending and all(m["attempts"] == 1 and "451" in m["last_error"] for m in pending)
    retry_at = min(datetime.fromisoformat(m["next_attempt_at"]) for m in pending)
    assert timedelta(seconds=55) <= retry_at - start <= timedelta(minutes=2)   # the first delay: one minute
    with time_machine.travel(retry_at - timedelta(seconds=20)):
        assert run_jobs(app, SMTP_URL=url)["mails_retried"] == 0       # not due yet
    with time_machine.travel(retry_at + timedelta(seconds=5)):
        assert run_jobs(app, SMTP_URL=url)["mails_retried"] >= 2        # second attempt
    second = min(datetime.fromisoformat(m["next_attempt_at"]) for m in storage.list_mails(db, status="en_attente"))
    assert second - retry_at >= timedelta(minutes=4)                    # then five minutes: backing off
    sink.reply = "550 5.1.1 Mailbox unknown"
    with time_machine.travel(second + timedelta(seconds=5)):
        counts = run_jobs(app, SMTP_URL=url)
    assert counts["mails_failed"] >= 2                                   # a 5xx is final
    failed = storage.list_mails(db, status="echec")
    assert {m["to_addr"] for m in failed} >= {CLAIRE, EMPLOYER_TEST}
    page = admin.get("/admin/courriels?statut=echec").get_data(as_text=True)
    assert "(550) : 5.1.1 Mailbox unknown" in page and EMPLOYER_TEST in page
    header = admin.get("/notifications").get_data(as_text=True)
    assert "Courriel non remis à" in header and 'class="badge"' in header
    # The operator sends it again once the address is fixed.
    sink.reply = "250 OK"
    admin.post(f"/admin/courriels/{failed[0]['id']}/renvoyer")
    with time_machine.travel(second + timedelta(minutes=1)):
        assert run_jobs(app, SMTP_URL=url)["mails_sent"] == 1
    # The command also runs the clause reminders (the demo has months not declared): they leave first.
    app.config["SMTP_URL"] = url
    with time_machine.travel(second + timedelta(minutes=1, seconds=30)):
        drained = runner.invoke(args=["run-jobs"])
    # Four lots: three of the clause demo, and the lot whose titulaire (E11) is a member of the pooled need.
    assert drained.exit_code == 0 and "clause_months_missing = 4" in drained.output, drained.output
    # The command says it too: a non-zero exit and the count when a mail was given up in its run.
    sink.reply = "550 5.1.1 Mailbox unknown"
    propose_through_the_page(app)
    app.config["SMTP_URL"] = url
    with time_machine.travel(second + timedelta(minutes=2)):
        result = runner.invoke(args=["run-jobs"])
    assert result.exit_code == 1 and "2 en échec" in result.output, result.output


def test_smtp_credentials_from_the_url_are_used(app, smtp_server):
    url, sink = smtp_server
    authenticated = url.replace("smtp://", "smtp://relay%40passerelle:s3cret%20p%40ss@")
    drain(app, SMTP_URL=authenticated)
    assert sink.logins and sink.logins[-1] == ("relay@passerelle", "s3cret p@ss")
    propose_through_the_page(app)
    sink.received.clear()
    assert run_jobs(app, SMTP_URL=authenticated)["mails_sent"] >= 2 and sink.received
    wrong = url.replace("smtp://", "smtp://relay:mauvais@")
    propose_through_the_page(app)
    counts = run_jobs(app, SMTP_URL=wrong)
    assert counts["mails_sent"] == 0 and counts["mails_retried"] >= 1   # a login refused is retried later


# -- 6. interviews: proposed, confirmed or another slot, with an .ics ---------------------------------
def _ics(message) -> Calendar:
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert part.get_filename() == "entretien.ics"
    return Calendar.from_ical(part.get_content() if isinstance(part.get_content(), (bytes, str)) else part.get_payload(decode=True))


def test_interview_proposed_then_confirmed_gives_both_sides_the_calendar_event(app, early_morning):
    proposal_id = propose_through_the_page(app)
    drain(app)
    employer = enter(app.test_client(), "employer", "E14")
    employer.get(f"/employeur/candidatures/{proposal_id}")
    day = (datetime.now(timezone.utc) + timedelta(days=10)).date().isoformat()
    response = employer.post(f"/employeur/candidatures/{proposal_id}/entretien", data={
        "date": day, "time": "14:30", "duration_minutes": "45", "mode": "sur_place",
        "place": "12 rue des Ulis, 91940 Les Ulis", "contact_name": "M. Dupont", "contact_phone": "01 99 00 33 44"})
    assert response.status_code == 302
    db = connect(app)
    assert storage.get_proposal(db, proposal_id)["status"] == "entretien"
    run_jobs(app)
    [proposed] = outbox(app, to=CRE_TEST)                       # one mail, not a state mail and an interview mail
    assert proposed["X-Passerelle-Kind"] == "entretien_propose"
    assert "14 h 30" in proposed["Subject"] and "M. Dupont" in text_of(proposed)
    event = _ics(proposed).walk("VEVENT")[0]
    assert event["STATUS"] == "TENTATIVE" and event["UID"] == f"entretien-{proposal_id}@passerelle.localhost"
    start = event.decoded("DTSTART")
    assert (start.hour, start.minute, str(start.tzinfo)) == (14, 30, "Europe/Paris")
    assert event.decoded("DTEND") - start == timedelta(minutes=45)
    assert "Les Ulis" in str(event["LOCATION"])

    cre = enter(app.test_client(), "cre", "S1")
    assert "Confirmer l'entretien" in cre.get(f"/cre/propositions/{proposal_id}").get_data(as_text=True)
    cre.post(f"/cre/propositions/{proposal_id}/entretien", data={"answer": "confirme", "note": "Elle sera là"})
    run_jobs(app)
    confirmed = [m for m in outbox(app, kind="entretien_confirme")]
    assert {m["To"] for m in confirmed} == {CLAIRE, EMPLOYER_TEST, CRE_TEST}
    for mail in confirmed:
        again = _ics(mail).walk("VEVENT")[0]
        assert again["STATUS"] == "CONFIRMED" and again["UID"] == event["UID"]
        assert int(again["SEQUENCE"]) > int(event["SEQUENCE"])      # calendars update the same event
    for mail in confirmed:
        if mail["To"] != CRE_TEST:
            for word in SENSITIVE:
                assert word not in text_of(mail) and word not in html_of(mail), word


def test_asking_another_slot_tells_the_employer_and_needs_the_persons_availability(app, early_morning):
    proposal_id = propose_through_the_page(app)
    employer = enter(app.test_client(), "employer", "E14")
    day = (datetime.now(timezone.utc) + timedelta(days=5)).date().isoformat()
    employer.post(f"/employeur/candidatures/{proposal_id}/entretien", data={
        "date": day, "time": "09:00", "mode": "telephone", "place": "01 99 00 33 44"})
    drain(app)
    cre = enter(app.test_client(), "cre", "S1")
    refused = cre.post(f"/cre/propositions/{proposal_id}/entretien", data={"answer": "autre_creneau"},
                       follow_redirects=True)
    assert "disponibilités" in refused.get_data(as_text=True)
    cre.post(f"/cre/propositions/{proposal_id}/entretien", data={"answer": "autre_creneau",
                                                                 "note": "Disponible les après-midi"})
    run_jobs(app)
    mails = outbox(app, kind="entretien_autre_creneau")
    assert {m["To"] for m in mails} == {CLAIRE, EMPLOYER_TEST}
    assert "Disponible les après-midi" in text_of(mails[0])
    assert not list(mails[0].iter_attachments())
    # A slot in the past is refused with a French message; nothing is stored.
    before = len(storage.list_interviews(connect(app), proposal_id))
    employer.post(f"/employeur/candidatures/{proposal_id}/entretien",
                  data={"date": "2001-01-01", "time": "09:00", "mode": "visio", "place": "https://visio.example/x"})
    assert len(storage.list_interviews(connect(app), proposal_id)) == before


def test_the_employer_sees_the_proposing_cres_name_phone_and_email(app):
    proposal_id = propose_through_the_page(app)
    page = enter(app.test_client(), "employer", "E14").get(f"/employeur/candidatures/{proposal_id}").get_data(as_text=True)
    assert "Votre contact" in page and "Test cre S1" in page
    assert "01 99 00 11 22" in page and f"mailto:{CRE_TEST}" in page


# -- 7. the in-app list, for every role ---------------------------------------------------------
def test_every_role_has_a_notification_list_with_an_unread_count(app):
    propose_through_the_page(app)
    employer = enter(app.test_client(), "employer", "E14")
    home = employer.get("/employeur/").get_data(as_text=True)
    count = int(re.search(r'class="badge"[^>]*>(\d+)<', home).group(1))
    assert count >= 1
    listing = employer.get("/notifications").get_data(as_text=True)
    first = int(re.search(r"/notifications/(\d+)", listing).group(1))
    opened = employer.get(f"/notifications/{first}")
    assert opened.status_code == 302 and opened.location.startswith("/employeur/candidatures/")
    after = employer.get("/employeur/").get_data(as_text=True)
    assert int((re.search(r'class="badge"[^>]*>(\d+)<', after) or [0, "0"])[1]) == count - 1
    employer.post("/notifications/tout-lu")
    assert 'class="badge"' not in employer.get("/employeur/").get_data(as_text=True)
    # Another account cannot open it.
    assert enter(app.test_client(), "cre", "S1").get(f"/notifications/{first}").status_code == 404
    for role, org in (("buyer", "B1"), ("admin", None), ("cre", "S1")):
        assert enter(app.test_client(), role, org).get("/notifications").status_code == 200
