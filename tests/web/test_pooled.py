"""Pooled needs in the app: who sees what, proposing, the carrier's hire placed with members, monthly hours.

The demo has one pooled need (data/demo/pooled.json): gardiens d'immeuble carried by the AI S6 for four
social landlords (E16–E19); Samir (AI-BOB-0001) is hired and placed with E18 and E19, with October and
November recorded; Bruno (AI-BOB-0005) is at the interview stage.
"""
from __future__ import annotations

import re

import pytest

import storage
import workflow
from web_helpers import api_client, enter

REFERENCE = "MUT-GARDIENS-2026"
MEMBERS = {"E16", "E17", "E18", "E19", "E11"}


def read(app):
    return storage.connect(app.config["DATABASE"])


@pytest.fixture
def pooled(app):
    db = read(app)
    need = storage.need_by_reference(db, "S6", REFERENCE)
    return {"need": need, "pooled": storage.get_pooled(db, need["id"])}


def _proposal_from_s1(app, need_id: int, *, notes="Notes de la CRE : suivi addictologie",
                      eligibility=("RSA", "QPV")) -> tuple[int, dict]:
    """S1 proposes one of its people (with notes and eligibility, which must never reach the group)."""
    db = read(app)
    profile = storage.list_profiles(db, siae_id="S1")[2]
    storage.update_profile(db, profile["id"], {"notes": notes, "eligibility": list(eligibility)})
    cre = enter(app.test_client(), "cre", "S1")
    response = cre.post(f"/cre/besoins/{need_id}/proposer", data={"profile_id": profile["id"],
                                                                   "message": "Très motivé par le métier"})
    assert response.status_code == 302, response.get_data(as_text=True)
    proposal_id = int(re.search(r"/propositions/(\d+)", response.location).group(1))
    return proposal_id, storage.get_profile(read(app), profile["id"])


def test_the_demo_pooled_need_has_its_carrier_members_and_shares(pooled):
    p = pooled["pooled"]
    assert p["carrier_id"] == "S6" and p["carrier_subtype"] == "AI"
    assert p["carrier_contract"] == "contrat de professionnalisation" and p["training_plan"]
    assert set(p["member_ids"]) == MEMBERS
    shares = {m["employer_id"]: (m["positions"], m["hours_per_week"]) for m in p["members"]}
    assert shares == {"E16": (1, None), "E17": (None, 35.0), "E18": (None, 17.5), "E19": (None, 17.5),
                      "E11": (None, 17.5)}
    assert pooled["need"]["employer_id"] == "S6"                       # the carrier hires


def test_a_cre_sees_the_pooled_need_with_its_members_and_proposes_a_candidate(app, cre, pooled):
    need_id = pooled["need"]["id"]
    page = cre.get(f"/cre/besoins/{need_id}").get_data(as_text=True)
    assert "Besoin mutualisé" in page and "Coup de Main Habitat 93" in page
    for member in pooled["pooled"]["members"]:
        assert member["name"].replace("&", "&amp;").replace("'", "&#39;") in page
    assert 'data-candidate="' in page                                  # ranked and explained as any need
    assert "Suivre les candidatures" not in page                       # S1 does not carry it
    listing = cre.get("/cre/besoins").get_data(as_text=True)
    assert "mutualisé" in listing and "5 employeurs, porté par" in listing
    proposal_id, profile = _proposal_from_s1(app, need_id)
    proposal = storage.get_proposal(read(app), proposal_id)
    assert proposal["carrier_id"] == "S6" and set(proposal["member_ids"]) == MEMBERS
    assert proposal["explanation"]["skills"]["direct"] or proposal["explanation"]["skills"]["missing"]


