"""Bad input at the edges: formula cells in exports, odd CSV files, caps and plausible dates everywhere."""
from __future__ import annotations

import csv
import io

import pytest

import storage
from web import csvio
from web_helpers import api_client, enter

API = "/api/v1"
FORMULAS = ["=1+1", "+33 1 02", "-2+3", "@SOMME(A1)", "\tcaché", "\rretour"]


def upload(client, url, raw: bytes, **extra):
    data = {"file": (io.BytesIO(raw), "import.csv"), **extra}
    return client.post(url, data=data, content_type="multipart/form-data")


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=";"))


def _no_formula(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            assert not cell.startswith(csvio.FORMULA_STARTS), cell


# -- formula cells -------------------------------------------------------------------
@pytest.mark.parametrize("value", FORMULAS)
def test_safe_cell_neutralises_formulas_and_keeps_numbers(value):
    assert csvio.safe_cell(value) == "'" + value
    assert csvio.safe_cell(-12.5) == -12.5 and csvio.safe_cell("12-3") == "12-3"


def test_every_export_neutralises_formula_cells(app, db):
    person = storage.list_profiles(db, siae_id="S1")[0]
    storage.update_profile(db, person["id"], {"first_name": "=HYPERLINK(\"x\")", "description": "+cmd",
                                              "notes": "@SOMME(A1)", "availability": "-1", "city": "\tTab"})
    need = storage.list_needs(db, employer_id="E14")[0]
    storage.update_need(db, need["id"], {"title": "=2*3", "description": "-moins", "public_contract": "@x"})
    storage.create_proposal(db, need_id=need["id"], profile_id=person["id"], message="m", score=0.5,
                            explanation={}, proposed_by="=cmd|' /C calc'!A0")
    contract = storage.list_contracts(db, buyer_id="B1")[0]
    entry = storage.list_entries(db, contract["id"])[0]
    storage.correct_entry(db, entry["id"], {"employer_name": "=IMPORTXML(\"http://x\")", "contract_type": "\rCDI"},
                          actor="t")
    cre = enter(app.test_client(), "cre", "S1")
    employer = enter(app.test_client(), "employer", "E14")
    buyer = enter(app.test_client(), "buyer", "B1")
    exports = [(cre, "/cre/export/profils.csv", "'=HYPERLINK"), (cre, "/cre/export/besoins.csv", "'=2*3"),
               (cre, "/cre/export/propositions.csv", "'=HYPERLINK"), (employer, "/employeur/export/besoins.csv", "'=2*3"),
               (employer, "/employeur/export/candidatures.csv", "'=HYPERLINK"),
               (buyer, f"/acheteur/marches/{contract['id']}/registre.csv", "'=IMPORTXML")]
    for client, url, expected in exports:
        text = client.get(url).get_data(as_text=True)
        rows = cells(text)
        _no_formula(rows)
        assert any(expected in cell for row in rows for cell in row), url


def test_an_exported_formula_cell_reimports_as_typed(app, db):
    cre = enter(app.test_client(), "cre", "S1")
    person = storage.list_profiles(db, siae_id="S1")[0]
    storage.update_profile(db, person["id"], {"description": "=1+1 est une formule", "notes": "-à rappeler"})
    exported = cre.get("/cre/export/profils.csv").get_data()
    response = upload(cre, "/cre/import/profils", exported, action="importer")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    row = storage.get_profile(db, person["id"])
    assert row["description"] == "=1+1 est une formule" and row["notes"] == "-à rappeler"


# -- odd files -----------------------------------------------------------------------------
def test_bare_cr_line_endings_are_read(cre, db):
    raw = "reference;first_name;skills\rCR-001;Awa;couture\rCR-002;Léa;repassage\r".encode("utf-8")
    page = upload(cre, "/cre/import/profils", raw).get_data(as_text=True)
    assert "Aperçu : 2 ligne(s) prête(s)" in page
    assert upload(cre, "/cre/import/profils", raw, action="importer").status_code == 302
    assert storage.profile_by_reference(db, "CR-002")["first_name"] == "Léa"


def test_a_windows_1252_file_gets_a_warning_and_utf8_none(cre):
    text = "reference;first_name;skills\nW-001;Hélène;repassage, ménage\n"
    warned = upload(cre, "/cre/import/profils", text.encode("cp1252")).get_data(as_text=True)
    assert "n&#39;est pas en UTF-8" in warned and "Hélène" in warned and "Aperçu : 1 ligne(s)" in warned
    clean = upload(cre, "/cre/import/profils", text.encode("utf-8")).get_data(as_text=True)
    assert "n&#39;est pas en UTF-8" not in clean


def test_a_byte_neither_utf8_nor_windows_1252_is_an_error(cre, db):
    raw = "reference;first_name\nX-001;Awa\n".encode() + b"X-002;L\x81a\n"
    response = upload(cre, "/cre/import/profils", raw, action="importer")
    assert response.status_code == 400 and "octet illisible (0x81)" in response.get_data(as_text=True)
    assert storage.profile_by_reference(db, "X-001") is None


def test_a_quote_that_swallows_a_line_break_is_refused(cre, db):
    text = ('reference;first_name;skills;postcode\n'
            'Q-001;"Awa;couture;93100\n'
            'Q-002;Léa;repassage;93100\n')
    response = upload(cre, "/cre/import/profils", text.encode(), action="importer")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "guillemet non fermé" in page and "first_name" in page
    assert storage.profile_by_reference(db, "Q-001") is None and storage.profile_by_reference(db, "Q-002") is None


def test_a_line_break_inside_a_multiline_column_is_kept(cre, db):
    text = ('reference;first_name;description;skills\n'
            'M-001;Awa;"Projet : couture.\nDisponible en mars.";couture\n'
            'M-002;Léa;;repassage\n')
    assert upload(cre, "/cre/import/profils", text.encode(), action="importer").status_code == 302
    assert storage.profile_by_reference(db, "M-001")["description"] == "Projet : couture.\nDisponible en mars."


def test_an_over_long_field_is_reported_with_its_column(cre, db):
    long_text = "x" * (csvio.MAX_CELL + 1)
    page = upload(cre, "/cre/import/profils", f"reference;first_name;notes\nL-001;Awa;{long_text}\n".encode()
                  ).get_data(as_text=True)
    assert "Colonne « notes » trop longue" in page and f"{csvio.MAX_CELL} au plus" in page
    huge = upload(cre, "/cre/import/profils",
                  ('reference;first_name;notes\nL-002;Awa;"' + "y" * 200_000 + "\n").encode(), action="importer")
    assert huge.status_code == 400 and "Champ trop long" in huge.get_data(as_text=True)
    assert storage.profile_by_reference(db, "L-002") is None


# -- caps and dates at every door ---------------------------------------------------------
def test_the_api_caps_a_needs_skills_as_the_form_does(app):
    employer = api_client(app, "employer", "E14")
    skills = [{"text": f"compétence {i}", "required": True} for i in range(31)]
    response = employer.post(f"{API}/needs", json={"title": "Agent", "contract": "CDI", "skills": skills})
    assert response.status_code == 422 and "30 au plus" in response.get_json()["fields"]["skills"]
    form = enter(app.test_client(), "employer", "E14").post(
        "/employeur/besoins/nouveau", data={"title": "Agent", "contract": "CDI", "action": "enregistrer",
                                            "skills_required": "\n".join(f"compétence {i}" for i in range(31))})
    assert form.status_code == 400 and "30 au plus" in form.get_data(as_text=True)
    ok = employer.post(f"{API}/needs", json={"title": "Agent", "contract": "CDI", "skills": skills[:30]})
    assert ok.status_code == 201


def test_the_api_caps_notes_as_the_forms_do(app):
    db = storage.connect(app.config["DATABASE"])
    cre = api_client(app, "cre", "S1")
    person = storage.list_profiles(db, siae_id="S1")[0]
    assert cre.patch(f"{API}/profiles/{person['id']}", json={"notes": "n" * 4001}).status_code == 422
    proposal = storage.list_proposals(db, siae_id="S1")[0]
    long_note = cre.post(f"{API}/proposals/{proposal['id']}/transitions", json={"status": "refusee", "reason": "autre",
                                                                                "note": "n" * 4001})
    assert long_note.status_code == 422 and "4000" in long_note.get_json()["error"]
    assert storage.get_proposal(db, proposal["id"])["status"] == proposal["status"]


@pytest.mark.parametrize("value", ["1900-01-01", "0202-03-01", "9999-12-31", "2199-01-01"])
def test_implausible_dates_are_refused_by_forms_api_and_imports(app, value):
    db = storage.connect(app.config["DATABASE"])  # not the ``db`` fixture: its app context would share ``g``
    employer = enter(app.test_client(), "employer", "E14")
    form = employer.post("/employeur/besoins/nouveau", data={"title": "Agent", "contract": "CDI",
                                                             "start_date": value, "action": "enregistrer"})
    assert form.status_code == 400 and "peu plausible" in form.get_data(as_text=True)
    cre = api_client(app, "cre", "S1")
    api = cre.post(f"{API}/profiles", json={"reference": "DATE-001", "first_name": "Awa", "path_start": value})
    assert api.status_code == 422 and "peu plausible" in api.get_json()["fields"]["path_start"]
    buyer = enter(app.test_client(), "buyer", "B1")
    contract = storage.list_contracts(db, buyer_id="B1")[0]
    lot = storage.list_lots(db, contract["id"])[0]
    ledger = f"lot;participant_reference;month;hours;modality\n{lot['number']};P-DATE;{value[:7]};35;embauche_cdi\n"
    page = upload(buyer, f"/acheteur/marches/{contract['id']}/heures/import", ledger.encode(), action="importer")
    assert page.status_code == 400 and "peu plausible" in page.get_data(as_text=True)


def test_a_plausible_date_still_passes(app):
    cre = api_client(app, "cre", "S1")
    ok = cre.post(f"{API}/profiles", json={"reference": "DATE-OK", "first_name": "Awa", "path_start": "2025-09-01"})
    assert ok.status_code == 201 and ok.get_json()["path_start"] == "2025-09-01"
