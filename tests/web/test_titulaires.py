"""Both sides of a clause: titulaires declare, buyers decide, hires feed the ledger (issue 13).

The demo awards the lots of 2026-MTR-017 and 2026-MTR-044 to E01 (Atelier Rénov'Est), the lot of
2026-MTR-031 to E03 (Clarivia Propreté) and the lot of 2025-SSDH-042 (B2) to E04. Tests that need a
clean month create their own contract (1 January – 31 December 2026) with a clock pinned in it.
"""
from __future__ import annotations

import re

import pytest

import eligibility
import storage
import workflow
from web.clause_status import contract_status
from web.declarations import send_reminders
from web_helpers import api_client, enter

B1_NAME = "Ville de Montreuil — direction de la commande publique"
LINE = {"participant_reference": "T-001", "hours": "100", "modality": "embauche_cdi", "category": "RSA",
        "proof_kind": "attestation CAF", "proof_date": "2026-03-10", "exit_situation": "en_cours"}


@pytest.fixture
def clock(time_machine):
    time_machine.move_to("2026-06-15 10:00:00+02:00", tick=False)
    return time_machine


@pytest.fixture
def buyer(app):
    return enter(app.test_client(), "buyer", "B1")


@pytest.fixture
def e01(app):
    return enter(app.test_client(), "employer", "E01")


def lot_of(db, reference, number=1, buyer_id="B1"):
    contract = storage.contract_by_reference(db, buyer_id, reference)
    return next(lot for lot in storage.list_lots(db, contract["id"]) if lot["number"] == number), contract


@pytest.fixture
def fresh(db):
    """A B1 contract of 2026 with one lot awarded to E01: (contract, lot)."""
    storage.create_contract(db, {"buyer_id": "B1", "reference": "T13-2026", "title": "Travaux T13",
                                 "start_date": "2026-01-01", "end_date": "2026-12-31"})
    contract = storage.contract_by_reference(db, "B1", "T13-2026")
    lot_id = storage.save_lot(db, {"contract_id": contract["id"], "number": 1, "title": "Lot T13", "clause_mode": "fixe",
                                   "fixed_hours": 1200, "required_hours": 1200, "trades": "nettoyage de locaux"})
    storage.award_lot(db, lot_id, "E01")
    return contract, storage.get_lot(db, lot_id)


def rows(*lines):
    """Form fields of a declaration's lines."""
    data = {"rows": str(len(lines))}
    for i, line in enumerate(lines):
        data.update({f"l-{i}-{k}": v for k, v in line.items()})
    return data


def declare(client, lot, month, *lines, action="envoyer", **extra):
    return client.post(f"/employeur/marches/lots/{lot['id']}/mois/{month}", data={**rows(*lines), "action": action,
                                                                                   **extra})


# -- the titulaire's space ---------------------------------------------------------------
def test_a_titulaire_sees_its_own_lots_only(app, db, e01):
    page = e01.get("/employeur/marches/").get_data(as_text=True)
    assert "2026-MTR-017 lot 1" in page and "2026-MTR-044 lot 1" in page
    assert "Nettoyage des écoles" not in page                              # E03's lot
    theirs, _ = lot_of(db, "2026-MTR-031")
    assert e01.get(f"/employeur/marches/lots/{theirs['id']}").status_code == 404
    assert e01.get(f"/employeur/marches/lots/{theirs['id']}/mois/2026-05").status_code == 404
    nobody = enter(app.test_client(), "employer", "E14")
    assert "Aucun lot ne vous est attribué" in nobody.get("/employeur/marches/").get_data(as_text=True)


def test_a_declaration_is_a_draft_then_sent_and_counts_only_once_validated(clock, app, db, e01, buyer, fresh):
    contract, lot = fresh
    draft = declare(e01, lot, "2026-05", LINE, action="enregistrer")
    assert draft.status_code == 302
    declaration = storage.declaration_for(db, lot["id"], "2026-05")
    assert declaration["status"] == "brouillon" and declaration["hours"] == 100
    assert storage.list_entries(db, contract["id"]) == []                  # a draft reaches no ledger
    assert declare(e01, lot, "2026-05", LINE).status_code == 302
    assert storage.declaration_for(db, lot["id"], "2026-05")["status"] == "soumise"
    assert contract_status(db, contract).total.counted == 0                # sent, not validated yet
    # Sent: the titulaire cannot change it any more.
    declare(e01, lot, "2026-05", {**LINE, "hours": "150"})
    assert storage.declaration_for(db, lot["id"], "2026-05")["hours"] == 100
    page = buyer.get(f"/acheteur/marches/{contract['id']}").get_data(as_text=True)
    assert "Déclarations à valider (1)" in page
    response = buyer.post(f"/acheteur/marches/{contract['id']}/declarations/{declaration['id']}",
                          data={"action": "valider"})
    assert response.status_code == 302
    f = contract_status(db, contract).total
    assert f.counted == 100 and f.months_declared == ["2026-05"] and f.forecast_known


