"""The JSON API under /api/v1, as a client sees it: status codes, bodies, effects.

Every test runs on its own copy of the demo database (5 SIAE, 15 employers,
120 profiles, 30 open needs, 11 proposals). Demo rows are found by their
reference (only the error table uses need 1, the first demo need); expected
counts come from data/demo/.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

import storage

API = "/api/v1"
DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"


def _jsonl(name):
    return [json.loads(line) for line in (DEMO / name).read_text(encoding="utf-8").splitlines() if line.strip()]


DEMO_NEEDS = _jsonl("needs.jsonl")
DEMO_PROFILES = _jsonl("profiles.jsonl")

# Words that only a French message would contain (errors are written for French-speaking users).
FRENCH_WORDS = ("introuvable", "attendu", "paramètre", "corps", "déjà", "possible", "motif", "inconnu",
                "invalide", "entier", "texte", "obligatoire", "organisation", "besoin", "profil", "caractères",
                "existe")


def need_body(**changes):
    """A valid NeedInput for employer E01 (Bobigny); ``changes`` replace top-level keys."""
    body = {
        "employer_id": "E01", "reference": "API-0001", "title": "Opérateur câbleur H/F",
        "description": "Câblage de faisceaux pour l'industrie ferroviaire.",
        "skills": [{"text": "soudure à l'étain", "required": True}, {"text": "câblage filaire", "required": False}],
        "contract": "CDI", "hours_per_week": 35, "positions": 1, "start_date": "2027-02-01",
        "requirements": {"driving_licence": False, "french_level": "A2"},
        "location": {"postcode": "93100"}, "max_distance_km": 30,
    }
    body.update(changes)
    return body


def profile_body(**changes):
    """A valid ProfileInput for SIAE S1 (Montreuil)."""
    body = {
        "siae_id": "S1", "reference": "API-P-0001", "first_name": "Awa",
        "description": "Agente de tri en ressourcerie depuis un an.",
        "skills_text": "tri des déchets, manutention, accueil du public",
        "experiences": ["agente de tri (ACI)"], "driving_licence": False, "vehicle": False, "mobility_km": 20,
        "french_level": "B1", "availability": "immédiate", "part_time": False,
        "location": {"postcode": "93100"}, "eligibility": ["RSA", "DELD"],
    }
    body.update(changes)
    return body


# A house painter living next to N001 (Peintre en bâtiment, Bobigny): fits N001 very well.
PAINTER = {
    "reference": "API-PEINTRE-01", "first_name": "Yacine",
    "description": "Peintre en bâtiment, dix ans de chantiers de réhabilitation de logements sociaux.",
    "skills_text": ("peinture au rouleau et à la brosse, ponçage des murs, enduit de lissage, rebouchage, "
                    "préparation des supports, pose de toile de verre, respect des consignes de sécurité"),
    "experiences": ["peintre en bâtiment (10 ans)"], "driving_licence": True, "french_level": "C1",
    "mobility_km": 30, "location": {"postcode": "93000"},
}


def get_json(client, url, status=200, **kwargs):
    response = client.get(url, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def need_by_ref(client, reference):
    return next(n for n in get_json(client, f"{API}/needs?status=tous") if n["reference"] == reference)


def profile_by_ref(client, reference):
    return next(p for p in get_json(client, f"{API}/profiles?archived=true") if p["reference"] == reference)


def count_needs(client):
    return len(get_json(client, f"{API}/needs?status=tous"))


def count_profiles(client):
    return len(get_json(client, f"{API}/profiles?archived=true"))


def matches(client, need_id, **params):
    return get_json(client, f"{API}/needs/{need_id}/matches", query_string=params)["results"]


def assert_error(response, status):
    """A JSON error body: {"error": "<French message>"} with the given status."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json, response.content_type
    body = response.get_json()
    assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"].strip()
    return body


def propose(client, need_id, profile_id=None, **extra):
    """POST a proposal (the need's best unblocked candidate without a proposal when no profile is given)."""
    if profile_id is None:
        taken = {p["profile_id"] for p in get_json(client, f"{API}/proposals?need_id={need_id}")}
        profile_id = next(m["candidate"] for m in matches(client, need_id, top=20, include_blocked="false")
                          if m["candidate"] not in taken)
    return client.post(f"{API}/proposals", json={"need_id": need_id, "profile_id": profile_id, **extra})


def move(client, proposal_id, status, **extra):
    return client.post(f"{API}/proposals/{proposal_id}/transitions", json={"status": status, **extra})


# -- needs: list ----------------------------------------------------------------
def test_needs_list_defaults_to_open_needs(client):
    need = need_by_ref(client, "N001")
    assert client.patch(f"{API}/needs/{need['id']}", json={"status": "ferme"}).status_code == 200
    listed = get_json(client, f"{API}/needs")
    assert listed and all(n["status"] == "ouvert" for n in listed)
    assert need["id"] not in {n["id"] for n in listed}
    assert len(listed) == len(DEMO_NEEDS) - 1


