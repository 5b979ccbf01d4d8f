"""CRE / CIP pages: profiles with mapping feedback, needs with ranked candidates, proposals, dashboard."""
import re

import storage

NEW_PROFILE = {
    "reference": "ACI-MTR-9001", "first_name": "Samira", "skills_text": "soudur a letain, couture, bonne humeur",
    "experiences": "couturière en atelier (10 ans)", "postcode": "93100", "french_level": "B1",
    "mobility_km": "40", "path_start": "2026-01-05", "path_end": "2027-01-04", "eligibility": ["RSA"],
    "action": "enregistrer",
}


def profile_id_from(response):
    return int(re.search(r"/cre/profils/(\d+)", response.location).group(1))


def test_check_button_shows_how_each_fragment_was_understood(cre):
    page = cre.post("/cre/profils/nouveau", data={**NEW_PROFILE, "action": "verifier"}).get_data(as_text=True)
    assert "Lecture des compétences" in page
    assert "Soudure à l&#39;étain" in page or "Soudure à l'étain" in page
    assert "non reconnu" in page                      # "bonne humeur"
    assert 'name="map-0-choice"' in page
    assert "soudur a letain, couture, bonne humeur" in page  # what was typed is kept


def test_saving_a_profile_stores_its_skill_map_and_location(cre, db):
    response = cre.post("/cre/profils/nouveau", data=NEW_PROFILE)
    assert response.status_code == 302
    row = storage.get_profile(db, profile_id_from(response))
    assert row["siae_id"] == "S1" and row["city"] == "Montreuil" and row["lat"]
    assert {e["skill_id"] for e in row["skill_map"]} >= {"electronique.soudure_etain"}
    assert [e["fragment"] for e in row["skill_map"] if e["skill_id"] is None] == ["bonne humeur"]


def test_a_person_can_correct_or_ignore_a_fragment(cre, db):
    data = {**NEW_PROFILE, "map-0-fragment": "couture", "map-0-choice": "__ignore__",
            "map-1-fragment": "bonne humeur", "map-1-choice": "", "map-1-other": "accueil physique des visiteurs"}
    response = cre.post("/cre/profils/nouveau", data=data)
    row = storage.get_profile(db, profile_id_from(response))
    by_fragment = {e["fragment"]: e for e in row["skill_map"]}
    assert by_fragment["couture"]["confirmed"] and by_fragment["couture"]["skill_id"] is None
    assert by_fragment["bonne humeur"]["confirmed"]
    assert by_fragment["bonne humeur"]["skill_id"] == "accueil_securite.accueil_physique"


def test_unknown_skill_label_is_refused_and_nothing_saved(cre, db):
    before = db["profiles"].count
    data = {**NEW_PROFILE, "map-0-fragment": "bonne humeur", "map-0-other": "Astronaute"}
    response = cre.post("/cre/profils/nouveau", data=data)
    assert response.status_code == 400
    assert "n&#39;est pas une compétence connue" in response.get_data(as_text=True)
    assert db["profiles"].count == before