def test_a_member_sees_the_candidates_as_an_employer_may_never_more(app, pooled):
    need_id = pooled["need"]["id"]
    proposal_id, profile = _proposal_from_s1(app, need_id)
    member = enter(app.test_client(), "employer", "E16")
    needs = member.get("/employeur/").get_data(as_text=True)
    assert "Besoins mutualisés dont vous êtes membre" in needs and "1 poste(s)" in needs
    page = member.get(f"/employeur/mutualises/{need_id}").get_data(as_text=True)
    assert profile["first_name"] in page and "Bruno" in page
    detail = member.get(f"/employeur/mutualises/{need_id}/propositions/{proposal_id}")
    body = detail.get_data(as_text=True)
    assert detail.status_code == 200 and profile["first_name"] in body and "Très motivé par le métier" in body
    for secret in (profile["reference"], "addictologie", "Bénéficiaire du RSA", "RSA", "QPV"):
        assert secret not in body, secret
    assert "Répondre" not in body                                      # members follow, the carrier answers
    # A member's look is not the employer's first look: the proposal stays "proposée".
    assert storage.get_proposal(read(app), proposal_id)["status"] == workflow.PROPOSED


def test_an_employer_outside_the_group_sees_nothing_of_it(app, pooled):
    need_id = pooled["need"]["id"]
    proposal_id, _ = _proposal_from_s1(app, need_id)
    outsider = enter(app.test_client(), "employer", "E01")
    for url in (f"/employeur/mutualises/{need_id}", f"/employeur/mutualises/{need_id}/propositions/{proposal_id}",
                f"/employeur/candidatures/{proposal_id}"):
        assert outsider.get(url).status_code == 404, url
    assert "Gardien" not in outsider.get("/employeur/?statut=tous").get_data(as_text=True)


def test_a_member_never_answers_a_candidate(app, pooled):
    need_id = pooled["need"]["id"]
    proposal_id, _ = _proposal_from_s1(app, need_id)
    member = enter(app.test_client(), "employer", "E17")
    assert member.get(f"/employeur/candidatures/{proposal_id}").status_code == 404
    assert member.post(f"/employeur/candidatures/{proposal_id}/reponse", data={"status": "entretien"}).status_code == 404
    api = api_client(app, "employer", "E17")
    seen = api.get(f"/api/v1/proposals/{proposal_id}")
    assert seen.status_code == 200 and "notes" not in seen.get_json()
    refused = api.post(f"/api/v1/proposals/{proposal_id}/transitions", json={"status": "entretien"})
    assert refused.status_code == 403 and "structure porteuse" in refused.get_json()["error"]
    assert storage.get_proposal(read(app), proposal_id)["status"] == workflow.PROPOSED


def test_the_carrier_reads_other_structures_candidates_as_an_employer(app, pooled):
    need_id = pooled["need"]["id"]
    proposal_id, profile = _proposal_from_s1(app, need_id)
    carrier = enter(app.test_client(), "cre", "S6")
    follow = carrier.get(f"/cre/mutualises/{need_id}").get_data(as_text=True)
    assert profile["first_name"] in follow and "Samir" in follow and "Résidences de l&#39;Ourcq" in follow
    body = carrier.get(f"/cre/mutualises/{need_id}/propositions/{proposal_id}").get_data(as_text=True)
    assert profile["first_name"] in body
    for secret in (profile["reference"], "addictologie", "QPV"):
        assert secret not in body, secret
    assert carrier.get(f"/cre/profils/{profile['id']}").status_code == 404
    assert storage.get_proposal(read(app), proposal_id)["status"] == workflow.SEEN   # the employer's first look


def test_other_structures_cannot_manage_the_group(app, pooled):
    need_id = pooled["need"]["id"]
    cre = enter(app.test_client(), "cre", "S1")
    for url in (f"/cre/mutualises/{need_id}", f"/cre/mutualises/{need_id}/modifier",
                f"/cre/mutualises/{need_id}/heures"):
        assert cre.get(url).status_code == 404, url


