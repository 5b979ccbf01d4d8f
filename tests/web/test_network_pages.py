"""The CRE's employer network: entries, sharing within the territory, the log, spreadsheet import/export,
and "besoin pressenti → besoin".

Demo networks (data/demo/network.json): S1 (Montreuil, 93) keeps six employers, four shared; S3
(Saint-Denis, 93) three, two shared (the Clinique du Landy is not); S2 (Rouen, 76) one, shared in 76;
S6 (Bobigny, 93) two.
"""
from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook, load_workbook

import network
import storage
from web_helpers import enter


def read(app):
    return storage.connect(app.config["DATABASE"])


def entry(app, siae_id, reference):
    return storage.network_employer_by_reference(read(app), siae_id, reference)


def test_the_network_page_lists_own_entries_next_actions_and_the_territorys_shared_ones(cre):
    page = cre.get("/cre/reseau/").get_data(as_text=True)
    own, shared = page.split("Partagé par les structures du territoire")
    assert "Transports Ferrand et Fils" in own and "Pressing des Ruffins" in own
    assert "Hôtel Pleyel Gare" in shared and "Régie de quartier de l&#39;Abreuvoir" in shared     # S3 and S6, in 93
    assert "Clinique du Landy" not in page                     # S3 did not share it
    assert "Rouen Seine Habitat" not in page                   # shared, but in another département
    assert "Rappeler pour organiser une PMSMP" in own and "en retard" in own   # due 2026-11-25


def test_a_shared_entry_shows_the_employer_never_the_notes(app, cre):
    pleyel = entry(app, "S3", "ENT-0001")
    body = cre.get(f"/cre/reseau/{pleyel['id']}").get_data(as_text=True)
    assert "Sophie Laurent" in body and "Employé / employée d&#39;étage" in body
    for secret in ("Gouvernante exigeante", "saison des salons", "Visite des étages avec deux salariées"):
        assert secret not in body, secret
    assert "Modifier" not in body and "Noter une visite" not in body
    assert cre.get(f"/cre/reseau/{pleyel['id']}/modifier").status_code == 404
    assert cre.post(f"/cre/reseau/{pleyel['id']}/journal", data={"kind": "appel", "date": "2026-12-01"}).status_code == 404


@pytest.mark.parametrize("siae_id, reference", [("S3", "ENT-0003"), ("S2", "ENT-0001")])
def test_an_entry_not_shared_or_of_another_territory_does_not_exist_for_others(app, cre, siae_id, reference):
    assert cre.get(f"/cre/reseau/{entry(app, siae_id, reference)['id']}").status_code == 404


def test_sharing_is_the_structures_choice(app, cre):
    ruffins = entry(app, "S1", "ENT-0004")
    other = enter(app.test_client(), "cre", "S3")
    assert other.get(f"/cre/reseau/{ruffins['id']}").status_code == 404
    form = {"name": ruffins["name"], "reference": ruffins["reference"], "postcode": "93100", "shared": "oui"}
    assert cre.post(f"/cre/reseau/{ruffins['id']}/modifier", data=form).status_code == 302
    assert other.get(f"/cre/reseau/{ruffins['id']}").status_code == 200
    cre.post(f"/cre/reseau/{ruffins['id']}/modifier", data={**form, "shared": ""})
    assert other.get(f"/cre/reseau/{ruffins['id']}").status_code == 404


def test_adding_an_employer_without_account_with_contacts_log_and_potential(app, cre):
    response = cre.post("/cre/reseau/nouveau", data={"name": "Boulangerie du Marché", "naf_code": "1071c",
                                                      "postcode": "93170", "size": "TPE", "notes": "à revoir"})
    assert response.status_code == 302
    entry_id = int(re.search(r"/reseau/(\d+)", response.location).group(1))
    row = storage.get_network_employer(read(app), entry_id)
    assert (row["reference"], row["naf_code"], row["city"], row["shared"]) == ("ENT-0007", "10.71C", "Bagnolet", 0)
    assert row["lat"] and row["lon"]                           # geocoded from the postcode
    cre.post(f"/cre/reseau/{entry_id}/contacts", data={"name": "Mme Leroy", "role": "gérante", "email": "x@y.example"})
    cre.post(f"/cre/reseau/{entry_id}/journal", data={"kind": "visite", "date": "2026-12-01", "summary": "Accueil chaleureux",
                                                       "next_action": "Proposer une PMSMP", "next_action_date": "2026-12-10"})
    cre.post(f"/cre/reseau/{entry_id}/pressentis", data={"metier": "vendeuse en boulangerie", "count": "1",
                                                          "expected": "2027-01"})
    db = read(app)
    [potential] = storage.list_potentials(db, [entry_id])[entry_id]
    assert potential["metier_id"] == "metier.vendeur_boulangerie" and potential["rome_code"] == "D1106"
    assert any(a["next_action"] == "Proposer une PMSMP" for a in storage.next_actions(db, "S1"))
    [event] = storage.list_events(db, [entry_id])[entry_id]
    cre.post(f"/cre/reseau/{entry_id}/journal/{event['id']}/fait")
    assert not any(a["network_id"] == entry_id for a in storage.next_actions(read(app), "S1"))