def test_bad_profile_form_rerenders_in_french_and_keeps_input(cre, db):
    before = db["profiles"].count
    data = {**NEW_PROFILE, "postcode": "99999", "path_end": "2025-01-01", "french_level": "Z1", "reference": "a b"}
    response = cre.post("/cre/profils/nouveau", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    for message in ("Code postal 99999 inconnu", "Fin de parcours : elle doit être postérieure au début",
                    "Niveau de français : valeur inconnue", "Référence : 2 à 40 lettres"):
        assert message in page
    assert "soudur a letain, couture, bonne humeur" in page
    assert db["profiles"].count == before


def test_duplicate_reference_is_explained(cre):
    cre.post("/cre/profils/nouveau", data=NEW_PROFILE)
    page = cre.post("/cre/profils/nouveau", data=NEW_PROFILE).get_data(as_text=True)
    assert "déjà utilisée" in page


def test_profile_page_lists_the_offers_for_this_person(cre):
    response = cre.post("/cre/profils/nouveau", data=NEW_PROFILE)
    page = cre.get(response.location).get_data(as_text=True)
    assert "Les offres pour cette personne" in page
    assert "Câbleur / câbleuse filaire" in page       # couture and soldering lead to wiring
    assert "→" in page                                # a transfer line is explained


def test_edit_keeps_confirmed_choices(cre, db):
    response = cre.post("/cre/profils/nouveau", data={**NEW_PROFILE, "map-0-fragment": "couture",
                                                     "map-0-choice": "__ignore__"})
    pid = profile_id_from(response)
    cre.post(f"/cre/profils/{pid}/modifier", data={**NEW_PROFILE, "skills_text": NEW_PROFILE["skills_text"] + ", plonge"})
    entries = {e["fragment"]: e for e in storage.get_profile(db, pid)["skill_map"]}
    assert entries["couture"]["confirmed"] and entries["couture"]["skill_id"] is None
    assert entries["plonge"]["skill_id"] == "restauration.plonge"


def test_archive_removes_a_person_from_rankings(cre, db):
    need = next(n for n in storage.list_needs(db) if n["reference"] == "N028")
    page = cre.get(f"/cre/besoins/{need['id']}").get_data(as_text=True)
    first = int(re.search(r'data-candidate="(\d+)"', page).group(1))
    cre.post(f"/cre/profils/{first}/archiver")
    page = cre.get(f"/cre/besoins/{need['id']}").get_data(as_text=True)
    assert f'data-candidate="{first}"' not in page
    cre.post(f"/cre/profils/{first}/archiver")
    assert f'data-candidate="{first}"' in cre.get(f"/cre/besoins/{need['id']}").get_data(as_text=True)


def test_other_structures_profiles_are_not_reachable(cre, db):
    other = storage.list_profiles(db, siae_id="S2")[0]
    assert cre.get(f"/cre/profils/{other['id']}").status_code == 404
    assert cre.post(f"/cre/profils/{other['id']}/archiver").status_code == 404


def test_need_page_ranks_own_profiles_with_explanations(cre, db):
    need = next(n for n in storage.list_needs(db) if n["reference"] == "N028")
    page = cre.get(f"/cre/besoins/{need['id']}").get_data(as_text=True)
    own = {str(p["id"]) for p in storage.list_profiles(db, siae_id="S1")}
    shown = re.findall(r'data-candidate="(\d+)"', page)
    assert shown and set(shown) <= own
    assert "Compétences transférables" in page and "la couture exige la même précision du geste" in page


def test_need_filters(cre, db):
    need = next(n for n in storage.list_needs(db) if n["reference"] == "N028")
    url = f"/cre/besoins/{need['id']}"
    all_shown = re.findall(r'data-candidate="(\d+)"', cre.get(url + "?n=50").get_data(as_text=True))
    unblocked = re.findall(r'data-candidate="(\d+)"', cre.get(url + "?n=50&bloques=0").get_data(as_text=True))
    near = re.findall(r'data-candidate="(\d+)"', cre.get(url + "?n=50&km=15").get_data(as_text=True))
    assert len(unblocked) < len(all_shown) and len(near) < len(all_shown)
    bad = cre.get(url + "?km=loin&n=0")
    assert bad.status_code == 400 and "Distance : un nombre de kilomètres positif" in bad.get_data(as_text=True)


def test_propose_saves_the_explanation_as_it_was(cre, db):
    need = next(n for n in storage.list_needs(db) if n["reference"] == "N021")
    profile = storage.list_profiles(db, siae_id="S1")[0]
    response = cre.post(f"/cre/besoins/{need['id']}/proposer", data={"profile_id": profile["id"], "message": "Très motivé"})
    assert response.status_code == 302
    proposal = storage.list_proposals(db, need_id=need["id"], profile_id=profile["id"])[0]
    assert proposal["status"] == "proposee" and proposal["message"] == "Très motivé"
    assert set(proposal["explanation"]) >= {"direct", "transferable", "missing", "blocking", "score"}
    page = cre.get(response.location).get_data(as_text=True)
    assert "Explication au moment de la proposition" in page and "Très motivé" in page
    again = cre.post(f"/cre/besoins/{need['id']}/proposer", data={"profile_id": profile["id"]}, follow_redirects=True)
    assert "déjà été proposée" in again.get_data(as_text=True)


def test_cannot_propose_another_structures_profile(cre, db):
    need = storage.list_needs(db)[0]
    other = storage.list_profiles(db, siae_id="S2")[0]
    assert cre.post(f"/cre/besoins/{need['id']}/proposer", data={"profile_id": other["id"]}).status_code == 404
    assert not storage.list_proposals(db, need_id=need["id"], profile_id=other["id"])


def test_proposal_follow_up_and_refusal_reason(cre, db):
    proposal = storage.list_proposals(db, siae_id="S1")[0]
    url = f"/cre/propositions/{proposal['id']}"
    page = cre.post(url + "/etat", data={"status": "refusee"}, follow_redirects=True).get_data(as_text=True)
    assert "Un refus doit avoir un motif" in page
    cre.post(url + "/note", data={"note": "Appel de suivi : très bon contact"})
    assert "Appel de suivi : très bon contact" in cre.get(url).get_data(as_text=True)


def test_dashboard_counts_and_lists(cre, db):
    page = cre.get("/cre/").get_data(as_text=True)
    counts = storage.proposal_counts(db, siae_id="S1")
    assert "Propositions par état" in page and "Besoins sans bon candidat" in page
    assert "Personnes jamais proposées" in page
    assert f'<span class="count">{counts["proposee"]}</span> Proposée' in page


def test_trial_ranks_without_saving(cre, db):
    before = db["needs"].count
    page = cre.post("/cre/essai", data={"title": "Câbleur", "skills_required": "câblage filaire, soudure à l'étain"})
    assert "Profils classés" in page.get_data(as_text=True)
    assert db["needs"].count == before
    assert cre.post("/cre/essai", data={}).status_code == 400
