"""The JSON API under /api/v1, as a client sees it: status codes, bodies, effects.

Every test runs on its own copy of the demo database (5 SIAE, 15 employers,
120 profiles, 30 open needs, 11 proposals). Demo rows are found by their
reference (only the error table uses need 1, the first demo need); expected
counts come from data/demo/.

Every request carries the API token of the role that would make it: a CRE of
S1 for profiles, matches and proposals, the employer owning a need to
publish, edit or answer it. Which role may do what, and what the others get,
is tests/web/test_api_scoping.py.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

import storage
from web_helpers import api_client

API = "/api/v1"
DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"


def _jsonl(name):
    return [json.loads(line) for line in (DEMO / name).read_text(encoding="utf-8").splitlines() if line.strip()]


DEMO_NEEDS = _jsonl("needs.jsonl")
DEMO_PROFILES = _jsonl("profiles.jsonl")
S1_PROFILES = Counter(p["siae"] for p in DEMO_PROFILES)["S1"]
S1_PROPOSALS = 4  # of the 11 demo proposals, those of S1's people (on N012, N021 twice, N025)
CRE_NAME = "Test cre S1"  # the name web_helpers gives the test account behind the CRE's token

# Words that only a French message would contain (errors are written for French-speaking users).
FRENCH_WORDS = ("introuvable", "attendu", "paramètre", "corps", "déjà", "possible", "motif", "inconnu",
                "invalide", "entier", "texte", "obligatoire", "organisation", "besoin", "profil", "caractères",
                "existe", "authentification", "rôle", "structure", "employeur")


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


@pytest.fixture
def cre(app):
    """The API as a CRE of S1 (the Montreuil ressourcerie) sees it."""
    return api_client(app, "cre", "S1")


@pytest.fixture
def e01(app):
    """The API as employer E01 sees it (needs N001 and N002; need_body is one of its needs)."""
    return api_client(app, "employer", "E01")


def owner(app, row):
    """The API as the employer of this need (or of this proposal's need) sees it."""
    return api_client(app, "employer", row["employer_id"])


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


def propose(cre, need_id, profile_id=None, **extra):
    """POST a proposal; without a profile, for the need's best unblocked candidate who agreed and has none yet."""
    if profile_id is None:
        taken = {p["profile_id"] for p in get_json(cre, f"{API}/proposals?need_id={need_id}")}
        agreed = {p["id"] for p in get_json(cre, f"{API}/profiles") if p["consent_at"]}
        profile_id = next(m["candidate"] for m in matches(cre, need_id, top=100, include_blocked="false")
                          if m["candidate"] not in taken and m["candidate"] in agreed)
    return cre.post(f"{API}/proposals", json={"need_id": need_id, "profile_id": profile_id, **extra})


def move(client, proposal_id, status, **extra):
    return client.post(f"{API}/proposals/{proposal_id}/transitions", json={"status": status, **extra})


# -- needs: list ----------------------------------------------------------------
def test_needs_list_defaults_to_open_needs(cre, e01):
    need = need_by_ref(cre, "N001")
    assert e01.patch(f"{API}/needs/{need['id']}", json={"status": "ferme"}).status_code == 200
    listed = get_json(cre, f"{API}/needs")
    assert listed and all(n["status"] == "ouvert" for n in listed)
    assert need["id"] not in {n["id"] for n in listed}
    assert len(listed) == len(DEMO_NEEDS) - 1


def test_needs_list_status_tous_includes_every_status(cre, e01):
    need = need_by_ref(cre, "N001")
    e01.patch(f"{API}/needs/{need['id']}", json={"status": "ferme"})
    everything = get_json(cre, f"{API}/needs?status=tous")
    assert len(everything) == len(DEMO_NEEDS)
    assert {n["status"] for n in everything} == {"ouvert", "ferme"}
    assert [n["id"] for n in get_json(cre, f"{API}/needs?status=ferme")] == [need["id"]]


def test_needs_list_filters_by_employer(cre):
    listed = get_json(cre, f"{API}/needs?employer_id=E03")
    assert {n["employer_id"] for n in listed} == {"E03"}
    assert len(listed) == Counter(n["employer"] for n in DEMO_NEEDS)["E03"]
    assert get_json(cre, f"{API}/needs?employer_id=E99") == []


def test_an_employer_lists_its_own_needs(e01):
    listed = get_json(e01, f"{API}/needs?status=tous")
    assert {n["employer_id"] for n in listed} == {"E01"}
    assert len(listed) == Counter(n["employer"] for n in DEMO_NEEDS)["E01"]


def test_needs_list_rejects_an_unknown_status(cre):
    body = assert_error(cre.get(f"{API}/needs?status=archive"), 400)
    assert "status" in body["error"]


# -- needs: get -------------------------------------------------------------------
def test_get_need_returns_its_representation(cre):
    need = need_by_ref(cre, "N001")
    got = get_json(cre, f"{API}/needs/{need['id']}")
    assert got == need
    assert got["employer_id"] == "E01" and got["title"] == "Peintre en bâtiment H/F"
    assert got["requirements"] == {"driving_licence": False, "french_level": "A2"}
    assert got["location"]["postcode"] == "93000" and got["location"]["lat"] == pytest.approx(48.9077)
    assert [s["required"] for s in got["skills"]] == [True, True, False, False, True]


def test_the_employer_gets_its_need_as_a_cre_does(cre, e01):
    need = need_by_ref(cre, "N001")
    assert get_json(e01, f"{API}/needs/{need['id']}") == need


def test_get_unknown_need_is_a_json_404(cre):
    body = assert_error(cre.get(f"{API}/needs/99999"), 404)
    assert set(body) == {"error"}


# -- needs: create ----------------------------------------------------------------
def test_create_need_returns_201_with_the_stored_representation(e01):
    response = e01.post(f"{API}/needs", json=need_body())
    assert response.status_code == 201, response.get_data(as_text=True)
    created = response.get_json()
    assert created == get_json(e01, f"{API}/needs/{created['id']}")
    assert created["status"] == "ouvert"
    assert created["reference"] == "API-0001" and created["employer_id"] == "E01"
    assert created["contract"] == "CDI" and created["hours_per_week"] == 35 and created["positions"] == 1
    assert created["requirements"] == {"driving_licence": False, "french_level": "A2"}
    assert created["location"]["city"] == "Montreuil" and created["location"]["lat"] is not None
    assert created["id"] in {n["id"] for n in get_json(e01, f"{API}/needs?employer_id=E01")}


def test_a_need_created_by_an_employer_is_seen_by_a_cre(cre, e01):
    created = e01.post(f"{API}/needs", json=need_body()).get_json()
    assert get_json(cre, f"{API}/needs/{created['id']}") == created


def test_create_need_without_employer_id_is_for_the_token_s_employer(e01):
    body = {k: v for k, v in need_body().items() if k != "employer_id"}
    response = e01.post(f"{API}/needs", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["employer_id"] == "E01"


def test_create_need_fills_the_skill_map_from_the_skills(e01):
    created = e01.post(f"{API}/needs", json=need_body()).get_json()
    entries = created["skill_map"]
    assert entries, "the skills should have been mapped"
    assert all(e["confirmed"] is False for e in entries)  # suggestions, nobody checked them yet
    solder = next(e for e in entries if e["skill_id"] == "electronique.soudure_etain")
    assert solder["required"] is True and solder["label"] == "Soudure à l'étain"
    assert solder["fragment"] == "soudure à l'étain"
    assert {e["required"] for e in entries if e["fragment"] == "câblage filaire"} == {False}


def test_create_need_requires_a_json_content_type(e01):
    before = count_needs(e01)
    body = assert_error(e01.post(f"{API}/needs", data=json.dumps(need_body())), 415)
    assert "JSON" in body["error"]
    assert count_needs(e01) == before


@pytest.mark.parametrize("raw", ["{", "[1, 2]", '"texte"', "null"])
def test_create_need_rejects_a_body_that_is_not_a_json_object(e01, raw):
    before = count_needs(e01)
    assert_error(e01.post(f"{API}/needs", data=raw, content_type="application/json"), 400)
    assert count_needs(e01) == before


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
    ({"skills": [{"text": "soudure", "required": "peut-être"}]}, "skills"),
    ({"skills": [{"text": "soudure", "required": 2}]}, "skills"),
])
def test_create_need_with_an_invalid_field_is_422_and_stores_nothing(e01, changes, field):
    before = count_needs(e01)
    body = assert_error(e01.post(f"{API}/needs", json=need_body(**changes)), 422)
    assert field in body["fields"], body
    assert all(isinstance(m, str) and m for m in body["fields"].values())
    assert count_needs(e01) == before