@pytest.mark.parametrize("form, message", [
    ({"name": ""}, "Entreprise : ce champ est obligatoire"),
    ({"name": "X", "naf_code": "8121"}, "forme 81.21Z attendue"),
    ({"name": "X", "siret": "12345678901234"}, "clé de contrôle"),
    ({"name": "X", "postcode": "99999"}, "inconnu de Passerelle"),
    ({"name": "X", "reference": "ENT-0001"}, "déjà utilisée"),
])
def test_a_wrong_entry_is_refused_in_french_and_nothing_stored(app, cre, form, message):
    before = read(app)["network_employers"].count
    response = cre.post("/cre/reseau/nouveau", data=form)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert read(app)["network_employers"].count == before


@pytest.mark.parametrize("data, message", [
    ({"kind": "visite", "date": "2026-12-01", "next_action": "Rappeler"}, "indiquez une date"),
    ({"kind": "inconnu", "date": "2026-12-01"}, "valeur inconnue"),
    ({"kind": "appel", "date": "01/12/2026"}, "AAAA-MM-JJ"),
])
def test_a_wrong_log_entry_is_refused(app, cre, data, message):
    ferrand = entry(app, "S1", "ENT-0001")
    before = len(storage.list_events(read(app), [ferrand["id"]])[ferrand["id"]])
    page = cre.get(cre.post(f"/cre/reseau/{ferrand['id']}/journal", data=data).location).get_data(as_text=True)
    assert message in page
    assert len(storage.list_events(read(app), [ferrand["id"]])[ferrand["id"]]) == before


# -- spreadsheet import / export -----------------------------------------------------------------
def _snapshot(app, siae_id):
    db = read(app)
    entries = storage.list_network_employers(db, siae_id=siae_id)
    ids = [e["id"] for e in entries]
    contacts, potentials = storage.list_contacts(db, ids), storage.list_potentials(db, ids)
    skip = {"id", "created_at", "updated_at", "owner_name", "owner_postcode", "organisation_name"}
    return [({k: v for k, v in e.items() if k not in skip},
             [{k: c[k] for k in ("name", "role", "phone", "email")} for c in contacts[e["id"]]],
             [{k: p[k] for k in ("metier", "metier_id", "rome_code", "count", "expected", "notes")}
              for p in potentials[e["id"]]]) for e in entries]


def _import(client, content: bytes, filename: str):
    first = client.post("/cre/reseau/import", data={"file": (io.BytesIO(content), filename)},
                        content_type="multipart/form-data")
    body = first.get_data(as_text=True)
    if first.status_code != 200:
        return first
    text = re.search(r'<textarea name="text" hidden>(.*?)</textarea>', body, re.S).group(1)
    import html

    return client.post("/cre/reseau/import", data={"action": "importer", "text": html.unescape(text)})


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_the_export_reimports_unchanged(app, cre, kind):
    before = _snapshot(app, "S1")
    exported = cre.get(f"/cre/reseau/export.{kind}")
    assert exported.status_code == 200
    done = _import(cre, exported.data, f"reseau.{kind}")
    assert done.status_code == 302
    flashed = cre.get(done.location).get_data(as_text=True)
    assert "0 créée(s), 0 mise(s) à jour, 6 inchangée(s)" in flashed
    assert _snapshot(app, "S1") == before