def test_needs_list_status_tous_includes_every_status(client):
    need = need_by_ref(client, "N001")
    client.patch(f"{API}/needs/{need['id']}", json={"status": "ferme"})
    everything = get_json(client, f"{API}/needs?status=tous")
    assert len(everything) == len(DEMO_NEEDS)
    assert {n["status"] for n in everything} == {"ouvert", "ferme"}
    assert [n["id"] for n in get_json(client, f"{API}/needs?status=ferme")] == [need["id"]]


def test_needs_list_filters_by_employer(client):
    listed = get_json(client, f"{API}/needs?employer_id=E03")
    assert {n["employer_id"] for n in listed} == {"E03"}
    assert len(listed) == Counter(n["employer"] for n in DEMO_NEEDS)["E03"]
    assert get_json(client, f"{API}/needs?employer_id=E99") == []


def test_needs_list_rejects_an_unknown_status(client):
    body = assert_error(client.get(f"{API}/needs?status=archive"), 400)
    assert "status" in body["error"]


# -- needs: get -------------------------------------------------------------------
def test_get_need_returns_its_representation(client):
    need = need_by_ref(client, "N001")
    got = get_json(client, f"{API}/needs/{need['id']}")
    assert got == need
    assert got["employer_id"] == "E01" and got["title"] == "Peintre en bâtiment H/F"
    assert got["requirements"] == {"driving_licence": False, "french_level": "A2"}
    assert got["location"]["postcode"] == "93000" and got["location"]["lat"] == pytest.approx(48.9077)
    assert [s["required"] for s in got["skills"]] == [True, True, False, False, True]


def test_get_unknown_need_is_a_json_404(client):
    body = assert_error(client.get(f"{API}/needs/99999"), 404)
    assert set(body) == {"error"}


# -- needs: create ----------------------------------------------------------------
def test_create_need_returns_201_with_the_stored_representation(client):
    response = client.post(f"{API}/needs", json=need_body())
    assert response.status_code == 201, response.get_data(as_text=True)
    created = response.get_json()
    assert created == get_json(client, f"{API}/needs/{created['id']}")
    assert created["status"] == "ouvert"
    assert created["reference"] == "API-0001" and created["employer_id"] == "E01"
    assert created["contract"] == "CDI" and created["hours_per_week"] == 35 and created["positions"] == 1
    assert created["requirements"] == {"driving_licence": False, "french_level": "A2"}
    assert created["location"]["city"] == "Montreuil" and created["location"]["lat"] is not None
    assert created["id"] in {n["id"] for n in get_json(client, f"{API}/needs?employer_id=E01")}


def test_create_need_fills_the_skill_map_from_the_skills(client):
    created = client.post(f"{API}/needs", json=need_body()).get_json()
    entries = created["skill_map"]
    assert entries, "the skills should have been mapped"
    assert all(e["confirmed"] is False for e in entries)  # suggestions, nobody checked them yet
    solder = next(e for e in entries if e["skill_id"] == "electronique.soudure_etain")
    assert solder["required"] is True and solder["label"] == "Soudure à l'étain"
    assert solder["fragment"] == "soudure à l'étain"
    assert {e["required"] for e in entries if e["fragment"] == "câblage filaire"} == {False}


def test_create_need_requires_a_json_content_type(client):
    before = count_needs(client)
    body = assert_error(client.post(f"{API}/needs", data=json.dumps(need_body())), 415)
    assert "JSON" in body["error"]
    assert count_needs(client) == before


@pytest.mark.parametrize("raw", ["{", "[1, 2]", '"texte"', "null"])
def test_create_need_rejects_a_body_that_is_not_a_json_object(client, raw):
    before = count_needs(client)
    assert_error(client.post(f"{API}/needs", data=raw, content_type="application/json"), 400)
    assert count_needs(client) == before


@pytest.mark.parametrize("changes, field", [
    ({"contract": "CDI à vie"}, "contract"),
    ({"contract": None}, "contract"),
    ({"title": "  "}, "title"),
    ({"requirements": {"french_level": "Z9"}}, "french_level"),
    ({"hours_per_week": 99}, "hours_per_week"),
    ({"positions": 0}, "positions"),
    ({"start_date": "01/02/2027"}, "start_date"),
    ({"location": {"postcode": "7501"}}, "postcode"),
    ({"location": {"postcode": "99999"}}, "postcode"),
    ({"reference": "a b"}, "reference"),
    ({"skills": [{"required": True}]}, "skills"),
])
def test_create_need_with_an_invalid_field_is_422_and_stores_nothing(client, changes, field):
    before = count_needs(client)
    body = assert_error(client.post(f"{API}/needs", json=need_body(**changes)), 422)
    assert field in body["fields"], body
    assert all(isinstance(m, str) and m for m in body["fields"].values())
    assert count_needs(client) == before


def test_create_need_reports_every_invalid_field_at_once(client):
    body = assert_error(client.post(f"{API}/needs", json=need_body(
        contract="X", hours_per_week=99, requirements={"french_level": "Z9"}, location={"postcode": "7501"})), 422)
    assert {"contract", "hours_per_week", "french_level", "postcode"} <= set(body["fields"])


