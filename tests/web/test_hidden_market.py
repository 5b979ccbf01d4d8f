"""The hidden job market: employers of the network to approach for a person with no good posted match.

On the demo data, Mohamed (ACI-MTR-0001, Bagnolet, former heavy-goods driver) has no good match among
the posted needs (best 36 %); his pistes de métiers include "livreur en utilitaire", which Transports
Ferrand et Fils (S1's network, Noisy-le-Sec) noted as a besoin pressenti.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import storage
from web.engine import GOOD_MATCH_SCORE
from web_helpers import enter

MINI_ROME = Path(__file__).resolve().parents[1] / "fixtures" / "mini_rome"


def read(app):
    return storage.connect(app.config["DATABASE"])


def person(app, reference):
    return storage.profile_by_reference(read(app), reference)


def suggestions(app, client, profile_id):
    page = client.get(f"/cre/reseau/pour/{profile_id}").get_data(as_text=True)
    items = re.findall(r'<li class="match[^"]*">(.*?)</li>\s*(?=<li class="match|</ol>)', page, re.S)
    return page, items


def test_a_person_without_a_good_posted_match_gets_employers_to_approach_nearest_first(app, cre):
    mohamed = person(app, "ACI-MTR-0001")
    page, items = suggestions(app, cre, mohamed["id"])
    assert "Aucune offre publiée ne lui convient bien" in page
    names = [re.search(r"<strong>(.*?)</strong>", i).group(1) for i in items]
    assert "Transports Ferrand et Fils" in names
    ferrand = items[names.index("Transports Ferrand et Fils")]
    assert "Besoin pressenti : 2 × Livreur / livreuse en utilitaire, attendu en 2027-03" in ferrand
    assert "Besoin pressenti → besoin" in ferrand                           # one click to draft the need
    distances = [int(d) for d in re.findall(r"· (\d+) km", page)]
    assert distances == sorted(distances) and len(distances) == len(items)   # nearest first
    for absent in ("Clinique du Landy", "Rouen Seine Habitat"):             # not shared / other territory
        assert absent not in page


def test_every_suggestion_says_why(app, cre):
    zohra = person(app, "ACI-MTR-0019")
    _, items = suggestions(app, cre, zohra["id"])
    assert items and all('<ul class="reasons"><li>' in i for i in items)
    ruffins = next(i for i in items if "Pressing des Ruffins" in i)
    reasons = re.findall(r"<li>(.*?)</li>", ruffins)
    assert reasons[0].startswith("Besoin pressenti : 1 × Repasseur / repasseuse")     # strongest reason first
    assert any("NAF 96.01B" in r and "son métier" in r for r in reasons)


def test_the_employers_suggested_are_those_the_service_computes_on_the_demo_data(app):
    """Through the service directly: every person of S1 with no good posted match gets employers to
    approach, each with its reason, from S1's network and the entries shared in Seine-Saint-Denis only."""
    from web import hidden_market, outreach
    from web.engine import engine

    with app.test_request_context():
        from web.db import get_db

        db = get_db()
        user, org = {"role": "cre", "org_id": "S1"}, storage.get_organisation(db, "S1")
        entries = outreach.visible_entries(db, user, org)
        assert {e["siae_id"] for e in entries} == {"S1", "S3", "S6"}
        potentials = storage.list_potentials(db, (e["id"] for e in entries))
        without_match = []
        for profile in storage.list_profiles(db, siae_id="S1"):
            offers = engine().needs_for_profile(db, profile["id"], storage.list_needs(db))
            if any(not m.blocking and m.score >= GOOD_MATCH_SCORE for _, m in offers):
                continue
            found = hidden_market.employers_to_approach(db, profile, entries, potentials, own_siae="S1")
            without_match.append((profile["reference"], found))
    assert len(without_match) >= 8
    assert sum(1 for _, found in without_match if found) >= len(without_match) - 2, without_match
    for _, found in without_match:
        assert all(s.reasons for s in found)
        known = [s.distance_km for s in found if s.distance_km is not None]
        assert known == sorted(known)