@pytest.mark.parametrize("flag, expected", [("non", False), ("oui", True), (False, False), ("false", False)])
def test_create_need_reads_the_required_flag_as_yes_or_no(e01, flag, expected):
    resp = e01.post(f"{API}/needs", json=need_body(skills=[{"text": "soudure à l'étain", "required": flag}]))
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["skills"] == [{"text": "soudure à l'étain", "required": expected}]


def test_create_need_reports_every_invalid_field_at_once(e01):
    body = assert_error(e01.post(f"{API}/needs", json=need_body(
        contract="X", hours_per_week=99, requirements={"french_level": "Z9"}, location={"postcode": "7501"})), 422)
    assert {"contract", "hours_per_week", "french_level", "postcode"} <= set(body["fields"])


@pytest.mark.parametrize("employer_id", ["E99", "S1", "", None])
def test_create_need_for_an_unknown_employer_is_422_and_stores_nothing(e01, employer_id):
    before = count_needs(e01)
    body = assert_error(e01.post(f"{API}/needs", json=need_body(employer_id=employer_id)), 422)
    assert body.get("fields")
    assert count_needs(e01) == before


def test_create_need_reports_an_unknown_employer_on_the_employer_id_field(e01):
    body = assert_error(e01.post(f"{API}/needs", json=need_body(employer_id="E99")), 422)
    assert "employer_id" in body["fields"]


def test_a_cre_cannot_create_a_need(cre):
    before = count_needs(cre)
    body = assert_error(cre.post(f"{API}/needs", json=need_body()), 403)
    assert set(body) == {"error"}
    assert count_needs(cre) == before


def test_create_need_with_a_reference_taken_by_the_same_employer_is_409(e01):
    before = count_needs(e01)
    body = assert_error(e01.post(f"{API}/needs", json=need_body(reference="N001")), 409)
    assert "N001" in body["error"] and "déjà" in body["error"]
    assert count_needs(e01) == before


def test_the_same_reference_is_free_for_another_employer(app):
    e02 = api_client(app, "employer", "E02")
    response = e02.post(f"{API}/needs", json=need_body(employer_id="E02", reference="N001"))
    assert response.status_code == 201, response.get_data(as_text=True)


