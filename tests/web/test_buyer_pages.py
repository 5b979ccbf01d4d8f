"""Buyer / facilitateur pages: contracts, lots with the hours formula, the ledger, fulfilment, history."""
import io
import re

import pytest

import storage
from web_helpers import enter


@pytest.fixture
def buyer(app):
    return enter(app.test_client(), "buyer", "B1")


def contract_id(db, reference, buyer_id="B1"):
    return storage.contract_by_reference(db, buyer_id, reference)["id"]


def new_contract(buyer, db, reference="T-2026-001", **kw):
    data = {"reference": reference, "title": "Travaux test", "start_date": "2026-01-01", "end_date": "2026-12-31", **kw}
    response = buyer.post("/acheteur/marches/nouveau", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return contract_id(db, reference)


LOT = {"number": "1", "title": "Peinture", "titulaire": "Atelier test", "trades": "peinture intérieure",
       "postcode": "93100", "clause_mode": "calcul", "amount": "1 000 000", "labour_share": "50",
       "insertion_rate": "5", "hourly_cost": "30", "action": "enregistrer"}


def test_list_shows_own_contracts_with_alerts_and_pooling(buyer):
    page = buyer.get("/acheteur/").get_data(as_text=True)
    assert "Réhabilitation du groupe scolaire Jules-Ferry" in page
    assert "Entretien des espaces verts" not in page                 # B2's contract
    assert "clause non tenue au rythme actuel" in page               # 2026-MTR-031 is behind
    assert "Globalisation par titulaire" in page and "2026-MTR-017, 2026-MTR-044" in page


def test_other_buyers_contract_is_404(buyer, db):
    assert buyer.get(f"/acheteur/marches/{contract_id(db, '2025-SSDH-042', 'B2')}").status_code == 404


def test_lot_formula_is_computed_and_shown(buyer, db):
    cid = new_contract(buyer, db)
    check = buyer.post(f"/acheteur/marches/{cid}/lots/nouveau", data={**LOT, "action": "calculer"})
    assert "Heures d'insertion requises : <strong>833 h</strong>" in check.get_data(as_text=True)
    assert not storage.list_lots(db, cid)                              # computing stores nothing
    buyer.post(f"/acheteur/marches/{cid}/lots/nouveau", data=LOT)
    [lot] = storage.list_lots(db, cid)
    assert lot["required_hours"] == 833 and lot["clause_mode"] == "calcul"
    page = buyer.get(f"/acheteur/marches/{cid}").get_data(as_text=True)
    assert "833 h" in page and "1\u202f000\u202f000 € × 50 % × 5 % ÷ 30 €/h" in page


def test_fixed_hours_and_bad_lot_input(buyer, db):
    cid = new_contract(buyer, db)
    bad = buyer.post(f"/acheteur/marches/{cid}/lots/nouveau",
                     data={**LOT, "labour_share": "150", "hourly_cost": "0", "title": ""})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "Part de main-d&#39;œuvre (%) : entre 1 et 100" in page
    assert "Coût horaire chargé (€/h) : entre 1 et 500" in page and not storage.list_lots(db, cid)
    buyer.post(f"/acheteur/marches/{cid}/lots/nouveau", data={**LOT, "clause_mode": "fixe", "fixed_hours": "450"})
    assert storage.list_lots(db, cid)[0]["required_hours"] == 450


def test_bad_contract_dates_are_refused(buyer, db):
    response = buyer.post("/acheteur/marches/nouveau", data={"reference": "X-1", "title": "T", "start_date": "2026-05-01",
                                                            "end_date": "2026-01-01"})
    assert response.status_code == 400 and "Fin d&#39;exécution : elle doit être postérieure au début" in response.get_data(as_text=True)
    assert storage.contract_by_reference(db, "B1", "X-1") is None


def test_fulfilment_page_shows_counted_missing_reasons_and_forecast(buyer, db):
    page = buyer.get(f"/acheteur/marches/{contract_id(db, '2026-MTR-031')}").get_data(as_text=True)
    assert "Heures requises" in page and "1 440 h" in page
    assert "Au rythme déclaré, la clause ne sera pas tenue" in page
    assert "Déjà comptées pour ce mois par une autre modalité" in page
    assert "<svg" in page and "Heures comptées par mois" in page
    assert "Sous-traitance ou co-traitance avec une SIAE" in page


def test_non_counted_reasons_from_the_demo(buyer, db):
    page = buyer.get(f"/acheteur/marches/{contract_id(db, '2026-MTR-017')}").get_data(as_text=True)
    assert "Justificatif expiré à l&#39;entrée" in page and "Justificatif manquant" in page


LEDGER_CSV = ("lot;participant_reference;month;hours;modality;category;proof_kind;proof_date\n"
              "1;T-P1;2026-02;100;mad_ai;RSA;attestation CAF;2026-01-10\n"
              "1;T-P2;2026-02;80;embauche_cdi;DELD;attestation France Travail;2026-01-05\n")


def test_ledger_import_reports_errors_by_line_and_imports_nothing(buyer, db):
    cid = new_contract(buyer, db)
    buyer.post(f"/acheteur/marches/{cid}/lots/nouveau", data=LOT)
    bad = LEDGER_CSV + "2;T-P3;2026-13;80;mad_martienne;;;\n"
    response = buyer.post(f"/acheteur/marches/{cid}/heures/import", data={"action": "importer", "text": bad})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Ligne 4 : Mois : format AAAA-MM attendu" in page and "Ligne 4 : Modalité : valeur inconnue" in page
    assert "Ligne 4 : Lot « 2 » inconnu pour ce marché" in page
    assert storage.list_entries(db, cid) == []


def test_ledger_import_is_idempotent_and_counts(buyer, db):
    cid = new_contract(buyer, db)
    buyer.post(f"/acheteur/marches/{cid}/lots/nouveau", data=LOT)
    upload = {"file": (io.BytesIO(LEDGER_CSV.encode()), "registre.csv")}
    preview = buyer.post(f"/acheteur/marches/{cid}/heures/import", data=upload, content_type="multipart/form-data")
    assert "Aperçu : 2 ligne(s) prête(s)" in preview.get_data(as_text=True)
    first = buyer.post(f"/acheteur/marches/{cid}/heures/import", data={"action": "importer", "text": LEDGER_CSV},
                       follow_redirects=True).get_data(as_text=True)
    assert "2 ligne(s) créée(s)" in first
    again = buyer.post(f"/acheteur/marches/{cid}/heures/import", data={"action": "importer", "text": LEDGER_CSV},
                       follow_redirects=True).get_data(as_text=True)
    assert "0 ligne(s) créée(s), 0 corrigée(s), 2 inchangée(s)" in again
    assert len(storage.list_entries(db, cid)) == 2
    assert "180 h" in buyer.get(f"/acheteur/marches/{cid}").get_data(as_text=True)


def test_a_correction_keeps_the_history(buyer, db):
    cid = new_contract(buyer, db)
    buyer.post(f"/acheteur/marches/{cid}/lots/nouveau", data=LOT)
    buyer.post(f"/acheteur/marches/{cid}/heures/import", data={"action": "importer", "text": LEDGER_CSV})
    entry = storage.list_entries(db, cid)[0]
    url = f"/acheteur/marches/{cid}/heures/{entry['id']}"
    form = {"lot_id": str(entry["lot_id"]), "participant_reference": entry["participant_reference"],
            "month": entry["month"], "hours": "90", "modality": entry["modality"], "category": "RSA",
            "proof_kind": "attestation CAF", "proof_date": "2026-01-10", "action": "corriger"}
    buyer.post(url, data=form)
    buyer.post(url, data={"action": "supprimer"})
    history = storage.entry_history(db, entry["id"])
    assert [(h["version"], h["action"], h["data"]["hours"]) for h in history] == [
        (1, "import", 100.0), (2, "correction", 90.0), (3, "suppression", 90.0)]
    assert history[1]["changed_by"] == "Ville de Montreuil — direction de la commande publique"
    assert entry["id"] not in [e["id"] for e in storage.list_entries(db, cid)]
    assert "suppression" in buyer.get(url).get_data(as_text=True)


def test_manual_entry_with_bad_input_is_refused(buyer, db):
    cid = new_contract(buyer, db)
    buyer.post(f"/acheteur/marches/{cid}/lots/nouveau", data=LOT)
    lot = storage.list_lots(db, cid)[0]
    response = buyer.post(f"/acheteur/marches/{cid}/heures", data={"lot_id": str(lot["id"]), "participant_reference": "A",
                                                                  "month": "mars", "hours": "-3", "modality": "mad_ai"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Mois : format AAAA-MM attendu" in page and "Heures : entre 0.5 et 400" in page
    assert storage.list_entries(db, cid) == []


def test_report_and_csv_export(buyer, db):
    cid = contract_id(db, "2026-MTR-031")
    report = buyer.get(f"/acheteur/marches/{cid}/rapport").get_data(as_text=True)
    assert "Rapport de réalisation de la clause sociale d'insertion" in report
    text = buyer.get(f"/acheteur/marches/{cid}/registre.csv").data.decode("utf-8-sig")
    header, *lines = text.splitlines()
    assert header == ("lot;participant_reference;profile_reference;month;hours;modality;employer_name;contract_type;"
                      "contract_start;contract_end;category;proof_kind;proof_date;exit_situation;counted_hours;"
                      "not_counted_because")
    assert any("déjà comptées pour ce mois" in line for line in lines)


def test_cre_finds_lots_behind_and_eligible_candidates(app, db):
    cre = enter(app.test_client(), "cre", "S4")
    page = cre.get("/cre/clauses").get_data(as_text=True)
    assert "Nettoyage des écoles et gymnases" in page and "en retard" in page
    lot = storage.list_lots(db, contract_id(db, "2026-MTR-017"))[1]             # plâtrerie, behind
    page = cre.get(f"/cre/clauses/lots/{lot['id']}").get_data(as_text=True)
    shown = re.findall(r'data-candidate="(\d+)"', page)
    own = {str(p["id"]): p for p in storage.list_profiles(db, siae_id="S4")}
    assert shown and all(s in own and own[s]["eligibility"] for s in shown)
    assert "Personnes éligibles de votre structure" in page


def test_one_buyers_ledger_never_changes_anothers_figures(app, db):
    """Participants belong to a contract: B2 declaring "CL-0006" as not eligible changes nothing for B1."""
    from web.clause_status import contract_status

    b1 = storage.contract_by_reference(db, "B1", "2026-MTR-031")
    before = contract_status(db, b1).total.counted
    b2 = enter(app.test_client(), "buyer", "B2")
    theirs = storage.contract_by_reference(db, "B2", "2025-SSDH-042")
    text = "lot;participant_reference;month;hours;modality;category\n1;CL-0006;2026-03;10;mad_ai;autre\n"
    b2.post(f"/acheteur/marches/{theirs['id']}/heures/import", data={"action": "importer", "text": text})
    assert contract_status(db, b1).total.counted == before


def test_a_typed_line_is_recorded_as_a_creation(buyer, db):
    cid = new_contract(buyer, db)
    buyer.post(f"/acheteur/marches/{cid}/lots/nouveau", data=LOT)
    lot = storage.list_lots(db, cid)[0]
    buyer.post(f"/acheteur/marches/{cid}/heures", data={"lot_id": str(lot["id"]), "participant_reference": "T-9",
                                                       "month": "2026-04", "hours": "35", "modality": "formation"})
    entry = storage.list_entries(db, cid)[0]
    assert storage.entry_history(db, entry["id"])[0]["action"] == "création"