def test_a_hire_by_the_carrier_is_placed_with_members_and_their_monthly_hours_recorded(app, pooled):
    need_id = pooled["need"]["id"]
    proposal_id, profile = _proposal_from_s1(app, need_id)
    carrier = enter(app.test_client(), "cre", "S6")
    carrier.get(f"/cre/mutualises/{need_id}/propositions/{proposal_id}")
    response = carrier.post(f"/cre/mutualises/{need_id}/propositions/{proposal_id}/reponse",
                            data={"status": "embauchee", "hours-E16": "20", "hours-E17": "15",
                                  "start_date": "2026-11-02", "note": "Bienvenue"})
    assert response.status_code == 302
    db = read(app)
    assert storage.get_proposal(db, proposal_id)["status"] == workflow.HIRED
    placed = {a["employer_id"]: a["hours_per_week"] for a in storage.list_assignments(db, need_id, proposal_id=proposal_id)}
    assert placed == {"E16": 20.0, "E17": 15.0}
    changes = []
    listener = storage.on_pooled_hours(lambda db, change: changes.append(change))
    try:
        page = carrier.get(f"/cre/mutualises/{need_id}/heures?mois=2026-11").get_data(as_text=True)
        ids = {a["employer_id"]: a["id"] for a in storage.list_assignments(db, need_id, proposal_id=proposal_id)}
        assert 'value="84"' in page and 'value="63"' in page      # 20 h and 15 h × 21 working days ÷ 5
        saved = carrier.post(f"/cre/mutualises/{need_id}/heures",
                             data={"mois": "2026-11", f"hours-{ids['E16']}": "80", f"hours-{ids['E17']}": "63"})
        assert saved.status_code == 302
        assert {(c.assignment["employer_id"], c.month, c.hours, c.previous_hours) for c in changes} >= {
            ("E16", "2026-11", 80.0, None), ("E17", "2026-11", 63.0, None)}
        changes.clear()
        carrier.post(f"/cre/mutualises/{need_id}/heures",
                     data={"mois": "2026-11", f"hours-{ids['E16']}": "82", f"hours-{ids['E17']}": "63"})
        assert [(c.hours, c.previous_hours) for c in changes] == [(82.0, 80.0)]   # a correction, once
    finally:
        storage.pooled._LISTENERS.remove(listener)
    records = {(r["employer_id"], r["month"]): r["hours"] for r in storage.list_hours(read(app), need_id)}
    assert records[("E16", "2026-11")] == 82.0 and records[("E17", "2026-11")] == 63.0
    assert records[("E18", "2026-10")] == 70.0                      # the demo's own hire is untouched
    member = enter(app.test_client(), "employer", "E16")
    page = member.get(f"/employeur/mutualises/{need_id}").get_data(as_text=True)
    assert "82 h" in page and profile["first_name"] in page and "20 h par semaine" in page
    other = enter(app.test_client(), "employer", "E18").get(f"/employeur/mutualises/{need_id}").get_data(as_text=True)
    assert "82 h" not in other                                          # each member sees its own hours


def test_a_hire_without_placement_or_beyond_the_week_changes_nothing(app, pooled):
    need_id = pooled["need"]["id"]
    proposal_id, _ = _proposal_from_s1(app, need_id)
    carrier = enter(app.test_client(), "cre", "S6")
    url = f"/cre/mutualises/{need_id}/propositions/{proposal_id}/reponse"
    for data in ({"status": "embauchee"}, {"status": "embauchee", "hours-E16": "30", "hours-E17": "10"},
                 {"status": "embauchee", "hours-E16": "trente"}):
        carrier.post(url, data=data)
        db = read(app)
        assert storage.get_proposal(db, proposal_id)["status"] == workflow.PROPOSED, data
        assert storage.list_assignments(db, need_id, proposal_id=proposal_id) == []
    page = carrier.get(f"/cre/mutualises/{need_id}/propositions/{proposal_id}").get_data(as_text=True)
    assert "Indiquez chez quel(s) membre(s)" in page or "40 h par semaine" in page or "nombre est attendu" in page


def test_the_proposing_structure_does_not_hire_for_the_group(app, pooled):
    need_id = pooled["need"]["id"]
    proposal_id, _ = _proposal_from_s1(app, need_id)
    cre = enter(app.test_client(), "cre", "S1")
    cre.post(f"/cre/propositions/{proposal_id}/etat", data={"status": "entretien"})   # its own follow-up: fine
    assert storage.get_proposal(read(app), proposal_id)["status"] == workflow.INTERVIEW
    cre.post(f"/cre/propositions/{proposal_id}/etat", data={"status": "embauchee"})
    assert storage.get_proposal(read(app), proposal_id)["status"] == workflow.INTERVIEW
    api = api_client(app, "cre", "S1").post(f"/api/v1/proposals/{proposal_id}/transitions", json={"status": "embauchee"})
    assert api.status_code == 403 and "structure porteuse" in api.get_json()["error"]