def test_needs_without_reference_do_not_collide(e01):
    first = e01.post(f"{API}/needs", json=need_body(reference=None))
    second = e01.post(f"{API}/needs", json=need_body(reference=None))
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.get_json()["id"] != second.get_json()["id"]


def test_create_need_with_skills_as_a_string_is_422(e01):
    before = count_needs(e01)
    response = e01.post(f"{API}/needs", json=need_body(skills="soudure à l'étain, câblage"))
    assert response.status_code == 422, response.get_data(as_text=True)
    assert count_needs(e01) == before


@pytest.mark.parametrize("raw", ['{"title": "Agent", "contract": "CDI", "positions": 1e400}',
                                 '{"title": "Agent", "contract": "CDI", "positions": NaN}',
                                 '{"title": "Agent", "contract": "CDI", "hours_per_week": Infinity}'])
def test_create_need_with_a_number_that_is_not_finite_is_422(e01, raw):
    before = count_needs(e01)
    body = assert_error(e01.post(f"{API}/needs", data=raw, content_type="application/json"), 422)
    assert set(body["fields"]) <= {"positions", "hours_per_week"} and body["fields"]
    assert count_needs(e01) == before


# -- needs: patch -----------------------------------------------------------------
def test_patch_need_changes_only_the_given_fields(e01):
    need = need_by_ref(e01, "N001")
    response = e01.patch(f"{API}/needs/{need['id']}", json={"title": "Peintre finitions H/F", "positions": 2})
    assert response.status_code == 200, response.get_data(as_text=True)
    patched = response.get_json()
    assert patched["title"] == "Peintre finitions H/F" and patched["positions"] == 2
    unchanged = {k: v for k, v in need.items() if k not in ("title", "positions", "updated_at", "version")}
    assert {k: patched[k] for k in unchanged} == unchanged
    assert get_json(e01, f"{API}/needs/{need['id']}") == patched


def test_patch_need_location_recomputes_the_coordinates(e01):
    need = need_by_ref(e01, "N001")
    patched = e01.patch(f"{API}/needs/{need['id']}", json={"location": {"postcode": "75019"}}).get_json()
    assert patched["location"]["postcode"] == "75019" and patched["location"]["city"].startswith("Paris")
    assert patched["location"]["lat"] != need["location"]["lat"]


def test_patch_need_skills_maps_them_again(e01):
    need = need_by_ref(e01, "N001")
    patched = e01.patch(f"{API}/needs/{need['id']}", json={"skills": [{"text": "soudure à l'étain"}]}).get_json()
    assert patched["skills"] == [{"text": "soudure à l'étain", "required": True}]
    assert [e["skill_id"] for e in patched["skill_map"]] == ["electronique.soudure_etain"]


@pytest.mark.parametrize("status", ["pourvu", "ferme", "ouvert"])
def test_patch_need_status(e01, status):
    need = need_by_ref(e01, "N001")
    patched = e01.patch(f"{API}/needs/{need['id']}", json={"status": status}).get_json()
    assert patched["status"] == status
    assert get_json(e01, f"{API}/needs/{need['id']}")["status"] == status
    assert (need["id"] in {n["id"] for n in get_json(e01, f"{API}/needs")}) == (status == "ouvert")


def test_patch_need_with_an_unknown_status_is_422(e01):
    need = need_by_ref(e01, "N001")
    body = assert_error(e01.patch(f"{API}/needs/{need['id']}", json={"status": "annule"}), 422)
    assert "status" in body["fields"]
    assert get_json(e01, f"{API}/needs/{need['id']}")["status"] == "ouvert"


def test_patch_need_cannot_change_the_employer(e01):
    need = need_by_ref(e01, "N001")
    body = assert_error(e01.patch(f"{API}/needs/{need['id']}", json={"employer_id": "E02", "title": "Autre"}), 422)
    assert "employer_id" in body["fields"]
    assert get_json(e01, f"{API}/needs/{need['id']}") == need


def test_patch_need_with_its_own_employer_is_accepted(e01):
    need = need_by_ref(e01, "N001")
    response = e01.patch(f"{API}/needs/{need['id']}", json={"employer_id": "E01", "title": "Peintre H/F"})
    assert response.status_code == 200 and response.get_json()["title"] == "Peintre H/F"


def test_patch_need_with_invalid_fields_changes_nothing(e01):
    need = need_by_ref(e01, "N001")
    body = assert_error(e01.patch(f"{API}/needs/{need['id']}", json={"title": "Nouveau", "hours_per_week": 0}), 422)
    assert set(body["fields"]) == {"hours_per_week"}
    assert get_json(e01, f"{API}/needs/{need['id']}") == need


def test_patch_need_to_a_reference_the_employer_already_uses_is_409(e01):
    need = need_by_ref(e01, "N001")
    body = assert_error(e01.patch(f"{API}/needs/{need['id']}", json={"reference": "N002"}), 409)
    assert "N002" in body["error"]
    assert get_json(e01, f"{API}/needs/{need['id']}")["reference"] == "N001"


def test_patch_unknown_need_is_404(e01):
    assert_error(e01.patch(f"{API}/needs/99999", json={"title": "x"}), 404)


def test_patch_need_requires_json(e01):
    need = need_by_ref(e01, "N001")
    assert_error(e01.patch(f"{API}/needs/{need['id']}", data="title=x"), 415)


def test_a_cre_cannot_patch_a_need(cre):
    need = need_by_ref(cre, "N001")
    assert_error(cre.patch(f"{API}/needs/{need['id']}", json={"title": "Autre"}), 403)
    assert get_json(cre, f"{API}/needs/{need['id']}") == need