@pytest.mark.parametrize("employer_id", ["E99", "S1", "", None])
def test_create_need_for_an_unknown_employer_is_422_and_stores_nothing(client, employer_id):
    before = count_needs(client)
    body = assert_error(client.post(f"{API}/needs", json=need_body(employer_id=employer_id)), 422)
    assert body.get("fields")
    assert count_needs(client) == before


def test_create_need_reports_an_unknown_employer_on_the_employer_id_field(client):
    body = assert_error(client.post(f"{API}/needs", json=need_body(employer_id="E99")), 422)
    assert "employer_id" in body["fields"]


def test_create_need_with_a_reference_taken_by_the_same_employer_is_409(client):
    before = count_needs(client)
    body = assert_error(client.post(f"{API}/needs", json=need_body(reference="N001")), 409)
    assert "N001" in body["error"] and "déjà" in body["error"]
    assert count_needs(client) == before


def test_the_same_reference_is_free_for_another_employer(client):
    response = client.post(f"{API}/needs", json=need_body(employer_id="E02", reference="N001"))
    assert response.status_code == 201, response.get_data(as_text=True)


def test_needs_without_reference_do_not_collide(client):
    first = client.post(f"{API}/needs", json=need_body(reference=None))
    second = client.post(f"{API}/needs", json=need_body(reference=None))
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.get_json()["id"] != second.get_json()["id"]


def test_create_need_with_skills_as_a_string_is_422(client):
    before = count_needs(client)
    response = client.post(f"{API}/needs", json=need_body(skills="soudure à l'étain, câblage"))
    assert response.status_code == 422, response.get_data(as_text=True)
    assert count_needs(client) == before


# -- needs: patch -----------------------------------------------------------------
def test_patch_need_changes_only_the_given_fields(client):
    need = need_by_ref(client, "N001")
    response = client.patch(f"{API}/needs/{need['id']}", json={"title": "Peintre finitions H/F", "positions": 2})
    assert response.status_code == 200, response.get_data(as_text=True)
    patched = response.get_json()
    assert patched["title"] == "Peintre finitions H/F" and patched["positions"] == 2
    unchanged = {k: v for k, v in need.items() if k not in ("title", "positions", "updated_at")}
    assert {k: patched[k] for k in unchanged} == unchanged
    assert get_json(client, f"{API}/needs/{need['id']}") == patched


def test_patch_need_location_recomputes_the_coordinates(client):
    need = need_by_ref(client, "N001")
    patched = client.patch(f"{API}/needs/{need['id']}", json={"location": {"postcode": "75019"}}).get_json()
    assert patched["location"]["postcode"] == "75019" and patched["location"]["city"].startswith("Paris")
    assert patched["location"]["lat"] != need["location"]["lat"]


def test_patch_need_skills_maps_them_again(client):
    need = need_by_ref(client, "N001")
    patched = client.patch(f"{API}/needs/{need['id']}", json={"skills": [{"text": "soudure à l'étain"}]}).get_json()
    assert patched["skills"] == [{"text": "soudure à l'étain", "required": True}]
    assert [e["skill_id"] for e in patched["skill_map"]] == ["electronique.soudure_etain"]


@pytest.mark.parametrize("status", ["pourvu", "ferme", "ouvert"])
def test_patch_need_status(client, status):
    need = need_by_ref(client, "N001")
    patched = client.patch(f"{API}/needs/{need['id']}", json={"status": status}).get_json()
    assert patched["status"] == status
    assert get_json(client, f"{API}/needs/{need['id']}")["status"] == status
    assert (need["id"] in {n["id"] for n in get_json(client, f"{API}/needs")}) == (status == "ouvert")


def test_patch_need_with_an_unknown_status_is_422(client):
    need = need_by_ref(client, "N001")
    body = assert_error(client.patch(f"{API}/needs/{need['id']}", json={"status": "annule"}), 422)
    assert "status" in body["fields"]
    assert get_json(client, f"{API}/needs/{need['id']}")["status"] == "ouvert"


def test_patch_need_cannot_change_the_employer(client):
    need = need_by_ref(client, "N001")
    body = assert_error(client.patch(f"{API}/needs/{need['id']}", json={"employer_id": "E02", "title": "Autre"}), 422)
    assert "employer_id" in body["fields"]
    assert get_json(client, f"{API}/needs/{need['id']}") == need


def test_patch_need_with_its_own_employer_is_accepted(client):
    need = need_by_ref(client, "N001")
    response = client.patch(f"{API}/needs/{need['id']}", json={"employer_id": "E01", "title": "Peintre H/F"})
    assert response.status_code == 200 and response.get_json()["title"] == "Peintre H/F"


def test_patch_need_with_invalid_fields_changes_nothing(client):
    need = need_by_ref(client, "N001")
    body = assert_error(client.patch(f"{API}/needs/{need['id']}", json={"title": "Nouveau", "hours_per_week": 0}), 422)
    assert set(body["fields"]) == {"hours_per_week"}
    assert get_json(client, f"{API}/needs/{need['id']}") == need


