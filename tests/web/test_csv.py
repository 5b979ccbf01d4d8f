"""CSV import (preview, line-by-line French errors, all or nothing, no duplicates) and export."""
import io

import storage

PROFILES_CSV = (
    "reference;first_name;skills;experiences;driving_licence;french_level;postcode;eligibility\n"
    "IMP-001;Nadia;ménage, repassage;aide à domicile;oui;B1;93100;RSA\n"
    "IMP-002;Moussa;prépa de commandes, caces 1;magasinier | cariste;non;A2;75019;DELD | QPV\n"
)
NEEDS_CSV = (
    "reference,title,contract,skills_required,skills_wanted,postcode,hours_per_week\n"
    "R1,Agent de tri,CDD,tri des déchets,permis B,93100,35\n"
    "R2,Câbleuse,CDI,câblage filaire; soudure à l'étain,,91940,35\n"
)


def upload(client, url, text, **extra):
    data = {"file": (io.BytesIO(text.encode("utf-8")), "import.csv"), **extra}
    return client.post(url, data=data, content_type="multipart/form-data")


def test_preview_shows_lines_and_imports_nothing_yet(cre, db):
    before = db["profiles"].count
    page = upload(cre, "/cre/import/profils", PROFILES_CSV).get_data(as_text=True)
    assert "Aperçu : 2 ligne(s) prête(s)" in page and "IMP-002" in page
    assert db["profiles"].count == before


def test_confirmed_import_creates_profiles_then_reimport_changes_nothing(cre, db):
    before = db["profiles"].count
    response = cre.post("/cre/import/profils", data={"action": "importer", "text": PROFILES_CSV}, follow_redirects=True)
    assert "2 créé(s)" in response.get_data(as_text=True)
    row = storage.profile_by_reference(db, "IMP-002")
    assert row["siae_id"] == "S1" and row["experiences"] == ["magasinier", "cariste"]
    assert row["eligibility"] == ["DELD", "QPV"] and row["driving_licence"] == 0
    again = cre.post("/cre/import/profils", data={"action": "importer", "text": PROFILES_CSV}, follow_redirects=True)
    assert "0 créé(s), 0 mis à jour, 2 inchangé(s)" in again.get_data(as_text=True)
    assert db["profiles"].count == before + 2


def test_a_bad_line_is_reported_by_number_and_nothing_is_imported(cre, db):
    before = db["profiles"].count
    bad = PROFILES_CSV + "IMP-003;Léa;couture;;peut-être;Z2;99999;\n"
    response = cre.post("/cre/import/profils", data={"action": "importer", "text": bad})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Ligne 4 : Permis B : oui ou non attendu." in page
    assert "Ligne 4 : Niveau de français : valeur inconnue « Z2 »" in page
    assert "rien n'a été importé" in page
    assert db["profiles"].count == before


def test_missing_columns_duplicates_and_empty_files_are_explained(cre):
    for text, message in [
        ("first_name;skills\nNadia;ménage\n", "Colonnes obligatoires absentes : reference"),
        (PROFILES_CSV + "IMP-001;Nadia;ménage;;oui;B1;93100;\n", "Référence « IMP-001 » déjà présente ligne 2"),
        ("", "Le fichier est vide."),
        ("reference;first_name\n", "Aucune ligne de données"),
        ("reference;first_name;couleur\nX-1;Al;bleu\n", "Colonnes inconnues : couleur"),
    ]:
        page = upload(cre, "/cre/import/profils", text).get_data(as_text=True)
        assert message in page, message


def test_reference_of_another_structure_is_refused_whole(app, cre, db):
    other = storage.list_profiles(db, siae_id="S2")[0]["reference"]
    before = db["profiles"].count
    text = PROFILES_CSV + f"{other};Intrus;plonge;;oui;B1;93100;\n"
    page = cre.post("/cre/import/profils", data={"action": "importer", "text": text}).get_data(as_text=True)
    assert "appartient à une autre structure" in page
    assert db["profiles"].count == before


def test_windows_1252_file_is_read(cre):
    raw = "reference;first_name;skills\nW-1;Hélène;crêpes, ménage\n".encode("cp1252")
    data = {"file": (io.BytesIO(raw), "excel.csv")}
    page = cre.post("/cre/import/profils", data=data, content_type="multipart/form-data").get_data(as_text=True)
    assert "Hélène" in page and "Aperçu : 1 ligne(s)" in page


def test_employer_imports_needs_idempotently(employer, db):
    response = employer.post("/employeur/import/besoins", data={"action": "importer", "text": NEEDS_CSV},
                             follow_redirects=True)
    assert "2 créé(s)" in response.get_data(as_text=True)
    row = storage.need_by_reference(db, "E14", "R2")
    assert [s["text"] for s in row["skills"]] == ["câblage filaire", "soudure à l'étain"]
    again = employer.post("/employeur/import/besoins", data={"action": "importer", "text": NEEDS_CSV},
                          follow_redirects=True)
    assert "2 inchangé(s)" in again.get_data(as_text=True)


def test_exports_are_csv_and_reimportable(cre, db):
    response = cre.get("/cre/export/profils.csv")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    text = response.data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("reference;first_name;")
    assert storage.list_profiles(db, siae_id="S2")[0]["reference"] not in text   # own structure only
    page = cre.post("/cre/import/profils", data={"action": "importer", "text": text}, follow_redirects=True)
    assert "0 créé(s)" in page.get_data(as_text=True)
    for url in ("/cre/export/besoins.csv", "/cre/export/propositions.csv"):
        assert cre.get(url).status_code == 200


def test_employer_export_has_no_profile_reference(employer):
    text = employer.get("/employeur/export/candidatures.csv").data.decode("utf-8-sig")
    assert "ACI-" not in text and "GEIQ-" not in text