def wanted_skills(match):
    """The skills a need asks for, as one match explains them (met, transferred or missing)."""
    return set(match["direct"]) | set(match["missing"]) | {t["skill"] for t in match["transferable"]}


def test_matches_follow_a_need_edited_later(cre, e01, monkeypatch):
    stamps = (f"2026-11-02T09:00:{second:02d}+00:00" for second in range(60))
    monkeypatch.setattr(storage, "now", lambda: next(stamps))  # one write per second
    need = e01.post(f"{API}/needs", json=need_body(title="Agent polyvalent H/F", description="",
                                                   skills=[{"text": "soudure à l'étain"}])).get_json()
    assert wanted_skills(matches(cre, need["id"], top=1)[0]) == {"Soudure à l'étain"}
    e01.patch(f"{API}/needs/{need['id']}", json={"skills": [{"text": "peinture au rouleau et à la brosse"}]})
    assert wanted_skills(matches(cre, need["id"], top=1)[0]) == {"Peinture intérieure au rouleau et à la brosse"}


def test_matches_follow_a_need_edited_within_the_same_second(cre, e01, monkeypatch):
    monkeypatch.setattr(storage, "now", lambda: "2026-11-02T09:00:00+00:00")  # both writes in one second
    need = e01.post(f"{API}/needs", json=need_body(title="Agent polyvalent H/F", description="",
                                                   skills=[{"text": "soudure à l'étain"}])).get_json()
    assert wanted_skills(matches(cre, need["id"], top=1)[0]) == {"Soudure à l'étain"}
    e01.patch(f"{API}/needs/{need['id']}", json={"skills": [{"text": "peinture au rouleau et à la brosse"}]})
    assert wanted_skills(matches(cre, need["id"], top=1)[0]) == {"Peinture intérieure au rouleau et à la brosse"}


# -- profiles -----------------------------------------------------------------------
def test_profiles_list_is_the_cre_s_own_siae(cre):
    listed = get_json(cre, f"{API}/profiles")
    assert {p["siae_id"] for p in listed} == {"S1"}
    assert len(listed) == S1_PROFILES
    assert get_json(cre, f"{API}/profiles?siae_id=S1") == listed


def test_create_profile_returns_201_and_locates_a_known_postcode(cre):
    before = count_profiles(cre)
    response = cre.post(f"{API}/profiles", json=profile_body())
    assert response.status_code == 201, response.get_data(as_text=True)
    created = response.get_json()
    assert created == get_json(cre, f"{API}/profiles/{created['id']}")
    assert created["siae_id"] == "S1" and created["reference"] == "API-P-0001" and created["archived"] is False
    assert created["location"]["postcode"] == "93100" and created["location"]["city"] == "Montreuil"
    assert created["location"]["lat"] == pytest.approx(48.86, abs=0.05)
    assert created["location"]["lon"] == pytest.approx(2.44, abs=0.05)
    assert created["eligibility"] == ["RSA", "DELD"]
    assert created["skill_map"] and all(e["required"] for e in created["skill_map"])
    assert count_profiles(cre) == before + 1


def test_create_profile_without_siae_id_is_for_the_cre_s_siae(cre):
    body = {k: v for k, v in profile_body().items() if k != "siae_id"}
    response = cre.post(f"{API}/profiles", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["siae_id"] == "S1"


def test_create_profile_with_consent_records_who_and_when(cre):
    created = cre.post(f"{API}/profiles", json=profile_body(consent=True)).get_json()
    assert created["consent_at"] and created["consent_by"] == CRE_NAME
    assert "consent" not in created  # the flag is an input; the record is what is read back


def test_a_profile_created_without_consent_has_none(cre):
    created = cre.post(f"{API}/profiles", json=profile_body()).get_json()
    assert created["consent_at"] is None and created["consent_by"] is None


def test_create_profile_with_an_unknown_postcode_needs_coordinates(cre):
    before = count_profiles(cre)
    body = assert_error(cre.post(f"{API}/profiles", json=profile_body(location={"postcode": "99999"})), 422)
    assert "postcode" in body["fields"] and "latitude" in body["fields"]["postcode"]
    assert count_profiles(cre) == before


def test_create_profile_with_an_unknown_postcode_and_coordinates_is_accepted(cre):
    response = cre.post(f"{API}/profiles", json=profile_body(
        location={"postcode": "99999", "city": "Ailleurs", "lat": 48.5, "lon": 2.5}))
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["location"] == {"postcode": "99999", "city": "Ailleurs", "lat": 48.5, "lon": 2.5}


def test_create_profile_with_a_taken_reference_is_409(cre):
    before = count_profiles(cre)
    body = assert_error(cre.post(f"{API}/profiles", json=profile_body(reference="ACI-MTR-0001")), 409)
    assert "ACI-MTR-0001" in body["error"]
    assert count_profiles(cre) == before


def test_a_reference_of_another_siae_is_taken_too(cre):
    # references are unique across SIAE: a structure cannot reuse another one's either
    assert_error(cre.post(f"{API}/profiles", json=profile_body(reference="ETTI-PAR-0004")), 409)


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
    ({"consent": "peut-être"}, "consent"),
    ({"notes": 5}, "notes"),
])
def test_create_profile_with_an_invalid_field_is_422_and_stores_nothing(cre, changes, field):
    before = count_profiles(cre)
    body = assert_error(cre.post(f"{API}/profiles", json=profile_body(**changes)), 422)
    assert field in body["fields"], body
    assert count_profiles(cre) == before


