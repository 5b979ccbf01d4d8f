"""After the hire: the follow-up plan (CRE and employer sides), exit outcomes and their dashboard,
the caseload. What is the CRE's stays in the structure: check-in situations never reach the employer."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest

import storage
from web_helpers import enter, outbox, run_jobs, text_of, user_email

CRE_TEST = user_email("cre", "S1")


def connect(app):
    return storage.connect(app.config["DATABASE"])


@pytest.fixture
def hire(app):
    """A person of S1 proposed by the test CRE and hired by E14 through the employer's page."""
    db = connect(app)
    cre_client = enter(app.test_client(), "cre", "S1")
    employer = enter(app.test_client(), "employer", "E14")
    need = next(n for n in storage.list_needs(db) if n["reference"] == "N028")
    taken = {p["profile_id"] for p in storage.list_proposals(db, need_id=need["id"])}
    profile = next(p for p in storage.list_profiles(db, siae_id="S1") if p["id"] not in taken and p["consent_at"])
    response = cre_client.post(f"/cre/besoins/{need['id']}/proposer", data={"profile_id": profile["id"]})
    proposal_id = int(response.location.rsplit("/", 1)[1])
    employer.post(f"/employeur/candidatures/{proposal_id}/reponse", data={"status": "embauchee"})
    plan = storage.followup_plan_for_proposal(db, proposal_id)
    return {"plan": plan, "proposal_id": proposal_id, "profile": profile, "cre": cre_client, "employer": employer}


def test_a_hire_creates_the_plan_with_the_default_check_ins_and_the_cre_in_charge(app, hire):
    plan = hire["plan"]
    db = connect(app)
    assert plan is not None and plan["status"] == "en_cours" and plan["contract_type"] == "CDI"
    assert plan["cre_user_id"] == storage.user_by_email(db, CRE_TEST)["id"]
    hired = date.fromisoformat(plan["hired_on"])
    assert hired == storage.today()
    assert [(c["day_offset"], c["due_on"]) for c in storage.list_checkins(db, plan["id"])] == [
        (d, (hired + timedelta(days=d)).isoformat()) for d in (7, 30, 90)]
    run_jobs(app)
    started = [m for m in outbox(app, kind="suivi_embauche") if f"/employeur/suivis/{plan['id']}" in text_of(m)]
    assert {m["To"] for m in started} == {"employeur@demo.passerelle.fr", user_email("employer", "E14")}


def test_check_ins_are_recorded_moved_added_and_bounded(app, hire):
    plan, cre = hire["plan"], hire["cre"]
    db = connect(app)
    first, second, third = storage.list_checkins(db, plan["id"])
    url = f"/cre/suivis/{plan['id']}"
    assert "J+7" in cre.get(url).get_data(as_text=True)
    bad = cre.post(f"/cre/suivis/points/{first['id']}", data={"situation": "en_poste_difficultes"})
    assert bad.status_code == 400 and "au moins une difficulté" in bad.get_data(as_text=True)
    cre.post(f"/cre/suivis/points/{first['id']}", data={"situation": "en_poste_difficultes",
                                                        "difficulties": ["transport", "horaires"],
                                                        "action_taken": "Covoiturage trouvé avec le tuteur"})
    done = storage.get_checkin(db, first["id"])
    assert done["done_at"] and done["difficulties"] == ["transport", "horaires"]
    hired = date.fromisoformat(plan["hired_on"])
    cre.post(f"/cre/suivis/points/{second['id']}", data={"action": "deplacer",
                                                         "due_on": (hired + timedelta(days=35)).isoformat()})
    assert storage.get_checkin(db, second["id"])["day_offset"] == 35
    too_late = cre.post(f"/cre/suivis/points/{third['id']}", data={"action": "deplacer",
                                                                  "due_on": (hired + timedelta(days=120)).isoformat()})
    assert too_late.status_code == 400 and "trois mois au plus" in too_late.get_data(as_text=True)
    cre.post(f"{url}/points", data={"due_on": (hired + timedelta(days=60)).isoformat()})
    assert [c["day_offset"] for c in storage.list_checkins(db, plan["id"])] == [7, 35, 60, 90]
    cre.post(f"/cre/suivis/points/{third['id']}", data={"action": "supprimer"})
    assert third["id"] not in {c["id"] for c in storage.list_checkins(db, plan["id"])}
    # A recorded check-in stays in the history.
    assert cre.post(f"/cre/suivis/points/{first['id']}", data={"action": "supprimer"}).status_code == 400
    # A corrected hire date moves the check-ins not done yet.
    cre.post(url, data={"hired_on": (hired - timedelta(days=2)).isoformat(), "contract_type": "CDD",
                        "contract_months": "9", "tutor_name": "Mme Roux", "tutor_phone": "01 99 00 77 88",
                        "cre_user_id": str(plan["cre_user_id"]), "status": "en_cours"})
    moved = {c["day_offset"]: c["due_on"] for c in storage.list_checkins(db, plan["id"]) if not c["done_at"]}
    assert moved[35] == (hired - timedelta(days=2) + timedelta(days=35)).isoformat()
    assert storage.get_followup_plan(db, plan["id"])["contract_months"] == 9