def test_beyond_the_persons_mobility_the_employer_is_flagged(app, cre):
    response = cre.post("/cre/profils/nouveau", data={
        "reference": "MOB-001", "first_name": "Alain", "skills_text": "conduite poids lourd, livraison",
        "experiences": "chauffeur poids lourd", "postcode": "93100", "mobility_km": "2", "action": "enregistrer"})
    profile_id = int(re.search(r"/profils/(\d+)", response.location).group(1))
    _, items = suggestions(app, cre, profile_id)
    ferrand = next(i for i in items if "Transports Ferrand et Fils" in i)      # Noisy-le-Sec, 3 km from Montreuil
    assert "au-delà de sa mobilité (2 km)" in ferrand
    near = [i for i in items if "· 0 km" in i]
    assert all("au-delà de sa mobilité" not in i for i in near)


def test_a_person_with_nothing_known_gets_no_suggestion_but_a_way_forward(app, cre):
    response = cre.post("/cre/profils/nouveau", data={"reference": "VIDE-001", "first_name": "Inès", "skills_text": "",
                                                      "experiences": "", "postcode": "93100", "action": "enregistrer"})
    profile_id = int(re.search(r"/profils/(\d+)", response.location).group(1))
    page = cre.get(f"/cre/reseau/pour/{profile_id}").get_data(as_text=True)
    assert "Aucune entreprise du réseau ne recrute ses métiers" in page


def test_the_profile_page_points_to_the_employers_to_approach_when_no_posted_need_fits(app, cre):
    mohamed = person(app, "ACI-MTR-0001")
    page = cre.get(f"/cre/profils/{mohamed['id']}").get_data(as_text=True)
    block = page[page.index('id="demarcher"'):page.index('id="pistes"')]
    assert "Aucune offre publiée ne convient bien" in block and "Transports Ferrand et Fils" in block
    assert f"/cre/reseau/pour/{mohamed['id']}" in block


def test_another_structures_person_is_not_reachable(app):
    mohamed = person(app, "ACI-MTR-0001")
    other = enter(app.test_client(), "cre", "S3")
    assert other.get(f"/cre/reseau/pour/{mohamed['id']}").status_code == 404


def test_with_the_rome_imported_the_sector_metier_table_is_read(app, runner, cre):
    assert runner.invoke(args=["import-rome", str(MINI_ROME)]).exit_code == 0
    response = cre.post("/cre/profils/nouveau", data={
        "reference": "ROME-NAF-01", "first_name": "Awa", "skills_text": "couture", "experiences": "couturière",
        "postcode": "93100", "consent": "oui", "action": "enregistrer"})
    profile_id = int(re.search(r"/profils/(\d+)", response.location).group(1))
    assert storage.get_profile(read(app), profile_id)["rome_code"] == "X1001"
    cre.post("/cre/reseau/nouveau", data={"name": "Atelier Textile de Bagnolet", "naf_code": "13.92Z",
                                          "postcode": "93170"})
    cre.post("/cre/reseau/nouveau", data={"name": "Câblage Montreuil", "naf_code": "26.11Z", "postcode": "93100"})
    cre.post("/cre/reseau/nouveau", data={"name": "Restaurant sans rapport", "naf_code": "56.10A", "postcode": "93100"})
    page = cre.get(f"/cre/reseau/pour/{profile_id}").get_data(as_text=True)
    assert "Le secteur « Textile (secteur de test) » (NAF 13.92Z) emploie des « Couturier / Couturière » (X1001) : " \
           "son métier (ROME)" in page
    # The ROME's mobility makes câbleur a piste for a seamstress; division 26 employs câbleurs.
    assert "(NAF 26.11Z) emploie des « Câbleur / Câbleuse en électronique » (X1002) : une piste de métier" in page
    assert "Restaurant sans rapport" not in page