def test_the_buyer_corrects_while_validating_and_both_values_stay_in_the_history(clock, db, e01, buyer, fresh):
    contract, lot = fresh
    declare(e01, lot, "2026-05", LINE, {**LINE, "participant_reference": "T-002", "hours": "60"})
    declaration = storage.declaration_for(db, lot["id"], "2026-05")
    lines = {line["participant_reference"]: line for line in storage.declaration_lines(db, declaration["id"])}
    fixed = lines["T-002"]["id"]
    form = {"action": "valider", f"line-{fixed}-hours": "45", f"line-{fixed}-modality": "embauche_cdi"}
    buyer.post(f"/acheteur/marches/{contract['id']}/declarations/{declaration['id']}", data=form)
    entries = {e["participant_reference"]: e for e in storage.list_entries(db, contract["id"])}
    assert entries["T-002"]["hours"] == 45 and entries["T-001"]["hours"] == 100
    history = storage.entry_history(db, entries["T-002"]["id"])
    assert [(h["action"], h["changed_by"], h["data"]["hours"]) for h in history] == [
        ("déclaration du titulaire", "Atelier Rénov'Est", 60.0), ("correction à la validation", B1_NAME, 45.0)]
    assert [h["action"] for h in storage.entry_history(db, entries["T-001"]["id"])] == ["déclaration du titulaire"]
    events = storage.declaration_events(db, declaration["id"])
    assert events[-1]["action"] == "validation avec corrections"
    assert events[-1]["changes"] == {"T-002": {"hours": [60.0, 45.0]}}
    assert contract_status(db, contract).total.counted == 145


def test_a_rejection_needs_a_reason_and_the_titulaire_corrects_and_sends_again(clock, db, e01, buyer, fresh):
    contract, lot = fresh
    declare(e01, lot, "2026-04", {**LINE, "proof_date": ""})
    declaration = storage.declaration_for(db, lot["id"], "2026-04")
    url = f"/acheteur/marches/{contract['id']}/declarations/{declaration['id']}"
    silent = buyer.post(url, data={"action": "rejeter", "reason": "  "})
    assert silent.status_code == 400 and "Motif du rejet : il est obligatoire" in silent.get_data(as_text=True)
    assert storage.get_declaration(db, declaration["id"])["status"] == "soumise"
    buyer.post(url, data={"action": "rejeter", "reason": "Date du justificatif manquante pour T-001."})
    assert storage.get_declaration(db, declaration["id"])["status"] == "rejetee"
    page = e01.get(f"/employeur/marches/lots/{lot['id']}/mois/2026-04").get_data(as_text=True)
    assert "Date du justificatif manquante pour T-001." in page and "Envoyer à l'acheteur" in page
    assert declare(e01, lot, "2026-04", LINE).status_code == 302
    again = storage.get_declaration(db, declaration["id"])
    assert again["status"] == "soumise" and again["rejection_reason"] is None
    assert [e["action"] for e in storage.declaration_events(db, declaration["id"])] == [
        "envoi", "rejet", "nouvel envoi après rejet"]
    # A decided declaration takes no second decision.
    buyer.post(url, data={"action": "valider"})
    decided = buyer.post(url, data={"action": "rejeter", "reason": "trop tard"}, follow_redirects=True)
    assert "n&#39;attend pas de décision" in decided.get_data(as_text=True)
    assert storage.get_declaration(db, declaration["id"])["status"] == "validee"


@pytest.mark.parametrize("line, message", [
    ({**LINE, "hours": "-3"}, "Ligne 1 : Heures : entre 0.5 et 400"),
    ({**LINE, "hours": ""}, "Ligne 1 : Heures : ce champ est obligatoire"),
    ({**LINE, "modality": "mad_martienne"}, "Ligne 1 : Modalité : valeur inconnue"),
    ({**LINE, "participant_reference": "x"}, "Ligne 1 : Référence du participant"),
    ({**LINE, "category": "champion"}, "Ligne 1 : Catégorie d&#39;éligibilité : valeur inconnue"),
    ({**LINE, "proof_date": "10/03/2026"}, "Ligne 1 : Date du justificatif : date attendue"),
])
def test_lines_follow_the_ledger_csv_rules(clock, db, e01, fresh, line, message):
    _, lot = fresh
    response = declare(e01, lot, "2026-05", line)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert storage.declaration_for(db, lot["id"], "2026-05") is None


def test_a_participant_appears_once_per_modality_and_the_future_cannot_be_declared(clock, db, e01, fresh):
    _, lot = fresh
    twice = declare(e01, lot, "2026-05", LINE, {**LINE, "hours": "20"})
    assert "Ligne 2 : même participant et même modalité que la ligne 1." in twice.get_data(as_text=True)
    future = e01.get(f"/employeur/marches/lots/{lot['id']}/mois/2026-07", follow_redirects=True)
    assert "Le mois 2026-07 n&#39;est pas encore commencé" in future.get_data(as_text=True)
    outside = e01.get(f"/employeur/marches/lots/{lot['id']}/mois/2025-12", follow_redirects=True)
    assert "hors de la période du marché" in outside.get_data(as_text=True)
    assert storage.list_declarations(db, lot_id=lot["id"]) == []