def test_the_carrier_hires_through_the_api_with_its_placements(app, pooled):
    need_id = pooled["need"]["id"]
    proposal_id, _ = _proposal_from_s1(app, need_id)
    api = api_client(app, "cre", "S6")
    url = f"/api/v1/proposals/{proposal_id}/transitions"
    missing = api.post(url, json={"status": "embauchee"})
    assert missing.status_code == 422 and "assignments" in missing.get_json()["error"]
    outsider = api.post(url, json={"status": "embauchee", "assignments": [{"employer_id": "E01", "hours_per_week": 35}]})
    assert outsider.status_code == 422 and "n'est pas membre" in outsider.get_json()["error"]
    assert storage.get_proposal(read(app), proposal_id)["status"] == workflow.PROPOSED
    hired = api.post(url, json={"status": "embauchee", "assignments": [
        {"employer_id": "E19", "hours_per_week": 35, "start_date": "2026-12-07"}]})
    assert hired.status_code == 200 and hired.get_json()["status"] == workflow.HIRED
    [placement] = storage.list_assignments(read(app), need_id, proposal_id=proposal_id)
    assert (placement["employer_id"], placement["start_date"]) == ("E19", "2026-12-07")


def test_the_api_tells_a_pooled_need_from_an_ordinary_one(app, pooled):
    api = api_client(app, "cre", "S1")
    need = api.get(f"/api/v1/needs/{pooled['need']['id']}").get_json()
    assert need["pooled"]["carrier_id"] == "S6" and {m["employer_id"] for m in need["pooled"]["members"]} == MEMBERS
    listed = {n["id"]: n["pooled"] for n in api.get("/api/v1/needs").get_json()}
    assert listed[pooled["need"]["id"]]["carrier_contract"] == "contrat de professionnalisation"
    assert sum(1 for p in listed.values() if p) == 1


def _form(**overrides):
    data = {"title": "Agent d'entretien d'espaces verts mutualisé", "carrier_contract": "CDDI", "positions": "2",
            "hours_per_week": "35", "skills_required": "tonte, débroussaillage", "postcode": "93000",
            "member-0-employer": "E16", "member-0-positions": "1", "member-1-employer": "E17",
            "member-1-hours": "20", "training_body": "", "training_plan": "", "member_rows": "8"}
    return {**data, **overrides}


def test_a_carrier_creates_a_pooled_need_and_wrong_shares_are_said_in_french(app):
    carrier = enter(app.test_client(), "cre", "S6")
    before = read(app)["pooled_needs"].count
    for overrides, message in (({"member-1-employer": "", "member-1-hours": ""}, "au moins deux"),
                               ({"member-1-employer": ""}, "Ligne 2 des membres : choisissez l&#39;employeur"),
                               ({"member-1-positions": "1"}, "l&#39;un des deux"),
                               ({"positions": "1"}, "plus que les 35 h"),
                               ({"member-1-employer": "E16"}, "deux fois"),
                               ({"carrier_contract": "CDI"}, "Contrat de la structure porteuse")):
        response = carrier.post("/cre/mutualises/nouveau", data=_form(**overrides))
        assert response.status_code == 400 and message in response.get_data(as_text=True), overrides
    assert read(app)["pooled_needs"].count == before
    created = carrier.post("/cre/mutualises/nouveau", data=_form())
    assert created.status_code == 302
    need_id = int(re.search(r"/mutualises/(\d+)", created.location).group(1))
    db = read(app)
    need, p = storage.get_need(db, need_id), storage.get_pooled(db, need_id)
    assert need["employer_id"] == "S6" and need["contract"] == "CDDI" and need["city"] == "Bobigny"
    assert [(m["employer_id"], m["positions"], m["hours_per_week"]) for m in p["members"]] == [
        ("E16", 1, None), ("E17", None, 20.0)]


def test_only_an_ai_geiq_or_etti_carries_a_pooled_need(app):
    aci = enter(app.test_client(), "cre", "S1")
    response = aci.get("/cre/mutualises/nouveau")
    assert response.status_code == 302
    assert "association intermédiaire" in aci.get(response.location).get_data(as_text=True)
    assert aci.post("/cre/mutualises/nouveau", data=_form()).status_code == 302
    assert read(app)["pooled_needs"].count == 1