def test_patch_need_to_a_reference_the_employer_already_uses_is_409(client):
    need = need_by_ref(client, "N001")
    body = assert_error(client.patch(f"{API}/needs/{need['id']}", json={"reference": "N002"}), 409)
    assert "N002" in body["error"]
    assert get_json(client, f"{API}/needs/{need['id']}")["reference"] == "N001"


def test_patch_unknown_need_is_404(client):
    assert_error(client.patch(f"{API}/needs/99999", json={"title": "x"}), 404)


def test_patch_need_requires_json(client):
    need = need_by_ref(client, "N001")
    assert_error(client.patch(f"{API}/needs/{need['id']}", data="title=x"), 415)


def wanted_skills(match):
    """The skills a need asks for, as one match explains them (met, transferred or missing)."""
    return set(match["direct"]) | set(match["missing"]) | {t["skill"] for t in match["transferable"]}


def test_matches_follow_a_need_edited_later(client, monkeypatch):
    stamps = (f"2026-11-02T09:00:{second:02d}+00:00" for second in range(60))
    monkeypatch.setattr(storage, "now", lambda: next(stamps))  # one write per second
    need = client.post(f"{API}/needs", json=need_body(title="Agent polyvalent H/F", description="",
                                                      skills=[{"text": "soudure à l'étain"}])).get_json()
    assert wanted_skills(matches(client, need["id"], top=1)[0]) == {"Soudure à l'étain"}
    client.patch(f"{API}/needs/{need['id']}", json={"skills": [{"text": "peinture au rouleau et à la brosse"}]})
    assert wanted_skills(matches(client, need["id"], top=1)[0]) == {"Peinture intérieure au rouleau et à la brosse"}


def test_matches_follow_a_need_edited_within_the_same_second(client, monkeypatch):
    monkeypatch.setattr(storage, "now", lambda: "2026-11-02T09:00:00+00:00")  # both writes in one second
    need = client.post(f"{API}/needs", json=need_body(title="Agent polyvalent H/F", description="",
                                                      skills=[{"text": "soudure à l'étain"}])).get_json()
    assert wanted_skills(matches(client, need["id"], top=1)[0]) == {"Soudure à l'étain"}
    client.patch(f"{API}/needs/{need['id']}", json={"skills": [{"text": "peinture au rouleau et à la brosse"}]})
    assert wanted_skills(matches(client, need["id"], top=1)[0]) == {"Peinture intérieure au rouleau et à la brosse"}


# -- profiles -----------------------------------------------------------------------
def test_profiles_list_filters_by_siae(client):
    listed = get_json(client, f"{API}/profiles?siae_id=S1")
    assert {p["siae_id"] for p in listed} == {"S1"}
    assert len(listed) == Counter(p["siae"] for p in DEMO_PROFILES)["S1"]
    assert len(get_json(client, f"{API}/profiles")) == len(DEMO_PROFILES)


def test_create_profile_returns_201_and_locates_a_known_postcode(client):
    before = count_profiles(client)
    response = client.post(f"{API}/profiles", json=profile_body())
    assert response.status_code == 201, response.get_data(as_text=True)
    created = response.get_json()
    assert created == get_json(client, f"{API}/profiles/{created['id']}")
    assert created["siae_id"] == "S1" and created["reference"] == "API-P-0001" and created["archived"] is False
    assert created["location"]["postcode"] == "93100" and created["location"]["city"] == "Montreuil"
    assert created["location"]["lat"] == pytest.approx(48.86, abs=0.05)
    assert created["location"]["lon"] == pytest.approx(2.44, abs=0.05)
    assert created["eligibility"] == ["RSA", "DELD"]
    assert created["skill_map"] and all(e["required"] for e in created["skill_map"])
    assert count_profiles(client) == before + 1


def test_create_profile_with_an_unknown_postcode_needs_coordinates(client):
    before = count_profiles(client)
    body = assert_error(client.post(f"{API}/profiles", json=profile_body(location={"postcode": "99999"})), 422)
    assert "postcode" in body["fields"] and "latitude" in body["fields"]["postcode"]
    assert count_profiles(client) == before


def test_create_profile_with_an_unknown_postcode_and_coordinates_is_accepted(client):
    response = client.post(f"{API}/profiles", json=profile_body(
        location={"postcode": "99999", "city": "Ailleurs", "lat": 48.5, "lon": 2.5}))
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["location"] == {"postcode": "99999", "city": "Ailleurs", "lat": 48.5, "lon": 2.5}


def test_create_profile_with_a_taken_reference_is_409(client):
    before = count_profiles(client)
    # references are unique across SIAE: another structure cannot reuse one either
    body = assert_error(client.post(f"{API}/profiles", json=profile_body(siae_id="S2", reference="ACI-MTR-0001")), 409)
    assert "ACI-MTR-0001" in body["error"]
    assert count_profiles(client) == before


