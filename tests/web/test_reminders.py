"""The reminder and auto-close clocks, stale needs and overdue check-ins, run by ``run-jobs``.

Time is moved with time-machine (days in seconds of test), never slept through; every run is
repeated to show it acts once.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import time_machine

import storage
from web_helpers import enter, outbox, run_jobs, text_of, user_email

START = datetime(2027, 1, 11, 6, 0, tzinfo=timezone.utc)  # a Monday, 7:00 in Paris: before the digests
EMPLOYER_TEST = user_email("employer", "E14")
CRE_TEST = user_email("cre", "S1")


def connect(app):
    return storage.connect(app.config["DATABASE"])


@pytest.fixture
def fresh_proposal(app):
    """A proposal made at START to E14's need N028 by the test CRE of S1 (after the demo's mails left)."""
    with time_machine.travel(START, tick=False):
        db = connect(app)
        enter(app.test_client(), "employer", "E14")
        cre = storage.user_by_email(db, enter(app.test_client(), "cre", "S1") and CRE_TEST)
        # The demo's own clocks are stopped: its needs and proposals were just made "now".
        need = next(n for n in storage.list_needs(db) if n["reference"] == "N028")
        taken = {p["profile_id"] for p in storage.list_proposals(db, need_id=need["id"])}
        profile = next(p for p in storage.list_profiles(db, siae_id="S1") if p["id"] not in taken and p["consent_at"])
        proposal_id = storage.create_proposal(db, need_id=need["id"], profile_id=profile["id"], message="",
                                              score=0.6, explanation={}, proposed_by="S1", proposer_id=cre["id"])
        run_jobs(app)
    return proposal_id


def at(days: float):
    return time_machine.travel(START + timedelta(days=days), tick=False)


def reminders(app, proposal_id):
    return [m for m in outbox(app, kind="relance_candidature") if f"/employeur/candidatures/{proposal_id}" in text_of(m)]


def test_reminder_after_seven_days_once_then_closed_without_answer_after_thirty(app, fresh_proposal):
    db = connect(app)
    with at(6.9):
        run_jobs(app)
    assert reminders(app, fresh_proposal) == []
    with at(7):
        run_jobs(app)
        run_jobs(app)
    sent = reminders(app, fresh_proposal)
    assert sorted(m["To"] for m in sent) == sorted(["employeur@demo.passerelle.fr", EMPLOYER_TEST])
    assert "attend votre réponse depuis 7 jours" in text_of(sent[0])
    with at(20):
        run_jobs(app)
    assert len(reminders(app, fresh_proposal)) == 2          # one reminder per account, once
    with at(29.9):
        run_jobs(app)
    assert storage.get_proposal(db, fresh_proposal)["status"] == "proposee"
    with at(30):
        counts = run_jobs(app)
        run_jobs(app)
    assert counts["closed_without_answer"] >= 1
    proposal = storage.get_proposal(db, fresh_proposal)
    assert proposal["status"] == "sans_reponse"
    closed = [m for m in outbox(app, to=CRE_TEST, kind="reponse_employeur") if "Close sans réponse" in m["Subject"]]
    assert len(closed) == 1
    # A late answer is still taken.
    employer = enter(app.test_client(), "employer", "E14")
    employer.post(f"/employeur/candidatures/{fresh_proposal}/reponse", data={"status": "entretien"})
    assert storage.get_proposal(db, fresh_proposal)["status"] == "entretien"


def test_an_answered_proposal_is_neither_reminded_nor_closed(app, fresh_proposal):
    with at(3):
        enter(app.test_client(), "employer", "E14").post(f"/employeur/candidatures/{fresh_proposal}/reponse",
                                                         data={"status": "entretien"})
    with at(45):
        run_jobs(app)
    assert reminders(app, fresh_proposal) == []
    assert storage.get_proposal(connect(app), fresh_proposal)["status"] == "entretien"


def test_seeing_is_not_answering(app, fresh_proposal):
    with at(1):
        enter(app.test_client(), "employer", "E14").get(f"/employeur/candidatures/{fresh_proposal}")
    with at(8):
        run_jobs(app)
    assert len(reminders(app, fresh_proposal)) == 2


def test_the_delays_are_configurable(app, fresh_proposal):
    with at(2):
        run_jobs(app, REMINDER_DAYS=2, AUTO_CLOSE_DAYS=3)
    assert reminders(app, fresh_proposal)
    with at(3):
        run_jobs(app, REMINDER_DAYS=2, AUTO_CLOSE_DAYS=3)
    assert storage.get_proposal(connect(app), fresh_proposal)["status"] == "sans_reponse"


def test_a_need_quiet_for_sixty_days_is_to_be_confirmed_and_confirming_restarts_the_clock(app, fresh_proposal):
    db = connect(app)
    need = next(n for n in storage.list_needs(db) if n["reference"] == "N028")
    with at(0):
        storage.update_need(db, need["id"], {})   # the clock starts at START
    with at(59.9):
        run_jobs(app)
    asked = lambda: [m for m in outbox(app, kind="besoin_a_confirmer") if f"/besoins/{need['id']}" in text_of(m)]  # noqa: E731
    assert asked() == []
    with at(60):
        run_jobs(app)
        run_jobs(app)
    assert len(asked()) == 2 and "toujours ouvert" in asked()[0]["Subject"]
    with at(61):  # (logged in at that moment: sessions expire after 30 idle minutes)
        employer = enter(app.test_client(), "employer", "E14")
        assert "toujours ouvert ?" in employer.get(f"/employeur/besoins/{need['id']}").get_data(as_text=True)
        employer.post(f"/employeur/besoins/{need['id']}/confirmer")
        assert "toujours ouvert ?" not in employer.get(f"/employeur/besoins/{need['id']}").get_data(as_text=True)
    with at(120):
        run_jobs(app)
    assert len(asked()) == 2                   # 59 days after the confirmation: not yet
    with at(121.1):
        run_jobs(app)
    assert len(asked()) == 4                   # asked again after another quiet period


def test_overdue_check_ins_are_on_the_dashboard_and_reminded_once(app):
    db = connect(app)
    with at(0):
        enter(app.test_client(), "cre", "S1")
        enter(app.test_client(), "employer", "E14")
        need = next(n for n in storage.list_needs(db) if n["reference"] == "N028")
        taken = {p["profile_id"] for p in storage.list_proposals(db, need_id=need["id"])}
        profile = next(p for p in storage.list_profiles(db, siae_id="S1") if p["id"] not in taken and p["consent_at"])
        me = storage.user_by_email(db, CRE_TEST)
        proposal_id = storage.create_proposal(db, need_id=need["id"], profile_id=profile["id"], message="",
                                              score=0.6, explanation={}, proposed_by="S1", proposer_id=me["id"])
        storage.transition_proposal(db, proposal_id, "embauchee", actor="Filéa")
        plan = storage.followup_plan_for_proposal(db, proposal_id)
        run_jobs(app)
    assert plan["hired_on"] == "2027-01-11" and plan["cre_user_id"] == me["id"]
    first = storage.list_checkins(db, plan["id"])[0]
    with at(7.5):   # J+7 is due today: not late yet
        cre = enter(app.test_client(), "cre", "S1")
        assert f"/cre/suivis/{plan['id']}" not in cre.get("/cre/").get_data(as_text=True)
        run_jobs(app)
    late = lambda: [m for m in outbox(app, to=CRE_TEST, kind="suivi_en_retard") if f"/cre/suivis/{plan['id']}" in text_of(m)]  # noqa: E731
    assert late() == []
    with at(8.5):
        cre = enter(app.test_client(), "cre", "S1")
        dashboard = cre.get("/cre/").get_data(as_text=True)
        assert "Points de suivi en retard" in dashboard and f"/cre/suivis/{plan['id']}" in dashboard
        run_jobs(app)
        run_jobs(app)
    assert len(late()) == 1 and "J+7" in late()[0]["Subject"]
    with at(9):
        cre = enter(app.test_client(), "cre", "S1")
        cre.post(f"/cre/suivis/points/{first['id']}", data={"situation": "en_poste", "action_taken": "Appel"})
        assert f"/cre/suivis/{plan['id']}" not in cre.get("/cre/").get_data(as_text=True)