def test_a_member_with_a_placed_hire_cannot_be_removed(app, pooled):
    need_id = pooled["need"]["id"]
    carrier = enter(app.test_client(), "cre", "S6")
    form = _form(title=pooled["need"]["title"], positions="4", **{"member-0-employer": "E16", "member-1-employer": "E17"})
    response = carrier.post(f"/cre/mutualises/{need_id}/modifier", data=form)
    assert response.status_code == 400 and "ne peut pas être retiré" in response.get_data(as_text=True)
    assert set(storage.get_pooled(read(app), need_id)["member_ids"]) == MEMBERS


def test_the_carrier_never_reads_the_proposing_structures_internal_follow_up(app, pooled):
    need_id = pooled["need"]["id"]
    proposal_id, _ = _proposal_from_s1(app, need_id)
    cre = enter(app.test_client(), "cre", "S1")
    cre.post(f"/cre/propositions/{proposal_id}/note", data={"note": "Note interne : logement en cours"})
    carrier = enter(app.test_client(), "cre", "S6")
    assert carrier.get(f"/cre/propositions/{proposal_id}").status_code == 404
    body = carrier.get(f"/cre/mutualises/{need_id}/propositions/{proposal_id}").get_data(as_text=True)
    assert "logement en cours" not in body
    assert carrier.post(f"/cre/propositions/{proposal_id}/etat", data={"status": "entretien"}).status_code == 404


def test_the_persons_data_export_includes_the_placements_and_their_hours(app):
    db = read(app)
    samir = storage.profile_by_reference(db, "AI-BOB-0001")
    data = storage.person_export(db, samir["id"])
    placements = {p["employer_name"]: {h["month"]: h["hours"] for h in p["hours"]} for p in data["pooled_placements"]}
    assert placements == {"Résidences de l'Ourcq": {"2026-10": 70.0, "2026-11": 73.5},
                          "Toit Solidaire Rosny": {"2026-10": 70.0, "2026-11": 70.0}}


# -- hours of mise à disposition feed the clause of a member's lot (issue 13's declarations) ------------
def _e11_lines(app, month=None):
    db = read(app)
    [lot] = storage.lots_of_titulaire(db, "E11")
    rows = []
    for declaration in storage.list_declarations(db, lot_id=lot["id"]):
        if month is None or declaration["month"] == month:
            rows += [{**l, "status": declaration["status"], "month": declaration["month"]}
                     for l in storage.declaration_lines(db, declaration["id"])]
    return lot, rows


def test_the_demo_hours_at_a_titulaire_member_are_draft_lines_of_its_declarations(app, pooled):
    share = next(m for m in pooled["pooled"]["members"] if m["employer_id"] == "E11")
    lot, lines = _e11_lines(app)
    assert share["lot_id"] == lot["id"] and lot["contract_reference"] == "2026-SSDH-058"
    assert sorted((l["month"], l["hours"]) for l in lines) == [("2026-10", 70.0), ("2026-11", 73.5)]
    for line in lines:
        assert line["status"] == "brouillon" and line["modality"] == "mad_ai"
        assert line["employer_name"].startswith("Coup de Main Habitat 93")
        assert line["contract_type"] == "contrat de professionnalisation"
        assert line["category"] is None and line["proof_kind"] is None       # never copied from the profile
        assert re.fullmatch(r"PAS-\d{5}", line["participant_reference"])
    # The other members are no titulaire: their hours stay hours of mise à disposition only.
    assert sum(1 for _ in read(app).query("SELECT id FROM declaration_lines WHERE modality = 'mad_ai' "
                                          "AND employer_name LIKE 'Coup de Main%'")) == 2


