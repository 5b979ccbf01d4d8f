"""The territorial diagnostic: its figures against direct SQL queries of the database, small-count
suppression and differencing, no personal data in the page, the XLSX file or the API, and the API's
exact answer and French errors.
"""
from __future__ import annotations

import io
import re
from collections import Counter
from datetime import date

import jsonschema
import pytest
from openpyxl import load_workbook

import storage
import territory
from web.openapi import document
from web_helpers import api_client, enter

API = "/api/v1/territory"
TODAY = date.today().isoformat()
SECTOR_KEYS = {"sector", "people", "open_positions", "clause_hours_to_do", "unmet", "accessibility", "missing_skills"}


def read(app):
    return storage.connect(app.config["DATABASE"])


IN_PATH_93 = ("SELECT * FROM profiles WHERE archived = 0 AND anonymised_at IS NULL "
              "AND (path_end IS NULL OR path_end >= ?) AND substr(postcode, 1, 2) = '93'")


def _computed(app, **scope):
    from web import diagnostic

    with app.test_request_context():
        from web.db import get_db

        return diagnostic.compute(get_db(), diagnostic.Scope(**scope))


def _sectors_by_sql(app) -> tuple[Counter, dict]:
    """People in path in 93 by sector, the sector read as the diagnostic reads it (from the engine's index)."""
    from matching import profile_sector
    from web.engine import engine

    db = read(app)
    ids = [r["id"] for r in db.query(IN_PATH_93, [TODAY])]
    with app.test_request_context():
        from web.db import get_db

        index = engine().profile_index(get_db())
        taxonomy = engine().taxonomy
        sectors = Counter(profile_sector(index.get(str(i)), taxonomy) or "autre" for i in ids)
    return sectors, {k: v for k, v in taxonomy.sectors.items() if k != "transversal"}


def test_the_diagnostic_of_seine_saint_denis_matches_direct_sql_queries(app):
    db = read(app)
    result = _computed(app, departement="93")
    people = db.execute(f"SELECT COUNT(*) FROM ({IN_PATH_93})", [TODAY]).fetchone()[0]
    no_licence = db.execute(f"SELECT COUNT(*) FROM ({IN_PATH_93}) WHERE driving_licence = 0", [TODAY]).fetchone()[0]
    low_french = db.execute(f"SELECT COUNT(*) FROM ({IN_PATH_93}) WHERE french_level IN ('A1', 'A2')",
                            [TODAY]).fetchone()[0]
    positions = db.execute("SELECT SUM(COALESCE(positions, 1)) FROM needs WHERE status = 'ouvert' "
                           "AND substr(postcode, 1, 2) = '93'").fetchone()[0]
    pooled = db.execute("SELECT SUM(COALESCE(positions, 1)) FROM needs JOIN pooled_needs ON need_id = needs.id "
                        "WHERE status = 'ouvert' AND substr(postcode, 1, 2) = '93'").fetchone()[0]
    potential = db.execute("SELECT SUM(COALESCE(count, 1)) FROM network_potentials JOIN network_employers "
                           "ON network_employers.id = network_id WHERE need_id IS NULL "
                           "AND substr(network_employers.postcode, 1, 2) = '93'").fetchone()[0]
    assert people >= 70 and positions >= 15 and pooled == 4 and potential >= 10      # the demo is not empty
    assert result.people_total == people
    assert result.barrier_totals["no_licence"] == no_licence and result.barrier_totals["low_french"] == low_french
    assert result.open_positions_total == positions == sum(r.open_positions for r in result.sectors)
    assert sum(r.pooled_positions for r in result.sectors) == pooled
    assert result.potential_total == potential == sum(r.potential for r in result.sectors)
    by_sql, labels = _sectors_by_sql(app)
    for row in result.sectors:
        assert row.people == territory.suppress(by_sql.get(row.sector, 0)), row.label
    assert {r.sector for r in result.sectors if r.people} == set(by_sql)


def test_clause_hours_to_do_are_the_required_hours_of_the_territorys_running_lots_minus_those_counted(app):
    from web import clause_status

    db = read(app)
    required = db.execute("SELECT SUM(lots.required_hours) FROM lots JOIN contracts ON contracts.id = lots.contract_id "
                          "WHERE contracts.end_date >= ? AND substr(lots.postcode, 1, 2) = '93'", [TODAY]).fetchone()[0]
    counted = 0.0
    for contract in storage.list_contracts(db):
        if contract["end_date"] >= TODAY:
            for lot, f in clause_status.contract_status(db, contract).lots:
                if (lot["postcode"] or "").startswith("93"):
                    counted += min(float(f.counted), lot["required_hours"])
    result = _computed(app, departement="93")
    assert required > 0 and result.clause_hours_total == round(required - counted)