def test_a_month_without_hours_is_sent_explicitly_and_counts_as_a_declared_month(clock, db, e01, buyer, fresh):
    contract, lot = fresh
    empty = declare(e01, lot, "2026-01")
    assert empty.status_code == 400 and "Aucune heure d&#39;insertion ce mois-ci" in empty.get_data(as_text=True)
    declare(e01, lot, "2026-01", nothing="oui")
    declaration = storage.declaration_for(db, lot["id"], "2026-01")
    assert declaration["status"] == "soumise" and declaration["line_count"] == 0
    buyer.post(f"/acheteur/marches/{contract['id']}/declarations/{declaration['id']}", data={"action": "valider"})
    declare(e01, lot, "2026-02", {**LINE, "proof_date": "2026-01-20"})
    d2 = storage.declaration_for(db, lot["id"], "2026-02")
    buyer.post(f"/acheteur/marches/{contract['id']}/declarations/{d2['id']}", data={"action": "valider"})
    f = contract_status(db, contract).total
    assert f.months_declared == ["2026-01", "2026-02"] and f.pace == 50       # (0 + 100) / 2
    assert f.forecast == 100 + 50 * 10 and f.late_months == ["2026-03", "2026-04", "2026-05"]


def test_the_titulaire_csv_fills_drafts_of_its_own_lots_only(clock, db, e01, fresh):
    contract, lot = fresh
    text = ("lot;participant_reference;month;hours;modality;category;proof_kind;proof_date\n"
            "1;T-001;2026-04;80;mad_ai;RSA;attestation CAF;2026-03-10\n"
            "1;T-002;2026-05;35;formation;DELD;attestation France Travail;2026-02-01\n")
    url = f"/employeur/marches/lots/{lot['id']}/import"
    first = e01.post(url, data={"action": "importer", "text": text}, follow_redirects=True).get_data(as_text=True)
    assert "2 ligne(s) ajoutée(s)" in first
    again = e01.post(url, data={"action": "importer", "text": text}, follow_redirects=True).get_data(as_text=True)
    assert "0 ligne(s) ajoutée(s), 0 modifiée(s), 2 inchangée(s)" in again
    assert [d["status"] for d in storage.list_declarations(db, lot_id=lot["id"])] == ["brouillon", "brouillon"]
    theirs, other_contract = lot_of(db, "2026-MTR-031")
    other = e01.post(f"/employeur/marches/lots/{theirs['id']}/import", data={"action": "importer", "text": text})
    assert other.status_code == 404
    storage.save_lot(db, {**{k: lot[k] for k in ("contract_id", "title", "clause_mode", "fixed_hours",
                                                   "required_hours")}, "number": 2})
    lot2 = storage.list_lots(db, contract["id"])[1]
    storage.award_lot(db, lot2["id"], "E03")
    mixed = e01.post(url, data={"action": "importer", "text": text.replace("\n1;T-002", "\n2;T-002")})
    assert mixed.status_code == 400 and "Lot « 2 » inconnu pour ce marché" in mixed.get_data(as_text=True)


# -- linking needs: only the titulaire, only its own lots ---------------------------------
def test_the_need_form_offers_own_lots_and_refuses_another_titulaires(app, db, e01):
    need = storage.need_by_reference(db, "E01", "N002")
    page = e01.get(f"/employeur/besoins/{need['id']}/modifier").get_data(as_text=True)
    assert "2026-MTR-017 lot 2 — Plâtrerie, cloisons, faux plafonds" in page and "2026-MTR-031" not in page
    theirs, _ = lot_of(db, "2026-MTR-031")
    form = {"title": need["title"], "contract": need["contract"], "postcode": "93000", "lot_id": str(theirs["id"]),
            "action": "enregistrer"}
    refused = e01.post(f"/employeur/besoins/{need['id']}/modifier", data=form)
    assert refused.status_code == 400 and "choisissez un des lots attribués à votre entreprise" in \
        refused.get_data(as_text=True)
    assert storage.get_need(db, need["id"])["lot_id"] != theirs["id"]
    mine, _ = lot_of(db, "2026-MTR-044")
    assert e01.post(f"/employeur/besoins/{need['id']}/modifier", data={**form, "lot_id": str(mine["id"])}).status_code == 302
    assert storage.get_need(db, need["id"])["lot_id"] == mine["id"]
    assert storage.get_need(db, need["id"])["public_contract"] == "2026-MTR-044"


@pytest.mark.parametrize("employer, value, status, message", [
    ("E01", "2026-MTR-031", 422, "aucun lot de ce marché n'est attribué à votre entreprise"),
    ("E14", "2026-MTR-017 lot 1", 422, "aucun lot de ce marché n'est attribué à votre entreprise"),
    ("E01", "2026-MTR-017", 422, "vous êtes titulaire de plusieurs lots (1, 2)"),
    ("E01", "2026-MTR-017 lot 9", 422, "ce lot n'est pas attribué à votre entreprise"),
    ("E01", "2026-MTR-017 lot 2", 201, None),
    ("E03", "2026-MTR-031", 201, None),
])
def test_a_typed_reference_links_only_to_the_employers_own_lot(app, db, employer, value, status, message):
    client = api_client(app, "employer", employer)
    body = {"title": "Agent(e) d'entretien", "contract": "CDD", "public_contract": value}
    response = client.post("/api/v1/needs", json=body)
    assert response.status_code == status, response.get_json()
    if message:
        assert message in response.get_json()["error"]
        assert not any(n["title"] == body["title"] for n in storage.list_needs(db, employer_id=employer))
    else:
        data = response.get_json()
        lot = storage.get_lot(db, data["lot_id"])
        assert lot["titulaire_id"] == employer and data["public_contract"] == value.split()[0]