def test_the_employer_names_the_tutor_and_assesses_but_never_reads_the_check_in_notes(app, hire):
    plan, cre, employer = hire["plan"], hire["cre"], hire["employer"]
    db = connect(app)
    first = storage.list_checkins(db, plan["id"])[0]
    cre.post(f"/cre/suivis/points/{first['id']}", data={"situation": "en_poste_difficultes",
                                                        "difficulties": ["sante"], "action_taken": "Relais CMP"})
    url = f"/employeur/suivis/{plan['id']}"
    page = employer.get(url).get_data(as_text=True)
    assert "Relais CMP" not in page and "Santé" not in page and "J+7" in page
    employer.post(url, data={"action": "tuteur", "tutor_name": "Mme Roux", "tutor_phone": "01 99 00 77 88",
                             "tutor_email": "roux@filea.example"})
    assert storage.get_followup_plan(db, plan["id"])["tutor_name"] == "Mme Roux"
    incomplete = employer.post(url, data={"action": "appreciation", "punctuality": "4"})
    assert incomplete.status_code == 400 and "Intégration : choisissez" in incomplete.get_data(as_text=True)
    run_jobs(app)
    employer.post(url, data={"action": "appreciation", "punctuality": "4", "integration": "3", "skills": "2",
                             "comment": "Rigoureuse, à former sur le sertissage", "author_name": "Mme Roux"})
    [assessment] = storage.list_tutor_assessments(db, plan["id"])
    assert (assessment["punctuality"], assessment["integration"], assessment["skills"]) == (4, 3, 2)
    cre_page = cre.get(f"/cre/suivis/{plan['id']}").get_data(as_text=True)
    assert "Rigoureuse, à former sur le sertissage" in cre_page and "À améliorer" in cre_page
    run_jobs(app)
    [mail] = [m for m in outbox(app, to=CRE_TEST, kind="appreciation_tuteur")]
    assert "Ponctualité : Très satisfaisant" in text_of(mail) and "Compétences : À améliorer" in text_of(mail)
    # Another employer sees nothing of it; another structure's CRE neither.
    assert enter(app.test_client(), "employer", "E01").get(url).status_code == 404
    assert enter(app.test_client(), "cre", "S2").get(f"/cre/suivis/{plan['id']}").status_code == 404