def test_the_xlsx_export_has_french_headers_and_the_log_on_its_own_sheet(cre):
    book = load_workbook(io.BytesIO(cre.get("/cre/reseau/export.xlsx").data))
    assert book.sheetnames == ["Réseau", "Journal"]
    sheet = book["Réseau"]
    assert [c.value for c in sheet[1]] == list(network.HEADERS)
    rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    ferrand = dict(zip(network.HEADERS, rows["ENT-0001"]))
    assert ferrand["Code NAF"] == "49.41B" and ferrand["Partagée avec le territoire"] == "oui"
    assert ferrand["Contacts"] == "Paul Ferrand ; gérant ; 01 48 00 00 01 ; p.ferrand@transports-ferrand.example"
    assert ferrand["Besoins pressentis"] == "Livreur / livreuse en utilitaire ; 2 ; 2027-03 ; tournées du matin, permis B"
    journal = {r[0]: r for r in book["Journal"].iter_rows(min_row=2, values_only=True)}
    assert journal["ENT-0001"][1:] == ("Transports Ferrand et Fils", "2026-10-14", "Visite de l'entreprise",
                                       "Visite du dépôt ; deux départs en retraite au printemps.",
                                       "Rappeler pour organiser une PMSMP", "2026-11-25", "non")
    assert "Clinique du Landy" not in str(list(sheet.values))     # own network only