def test_the_api_links_by_lot_id_and_unlinks_with_null(app, db):
    client = api_client(app, "employer", "E01")
    mine, _ = lot_of(db, "2026-MTR-044")
    theirs, _ = lot_of(db, "2026-MTR-031")
    need = storage.need_by_reference(db, "E01", "N002")
    assert client.patch(f"/api/v1/needs/{need['id']}", json={"lot_id": theirs["id"]}).status_code == 422
    assert client.patch(f"/api/v1/needs/{need['id']}", json={"lot_id": mine["id"]}).get_json()["lot_id"] == mine["id"]
    assert client.patch(f"/api/v1/needs/{need['id']}", json={"title": "Plaquiste"}).get_json()["lot_id"] == mine["id"]
    assert client.patch(f"/api/v1/needs/{need['id']}", json={"lot_id": None}).get_json()["lot_id"] is None


def test_a_need_csv_links_by_reference_among_own_lots(db, e01):
    header = "reference,title,contract,postcode,public_contract\n"
    bad = e01.post("/employeur/import/besoins", data={"action": "importer", "text": header +
                                                       "T-N1,Peintre,CDD,93100,2026-MTR-031\n"})
    assert bad.status_code == 400 and "Ligne 2 : Marché public lié « 2026-MTR-031 »" in bad.get_data(as_text=True)
    assert storage.need_by_reference(db, "E01", "T-N1") is None
    e01.post("/employeur/import/besoins", data={"action": "importer", "text": header +
                                                "T-N1,Peintre,CDD,93100,2026-MTR-017 lot 1\n"})
    need = storage.need_by_reference(db, "E01", "T-N1")
    lot, _ = lot_of(db, "2026-MTR-017")
    assert need["lot_id"] == lot["id"]
    exported = e01.get("/employeur/export/besoins.csv").data.decode("utf-8-sig")
    assert "2026-MTR-017 lot 1" in exported


def test_awarding_a_lot_to_another_company_unlinks_the_former_titulaires_needs(db, buyer):
    lot, contract = lot_of(db, "2026-MTR-017", 2)
    assert [n["reference"] for n in storage.linked_needs(db, lot["id"])] == ["N002"]
    response = buyer.post(f"/acheteur/marches/{contract['id']}/lots/{lot['id']}/titulaire",
                          data={"action": "attribuer", "titulaire_id": "E02"}, follow_redirects=True)
    assert "1 besoin(s) de l&#39;ancien titulaire détaché(s)" in response.get_data(as_text=True)
    assert storage.linked_needs(db, lot["id"]) == []
    assert storage.need_by_reference(db, "E01", "N002")["lot_id"] is None
    assert storage.get_lot(db, lot["id"])["titulaire"] == "Bâtiments Valmoreau & Fils"


def test_the_buyer_invites_a_new_titulaire_whose_user_then_sees_the_lot(app, db, buyer, fresh):
    contract, lot = fresh
    url = f"/acheteur/marches/{contract['id']}/lots/{lot['id']}/titulaire"
    form = {"action": "inviter", "name": "Nettoyage Horizon", "city": "Montreuil", "contact_name": "Léa Martin",
            "email": "lea@horizon.example"}
    bad = buyer.post(url, data={**form, "email": "pas-une-adresse"})
    assert bad.status_code == 400 and "Adresse électronique du contact invalide" in bad.get_data(as_text=True)
    page = buyer.post(url, data=form).get_data(as_text=True)
    assert "Titulaire créé et lot attribué" in page and "/invitation/" not in page   # the invitee's only
    printed = app.test_cli_runner().invoke(args=["invitation-link", "--email", "lea@horizon.example"]).output
    token = re.search(r"/invitation/([\w-]+)", printed).group(1)
    org_id = storage.get_lot(db, lot["id"])["titulaire_id"]
    assert storage.get_organisation(db, org_id)["name"] == "Nettoyage Horizon"
    assert storage.get_organisation(db, org_id)["created_by"] == "B1"
    duplicate = buyer.post(url, data={**form, "name": "Autre"})
    assert duplicate.status_code == 400 and "Un compte existe déjà" in duplicate.get_data(as_text=True)
    assert not any(o["name"] == "Autre" for o in storage.list_organisations(db))   # nothing half-made
    invited = app.test_client()
    invited.post(f"/invitation/{token}", data={"password": "mot-de-passe-horizon", "confirm": "mot-de-passe-horizon"})
    assert "T13-2026 lot 1" in invited.get("/employeur/marches/").get_data(as_text=True)