def test_exit_outcome_is_prefilled_from_the_hire_and_counted_in_the_dashboard(app, hire):
    cre, profile, plan = hire["cre"], hire["profile"], hire["plan"]
    form = cre.get(f"/cre/profils/{profile['id']}/sortie").get_data(as_text=True)
    assert "Pré-rempli depuis l&#39;embauche" in form or "Pré-rempli depuis l'embauche" in form
    assert re.search(r'<option value="cdi" selected', form) and "Filéa Câblage" in form
    db = connect(app)
    before = storage.list_exit_outcomes(db, "S1")
    cre.post(f"/cre/profils/{profile['id']}/sortie", data={"exit_date": plan["hired_on"], "detail": "cdd",
                                                           "contract_months": "", "employer_name": "Filéa"})
    assert storage.exit_outcome_for_profile(db, profile["id"]) is None    # a CDD needs its duration
    cre.post(f"/cre/profils/{profile['id']}/sortie", data={"exit_date": plan["hired_on"], "detail": "cdd",
                                                           "contract_months": "6", "employer_name": "Filéa Câblage",
                                                           "sector": "câblage électronique",
                                                           "proposal_id": str(hire["proposal_id"])})
    outcome = storage.exit_outcome_for_profile(db, profile["id"])
    assert outcome["category"] == "emploi_durable"                       # six months exactly: lasting
    cre.post(f"/cre/profils/{profile['id']}/sortie", data={"exit_date": plan["hired_on"], "detail": "cdd",
                                                           "contract_months": "5", "employer_name": "Filéa Câblage",
                                                           "sector": "câblage électronique"})
    assert storage.exit_outcome_for_profile(db, profile["id"])["category"] == "emploi_transition"
    rows = storage.list_exit_outcomes(db, "S1")
    assert len(rows) == len(before) + 1                                   # corrected in place, not added
    dynamic = sum(r["category"] != "autre_sortie" for r in rows)
    page = cre.get("/cre/sorties").get_data(as_text=True)
    assert f"{round(100 * dynamic / len(rows))} %" in page
    assert f"{dynamic} sortie(s) dynamique(s) sur" in page
    quarter = f"{date.fromisoformat(plan['hired_on']).year}-T{(date.fromisoformat(plan['hired_on']).month - 1) // 3 + 1}"
    listing = cre.get(f"/cre/sorties/liste?groupe=trimestre&valeur={quarter}&categorie=emploi_transition")
    assert profile["first_name"] in listing.get_data(as_text=True)
    sector = cre.get("/cre/sorties/liste?groupe=secteur&valeur=câblage électronique").get_data(as_text=True)
    assert profile["first_name"] in sector
    export = cre.get("/cre/export/sorties.csv").get_data(as_text=True).lstrip("\ufeff")
    lines = list(csv.DictReader(io.StringIO(export), delimiter=";"))
    assert len(lines) == len(rows)
    mine = next(r for r in lines if r["profile_reference"] == profile["reference"])
    assert (mine["category"], mine["contract_months"], mine["quarter"]) == ("emploi_transition", "5", quarter)
    # Another structure never sees S1's exits.
    other = enter(app.test_client(), "cre", "S2")
    assert profile["reference"] not in other.get("/cre/export/sorties.csv").get_data(as_text=True)
    assert other.get(f"/cre/profils/{profile['id']}/sortie").status_code == 404


def test_exit_dates_in_the_future_are_refused(app, hire):
    cre, profile = hire["cre"], hire["profile"]
    tomorrow = (storage.today() + timedelta(days=1)).isoformat()
    response = cre.post(f"/cre/profils/{profile['id']}/sortie", data={"exit_date": tomorrow, "detail": "cdi"})
    assert response.status_code == 400 and "pas dans le futur" in response.get_data(as_text=True)


def test_caseload_lists_last_action_next_follow_up_and_open_proposals_with_filters_and_sort(app, hire):
    cre, profile, plan = hire["cre"], hire["profile"], hire["plan"]
    page = cre.get("/cre/portefeuille").get_data(as_text=True)
    assert "Mon portefeuille" in page and profile["first_name"] in page
    mine = cre.get("/cre/portefeuille?filtre=miennes").get_data(as_text=True)
    names = re.findall(r'<a href="/cre/profils/\d+">([^<]+)</a> <span class="muted">([^<]+)</span>', mine)
    assert (profile["first_name"], profile["reference"]) in names
    assert len(names) == 1                       # only the person this CRE proposed
    row = mine.split(profile["reference"])[1].split("</tr>")[0]
    assert "Embauchée" in row and "Câbleur" in row
    first_checkin = storage.list_checkins(connect(app), plan["id"])[0]
    assert first_checkin["due_on"][8:10] + "/" + first_checkin["due_on"][5:7] in row
    in_follow_up = cre.get("/cre/portefeuille?filtre=suivi").get_data(as_text=True)
    assert profile["reference"] in in_follow_up
    # Sorted by last action, both ways: the hire is the most recent action of the structure.
    recent = re.findall(r'<a href="/cre/profils/(\d+)">', cre.get("/cre/portefeuille?tri=recente").get_data(as_text=True))
    oldest = re.findall(r'<a href="/cre/profils/(\d+)">', cre.get("/cre/portefeuille?tri=ancienne").get_data(as_text=True))
    assert recent[0] == str(profile["id"]) and oldest[-1] == str(profile["id"]) and sorted(recent) == sorted(oldest)
    assert cre.get("/cre/portefeuille?tri=hasard").status_code == 400
    searched = cre.get(f"/cre/portefeuille?q={profile['reference']}").get_data(as_text=True)
    assert len(re.findall(r'<a href="/cre/profils/\d+">', searched)) == 1