def test_a_months_hours_prepare_then_correct_the_line_and_zero_removes_it(app, pooled):
    need_id = pooled["need"]["id"]
    db = read(app)
    [placement] = storage.list_assignments(db, need_id, employer_id="E11")
    carrier = enter(app.test_client(), "cre", "S6")
    url = f"/cre/mutualises/{need_id}/heures"
    carrier.post(url, data={"mois": "2026-12", f"hours-{placement['id']}": "42"})
    _, lines = _e11_lines(app, "2026-12")
    assert [(l["hours"], l["modality"], l["status"]) for l in lines] == [(42.0, "mad_ai", "brouillon")]
    carrier.post(url, data={"mois": "2026-12", f"hours-{placement['id']}": "45,5"})
    _, lines = _e11_lines(app, "2026-12")
    assert [l["hours"] for l in lines] == [45.5]                       # corrected, not duplicated
    carrier.post(url, data={"mois": "2026-12", f"hours-{placement['id']}": "0"})
    assert _e11_lines(app, "2026-12")[1] == []


def test_a_declaration_already_sent_is_not_changed_by_later_hours(app, pooled):
    need_id = pooled["need"]["id"]
    db = read(app)
    lot, _ = _e11_lines(app)
    declaration = storage.declaration_for(db, lot["id"], "2026-11")
    storage.set_declaration_status(db, declaration["id"], storage.DECLARATION_SUBMITTED, actor="test", action="envoi")
    [placement] = storage.list_assignments(db, need_id, employer_id="E11")
    carrier = enter(app.test_client(), "cre", "S6")
    carrier.post(f"/cre/mutualises/{need_id}/heures", data={"mois": "2026-11", f"hours-{placement['id']}": "80"})
    assert [l["hours"] for l in _e11_lines(app, "2026-11")[1]] == [73.5]
    assert storage.list_hours(read(app), need_id, employer_id="E11")[-1]["hours"] == 80.0   # the hours are recorded


def test_the_titulaire_sees_the_prepared_line_as_a_hire_of_its_own(app, pooled):
    lot, lines = _e11_lines(app, "2026-10")
    titulaire = enter(app.test_client(), "employer", "E11")
    page = titulaire.get(f"/employeur/marches/lots/{lot['id']}/mois/2026-10").get_data(as_text=True)
    assert lines[0]["participant_reference"] in page and "Nathalie" in page
    other = enter(app.test_client(), "employer", "E03")                # another titulaire
    assert other.get(f"/employeur/marches/lots/{lot['id']}/mois/2026-10").status_code == 404


def test_only_a_member_links_its_share_and_only_to_its_own_lot(app, pooled):
    need_id = pooled["need"]["id"]
    db = read(app)
    [e11_lot] = storage.lots_of_titulaire(db, "E11")
    e01_lot = storage.lots_of_titulaire(db, "E01")[0]
    member = enter(app.test_client(), "employer", "E11")
    page = member.get(f"/employeur/mutualises/{need_id}").get_data(as_text=True)
    assert "Clause d&#39;insertion servie" in page or "Clause d'insertion servie" in page
    assert member.post(f"/employeur/mutualises/{need_id}/lot", data={"lot_id": e01_lot["id"]}).status_code == 404
    assert member.post(f"/employeur/mutualises/{need_id}/lot", data={"lot_id": ""}).status_code == 302
    assert next(m for m in storage.get_pooled(read(app), need_id)["members"] if m["employer_id"] == "E11")["lot_id"] is None
    assert member.post(f"/employeur/mutualises/{need_id}/lot", data={"lot_id": e11_lot["id"]}).status_code == 302
    titulaire_not_member = enter(app.test_client(), "employer", "E01")
    assert titulaire_not_member.post(f"/employeur/mutualises/{need_id}/lot",
                                     data={"lot_id": e01_lot["id"]}).status_code == 404
    other_member = enter(app.test_client(), "employer", "E17")
    assert "Clause d" not in other_member.get(f"/employeur/mutualises/{need_id}").get_data(as_text=True)
    assert other_member.post(f"/employeur/mutualises/{need_id}/lot", data={"lot_id": e11_lot["id"]}).status_code == 404


def test_without_a_linked_lot_hours_prepare_no_line(app, pooled):
    need_id = pooled["need"]["id"]
    storage.link_member_lot(read(app), need_id, "E11", None)
    db = read(app)
    [placement] = storage.list_assignments(db, need_id, employer_id="E11")
    enter(app.test_client(), "cre", "S6").post(f"/cre/mutualises/{need_id}/heures",
                                               data={"mois": "2026-12", f"hours-{placement['id']}": "42"})
    assert _e11_lines(app, "2026-12")[1] == []