def test_a_database_from_before_links_typed_references_only_for_the_titulaire(app, db):
    """Schema 3 to 4: titulaire names become organisations, typed contract references are checked."""
    lot, contract = lot_of(db, "2026-MTR-031")
    n5, n1 = storage.need_by_reference(db, "E03", "N005"), storage.need_by_reference(db, "E01", "N001")
    n28 = storage.need_by_reference(db, "E14", "N028")
    db.execute("UPDATE lots SET titulaire = 'les jardiniers  du plateau de saclay' WHERE id = ?",
               [lot_of(db, "2025-SSDH-042", buyer_id="B2")[0]["id"]])
    for need, text in ((n5, "2026-MTR-031"), (n1, "2026-MTR-017"), (n28, "2026-MTR-031")):
        db.execute("UPDATE needs SET public_contract = ? WHERE id = ?", [text, need["id"]])
    # The columns of titulaires and links did not exist: the database is as an earlier release left it.
    db.execute("DROP INDEX IF EXISTS idx_lots_titulaire_id")
    for table, column in (("lots", "titulaire_id"), ("needs", "lot_id"), ("needs", "public_contract_unverified")):
        db.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    db.execute("PRAGMA user_version = 3")
    db.conn.commit()
    migrated = storage.connect(app.config["DATABASE"])
    assert storage.get_lot(migrated, lot["id"])["titulaire_id"] == "E03"               # exact name
    assert lot_of(migrated, "2025-SSDH-042", buyer_id="B2")[0]["titulaire_id"] == "E04"  # case and spaces aside
    assert storage.get_need(migrated, n5["id"])["lot_id"] == lot["id"]                  # E03 is the titulaire
    n1_after = storage.get_need(migrated, n1["id"])
    assert n1_after["lot_id"] is None and n1_after["public_contract_unverified"] == "2026-MTR-017"  # 2 lots
    n28_after = storage.get_need(migrated, n28["id"])
    assert n28_after["lot_id"] is None and n28_after["public_contract"] is None           # not the titulaire
    assert storage.schema_version(migrated) == storage.SCHEMA_VERSION


# -- hires feed the clause ------------------------------------------------------------------
def hire(db, need, profile_reference, *states, actor="test"):
    profile = storage.profile_by_reference(db, profile_reference)
    storage.update_profile(db, profile["id"], {"consent_at": "2026-01-05T09:00:00+00:00"})
    proposal_id = storage.create_proposal(db, need_id=need["id"], profile_id=profile["id"], message="m", score=0.5,
                                          explanation={}, proposed_by=actor)
    for state in states:
        storage.transition_proposal(db, proposal_id, state, actor=actor)
    return proposal_id


@pytest.fixture
def linked_need(db, fresh):
    """A need of E01 (CDI) linked to the fresh lot."""
    contract, lot = fresh
    need_id = storage.create_need(db, {"employer_id": "E01", "reference": "T13-N", "title": "Agent d'entretien",
                                       "contract": "CDI", "positions": 3})
    storage.link_need(db, need_id, lot["id"])
    return storage.get_need(db, need_id)


def test_a_hire_on_a_linked_need_prepares_a_participant_and_a_draft_line(clock, db, fresh, linked_need):
    contract, lot = fresh
    proposal_id = hire(db, linked_need, "ACI-MTR-0001", workflow.SEEN, workflow.INTERVIEW, workflow.HIRED)
    [participant] = storage.participants_of_proposal(db, proposal_id)
    assert participant["reference"] == f"PAS-{proposal_id:05d}" and participant["siae_id"] == "S1"
    assert participant["category"] is None and participant["proof_date"] is None   # not transmitted yet
    declaration = storage.declaration_for(db, lot["id"], "2026-06")
    assert declaration["status"] == "brouillon"
    [line] = storage.declaration_lines(db, declaration["id"])
    assert (line["modality"], line["hours"], line["contract_type"], line["employer_name"]) == (
        "embauche_cdi", None, "CDI", "Atelier Rénov'Est")
    assert line["participant_id"] == participant["id"] and line["contract_start"] == "2026-06-15"
    assert storage.list_entries(db, contract["id"]) == []                           # to complete, not counted


def test_a_trial_then_a_hire_prepare_one_line_and_an_unlinked_need_none(clock, db, fresh, linked_need):
    _, lot = fresh
    hire(db, linked_need, "ACI-MTR-0001", workflow.TRIAL, workflow.HIRED)
    declaration = storage.declaration_for(db, lot["id"], "2026-06")
    assert len(storage.declaration_lines(db, declaration["id"])) == 1
    storage.link_need(db, linked_need["id"], None)
    hire(db, linked_need, "ACI-MTR-0002", workflow.HIRED)
    assert len(storage.declaration_lines(db, declaration["id"])) == 1


def test_a_hire_on_a_linked_need_tells_the_buyer_without_naming_the_person(clock, db, fresh, linked_need):
    contract, _ = fresh
    buyers = {u["id"] for u in storage.org_members(db, "B1", role="buyer")}

    def buyer_notices():
        return [n for n in db["notifications"].rows_where("kind = ?", ["embauche_clause"]) if n["user_id"] in buyers]

    before = {n["id"] for n in buyer_notices()}   # the demo's own hires on linked needs
    assert buyers
    hire(db, linked_need, "ACI-MTR-0001", workflow.HIRED)
    notices = [n for n in buyer_notices() if n["id"] not in before]
    assert len(notices) == len(buyers)
    first_name = storage.profile_by_reference(db, "ACI-MTR-0001")["first_name"]
    assert all("T13-2026" in n["title"] and first_name not in n["title"] + n["context"] for n in notices)
    assert {n["link"] for n in notices} == {f"/acheteur/marches/{contract['id']}"}
    storage.link_need(db, linked_need["id"], None)   # unlinked: a hire says nothing to the buyer
    hire(db, linked_need, "ACI-MTR-0002", workflow.HIRED)
    assert len(buyer_notices()) == len(before) + len(buyers)