def test_create_profile_accepts_every_eligibility_category(cre):
    import eligibility

    categories = list(eligibility.CATEGORIES)
    created = cre.post(f"{API}/profiles", json=profile_body(eligibility=categories)).get_json()
    assert created["eligibility"] == categories


def test_create_profile_for_an_unknown_siae_is_422(cre):
    before = count_profiles(cre)
    assert_error(cre.post(f"{API}/profiles", json=profile_body(siae_id="E01")), 422)
    assert count_profiles(cre) == before


def test_create_profile_with_a_lone_surrogate_is_400_and_stores_nothing(cre):
    before = count_profiles(cre)
    raw = json.dumps(profile_body(first_name="\ud800"))  # valid JSON ("\\ud800"), but no UTF-8 text
    body = assert_error(cre.post(f"{API}/profiles", data=raw, content_type="application/json"), 400)
    assert "Unicode" in body["error"]
    assert count_profiles(cre) == before


def test_get_profile_and_404(cre):
    profile = profile_by_ref(cre, "ACI-MTR-0001")
    got = get_json(cre, f"{API}/profiles/{profile['id']}")
    assert got["first_name"] == "Mohamed" and got["siae_id"] == "S1" and got["eligibility"] == ["senior", "DELD"]
    assert got["consent_at"] and got["consent_by"] == "démonstration"
    assert_error(cre.get(f"{API}/profiles/99999"), 404)


def test_patch_profile_changes_only_the_given_fields(cre):
    profile = profile_by_ref(cre, "ACI-MTR-0001")
    changes = {"mobility_km": 10, "eligibility": ["RSA"]}
    patched = cre.patch(f"{API}/profiles/{profile['id']}", json=changes).get_json()
    assert patched["mobility_km"] == 10 and patched["eligibility"] == ["RSA"]
    unchanged = {k: v for k, v in profile.items() if k not in ("mobility_km", "eligibility", "updated_at", "version")}
    assert {k: patched[k] for k in unchanged} == unchanged


def test_patch_profile_validates_eligibility(cre):
    profile = profile_by_ref(cre, "ACI-MTR-0001")
    body = assert_error(cre.patch(f"{API}/profiles/{profile['id']}", json={"eligibility": ["XYZ"]}), 422)
    assert "eligibility" in body["fields"]
    assert get_json(cre, f"{API}/profiles/{profile['id']}")["eligibility"] == ["senior", "DELD"]


def test_patch_profile_cannot_change_the_siae(cre):
    profile = profile_by_ref(cre, "ACI-MTR-0001")
    body = assert_error(cre.patch(f"{API}/profiles/{profile['id']}", json={"siae_id": "S2"}), 422)
    assert "siae_id" in body["fields"]


def test_patch_profile_archived_must_be_a_boolean(cre):
    profile = profile_by_ref(cre, "ACI-MTR-0001")
    body = assert_error(cre.patch(f"{API}/profiles/{profile['id']}", json={"archived": "oui"}), 422)
    assert "archived" in body["fields"]
    assert get_json(cre, f"{API}/profiles/{profile['id']}")["archived"] is False


def test_patch_profile_consent_false_withdraws_it(cre):
    profile = profile_by_ref(cre, "ACI-MTR-0001")
    patched = cre.patch(f"{API}/profiles/{profile['id']}", json={"consent": False}).get_json()
    assert patched["consent_at"] is None and patched["consent_by"] is None


def test_patch_profile_consent_true_records_it_once(cre):
    profile = profile_by_ref(cre, "ACI-MTR-0028")  # a demo person who has not agreed yet
    assert profile["consent_at"] is None
    given = cre.patch(f"{API}/profiles/{profile['id']}", json={"consent": True}).get_json()
    assert given["consent_at"] and given["consent_by"] == CRE_NAME
    again = cre.patch(f"{API}/profiles/{profile['id']}", json={"consent": True}).get_json()
    assert again["consent_at"] == given["consent_at"]  # given again: still the first record


def test_patch_profile_notes(cre):
    profile = profile_by_ref(cre, "ACI-MTR-0001")
    patched = cre.patch(f"{API}/profiles/{profile['id']}", json={"notes": "Appeler le lundi."}).get_json()
    assert patched["notes"] == "Appeler le lundi."


def test_archiving_a_profile_removes_it_from_matches_and_lists(cre):
    need = need_by_ref(cre, "N001")
    best = matches(cre, need["id"])[0]["candidate"]
    response = cre.patch(f"{API}/profiles/{best}", json={"archived": True})
    assert response.status_code == 200 and response.get_json()["archived"] is True
    assert best not in {m["candidate"] for m in matches(cre, need["id"], top=100)}
    assert best not in {p["id"] for p in get_json(cre, f"{API}/profiles")}
    assert best in {p["id"] for p in get_json(cre, f"{API}/profiles?archived=true")}
    # and back
    cre.patch(f"{API}/profiles/{best}", json={"archived": False})
    assert matches(cre, need["id"])[0]["candidate"] == best


def test_patch_unknown_profile_is_404(cre):
    assert_error(cre.patch(f"{API}/profiles/99999", json={"first_name": "X"}), 404)