@pytest.mark.parametrize("changes, field", [
    ({"eligibility": ["RSA", "millionnaire"]}, "eligibility"),
    ({"eligibility": "RSA; fortune"}, "eligibility"),
    ({"eligibility": [1, 2]}, "eligibility"),
    ({"reference": "Dupont Jean"}, "reference"),
    ({"first_name": ""}, "first_name"),
    ({"french_level": "Z9"}, "french_level"),
    ({"mobility_km": 1000}, "mobility_km"),
    ({"driving_licence": "peut-être"}, "driving_licence"),
    ({"vehicle": True, "driving_licence": False}, "vehicle"),
    ({"path_start": "2026-06-01", "path_end": "2026-01-01"}, "path_end"),
])
def test_create_profile_with_an_invalid_field_is_422_and_stores_nothing(client, changes, field):
    before = count_profiles(client)
    body = assert_error(client.post(f"{API}/profiles", json=profile_body(**changes)), 422)
    assert field in body["fields"], body
    assert count_profiles(client) == before


def test_create_profile_accepts_every_eligibility_category(client):
    import eligibility

    categories = list(eligibility.CATEGORIES)
    created = client.post(f"{API}/profiles", json=profile_body(eligibility=categories)).get_json()
    assert created["eligibility"] == categories


def test_create_profile_for_an_unknown_siae_is_422(client):
    before = count_profiles(client)
    assert_error(client.post(f"{API}/profiles", json=profile_body(siae_id="E01")), 422)
    assert count_profiles(client) == before


def test_get_profile_and_404(client):
    profile = profile_by_ref(client, "ACI-MTR-0001")
    got = get_json(client, f"{API}/profiles/{profile['id']}")
    assert got["first_name"] == "Mohamed" and got["siae_id"] == "S1" and got["eligibility"] == ["senior", "DELD"]
    assert_error(client.get(f"{API}/profiles/99999"), 404)


def test_patch_profile_changes_only_the_given_fields(client):
    profile = profile_by_ref(client, "ACI-MTR-0001")
    changes = {"mobility_km": 10, "eligibility": ["RSA"]}
    patched = client.patch(f"{API}/profiles/{profile['id']}", json=changes).get_json()
    assert patched["mobility_km"] == 10 and patched["eligibility"] == ["RSA"]
    unchanged = {k: v for k, v in profile.items() if k not in ("mobility_km", "eligibility", "updated_at")}
    assert {k: patched[k] for k in unchanged} == unchanged


def test_patch_profile_validates_eligibility(client):
    profile = profile_by_ref(client, "ACI-MTR-0001")
    body = assert_error(client.patch(f"{API}/profiles/{profile['id']}", json={"eligibility": ["XYZ"]}), 422)
    assert "eligibility" in body["fields"]
    assert get_json(client, f"{API}/profiles/{profile['id']}")["eligibility"] == ["senior", "DELD"]


def test_patch_profile_cannot_change_the_siae(client):
    profile = profile_by_ref(client, "ACI-MTR-0001")
    body = assert_error(client.patch(f"{API}/profiles/{profile['id']}", json={"siae_id": "S2"}), 422)
    assert "siae_id" in body["fields"]


def test_patch_profile_archived_must_be_a_boolean(client):
    profile = profile_by_ref(client, "ACI-MTR-0001")
    body = assert_error(client.patch(f"{API}/profiles/{profile['id']}", json={"archived": "oui"}), 422)
    assert "archived" in body["fields"]
    assert get_json(client, f"{API}/profiles/{profile['id']}")["archived"] is False


def test_archiving_a_profile_removes_it_from_matches_and_lists(client):
    need = need_by_ref(client, "N001")
    best = matches(client, need["id"])[0]["candidate"]
    response = client.patch(f"{API}/profiles/{best}", json={"archived": True})
    assert response.status_code == 200 and response.get_json()["archived"] is True
    assert best not in {m["candidate"] for m in matches(client, need["id"], top=100)}
    assert best not in {p["id"] for p in get_json(client, f"{API}/profiles")}
    assert best in {p["id"] for p in get_json(client, f"{API}/profiles?archived=true")}
    # and back
    client.patch(f"{API}/profiles/{best}", json={"archived": False})
    assert matches(client, need["id"])[0]["candidate"] == best


def test_patch_unknown_profile_is_404(client):
    assert_error(client.patch(f"{API}/profiles/99999", json={"first_name": "X"}), 404)


# -- matches --------------------------------------------------------------------------
def test_matches_top_5_are_explained_and_sorted(client):
    need = need_by_ref(client, "N001")
    body = get_json(client, f"{API}/needs/{need['id']}/matches?top=5")
    assert body["need"] == need["id"]
    results = body["results"]
    assert 0 < len(results) <= 5
    for r in results:
        assert {"candidate", "score", "direct", "transferable", "missing", "blocking"} <= set(r)
        assert isinstance(r["candidate"], int) and 0.0 <= r["score"] <= 1.0
    keys = [(bool(r["blocking"]), -r["score"]) for r in results]
    assert keys == sorted(keys)