@pytest.mark.parametrize("counted", [False, True])
def test_a_pmsmp_prepares_a_line_only_where_the_contract_counts_them(clock, db, fresh, linked_need, counted):
    contract, lot = fresh
    storage.update_contract(db, contract["id"], {"pmsmp_counted": counted})
    hire(db, linked_need, "ACI-MTR-0001", workflow.PMSMP)
    declaration = storage.declaration_for(db, lot["id"], "2026-06")
    lines = storage.declaration_lines(db, declaration["id"]) if declaration else []
    assert [line["modality"] for line in lines] == (["pmsmp"] if counted else [])


def test_an_interim_hire_through_an_etti_is_a_mise_a_disposition(clock, db, fresh):
    _, lot = fresh
    need_id = storage.create_need(db, {"employer_id": "E01", "reference": "T13-I", "title": "Peintre",
                                       "contract": "intérim"})
    storage.link_need(db, need_id, lot["id"])
    hire(db, storage.get_need(db, need_id), "ETTI-PAR-0001", workflow.HIRED)
    [line] = storage.declaration_lines(db, storage.declaration_for(db, lot["id"], "2026-06")["id"])
    assert line["modality"] == "mad_etti"


def test_a_line_goes_to_next_months_draft_once_this_month_is_sent(clock, db, e01, fresh, linked_need):
    _, lot = fresh
    declare(e01, lot, "2026-06", LINE)
    clock.move_to("2026-06-28 10:00:00+02:00", tick=False)
    hire(db, linked_need, "ACI-MTR-0001", workflow.HIRED)
    assert storage.declaration_for(db, lot["id"], "2026-06")["line_count"] == 1
    assert storage.declaration_for(db, lot["id"], "2026-07")["line_count"] == 1


def test_the_cre_transmits_the_category_with_the_persons_agreement_only(clock, app, db, e01, buyer, fresh,
                                                                        linked_need):
    contract, lot = fresh
    proposal_id = hire(db, linked_need, "ACI-MTR-0001", workflow.HIRED)
    profile = storage.profile_by_reference(db, "ACI-MTR-0001")
    category = next(c for c in profile["eligibility"] if c != "QPV")
    [participant] = storage.participants_of_proposal(db, proposal_id)
    cre = enter(app.test_client(), "cre", "S1")
    url = f"/cre/propositions/{proposal_id}/clause/{participant['id']}"
    assert "Clause sociale : marché T13-2026" in cre.get(f"/cre/propositions/{proposal_id}").get_data(as_text=True)
    refused = cre.post(url, data={"category": category, "proof_date": "2026-05-02"}, follow_redirects=True)
    assert "Cochez l&#39;accord de la personne" in refused.get_data(as_text=True)
    assert storage.get_participant(db, participant["id"])["category"] is None
    other = enter(app.test_client(), "cre", "S2")
    assert other.post(url, data={"category": category, "consent": "oui", "proof_date": "2026-05-02"}).status_code == 404
    not_hers = cre.post(url, data={"category": "AAH" if "AAH" not in profile["eligibility"] else "ASS",
                                   "consent": "oui", "proof_date": "2026-05-02"}, follow_redirects=True)
    assert "choisissez une catégorie d&#39;éligibilité de la personne" in not_hers.get_data(as_text=True)
    cre.post(url, data={"category": category, "consent": "oui", "proof_date": "2026-05-02"})
    confirmed = storage.get_participant(db, participant["id"])
    assert confirmed["category"] == category and confirmed["proof_date"] == "2026-05-02"
    assert confirmed["proof_kind"].startswith("justificatif conservé par Le Grenier des Murs-à-Pêches")
    assert confirmed["eligibility_consent_at"] and confirmed["confirmed_by"]
    # The titulaire completes the hours; it never sees the category.
    page = e01.get(f"/employeur/marches/lots/{lot['id']}/mois/2026-06").get_data(as_text=True)
    assert "confirmée par la SIAE" in page and "embauche Passerelle · " + profile["first_name"] in page
    assert f'value="{category}" selected' not in page and participant["reference"] in page
    declare(e01, lot, "2026-06", {"participant_reference": participant["reference"], "hours": "120",
                                   "modality": "embauche_cdi", "category": "AAH"})
    declaration = storage.declaration_for(db, lot["id"], "2026-06")
    buyer_page = buyer.get(f"/acheteur/marches/{contract['id']}/declarations/{declaration['id']}").get_data(as_text=True)
    assert eligibility.CATEGORIES[category].replace("'", "&#39;") in buyer_page
    assert profile["first_name"] not in buyer_page
    buyer.post(f"/acheteur/marches/{contract['id']}/declarations/{declaration['id']}", data={"action": "valider"})
    assert storage.get_participant(db, participant["id"])["category"] == category       # not the titulaire's "AAH"
    assert contract_status(db, contract).total.counted == 120
    cre.post(url, data={"action": "retirer"})
    assert storage.get_participant(db, participant["id"])["category"] is None
    assert contract_status(db, contract).total.counted == 0                               # no agreement, no count