# -- matches --------------------------------------------------------------------------
def test_matches_top_5_are_explained_and_sorted(cre):
    need = need_by_ref(cre, "N001")
    body = get_json(cre, f"{API}/needs/{need['id']}/matches?top=5")
    assert body["need"] == need["id"]
    results = body["results"]
    assert 0 < len(results) <= 5
    for r in results:
        assert {"candidate", "score", "direct", "transferable", "missing", "blocking"} <= set(r)
        assert isinstance(r["candidate"], int) and 0.0 <= r["score"] <= 1.0
    keys = [(bool(r["blocking"]), -r["score"]) for r in results]
    assert keys == sorted(keys)


@pytest.mark.parametrize("reference", ["N004", "N007", "N026", "N028"])
def test_matches_put_unblocked_candidates_first_then_by_score(cre, reference):
    need = need_by_ref(cre, reference)
    results = matches(cre, need["id"], top=100)
    keys = [(bool(r["blocking"]), -r["score"]) for r in results]
    assert keys == sorted(keys)
    assert any(r["blocking"] for r in results) and not all(r["blocking"] for r in results), \
        "among S1's people, these needs have both blocked and unblocked candidates"
    assert len({r["candidate"] for r in results}) == len(results)


def test_matches_default_to_ten(cre):
    assert len(matches(cre, need_by_ref(cre, "N001")["id"])) == 10


@pytest.mark.parametrize("top", ["0", "abc", "-1", "1.5", "101"])
def test_matches_reject_a_bad_top(cre, top):
    need = need_by_ref(cre, "N001")
    body = assert_error(cre.get(f"{API}/needs/{need['id']}/matches?top={top}"), 400)
    assert "top" in body["error"]


def test_matches_reject_a_superscript_digit_top(app, cre):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # see the response a client gets
    need = need_by_ref(cre, "N001")
    assert_error(cre.get(f"{API}/needs/{need['id']}/matches?top=²"), 400)


def test_matches_of_an_unknown_need_are_404(cre):
    assert_error(cre.get(f"{API}/needs/99999/matches"), 404)


def test_a_huge_id_is_404(app, cre):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert_error(cre.get(f"{API}/needs/{2 ** 64}"), 404)


def test_matches_are_the_cre_s_own_people(cre):
    need = need_by_ref(cre, "N001")
    s1 = {p["id"] for p in get_json(cre, f"{API}/profiles")}
    results = matches(cre, need["id"], top=100)
    assert results and {r["candidate"] for r in results} <= s1
    assert len(results) == len(s1)
    assert matches(cre, need["id"], siae_id="S1", top=100) == results


@pytest.mark.parametrize("siae_id", ["S2", "S9", "E01"])
def test_matches_in_another_or_an_unknown_siae_are_403(cre, siae_id):
    need = need_by_ref(cre, "N001")
    body = assert_error(cre.get(f"{API}/needs/{need['id']}/matches?siae_id={siae_id}"), 403)
    assert set(body) == {"error"}


@pytest.mark.parametrize("reference", ["N001", "N004", "N018"])
def test_matches_without_blocked_candidates(cre, reference):
    need = need_by_ref(cre, reference)
    everyone = matches(cre, need["id"], top=100)
    unblocked = matches(cre, need["id"], top=100, include_blocked="false")
    assert all(not r["blocking"] for r in unblocked)
    assert [r["candidate"] for r in unblocked] == [r["candidate"] for r in everyone if not r["blocking"]]


def test_matches_max_distance_filter(cre):
    need = need_by_ref(cre, "N001")
    everyone = matches(cre, need["id"], top=100)
    assert any(r["distance_km"] > 5 for r in everyone)
    near = matches(cre, need["id"], top=100, max_distance_km=5)
    assert near and all(r["distance_km"] is not None and r["distance_km"] <= 5.05 for r in near)
    near_ids = {r["candidate"] for r in near}
    assert {r["candidate"] for r in everyone if r["distance_km"] < 4.95} <= near_ids  # distances are rounded
    assert not {r["candidate"] for r in everyone if r["distance_km"] > 5.05} & near_ids


@pytest.mark.parametrize("value", ["0", "-3", "loin"])
def test_matches_reject_a_bad_max_distance(cre, value):
    need = need_by_ref(cre, "N001")
    body = assert_error(cre.get(f"{API}/needs/{need['id']}/matches?max_distance_km={value}"), 400)
    assert "max_distance_km" in body["error"]


def test_matches_reject_nan_as_max_distance(cre):
    need = need_by_ref(cre, "N001")
    assert_error(cre.get(f"{API}/needs/{need['id']}/matches?max_distance_km=nan"), 400)


def test_a_profile_created_through_the_api_is_matched_at_once(app, cre):
    need = need_by_ref(cre, "N001")
    before = matches(cre, need["id"])  # builds this process's index
    index = app.extensions["passerelle_engine"].index
    response = cre.post(f"{API}/profiles", json=profile_body(**PAINTER))
    assert response.status_code == 201, response.get_data(as_text=True)
    newcomer = response.get_json()["id"]
    after = matches(cre, need["id"])
    assert newcomer not in {r["candidate"] for r in before}
    assert newcomer in {r["candidate"] for r in after}
    mine = next(r for r in after if r["candidate"] == newcomer)
    assert not mine["blocking"] and mine["direct"]
    assert app.extensions["passerelle_engine"].index is index  # updated in place, not rebuilt


def test_a_profile_edited_through_the_api_is_matched_on_its_new_skills(cre):
    need = need_by_ref(cre, "N001")
    seamstress = {**PAINTER, "description": "Couturière.", "experiences": [], "skills_text": "couture"}
    created = cre.post(f"{API}/profiles", json=profile_body(**seamstress)).get_json()
    assert created["id"] not in {r["candidate"] for r in matches(cre, need["id"])}
    cre.patch(f"{API}/profiles/{created['id']}", json={"skills_text": PAINTER["skills_text"]})
    assert created["id"] in {r["candidate"] for r in matches(cre, need["id"])}