@pytest.mark.parametrize("reference", ["N001", "N004", "N017", "N028"])
def test_matches_put_unblocked_candidates_first_then_by_score(client, reference):
    need = need_by_ref(client, reference)
    results = matches(client, need["id"], top=100)
    keys = [(bool(r["blocking"]), -r["score"]) for r in results]
    assert keys == sorted(keys)
    assert any(r["blocking"] for r in results), "these needs have blocked candidates among the top 100"
    assert len({r["candidate"] for r in results}) == len(results)


def test_matches_default_to_ten(client):
    assert len(matches(client, need_by_ref(client, "N001")["id"])) == 10


@pytest.mark.parametrize("top", ["0", "abc", "-1", "1.5", "101"])
def test_matches_reject_a_bad_top(client, top):
    need = need_by_ref(client, "N001")
    body = assert_error(client.get(f"{API}/needs/{need['id']}/matches?top={top}"), 400)
    assert "top" in body["error"]


def test_matches_reject_a_superscript_digit_top(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # see the response a client gets
    need = need_by_ref(client, "N001")
    assert_error(client.get(f"{API}/needs/{need['id']}/matches?top=²"), 400)


def test_matches_of_an_unknown_need_are_404(client):
    assert_error(client.get(f"{API}/needs/99999/matches"), 404)


def test_a_huge_id_is_404(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert_error(client.get(f"{API}/needs/{2 ** 64}"), 404)


def test_matches_restricted_to_one_siae(client):
    need = need_by_ref(client, "N001")
    s1 = {p["id"] for p in get_json(client, f"{API}/profiles?siae_id=S1")}
    results = matches(client, need["id"], siae_id="S1", top=100)
    assert results and {r["candidate"] for r in results} <= s1
    assert len(results) == len(s1)
    assert not {r["candidate"] for r in matches(client, need["id"], top=10)} <= s1  # the filter does something


def test_matches_with_an_unknown_siae_is_422(client):
    need = need_by_ref(client, "N001")
    assert_error(client.get(f"{API}/needs/{need['id']}/matches?siae_id=S9"), 422)
    assert_error(client.get(f"{API}/needs/{need['id']}/matches?siae_id=E01"), 422)


@pytest.mark.parametrize("reference", ["N001", "N004", "N018"])
def test_matches_without_blocked_candidates(client, reference):
    need = need_by_ref(client, reference)
    everyone = matches(client, need["id"], top=100)
    unblocked = matches(client, need["id"], top=100, include_blocked="false")
    assert all(not r["blocking"] for r in unblocked)
    assert [r["candidate"] for r in unblocked] == [r["candidate"] for r in everyone if not r["blocking"]]


def test_matches_max_distance_filter(client):
    need = need_by_ref(client, "N001")
    everyone = matches(client, need["id"], top=100)
    assert any(r["distance_km"] > 5 for r in everyone)
    near = matches(client, need["id"], top=100, max_distance_km=5)
    assert near and all(r["distance_km"] is not None and r["distance_km"] <= 5.05 for r in near)
    near_ids = {r["candidate"] for r in near}
    assert {r["candidate"] for r in everyone if r["distance_km"] < 4.95} <= near_ids  # distances are rounded
    assert not {r["candidate"] for r in everyone if r["distance_km"] > 5.05} & near_ids


@pytest.mark.parametrize("value", ["0", "-3", "loin"])
def test_matches_reject_a_bad_max_distance(client, value):
    need = need_by_ref(client, "N001")
    body = assert_error(client.get(f"{API}/needs/{need['id']}/matches?max_distance_km={value}"), 400)
    assert "max_distance_km" in body["error"]


def test_matches_reject_nan_as_max_distance(client):
    need = need_by_ref(client, "N001")
    assert_error(client.get(f"{API}/needs/{need['id']}/matches?max_distance_km=nan"), 400)


def test_a_profile_created_through_the_api_is_matched_at_once(app, client):
    need = need_by_ref(client, "N001")
    before = matches(client, need["id"])  # builds this process's index
    index = app.extensions["passerelle_engine"].index
    response = client.post(f"{API}/profiles", json=profile_body(**PAINTER))
    assert response.status_code == 201, response.get_data(as_text=True)
    newcomer = response.get_json()["id"]
    after = matches(client, need["id"])
    assert newcomer not in {r["candidate"] for r in before}
    assert newcomer in {r["candidate"] for r in after}
    mine = next(r for r in after if r["candidate"] == newcomer)
    assert not mine["blocking"] and mine["direct"]
    assert app.extensions["passerelle_engine"].index is index  # updated in place, not rebuilt


def test_a_profile_edited_through_the_api_is_matched_on_its_new_skills(client):
    need = need_by_ref(client, "N001")
    seamstress = {**PAINTER, "description": "Couturière.", "experiences": [], "skills_text": "couture"}
    created = client.post(f"{API}/profiles", json=profile_body(**seamstress)).get_json()
    assert created["id"] not in {r["candidate"] for r in matches(client, need["id"])}
    client.patch(f"{API}/profiles/{created['id']}", json={"skills_text": PAINTER["skills_text"]})
    assert created["id"] in {r["candidate"] for r in matches(client, need["id"])}


# -- proposals --------------------------------------------------------------------------
def test_create_proposal_saves_the_explanation(client):
    need = need_by_ref(client, "N026")
    response = propose(client, need["id"], message="  Très motivée.  ")
    assert response.status_code == 201, response.get_data(as_text=True)
    proposal = response.get_json()
    assert proposal["need_id"] == need["id"] and proposal["status"] == "proposee"
    assert proposal["status_label"] == "Proposée" and proposal["message"] == "Très motivée."
    assert 0.0 <= proposal["score"] <= 1.0
    explanation = proposal["explanation"]
    assert {"direct", "transferable", "missing"} <= set(explanation)
    assert explanation["score"] == pytest.approx(proposal["score"], abs=1e-4)
    profile = get_json(client, f"{API}/profiles/{proposal['profile_id']}")
    assert proposal["proposed_by"] == profile["siae_id"]
    assert proposal["id"] in {p["id"] for p in get_json(client, f"{API}/proposals?need_id={need['id']}")}


def test_a_duplicate_proposal_is_409(client):
    need = need_by_ref(client, "N026")
    first = propose(client, need["id"]).get_json()
    body = assert_error(propose(client, need["id"], first["profile_id"]), 409)
    assert "déjà" in body["error"]
    assert len(get_json(client, f"{API}/proposals?need_id={need['id']}")) == 1


def test_a_proposal_for_an_unknown_need_or_profile_is_404(client):
    profile = profile_by_ref(client, "ACI-MTR-0001")
    assert_error(propose(client, 99999, profile["id"]), 404)
    assert_error(propose(client, need_by_ref(client, "N026")["id"], 99999), 404)


@pytest.mark.parametrize("body", [{}, {"need_id": "1", "profile_id": 1}, {"need_id": True, "profile_id": 1},
                                  {"need_id": 1, "profile_id": 1, "message": 5}])
def test_a_proposal_with_bad_fields_is_422(client, body):
    assert_error(client.post(f"{API}/proposals", json=body), 422)


def test_a_boolean_profile_id_is_422(client):
    assert_error(client.post(f"{API}/proposals", json={"need_id": need_by_ref(client, "N026")["id"],
                                                        "profile_id": True}), 422)


def test_an_archived_profile_cannot_be_proposed(client):
    need = need_by_ref(client, "N026")
    best = matches(client, need["id"], include_blocked="false")[0]["candidate"]
    client.patch(f"{API}/profiles/{best}", json={"archived": True})
    assert_error(propose(client, need["id"], best), 409)


def test_a_need_no_longer_open_takes_no_proposal(client):
    need = need_by_ref(client, "N026")
    client.patch(f"{API}/needs/{need['id']}", json={"status": "ferme"})
    body = assert_error(propose(client, need["id"], profile_by_ref(client, "ACI-MTR-0001")["id"]), 409)
    assert "ouvert" in body["error"]


def test_allowed_path_to_hiring(client):
    proposal = propose(client, need_by_ref(client, "N001")["id"]).get_json()
    for status in ("vue", "entretien", "embauchee"):
        response = move(client, proposal["id"], status, note="ok", actor="E01")
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.get_json()["status"] == status
    assert get_json(client, f"{API}/proposals/{proposal['id']}")["status_label"] == "Embauchée"


def test_hiring_the_last_position_fills_the_need(client):
    need = need_by_ref(client, "N026")
    assert need["positions"] == 1
    proposal = propose(client, need["id"]).get_json()
    move(client, proposal["id"], "vue")
    move(client, proposal["id"], "entretien")
    assert get_json(client, f"{API}/needs/{need['id']}")["status"] == "ouvert"
    assert move(client, proposal["id"], "embauchee").status_code == 200
    assert get_json(client, f"{API}/needs/{need['id']}")["status"] == "pourvu"
    assert need["id"] not in {n["id"] for n in get_json(client, f"{API}/needs")}


def test_a_need_stays_open_until_every_position_is_filled(client):
    need = need_by_ref(client, "N025")
    assert need["positions"] == 2
    first = propose(client, need["id"]).get_json()
    second = propose(client, need["id"]).get_json()
    assert move(client, first["id"], "embauchee").status_code == 200
    assert get_json(client, f"{API}/needs/{need['id']}")["status"] == "ouvert"
    assert move(client, second["id"], "embauchee").status_code == 200
    assert get_json(client, f"{API}/needs/{need['id']}")["status"] == "pourvu"


def test_a_refusal_without_reason_is_409_in_french(client):
    proposal = propose(client, need_by_ref(client, "N026")["id"]).get_json()
    body = assert_error(move(client, proposal["id"], "refusee"), 409)
    assert "motif" in body["error"] and "Mobilité" in body["error"]
    assert get_json(client, f"{API}/proposals/{proposal['id']}")["status"] == "proposee"


def test_a_refusal_with_a_reason(client):
    proposal = propose(client, need_by_ref(client, "N026")["id"]).get_json()
    refused = move(client, proposal["id"], "refusee", reason="mobilite").get_json()
    assert refused["status"] == "refusee" and refused["refusal_reason"] == "mobilite"
    assert_error(move(client, proposal["id"], "vue"), 409)  # a refusal is final


def test_an_illegal_move_is_409(client):
    hired = get_json(client, f"{API}/proposals?status=embauchee")
    assert hired, "the demo has a hired proposal"
    body = assert_error(move(client, hired[0]["id"], "entretien"), 409)
    assert "Passage impossible" in body["error"]
    assert get_json(client, f"{API}/proposals/{hired[0]['id']}")["status"] == "embauchee"


def test_a_transition_of_an_unknown_proposal_is_404(client):
    assert_error(move(client, 99999, "vue"), 404)


@pytest.mark.parametrize("body", [{}, {"status": 3}, {"status": "vue", "reason": 1}, {"status": "vue", "note": []}])
def test_a_transition_with_bad_fields_is_422(client, body):
    proposal = get_json(client, f"{API}/proposals?status=proposee")[0]
    assert_error(client.post(f"{API}/proposals/{proposal['id']}/transitions", json=body), 422)


def test_proposal_events_tell_its_history(client):
    proposal = propose(client, need_by_ref(client, "N026")["id"], message="Bonne candidate").get_json()
    move(client, proposal["id"], "vue", actor="E12")
    move(client, proposal["id"], "refusee", reason="autre", note="Poste gelé", actor="E12")
    got = get_json(client, f"{API}/proposals/{proposal['id']}")
    events = got["events"]
    assert [(e["from_status"], e["to_status"]) for e in events] == [
        (None, "proposee"), ("proposee", "vue"), ("vue", "refusee")]
    assert events[0]["note"] == "Bonne candidate"
    assert events[2]["reason"] == "autre" and events[2]["note"] == "Poste gelé" and events[2]["actor"] == "E12"


def test_proposals_list_filters(client):
    listed = get_json(client, f"{API}/proposals")
    assert len(listed) == 11
    assert all(p["status"] == "entretien" for p in get_json(client, f"{API}/proposals?status=entretien"))
    need_id = listed[0]["need_id"]
    assert {p["need_id"] for p in get_json(client, f"{API}/proposals?need_id={need_id}")} == {need_id}
    assert_error(client.get(f"{API}/proposals?status=perdue"), 400)
    assert_error(client.get(f"{API}/proposals?need_id=abc"), 400)


def test_get_unknown_proposal_is_404(client):
    assert_error(client.get(f"{API}/proposals/99999"), 404)


# -- map ----------------------------------------------------------------------------------
def test_map_returns_the_cli_format(client, mapper):
    text = "soudur a letain, jardinage"
    body = get_json(client, f"{API}/map", query_string={"text": text})
    assert body == mapper.map(text).to_dict()  # what `python -m matching map` prints
    assert set(body) == {"input", "skills", "unmatched"} and body["input"] == text
    assert body["skills"][0]["id"] == "electronique.soudure_etain"
    assert body["skills"][0]["fragment"] == "soudur a letain"
    assert all({"id", "label", "score", "fragment"} <= set(s) for s in body["skills"])
    assert [s["fragment"] for s in body["skills"]] + body["unmatched"] == ["soudur a letain", "jardinage"]


def test_map_of_nothing_is_empty(client):
    assert get_json(client, f"{API}/map") == {"input": "", "skills": [], "unmatched": []}


def test_map_text_is_limited_to_4000_characters(client):
    assert client.get(f"{API}/map", query_string={"text": "é" * 4000}).status_code == 200
    body = assert_error(client.get(f"{API}/map", query_string={"text": "é" * 4001}), 400)
    assert "4000" in body["error"]


# -- errors -----------------------------------------------------------------------------------
@pytest.mark.parametrize("method, url, kwargs, status", [
    ("get", "/needs?status=x", {}, 400),
    ("get", "/needs/99999", {}, 404),
    ("post", "/needs", {"data": "x"}, 415),
    ("post", "/needs", {"json": []}, 400),
    ("post", "/needs", {"json": {"employer_id": "E01"}}, 422),
    ("post", "/needs", {"json": need_body(reference="N001")}, 409),
    ("get", "/needs/1/matches?top=0", {}, 400),
    ("get", "/profiles/99999", {}, 404),
    ("post", "/proposals", {"json": {}}, 422),
    ("get", "/map?text=" + "a" * 4001, {}, 400),
    ("get", "/nulle-part", {}, 404),
    ("delete", "/needs/1", {}, 405),
])
def test_every_error_is_json_in_french(client, method, url, kwargs, status):
    body = assert_error(getattr(client, method)(API + url, **kwargs), status)
    assert set(body) <= {"error", "fields"}
    assert any(word in body["error"].lower() for word in FRENCH_WORDS), body["error"]