# -- the forecast, the missing months, the reminders --------------------------------------------
def test_on_december_first_undeclared_months_are_shown_as_such_not_as_zero(app, db, time_machine):
    time_machine.move_to("2026-12-01 09:00:00+01:00", tick=False)
    buyer = enter(app.test_client(), "buyer", "B1")
    _, contract = lot_of(db, "2026-MTR-031")
    f = contract_status(db, contract).total
    assert f.counted == 630 and len(f.months_declared) == 8 and f.forecast == 945
    assert f.to_declare == ["2026-11", "2026-12"] and f.late_months == []
    page = buyer.get(f"/acheteur/marches/{contract['id']}").get_data(as_text=True)
    assert "945 h" in page and "il manquerait 495 h" in page
    assert "mois à déclarer (2026-11, 2026-12)" in page


def test_the_buyer_sees_missing_months_and_the_job_reminds_each_once(app, runner, db, time_machine):
    time_machine.move_to("2026-12-11 09:00:00+01:00", tick=False)
    buyer = enter(app.test_client(), "buyer", "B1")
    lot, contract = lot_of(db, "2026-MTR-017", 2)
    f = contract_status(db, contract).lot(lot["id"])[1]
    assert f.late_months == ["2026-01", "2026-02", "2026-03", "2026-10", "2026-11"]
    page = buyer.get(f"/acheteur/marches/{contract['id']}/lots/{lot['id']}").get_data(as_text=True)
    assert "2026-01, 2026-02, 2026-03, 2026-10, 2026-11" in page and "manquante" in page
    result = runner.invoke(args=["clause-reminders"])
    assert result.exit_code == 0
    assert "Atelier Rénov'Est" in result.output and "2026-MTR-017 lot 2, mois manquants 2026-01" in result.output
    # The titulaire's users are notified (in the app, and a mail queued for run-jobs), each lot once.
    mails = [m for m in storage.list_mails(db) if m["kind"] == "clause_mois_manquants"]
    e01_users = {u["email"] for u in storage.list_users(db) if u["org_id"] == "E01" and u["role"] == "employer"}
    assert e01_users and e01_users <= {m["to_addr"] for m in mails}
    titles = [n["title"] for n in db["notifications"].rows_where("kind = ?", ["clause_mois_manquants"])]
    assert any("2026-MTR-017, lot 2" in t and "novembre 2026" in t for t in titles), titles
    again = runner.invoke(args=["clause-reminders"])
    assert "0 rappel(s)" in again.output
    assert send_reminders(db, notify=lambda db, reminder: None) == []
    time_machine.move_to("2027-01-11 09:00:00+01:00", tick=False)
    later = send_reminders(db, notify=lambda db, reminder: None)
    assert any(r.lot["id"] == lot["id"] and r.months == ["2026-12"] for r in later)
    bad = runner.invoke(args=["clause-reminders", "--date", "demain"])
    assert bad.exit_code != 0 and "Date invalide" in bad.output


def test_the_titulaire_is_reminded_in_its_space(app, db, time_machine):
    time_machine.move_to("2026-12-11 09:00:00+01:00", tick=False)
    e01 = enter(app.test_client(), "employer", "E01")
    page = e01.get("/employeur/marches/").get_data(as_text=True)
    assert "Mois manquants" in page and "2026-MTR-017 lot 2</a> : 2026-01, 2026-02, 2026-03, 2026-10, 2026-11" in page


# -- the report, its files, the ledger's round trip ----------------------------------------------
def test_the_report_has_participants_curve_contact_and_signatures(buyer, db):
    lot, contract = lot_of(db, "2026-MTR-017")
    page = buyer.get(f"/acheteur/marches/{contract['id']}/rapport").get_data(as_text=True)
    for text in ("Rapport de réalisation de la clause sociale d'insertion", "Ensemble du marché",
                 "Lot 1 — Peinture intérieure", "Lot 2 — Plâtrerie", "Catégorie d'éligibilité",
                 "Situation de sortie", "CL-0001", "Justificatif expiré à l&#39;entrée", "Contact du facilitateur",
                 "clauses@montreuil.demo.passerelle.fr", "Pour le titulaire", "Pour l'acheteur ou le facilitateur",
                 'data-series="trajectoire"', 'data-series="heures-cumulees"', 'data-series="objectif"'):
        assert text in page, text
    assert "ETTI-PAR-0004" not in page                       # a participant is never named by Passerelle's reference
    lot_page = buyer.get(f"/acheteur/marches/{contract['id']}/lots/{lot['id']}/rapport").get_data(as_text=True)
    assert "CL-0001" in lot_page and "CL-0004" not in lot_page and "Ensemble du marché" not in lot_page