# -- proposals --------------------------------------------------------------------------
def test_create_proposal_saves_the_explanation(cre):
    need = need_by_ref(cre, "N026")
    response = propose(cre, need["id"], message="  Très motivée.  ")
    assert response.status_code == 201, response.get_data(as_text=True)
    proposal = response.get_json()
    assert proposal["need_id"] == need["id"] and proposal["status"] == "proposee"
    assert proposal["status_label"] == "Proposée" and proposal["message"] == "Très motivée."
    assert 0.0 <= proposal["score"] <= 1.0
    explanation = proposal["explanation"]
    assert {"direct", "transferable", "missing"} <= set(explanation)
    assert explanation["score"] == pytest.approx(proposal["score"], abs=1e-4)
    assert get_json(cre, f"{API}/profiles/{proposal['profile_id']}")["siae_id"] == "S1"
    assert proposal["id"] in {p["id"] for p in get_json(cre, f"{API}/proposals?need_id={need['id']}")}


def test_a_proposal_is_signed_by_the_token_s_owner_whatever_the_body_says(cre):
    proposal = propose(cre, need_by_ref(cre, "N026")["id"], proposed_by="S9").get_json()
    assert proposal["proposed_by"] == CRE_NAME


def test_a_duplicate_proposal_is_409(cre):
    need = need_by_ref(cre, "N026")
    first = propose(cre, need["id"]).get_json()
    body = assert_error(propose(cre, need["id"], first["profile_id"]), 409)
    assert "déjà" in body["error"]
    assert len(get_json(cre, f"{API}/proposals?need_id={need['id']}")) == 1


def test_a_proposal_for_an_unknown_need_or_profile_is_404(cre):
    profile = profile_by_ref(cre, "ACI-MTR-0001")
    assert_error(propose(cre, 99999, profile["id"]), 404)
    assert_error(propose(cre, need_by_ref(cre, "N026")["id"], 99999), 404)


@pytest.mark.parametrize("body", [{}, {"need_id": "1", "profile_id": 1}, {"need_id": True, "profile_id": 1},
                                  {"need_id": 1, "profile_id": 1, "message": 5}])
def test_a_proposal_with_bad_fields_is_422(cre, body):
    assert_error(cre.post(f"{API}/proposals", json=body), 422)


def test_a_boolean_profile_id_is_422(cre):
    assert_error(cre.post(f"{API}/proposals", json={"need_id": need_by_ref(cre, "N026")["id"],
                                                     "profile_id": True}), 422)


def test_an_archived_profile_cannot_be_proposed(cre):
    need = need_by_ref(cre, "N026")
    best = matches(cre, need["id"], include_blocked="false")[0]["candidate"]
    cre.patch(f"{API}/profiles/{best}", json={"archived": True})
    assert_error(propose(cre, need["id"], best), 409)


def test_a_need_no_longer_open_takes_no_proposal(app, cre):
    need = need_by_ref(cre, "N026")
    owner(app, need).patch(f"{API}/needs/{need['id']}", json={"status": "ferme"})
    body = assert_error(propose(cre, need["id"], profile_by_ref(cre, "ACI-MTR-0001")["id"]), 409)
    assert "ouvert" in body["error"]


def test_allowed_path_to_hiring(app, cre):
    need = need_by_ref(cre, "N001")
    employer = owner(app, need)
    proposal = propose(cre, need["id"]).get_json()
    for client, status in ((cre, "vue"), (employer, "entretien"), (employer, "embauchee")):
        response = move(client, proposal["id"], status, note="ok")
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.get_json()["status"] == status
    assert get_json(cre, f"{API}/proposals/{proposal['id']}")["status_label"] == "Embauchée"


def test_hiring_the_last_position_fills_the_need(app, cre):
    need = need_by_ref(cre, "N026")
    employer = owner(app, need)
    assert need["positions"] == 1
    proposal = propose(cre, need["id"]).get_json()
    move(cre, proposal["id"], "vue")
    move(employer, proposal["id"], "entretien")
    assert get_json(cre, f"{API}/needs/{need['id']}")["status"] == "ouvert"
    assert move(employer, proposal["id"], "embauchee").status_code == 200
    assert get_json(cre, f"{API}/needs/{need['id']}")["status"] == "pourvu"
    assert need["id"] not in {n["id"] for n in get_json(cre, f"{API}/needs")}


def test_a_need_stays_open_until_every_position_is_filled(app, cre):
    need = need_by_ref(cre, "N025")
    employer = owner(app, need)
    assert need["positions"] == 2
    first = propose(cre, need["id"]).get_json()
    second = propose(cre, need["id"]).get_json()
    assert move(employer, first["id"], "embauchee").status_code == 200
    assert get_json(cre, f"{API}/needs/{need['id']}")["status"] == "ouvert"
    assert move(employer, second["id"], "embauchee").status_code == 200
    assert get_json(cre, f"{API}/needs/{need['id']}")["status"] == "pourvu"


def test_a_refusal_without_reason_is_409_in_french(app, cre):
    need = need_by_ref(cre, "N026")
    proposal = propose(cre, need["id"]).get_json()
    body = assert_error(move(owner(app, need), proposal["id"], "refusee"), 409)
    assert "motif" in body["error"] and "Mobilité" in body["error"]
    assert get_json(cre, f"{API}/proposals/{proposal['id']}")["status"] == "proposee"