def test_the_pooled_need_counts_in_its_sector_with_its_members_unmet_positions(app):
    result = _computed(app, departement="93")
    [row] = [r for r in result.sectors if r.pooled_positions]
    assert row.pooled_positions == 4 and row.sector in ("accueil_securite", "proprete")
    assert 0 <= row.unmet <= row.open_positions


def test_a_radius_around_a_commune_counts_only_what_is_inside(app):
    small = _computed(app, lat=48.8642, lon=2.4432, radius_km=2)     # Montreuil, 2 km
    large = _computed(app, lat=48.8642, lon=2.4432, radius_km=30)
    assert large.open_positions_total >= small.open_positions_total
    assert all(isinstance(r.people, str) or r.people == 0 or r.people >= 5 for r in small.sectors)


def _niort_people(app, specs):
    """People in path in Niort (79), where the demo has nobody: the cells are then known exactly."""
    db = read(app)
    for i, (experience, licence) in enumerate(specs):
        storage.create_profile(db, {"reference": f"NIORT-{i:03d}", "first_name": f"Niortais{i}", "siae_id": "S2",
                                    "experiences": [experience], "skills_text": experience, "postcode": "79000",
                                    "city": "Niort", "lat": 46.3237, "lon": -0.4588, "driving_licence": licence,
                                    "path_end": "2028-01-01"})


def test_small_cells_are_suppressed_and_a_total_that_would_give_one_back_is_not_published(app):
    _niort_people(app, [("agent de propreté", True)] * 6 + [("cariste", False)] * 2)
    result = _computed(app, departement="79")
    cells = {r.sector: r.people for r in result.sectors}
    assert cells == {"proprete": 6, "logistique": territory.SUPPRESSED}
    assert result.people_total is None                   # 8 − 6 would give the 2 back
    assert result.barrier_totals["no_licence"] is None    # the same for the barrier column
    cre = enter(app.test_client(), "cre", "S1")
    page = cre.get("/territoire/?departement=79").get_data(as_text=True)
    assert "moins de 5" in page and "total non publié" in page and ">8<" not in page
    api = api_client(app, "buyer", "B1").get(f"{API}?departement=79").get_json()
    assert {s["sector"]: s["people"] for s in api["sectors"]} == {
        "Nettoyage, propreté et désinfection": 6, "Transport, logistique et messagerie": "moins de 5"}


def test_a_total_is_published_when_the_suppressed_cells_stay_undetermined(app):
    _niort_people(app, [("agent de propreté", True)] * 6 + [("cariste", True)] * 2 + [("plongeur", True)] * 1)
    result = _computed(app, departement="79")
    assert result.people_total == 9 and sum(1 for r in result.sectors if r.people == territory.SUPPRESSED) == 2


def _text_of_xlsx(data: bytes) -> str:
    book = load_workbook(io.BytesIO(data))
    return "\n".join(str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row
                     if v is not None)


def test_no_personal_data_in_the_page_the_xlsx_file_or_the_api(app):
    db = read(app)
    people = list(db.query(IN_PATH_93, [TODAY]))
    markers = {p["reference"] for p in people} | {p["first_name"] for p in people if len(p["first_name"]) >= 4}
    markers |= {p["notes"] for p in people if p["notes"]}
    client = enter(app.test_client(), "buyer", "B1")
    page = client.get("/territoire/?departement=93")
    xlsx = client.get("/territoire/export.xlsx?departement=93")
    api = api_client(app, "cre", "S3").get(f"{API}?departement=93")
    assert page.status_code == xlsx.status_code == api.status_code == 200
    texts = {"page": re.sub(r"<[^>]+>", " ", page.get_data(as_text=True)), "xlsx": _text_of_xlsx(xlsx.data),
             "api": api.get_data(as_text=True)}
    for where, text in texts.items():
        for marker in markers:
            assert not re.search(rf"\b{re.escape(marker)}\b", text), (where, marker)
        assert not re.search(r"(?<!à )\b[1-4] personne", text), where   # but "de 1 à 4 personnes" of the method