def test_the_report_as_xlsx_with_french_headers(buyer, db):
    import io

    from openpyxl import load_workbook

    _, contract = lot_of(db, "2026-MTR-031")
    response = buyer.get(f"/acheteur/marches/{contract['id']}/rapport.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Synthèse", "Participants", "Courbe", "Non comptées", "Registre"]
    people = list(book["Participants"].iter_rows(values_only=True))
    assert people[0] == ("Section", "Lot(s)", "Référence du participant", "Catégorie d'éligibilité", "Modalité(s)",
                         "Heures déclarées", "Heures comptées", "Situation de sortie")
    whole = {r[2]: r for r in people[1:] if r[0] == "Ensemble du marché"}
    assert whole["CL-0006"][6] == 480 and whole["CL-0007"][6] == 150 and whole["CL-0007"][5] == 240
    curve = list(book["Courbe"].iter_rows(values_only=True))
    assert curve[0] == ("Mois", "Statut", "Heures comptées cumulées", "Trajectoire linéaire", "Objectif", "Prévision")
    assert curve[-1][3] == 1440 and book["Courbe"]._charts
    lost = {r[1]: r[2] for r in book["Non comptées"].iter_rows(values_only=True) if r[0] == "Ensemble du marché"}
    assert lost == {"déjà comptées pour ce mois par une autre modalité": 90}


def test_the_report_participants_as_csv(buyer, db):
    _, contract = lot_of(db, "2026-MTR-031")
    text = buyer.get(f"/acheteur/marches/{contract['id']}/rapport.csv").data.decode("utf-8-sig")
    header, *lines = text.splitlines()
    assert header == "Lot(s);Référence du participant;Catégorie d'éligibilité;Modalité(s);Heures déclarées;" \
                     "Heures comptées;Situation de sortie"
    assert "1;CL-0007;Bénéficiaire du RSA;Mise à disposition par une AI, Embauche directe en CDD;240;150;En cours" in lines


@pytest.mark.parametrize("reference, buyer_id", [("2026-MTR-017", "B1"), ("2026-MTR-031", "B1"),
                                                 ("2025-SSDH-042", "B2")])
def test_the_ledger_export_reimports_unchanged(app, db, reference, buyer_id):
    client = enter(app.test_client(), "buyer", buyer_id)
    contract = storage.contract_by_reference(db, buyer_id, reference)
    before = contract_status(db, contract)
    text = client.get(f"/acheteur/marches/{contract['id']}/registre.csv").data.decode("utf-8-sig")
    preview = client.post(f"/acheteur/marches/{contract['id']}/heures/import", data={"text": text})
    assert preview.status_code == 200, preview.get_data(as_text=True)[:2000]
    done = client.post(f"/acheteur/marches/{contract['id']}/heures/import", data={"action": "importer", "text": text},
                       follow_redirects=True).get_data(as_text=True)
    assert f"0 ligne(s) créée(s), 0 corrigée(s), {len(before.evaluations)} inchangée(s)" in done
    after = contract_status(db, contract)
    assert after.total.counted == before.total.counted and after.participants == before.participants


def test_a_titulaire_never_sees_another_titulaires_hires_on_the_same_contract(clock, app, db, e01, fresh):
    contract, lot = fresh
    other_id = storage.save_lot(db, {"contract_id": contract["id"], "number": 2, "title": "Lot bis", "clause_mode": "fixe",
                                     "fixed_hours": 100, "required_hours": 100})
    storage.award_lot(db, other_id, "E03")
    need_id = storage.create_need(db, {"employer_id": "E03", "reference": "T13-B", "title": "Agent de propreté",
                                       "contract": "CDI"})
    storage.link_need(db, need_id, other_id)
    proposal_id = hire(db, storage.get_need(db, need_id), "ACI-MTR-0001", workflow.HIRED)
    reference = storage.participants_of_proposal(db, proposal_id)[0]["reference"]
    first_name = storage.profile_by_reference(db, "ACI-MTR-0001")["first_name"]
    mine = e01.get(f"/employeur/marches/lots/{lot['id']}").get_data(as_text=True)
    form = e01.get(f"/employeur/marches/lots/{lot['id']}/mois/2026-06").get_data(as_text=True)
    assert reference not in mine and reference not in form and f"— {first_name}" not in mine
    e03 = enter(app.test_client(), "employer", "E03")
    theirs = e03.get(f"/employeur/marches/lots/{other_id}").get_data(as_text=True)
    assert f"{reference} — {first_name}" in theirs


@pytest.mark.parametrize("proof_date, message", [
    ("", "Date du justificatif : date attendue"), ("02/05/2026", "Date du justificatif : date attendue"),
    ("2026-07-01", "elle ne peut pas être dans le futur"),
])
def test_the_cre_gives_a_real_proof_date(clock, app, db, fresh, linked_need, proof_date, message):
    proposal_id = hire(db, linked_need, "ACI-MTR-0001", workflow.HIRED)
    [participant] = storage.participants_of_proposal(db, proposal_id)
    category = storage.profile_by_reference(db, "ACI-MTR-0001")["eligibility"][0]
    cre = enter(app.test_client(), "cre", "S1")
    page = cre.post(f"/cre/propositions/{proposal_id}/clause/{participant['id']}",
                    data={"category": category, "consent": "oui", "proof_date": proof_date}, follow_redirects=True)
    assert message in page.get_data(as_text=True)
    assert storage.get_participant(db, participant["id"])["category"] is None