def test_a_refusal_with_a_reason(app, cre):
    need = need_by_ref(cre, "N026")
    proposal = propose(cre, need["id"]).get_json()
    refused = move(owner(app, need), proposal["id"], "refusee", reason="mobilite").get_json()
    assert refused["status"] == "refusee" and refused["refusal_reason"] == "mobilite"
    assert_error(move(cre, proposal["id"], "vue"), 409)  # a refusal is final


def test_an_illegal_move_is_409(app, cre):
    hired = get_json(cre, f"{API}/proposals?status=embauchee")
    assert hired, "the demo has a hired proposal among S1's people"
    body = assert_error(move(owner(app, hired[0]), hired[0]["id"], "entretien"), 409)
    assert "Passage impossible" in body["error"]
    assert get_json(cre, f"{API}/proposals/{hired[0]['id']}")["status"] == "embauchee"


def test_a_transition_of_an_unknown_proposal_is_404(cre):
    assert_error(move(cre, 99999, "vue"), 404)


@pytest.mark.parametrize("body", [{}, {"status": 3}, {"status": "vue", "reason": 1}, {"status": "vue", "note": []}])
def test_a_transition_with_bad_fields_is_422(cre, body):
    proposal = get_json(cre, f"{API}/proposals?status=proposee")[0]
    assert_error(cre.post(f"{API}/proposals/{proposal['id']}/transitions", json=body), 422)


def test_proposal_events_tell_its_history(app, cre):
    need = need_by_ref(cre, "N026")
    employer = owner(app, need)
    proposal = propose(cre, need["id"], message="Bonne candidate").get_json()
    move(cre, proposal["id"], "vue")
    move(employer, proposal["id"], "refusee", reason="autre", note="Poste gelé", actor="E99")
    got = get_json(cre, f"{API}/proposals/{proposal['id']}")
    events = got["events"]
    assert [(e["from_status"], e["to_status"]) for e in events] == [
        (None, "proposee"), ("proposee", "vue"), ("vue", "refusee")]
    assert events[0]["note"] == "Bonne candidate" and events[0]["actor"] == CRE_NAME
    assert events[1]["actor"] == CRE_NAME
    # the actor is the token's owner, whatever the body says
    assert events[2]["reason"] == "autre" and events[2]["note"] == "Poste gelé"
    assert events[2]["actor"] == "Test employer E12"


def test_proposals_list_filters(cre):
    listed = get_json(cre, f"{API}/proposals")
    assert len(listed) == S1_PROPOSALS
    assert all(p["status"] == "refusee" for p in get_json(cre, f"{API}/proposals?status=refusee"))
    need_id = listed[0]["need_id"]
    assert {p["need_id"] for p in get_json(cre, f"{API}/proposals?need_id={need_id}")} == {need_id}
    assert_error(cre.get(f"{API}/proposals?status=perdue"), 400)
    assert_error(cre.get(f"{API}/proposals?need_id=abc"), 400)


def test_a_query_id_beyond_nine_digits_is_400_and_says_so(cre):
    body = assert_error(cre.get(f"{API}/proposals?need_id=7155083367774648"), 400)
    assert "need_id" in body["error"] and "999999999" in body["error"]


def test_get_unknown_proposal_is_404(cre):
    assert_error(cre.get(f"{API}/proposals/99999"), 404)


# -- map (public: no token) ---------------------------------------------------------------
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
USERS = {"cre": ("cre", "S1"), "e01": ("employer", "E01"), "buyer": ("buyer", "B1"), "anonymous": None}


@pytest.mark.parametrize("who, method, url, kwargs, status", [
    ("cre", "get", "/needs?status=x", {}, 400),
    ("cre", "get", "/needs/99999", {}, 404),
    ("e01", "post", "/needs", {"data": "x"}, 415),
    ("e01", "post", "/needs", {"json": []}, 400),
    ("e01", "post", "/needs", {"json": {"employer_id": "E01"}}, 422),
    ("e01", "post", "/needs", {"json": need_body(reference="N001")}, 409),
    ("cre", "get", "/needs/1/matches?top=0", {}, 400),
    ("cre", "get", "/profiles/99999", {}, 404),
    ("cre", "post", "/proposals", {"json": {}}, 422),
    ("anonymous", "get", "/map?text=" + "a" * 4001, {}, 400),
    ("cre", "get", "/nulle-part", {}, 404),
    ("anonymous", "get", "/nulle-part", {}, 404),
    ("cre", "delete", "/needs/1", {}, 405),
    ("anonymous", "get", "/needs", {}, 401),
    ("buyer", "get", "/needs", {}, 403),
    ("cre", "post", "/needs", {"json": need_body()}, 403),
    ("cre", "get", "/profiles?siae_id=S2", {}, 403),
])
def test_every_error_is_json_in_french(app, who, method, url, kwargs, status):
    client = app.test_client() if USERS[who] is None else api_client(app, *USERS[who])
    body = assert_error(getattr(client, method)(API + url, **kwargs), status)
    assert set(body) <= {"error", "fields"}
    assert any(word in body["error"].lower() for word in FRENCH_WORDS), body["error"]


@pytest.mark.parametrize("raw", ["[" * 100_000, '{"a": ' * 50_000 + "1" + "}" * 50_000])
def test_a_body_nested_beyond_reason_is_a_400(app, e01, raw):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # see the response a client gets
    assert_error(e01.post(f"{API}/needs", data=raw, content_type="application/json"), 400)