def test_the_page_has_the_table_and_the_charts_readable_without_script(app):
    client = enter(app.test_client(), "direction", "S1")
    page = client.get("/territoire/").get_data(as_text=True)       # a director lands on their département
    assert "Diagnostic territorial : Seine-Saint-Denis (93)" in page
    assert page.count('<svg viewBox=') == 2 and 'role="img"' in page and "<title id=\"chart-sd-title\">" in page
    assert "<script" not in page.split("<body>")[1] and "style=" not in page
    assert "Compétences les plus manquantes" in page and "Principaux freins" in page


def test_the_xlsx_export_has_french_headers_and_the_method(app):
    client = enter(app.test_client(), "cre", "S1")
    book = load_workbook(io.BytesIO(client.get("/territoire/export.xlsx?departement=93").data))
    assert book.sheetnames == ["Secteurs", "Métiers", "Méthode"]
    headers = [c.value for c in book["Secteurs"][1]]
    assert headers[:2] == ["Secteur", "Personnes en parcours"] and "Accessibilité (%)" in headers
    values = [row[1] for row in book["Secteurs"].iter_rows(min_row=2, values_only=True)]
    assert "moins de 5" in values and values[-1] == _computed(app, departement="93").people_total
    assert any("Secret statistique" in (r[0] or "") for r in book["Méthode"].iter_rows(values_only=True))


def test_the_api_answers_exactly_the_documented_shape(app):
    data = api_client(app, "cre", "S1").get(f"{API}?departement=93").get_json()
    assert set(data) == {"territory", "sectors"}
    assert data["territory"] == {"kind": "departement", "departement": "93", "label": "Seine-Saint-Denis (93)"}
    assert data["sectors"]
    for sector in data["sectors"]:
        assert set(sector) == SECTOR_KEYS
        assert sector["people"] == "moins de 5" or (isinstance(sector["people"], int) and sector["people"] not in (1, 2, 3, 4))
        assert all(set(s) == {"skill", "needs"} and s["needs"] >= 1 for s in sector["missing_skills"])
        assert sector["accessibility"] is None or 0 <= sector["accessibility"] <= 100
    spec = document()
    jsonschema.validate(data, {**spec, "$ref": "#/components/schemas/Territory"})
    radius = api_client(app, "direction", "S1").get(f"{API}?lat=48.8642&lon=2.4432&radius_km=5").get_json()
    assert radius["territory"]["kind"] == "rayon" and radius["territory"]["radius_km"] == 5


@pytest.mark.parametrize("query, message", [
    ("", "Paramètres attendus"),
    ("?departement=99", "Département inconnu"),
    ("?departement=abc", "Département inconnu"),
    ("?departement=93&lat=48.9", "pas les deux"),
    ("?lat=48.9&lon=2.4", "ensemble"),
    ("?lat=abc&lon=2.4&radius_km=5", "un nombre est attendu"),
    ("?lat=48.9&lon=2.4&radius_km=0", "entre 0.5 et 200"),
    ("?lat=48.9&lon=2.4&radius_km=1000", "entre 0.5 et 200"),
    ("?lat=95&lon=2.4&radius_km=5", "entre -90 et 90"),
    ("?lat=nan&lon=2.4&radius_km=5", "entre -90 et 90"),
])
def test_bad_parameters_are_a_french_json_error(app, query, message):
    response = api_client(app, "cre", "S1").get(f"{API}{query}")
    assert response.status_code == 400 and message in response.get_json()["error"]


@pytest.mark.parametrize("role, org, status", [
    ("cre", "S1", 200), ("direction", "S1", 200), ("buyer", "B2", 200), ("employer", "E14", 403), ("admin", None, 403),
])
def test_who_reads_the_diagnostic_through_the_api(app, role, org, status):
    assert api_client(app, role, org).get(f"{API}?departement=93").status_code == status


def test_without_a_token_the_api_says_so(app):
    response = app.test_client().get(f"{API}?departement=93")
    assert response.status_code == 401 and "Authentification requise" in response.get_json()["error"]


def test_a_wrong_territory_on_the_page_is_said_in_french(app):
    client = enter(app.test_client(), "cre", "S1")
    response = client.get("/territoire/?commune=Atlantide")
    assert response.status_code == 400 and "Commune inconnue de Passerelle" in response.get_data(as_text=True)
    assert client.get("/territoire/?commune=Montreuil&radius_km=5").status_code == 200
