"""Employer pages: post needs with mapping feedback, see proposals without sensitive data, answer."""
import re

import pytest

import storage
from web_helpers import enter

NEW_NEED = {
    "title": "Opérateur de conditionnement H/F", "contract": "CDI", "hours_per_week": "35", "positions": "2",
    "start_date": "2027-02-01", "skills_required": "conditionnement manuel, contrôle visuel",
    "skills_wanted": "CACES 1", "postcode": "91940", "max_distance_km": "30", "french_level": "A2",
    "action": "enregistrer",
}

SENSITIVE = ("RSA", "RQTH", "AAH", "DELD", "éligibilité", "Éligibilité", "Notes", "jeune_sans_qualification")


def need_id_from(response):
    return int(re.search(r"/besoins/(\d+)", response.location).group(1))


def test_employer_sees_only_own_needs(employer, db):
    page = employer.get("/employeur/").get_data(as_text=True)
    assert "Câbleur / câbleuse filaire" in page
    other = next(n for n in storage.list_needs(db) if n["employer_id"] != "E14")
    assert other["title"] not in page
    assert employer.get(f"/employeur/besoins/{other['id']}").status_code == 404


def test_posting_a_need_maps_required_and_wanted_skills(employer, db):
    response = employer.post("/employeur/besoins/nouveau", data=NEW_NEED)
    assert response.status_code == 302
    row = storage.get_need(db, need_id_from(response))
    assert row["employer_id"] == "E14" and row["city"]
    assert [(s["text"], s["required"]) for s in row["skills"]] == [
        ("conditionnement manuel", True), ("contrôle visuel", True), ("CACES 1", False)]
    wanted = {e["skill_id"]: e["required"] for e in row["skill_map"] if e["skill_id"]}
    assert wanted["industrie.conditionnement_manuel"] is True
    assert wanted["logistique.caces_r489_cat1a"] is False


def test_bad_need_form_rerenders_with_french_messages(employer, db):
    before = db["needs"].count
    response = employer.post("/employeur/besoins/nouveau",
                             data={**NEW_NEED, "contract": "CDI à vie", "hours_per_week": "90", "title": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Type de contrat : valeur inconnue" in page and "Heures par semaine : entre 1 et 48" in page
    assert "Intitulé du poste : ce champ est obligatoire" in page
    assert "conditionnement manuel, contrôle visuel" in page
    assert db["needs"].count == before


def test_check_button_shows_the_reading(employer):
    page = employer.post("/employeur/besoins/nouveau", data={**NEW_NEED, "action": "verifier"}).get_data(as_text=True)
    assert "Lecture des compétences" in page and "Conditionnement manuel" in page and "(souhaitée)" in page


@pytest.fixture
def proposal(app, db):
    """A proposal to E14's wiring need made by the CRE of S1."""
    need = next(n for n in storage.list_needs(db) if n["reference"] == "N028")
    cre = enter(app.test_client(), "cre", "S1")
    page = cre.get(f"/cre/besoins/{need['id']}?n=50").get_data(as_text=True)
    proposed = {p["profile_id"] for p in storage.list_proposals(db, need_id=need["id"])}
    candidate = next(int(c) for c in re.findall(r'data-candidate="(\d+)"', page) if int(c) not in proposed)
    storage.update_profile(db, candidate, {"notes": "Notes confidentielles : suivi psy", "eligibility": ["RSA", "RQTH"]})
    response = cre.post(f"/cre/besoins/{need['id']}/proposer", data={"profile_id": candidate, "message": "Minutieuse"})
    return int(response.location.rsplit("/", 1)[1])


def test_opening_a_proposal_marks_it_seen_and_shows_no_sensitive_data(employer, proposal, db):
    page = employer.get(f"/employeur/candidatures/{proposal}").get_data(as_text=True)
    assert storage.get_proposal(db, proposal)["status"] == "vue"
    assert "Minutieuse" in page and "Pourquoi cette candidature" in page
    for word in SENSITIVE:
        assert word not in page, word
    assert "suivi psy" not in page


def test_employer_answers_up_to_the_hire(employer, proposal, db):
    url = f"/employeur/candidatures/{proposal}"
    employer.get(url)
    employer.post(url + "/reponse", data={"status": "entretien", "note": "RDV lundi"})
    employer.post(url + "/reponse", data={"status": "embauchee"})
    assert storage.get_proposal(db, proposal)["status"] == "embauchee"
    page = employer.get(url).get_data(as_text=True)
    assert "RDV lundi" in page and "Embauchée" in page


def test_refusal_needs_a_reason(employer, proposal, db):
    url = f"/employeur/candidatures/{proposal}"
    page = employer.post(url + "/reponse", data={"status": "refusee"}, follow_redirects=True).get_data(as_text=True)
    assert "Un refus doit avoir un motif" in page
    employer.post(url + "/reponse", data={"status": "refusee", "reason": "poste_pourvu"})
    assert storage.get_proposal(db, proposal)["refusal_reason"] == "poste_pourvu"


def test_employer_cannot_see_another_employers_proposal(app, proposal):
    other = enter(app.test_client(), "employer", "E01")
    assert other.get(f"/employeur/candidatures/{proposal}").status_code == 404
    assert other.post(f"/employeur/candidatures/{proposal}/reponse", data={"status": "embauchee"}).status_code == 404


def test_need_status_can_be_closed(employer, db):
    need = next(n for n in storage.list_needs(db) if n["employer_id"] == "E14")
    employer.post(f"/employeur/besoins/{need['id']}/statut", data={"status": "ferme"})
    assert storage.get_need(db, need["id"])["status"] == "ferme"
    assert employer.post(f"/employeur/besoins/{need['id']}/statut", data={"status": "??"}).status_code == 400


def test_cre_follow_up_notes_stay_inside_the_structure(app, employer, proposal, db):
    cre = enter(app.test_client(), "cre", "S1")
    cre.post(f"/cre/propositions/{proposal}/note", data={"note": "Difficultés de garde d'enfant, à surveiller"})
    cre.post(f"/cre/propositions/{proposal}/etat", data={"status": "entretien", "note": "Elle a peur de l'entretien"})
    page = employer.get(f"/employeur/candidatures/{proposal}").get_data(as_text=True)
    assert "garde d&#39;enfant" not in page and "peur de l" not in page
    assert "Entretien" in page                      # the state change itself is shared
    cre_page = cre.get(f"/cre/propositions/{proposal}").get_data(as_text=True)
    assert "Difficultés de garde d&#39;enfant" in cre_page and "interne" in cre_page


def test_after_consent_is_withdrawn_the_employer_may_only_close_the_candidature(app, employer):
    # Its own connection, not the `db` fixture: an open app context would be shared with the page requests.
    db = storage.connect(app.config["DATABASE"])
    proposal = next(p for p in storage.list_proposals(db, employer_id="E14") if p["status"] == "proposee")
    storage.update_profile(db, proposal["profile_id"], {"consent_at": None, "consent_by": None})
    url = f"/employeur/candidatures/{proposal['id']}"
    page = employer.post(f"{url}/reponse", data={"status": "entretien"}, follow_redirects=True)
    assert "ne peut plus qu&#39;être close" in page.get_data(as_text=True)
    assert storage.get_proposal(db, proposal["id"])["status"] == "proposee"
    closed = employer.post(f"{url}/reponse", data={"status": "refusee", "reason": "autre"})
    assert closed.status_code == 302
    assert storage.get_proposal(db, proposal["id"])["status"] == "refusee"