def _workbook(rows):
    book = Workbook()
    sheet = book.active
    sheet.append(list(network.HEADERS))
    for row in rows:
        sheet.append([row.get(h, "") for h in network.HEADERS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_spreadsheet_creates_then_updates_by_reference_without_duplicates(app, cre):
    rows = [{"Entreprise": "Garage Solidaire du Canal", "Code NAF": "45.20A", "Code postal": "93500",
             "Contacts": "Luc ; chef d'atelier ; 06 01 02 03 04\nAccueil", "Besoins pressentis": "mécanicien automobile ; 2 ; 2027-06",
             "Partagée avec le territoire": "oui"},
            {"Référence": "ENT-0003", "Entreprise": "Biocoop des Murs-à-Pêches", "Code NAF": "47.11F",
             "Code postal": "93100", "Partagée avec le territoire": "non"}]
    done = _import(cre, _workbook(rows), "nouveau.xlsx")
    assert "1 créée(s), 1 mise(s) à jour, 0 inchangée(s)" in cre.get(done.location).get_data(as_text=True)
    garage = next(e for e in storage.list_network_employers(read(app), siae_id="S1") if e["name"].startswith("Garage"))
    assert garage["shared"] == 1 and garage["city"] == "Pantin" and garage["reference"] == "ENT-0007"
    db = read(app)
    assert [c["name"] for c in storage.list_contacts(db, [garage["id"]])[garage["id"]]] == ["Luc", "Accueil"]
    [p] = storage.list_potentials(db, [garage["id"]])[garage["id"]]
    assert (p["metier_id"], p["count"], p["expected"]) == ("metier.mecanicien_auto", 2, "2027-06")
    biocoop = entry(app, "S1", "ENT-0003")
    assert biocoop["shared"] == 0 and storage.list_contacts(db, [biocoop["id"]])[biocoop["id"]] == []
    again = _import(cre, _workbook(rows), "nouveau.xlsx")      # no reference: found by name and postcode
    assert "0 créée(s), 0 mise(s) à jour, 2 inchangée(s)" in cre.get(again.location).get_data(as_text=True)


@pytest.mark.parametrize("rows, message", [
    ([{"Entreprise": "A", "Code NAF": "452"}], "Ligne 2 : Code NAF « 452 »"),
    ([{"Entreprise": "A"}, {"Entreprise": "B", "Contacts": "; sans nom"}], "Ligne 3 : Contacts : Contact n° 1"),
    ([{"Entreprise": "A", "Besoins pressentis": "cariste ; beaucoup"}], "entier de 1 à 999"),
    ([{"Référence": "X-1", "Entreprise": "A"}, {"Référence": "X-1", "Entreprise": "B"}], "déjà présente ligne 2"),
    ([{"Entreprise": "", "Code postal": "93100"}], "Entreprise : ce champ est obligatoire"),
    ([{"Entreprise": ""}], "Aucune ligne de données"),
])
def test_a_spreadsheet_with_errors_imports_nothing_and_says_where(app, cre, rows, message):
    before = _snapshot(app, "S1")
    response = cre.post("/cre/reseau/import", data={"file": (io.BytesIO(_workbook(rows)), "r.xlsx")},
                        content_type="multipart/form-data")
    body = response.get_data(as_text=True)
    body = body.replace("&#39;", "'")
    assert response.status_code == 400 and "rien n'a été importé" in body and message in body
    assert _snapshot(app, "S1") == before


def test_unknown_columns_and_unreadable_files_are_said_in_french(cre):
    unknown = cre.post("/cre/reseau/import", data={"file": (io.BytesIO("Entreprise;Chiffre d'affaires\nA;3\n".encode()),
                                                            "r.csv")}, content_type="multipart/form-data")
    assert unknown.status_code == 400 and "Colonnes inconnues : Chiffre d&#39;affaires" in unknown.get_data(as_text=True)
    broken = cre.post("/cre/reseau/import", data={"file": (io.BytesIO(b"PK\x03\x04 not a workbook"), "r.xlsx")},
                      content_type="multipart/form-data")
    assert broken.status_code == 400 and "classeur XLSX lisible" in broken.get_data(as_text=True)


# -- besoin pressenti → besoin ----------------------------------------------------------------------
def test_a_besoin_pressenti_becomes_a_need_drafted_with_the_employer(app, cre):
    ferrand = entry(app, "S1", "ENT-0001")
    [potential] = storage.list_potentials(read(app), [ferrand["id"]])[ferrand["id"]]
    form = cre.get(f"/cre/reseau/{ferrand['id']}/pressentis/{potential['id']}/besoin").get_data(as_text=True)
    assert 'value="Livreur / livreuse en utilitaire"' in form and 'value="2027-03-01"' in form and 'value="2"' in form
    assert "Conduite de véhicule utilitaire" in form or "Livraison" in form     # the métier's core skills
    response = cre.post(f"/cre/reseau/{ferrand['id']}/pressentis/{potential['id']}/besoin", data={
        "title": "Livreur / livreuse en utilitaire", "contract": "CDD", "positions": "2", "hours_per_week": "35",
        "start_date": "2027-03-01", "skills_required": "livraison de colis, permis B", "postcode": "93130"})
    assert response.status_code == 302
    need_id = int(re.search(r"/besoins/(\d+)", response.location).group(1))
    db = read(app)
    need = storage.get_need(db, need_id)
    assert need["drafted_by"] == "S1" and need["status"] == "ouvert" and need["positions"] == 2
    org = storage.get_organisation(db, need["employer_id"])
    assert org["kind"] == "employer" and org["name"] == "Transports Ferrand et Fils"
    assert storage.get_network_employer(db, ferrand["id"])["organisation_id"] == org["id"]
    assert storage.get_potential(db, ferrand["id"], potential["id"])["need_id"] == need_id
    # Open to every structure, and kept up to date by the drafting one only.
    other = enter(app.test_client(), "cre", "S3")
    assert other.get(f"/cre/besoins/{need_id}").status_code == 200
    assert other.get(f"/cre/reseau/besoins/{need_id}/modifier").status_code == 404
    page = cre.get(f"/cre/besoins/{need_id}").get_data(as_text=True)
    assert "Modifier ce besoin rédigé avec l'employeur" in page
    closed = cre.post(f"/cre/reseau/besoins/{need_id}/modifier", data={
        "title": "Livreur / livreuse en utilitaire", "contract": "CDD", "status": "ferme", "postcode": "93130"})
    assert closed.status_code == 302 and storage.get_need(read(app), need_id)["status"] == "ferme"
    # Drafted once: the potential now links to the need.
    again = cre.get(f"/cre/reseau/{ferrand['id']}/pressentis/{potential['id']}/besoin")
    assert again.status_code == 302 and f"/cre/besoins/{need_id}" in again.location


def test_a_drafted_need_with_errors_creates_nothing(app, cre):
    ferrand = entry(app, "S1", "ENT-0001")
    [potential] = storage.list_potentials(read(app), [ferrand["id"]])[ferrand["id"]]
    before = read(app)["needs"].count
    response = cre.post(f"/cre/reseau/{ferrand['id']}/pressentis/{potential['id']}/besoin",
                        data={"title": "", "contract": "CDD"})
    assert response.status_code == 400 and "Intitulé du poste : ce champ est obligatoire" in response.get_data(as_text=True)
    db = read(app)
    assert db["needs"].count == before and storage.get_potential(db, ferrand["id"], potential["id"])["need_id"] is None
    assert storage.get_network_employer(db, ferrand["id"])["organisation_id"] is None


def test_only_the_owning_structure_drafts_from_its_potential(app):
    pleyel = entry(app, "S3", "ENT-0001")
    [potential] = storage.list_potentials(read(app), [pleyel["id"]])[pleyel["id"]]
    s1 = enter(app.test_client(), "cre", "S1")
    assert s1.get(f"/cre/reseau/{pleyel['id']}/pressentis/{potential['id']}/besoin").status_code == 404
