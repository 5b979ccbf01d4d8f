"""Who may do what through /api/v1: tokens, roles, organisations, consent.

The cast, from the demo data: a CRE of S1 (the Montreuil ressourcerie); the
employer E12 (needs N025 and N026); Yusuf (ACI-MTR-0026, S1), proposed by
S1 for N025, so both see that proposal; Mehdi (ETTI-PAR-0004, S4), proposed
for N001 of the employer E01, which neither of them may see. A buyer (B1)
and an administrator have no business in the API's data.

A denied request gets a JSON error and nothing else (no data of the object
asked for), and changes nothing. What the allowed requests return is
tests/web/test_api.py; here, only that they are allowed, and what an
employer never sees.
"""
from __future__ import annotations

import json

import pytest

import eligibility
import storage
from web.auth import hash_secret
from web.openapi import document
from web_helpers import api_client, enter, ensure_user, token_for

API = "/api/v1"
PUBLIC = {("/map", "get"), ("/openapi.json", "get")}
METHODS = {"get", "post", "patch", "put", "delete"}
PROTECTED = sorted((path, method) for path, item in document()["paths"].items()
                   for method in METHODS & set(item) if (path, method) not in PUBLIC)
# Operations of the buyers' own (aggregated counts only): every other role is 403 there.
BUYER_OPERATIONS = {("/clause-calibrations", "post")}
NOT_FOR_BUYERS = [op for op in PROTECTED if op not in BUYER_OPERATIONS]
EMPLOYER_STATES = ["entretien", "pmsmp", "periode_essai", "embauchee", "refusee"]
# The person a denied answer must never show: keys of a profile, and of a proposal's person.
PERSONAL_KEYS = {"first_name", "eligibility", "reference", "notes", "message", "explanation"}


# -- the cast ---------------------------------------------------------------------------
@pytest.fixture
def cast(db):
    """Ids of the demo rows the tests speak of, by name."""
    needs = {n["reference"]: n["id"] for n in storage.list_needs(db, status=None)}
    profiles = {p["reference"]: p["id"] for p in storage.list_profiles(db, include_archived=True)}
    proposals = {(p["need_reference"], p["profile_reference"]): p["id"] for p in storage.list_proposals(db)}
    return {
        "N001": needs["N001"], "N025": needs["N025"], "N026": needs["N026"],
        "yusuf": profiles["ACI-MTR-0026"], "mehdi": profiles["ETTI-PAR-0004"],
        "no_consent": profiles["ACI-MTR-0028"], "s1_person": profiles["ACI-MTR-0001"],
        "shared": proposals[("N025", "ACI-MTR-0026")],  # S1's person, E12's need
        "elsewhere": proposals[("N001", "ETTI-PAR-0004")],  # S4's person, E01's need (status "vue")
    }


@pytest.fixture
def cre(app):
    return api_client(app, "cre", "S1")


@pytest.fixture
def e12(app):
    return api_client(app, "employer", "E12")


def fill(template, cast):
    """A URL or a body with the cast's ids in it: "/needs/{N001}" → "/needs/1", a value "{N001}" → 1."""
    if isinstance(template, dict):
        return {key: fill(value, cast) for key, value in template.items()}
    if isinstance(template, str) and template.startswith("{") and template.endswith("}"):
        return cast[template[1:-1]]
    return template.format(**cast) if isinstance(template, str) else template


def keys_of(node):
    """Every key of a JSON document, at any depth."""
    if isinstance(node, dict):
        return set(node) | {k for v in node.values() for k in keys_of(v)}
    if isinstance(node, list):
        return {k for v in node for k in keys_of(v)}
    return set()


def fingerprint(db):
    """What a denied request must not change: the rows of needs, profiles, proposals and their history."""
    return tuple(db.execute(sql).fetchall() for sql in (
        "SELECT * FROM needs ORDER BY id", "SELECT * FROM profiles ORDER BY id",
        "SELECT * FROM proposals ORDER BY id", "SELECT COUNT(*) FROM proposal_events"))


def ids(table):
    """Test ids for a table of requests: method, URL and the start of the body."""
    return [f"{m.upper()} {u} {json.dumps(b, ensure_ascii=False)[:30] if b is not None else ''}".strip()
            for m, u, b, _ in table]


def assert_denied(response, status):
    """A JSON error with the given status, and no data at all."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json, response.content_type
    body = response.get_json()
    assert isinstance(body, dict) and set(body) <= {"error", "fields"} and body["error"].strip(), body
    assert not keys_of(body) & PERSONAL_KEYS, body
    return body


def request(client, method, url, body=None):
    return getattr(client, method)(API + url, **({} if body is None else {"json": body}))


NEED = {"title": "Agent d'entretien H/F", "contract": "CDD", "location": {"postcode": "93100"}}
PROFILE = {"reference": "SCOPE-01", "first_name": "Inès", "skills_text": "nettoyage", "consent": True}
# A valid body for every protected operation (so that a refusal can only be about who asks).
BODIES = {
    ("/needs", "post"): {**NEED, "employer_id": "E12"},
    ("/needs/{need_id}", "patch"): {"title": "Autre intitulé"},
    ("/profiles", "post"): {**PROFILE, "siae_id": "S1"},
    ("/profiles/{profile_id}", "patch"): {"first_name": "Autre"},
    ("/proposals", "post"): {"need_id": "{N026}", "profile_id": "{s1_person}"},
    ("/proposals/{proposal_id}/transitions", "post"): {"status": "refusee", "reason": "autre"},
    ("/clause-calibrations", "post"): {"trades": ["nettoyage de locaux"], "location": {"lat": 48.86, "lon": 2.44},
                                       "radius_km": 20, "amount": 500000, "labour_share": 0.8,
                                       "insertion_rate": 0.05, "hourly_cost": 25, "start": "2027-01-01",
                                       "end": "2027-12-31"},
}
PATH_IDS = {"need_id": "{N025}", "profile_id": "{yusuf}", "proposal_id": "{shared}"}


def concrete(path, cast):
    """A protected operation's path with ids of the cast's rows."""
    for name, value in PATH_IDS.items():
        path = path.replace("{" + name + "}", value)
    return fill(path, cast)


# -- a token, or nothing ------------------------------------------------------------------
@pytest.mark.parametrize("path, method", PROTECTED, ids=[f"{m.upper()} {p}" for p, m in PROTECTED])
def test_without_a_token_every_protected_operation_is_401(app, db, cast, path, method):
    before = fingerprint(db)
    response = request(app.test_client(), method, concrete(path, cast), fill(BODIES.get((path, method)), cast))
    body = assert_denied(response, 401)
    assert "Authorization" in body["error"]
    assert fingerprint(db) == before


@pytest.mark.parametrize("url", ["/map?text=soudure", "/openapi.json"])
def test_the_public_operations_need_no_token(client, url):
    assert client.get(API + url).status_code == 200


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer ", "Bearer inconnu", "Basic Y3JlOnNlY3JldA==",
                                    "test-cre-S1-token", "Token test-cre-S1-token"])
def test_a_malformed_or_unknown_token_is_401(app, header):
    token_for(app, "cre", "S1")  # the token exists: only the way it is sent is wrong
    response = app.test_client().get(f"{API}/needs", headers={"Authorization": header})
    assert_denied(response, 401)


def test_a_revoked_token_is_401(app, db):
    header = token_for(app, "cre", "S1")
    assert app.test_client().get(f"{API}/needs", headers={"Authorization": header}).status_code == 200
    user = ensure_user(app, "cre", "S1")
    (token,) = storage.list_tokens(db, user["id"])
    assert storage.revoke_token(db, user["id"], token["id"])
    assert_denied(app.test_client().get(f"{API}/needs", headers={"Authorization": header}), 401)


def test_the_token_of_a_deactivated_account_is_401(app, db):
    header = token_for(app, "cre", "S1")
    storage.update_user(db, ensure_user(app, "cre", "S1")["id"], {"active": 0})
    assert_denied(app.test_client().get(f"{API}/needs", headers={"Authorization": header}), 401)


def test_a_token_is_stored_as_a_digest_only(app, db):
    header = token_for(app, "cre", "S1")
    secret = header.removeprefix("Bearer ")
    rows = db.execute("SELECT * FROM api_tokens").fetchall()
    assert not any(secret in str(value) for row in rows for value in row)
    assert storage.token_owner(db, hash_secret(secret))["role"] == "cre"


def test_a_logged_in_session_does_not_open_the_api(client):
    enter(client, "cre", "S1")
    assert client.get("/cre/").status_code == 200  # the pages are open to this session
    assert_denied(client.get(f"{API}/needs"), 401)


# -- buyer and administrator: nothing of the API's data ------------------------------------
# A buyer or facilitateur reads the territorial diagnostic (aggregates only) too; an administrator nothing.
OPEN_TO_BUYER = {("/territory", "get")}
DENIED = [("buyer", "B1", p, m) for p, m in NOT_FOR_BUYERS if (p, m) not in OPEN_TO_BUYER] + [
    ("admin", None, p, m) for p, m in PROTECTED]


@pytest.mark.parametrize("role, org_id, path, method", DENIED, ids=[f"{m.upper()} {p}-{r}" for r, _, p, m in DENIED])
def test_buyer_and_admin_are_403_on_every_protected_operation(app, db, cast, role, org_id, path, method):
    before = fingerprint(db)
    response = request(api_client(app, role, org_id), method, concrete(path, cast),
                       fill(BODIES.get((path, method)), cast))
    assert_denied(response, 403)
    assert fingerprint(db) == before


@pytest.mark.parametrize("role, org_id", [("cre", "S1"), ("employer", "E12"), ("admin", None)])
@pytest.mark.parametrize("path, method", sorted(BUYER_OPERATIONS))
def test_buyer_operations_are_403_for_every_other_role(app, db, cast, role, org_id, path, method):
    before = fingerprint(db)
    response = request(api_client(app, role, org_id), method, concrete(path, cast),
                       fill(BODIES.get((path, method)), cast))
    assert_denied(response, 403)
    assert fingerprint(db) == before


@pytest.mark.parametrize("role, org_id", [("buyer", "B1"), ("admin", None)])
def test_buyer_and_admin_are_403_even_with_an_empty_body(app, role, org_id):
    assert_denied(api_client(app, role, org_id).post(f"{API}/proposals", json={}), 403)


# -- the CRE: every need, its own people ---------------------------------------------------
CRE_ALLOWED = [
    ("get", "/needs?status=tous", None, 200),
    ("get", "/needs/{N001}", None, 200),
    ("get", "/needs/{N025}", None, 200),
    ("get", "/needs/{N001}/matches", None, 200),
    ("get", "/profiles", None, 200),
    ("get", "/profiles?siae_id=S1", None, 200),
    ("get", "/profiles/{yusuf}", None, 200),
    ("post", "/profiles", PROFILE, 201),
    ("patch", "/profiles/{yusuf}", {"mobility_km": 12}, 200),
    ("get", "/proposals", None, 200),
    ("get", "/proposals/{shared}", None, 200),
    ("post", "/proposals", {"need_id": "{N026}", "profile_id": "{s1_person}"}, 201),
    ("post", "/proposals/{shared}/transitions", {"status": "vue"}, 200),
]
CRE_DENIED = [
    ("post", "/needs", {**NEED, "employer_id": "E12"}, 403),
    ("post", "/needs", NEED, 403),
    ("patch", "/needs/{N025}", {"title": "Autre intitulé"}, 403),
    ("get", "/profiles?siae_id=S4", None, 403),
    ("get", "/profiles?siae_id=S4&archived=true", None, 403),
    ("get", "/profiles/{mehdi}", None, 404),
    ("patch", "/profiles/{mehdi}", {"first_name": "Autre"}, 404),
    ("patch", "/profiles/{mehdi}", {"consent": False}, 404),
    ("post", "/profiles", {**PROFILE, "siae_id": "S4"}, 403),
    ("get", "/needs/{N001}/matches?siae_id=S4", None, 403),
    ("get", "/proposals/{elsewhere}", None, 404),
    ("post", "/proposals/{elsewhere}/transitions", {"status": "refusee", "reason": "autre"}, 404),
    ("post", "/proposals", {"need_id": "{N026}", "profile_id": "{mehdi}"}, 404),
]


@pytest.mark.parametrize("method, url, body, status", CRE_ALLOWED, ids=ids(CRE_ALLOWED))
def test_a_cre_may(cre, cast, method, url, body, status):
    response = request(cre, method, fill(url, cast), fill(body, cast))
    assert response.status_code == status, response.get_data(as_text=True)


@pytest.mark.parametrize("method, url, body, status", CRE_DENIED, ids=ids(CRE_DENIED))
def test_a_cre_may_not(cre, db, cast, method, url, body, status):
    before = fingerprint(db)
    assert_denied(request(cre, method, fill(url, cast), fill(body, cast)), status)
    assert fingerprint(db) == before


def test_a_cre_reads_the_needs_of_every_employer(cre):
    employers = {n["employer_id"] for n in cre.get(f"{API}/needs?status=tous").get_json()}
    assert len(employers) == 16   # 15 employers and the structure carrying the pooled need (S6)


def test_a_cre_lists_only_its_own_people(cre):
    assert {p["siae_id"] for p in cre.get(f"{API}/profiles?archived=true").get_json()} == {"S1"}


def test_a_cre_s_matches_are_only_its_own_people(cre, db, cast):
    s1 = {p["id"] for p in storage.list_profiles(db, siae_id="S1")}
    results = cre.get(f"{API}/needs/{cast['N001']}/matches?top=100").get_json()["results"]
    assert results and {r["candidate"] for r in results} <= s1


def test_a_cre_lists_only_its_own_people_s_proposals(cre, db):
    listed = cre.get(f"{API}/proposals?siae_id=S4").get_json()  # the filter cannot widen the scope
    s1 = {p["id"] for p in storage.list_profiles(db, siae_id="S1", include_archived=True)}
    assert listed and {p["profile_id"] for p in listed} <= s1
    assert len(listed) == len(storage.list_proposals(db, siae_id="S1"))


@pytest.mark.parametrize("status, reason", [("vue", None), ("entretien", None), ("pmsmp", None),
                                            ("periode_essai", None), ("embauchee", None), ("refusee", "autre")])
def test_a_cre_moves_its_proposal_to_any_allowed_state(cre, cast, status, reason):
    response = cre.post(f"{API}/proposals/{cast['shared']}/transitions", json={"status": status, "reason": reason})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["status"] == status


# -- the employer: its own needs, the answers to its proposals --------------------------------
EMPLOYER_ALLOWED = [
    ("get", "/needs", None, 200),
    ("get", "/needs/{N025}", None, 200),
    ("post", "/needs", NEED, 201),
    ("post", "/needs", {**NEED, "employer_id": "E12"}, 201),
    ("patch", "/needs/{N025}", {"title": "Mécanicien·ne cycles H/F"}, 200),
    ("get", "/proposals", None, 200),
    ("get", "/proposals/{shared}", None, 200),
    ("post", "/proposals/{shared}/transitions", {"status": "entretien", "note": "Mardi 10 h"}, 200),
]
EMPLOYER_DENIED = [
    ("get", "/needs/{N001}", None, 404),
    ("patch", "/needs/{N001}", {"title": "Autre intitulé"}, 404),
    ("post", "/needs", {**NEED, "employer_id": "E01"}, 403),
    ("get", "/needs/{N025}/matches", None, 403),
    ("get", "/profiles", None, 403),
    ("get", "/profiles/{yusuf}", None, 403),  # even the person proposed to it
    ("post", "/profiles", {**PROFILE, "siae_id": "S1"}, 403),
    ("patch", "/profiles/{yusuf}", {"first_name": "Autre"}, 403),
    ("get", "/proposals/{elsewhere}", None, 404),
    ("post", "/proposals/{elsewhere}/transitions", {"status": "entretien"}, 404),
    ("post", "/proposals", {"need_id": "{N026}", "profile_id": "{yusuf}"}, 403),
    ("post", "/proposals", {}, 403),
    ("post", "/proposals/{shared}/transitions", {"status": "vue"}, 403),
    ("post", "/proposals/{shared}/transitions", {"status": "proposee"}, 403),
]


@pytest.mark.parametrize("method, url, body, status", EMPLOYER_ALLOWED, ids=ids(EMPLOYER_ALLOWED))
def test_an_employer_may(e12, cast, method, url, body, status):
    response = request(e12, method, fill(url, cast), fill(body, cast))
    assert response.status_code == status, response.get_data(as_text=True)


@pytest.mark.parametrize("method, url, body, status", EMPLOYER_DENIED, ids=ids(EMPLOYER_DENIED))
def test_an_employer_may_not(e12, db, cast, method, url, body, status):
    before = fingerprint(db)
    assert_denied(request(e12, method, fill(url, cast), fill(body, cast)), status)
    assert fingerprint(db) == before


def test_an_employer_s_need_list_is_forced_to_its_own_needs(e12):
    listed = e12.get(f"{API}/needs?status=tous&employer_id=E01").get_json()
    assert listed and {n["employer_id"] for n in listed} == {"E12"}


def test_a_need_created_by_an_employer_is_its_own(e12):
    assert e12.post(f"{API}/needs", json=NEED).get_json()["employer_id"] == "E12"


def test_an_employer_lists_only_the_proposals_to_its_needs(e12, db):
    listed = e12.get(f"{API}/proposals?employer_id=E01").get_json()  # the filter cannot widen the scope
    assert listed and {p["employer_id"] for p in listed} == {"E12"}
    assert len(listed) == len(storage.list_proposals(db, employer_id="E12"))


@pytest.mark.parametrize("status", EMPLOYER_STATES)
def test_an_employer_answers_with_its_states(e12, cast, status):
    body = {"status": status, "reason": "autre" if status == "refusee" else None}
    response = e12.post(f"{API}/proposals/{cast['shared']}/transitions", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["status"] == status


# -- what an employer never sees --------------------------------------------------------------
@pytest.fixture
def confidential(cre, cast):
    """The CRE writes notes on Yusuf, records his eligibility, and moves his proposal with an internal note."""
    cre.patch(f"{API}/profiles/{cast['yusuf']}", json={"notes": "NOTE-CRE-SUR-YUSUF", "eligibility": ["RQTH", "QPV"]})
    cre.post(f"{API}/proposals/{cast['shared']}/transitions", json={"status": "vue", "note": "NOTE-INTERNE-CRE"})
    return {"notes": "NOTE-CRE-SUR-YUSUF", "internal": "NOTE-INTERNE-CRE",
            "eligibility": ["RQTH", "QPV", eligibility.CATEGORIES["RQTH"], eligibility.CATEGORIES["QPV"]]}


def employer_views(e12, cast):
    """Every answer of the API that speaks of the shared proposal, as the employer gets them."""
    return {
        "get": e12.get(f"{API}/proposals/{cast['shared']}"),
        "list": e12.get(f"{API}/proposals"),
        "transition": e12.post(f"{API}/proposals/{cast['shared']}/transitions", json={"status": "entretien"}),
    }


def test_an_employer_never_sees_eligibility_categories(e12, cast, confidential):
    for name, response in employer_views(e12, cast).items():
        assert response.status_code == 200, name
        assert "eligibility" not in keys_of(response.get_json()), name
        text = response.get_data(as_text=True)
        assert not [word for word in confidential["eligibility"] if word in text], name


def test_an_employer_never_sees_the_cre_s_notes_on_the_person(e12, cast, confidential):
    for name, response in employer_views(e12, cast).items():
        assert "notes" not in keys_of(response.get_json()), name
        assert confidential["notes"] not in response.get_data(as_text=True), name


def test_an_employer_never_sees_the_cre_s_internal_notes(e12, cast, confidential):
    got = e12.get(f"{API}/proposals/{cast['shared']}").get_json()
    assert confidential["internal"] not in json.dumps(got)
    assert ("proposee", "vue") in {(e["from_status"], e["to_status"]) for e in got["events"]}  # the move, not the note


def test_the_cre_sees_its_internal_notes(cre, cast, confidential):
    events = cre.get(f"{API}/proposals/{cast['shared']}").get_json()["events"]
    assert confidential["internal"] in [e["note"] for e in events]


def test_an_employer_s_own_notes_are_in_the_shared_history(e12, cre, cast):
    e12.post(f"{API}/proposals/{cast['shared']}/transitions", json={"status": "entretien", "note": "Mardi 10 h"})
    for client in (e12, cre):
        events = client.get(f"{API}/proposals/{cast['shared']}").get_json()["events"]
        assert "Mardi 10 h" in [e["note"] for e in events]


def test_an_employer_sees_the_person_while_consent_stands(e12, cast):
    got = e12.get(f"{API}/proposals/{cast['shared']}").get_json()
    assert got["first_name"] == "Yusuf" and got["message"] and got["explanation"]
    assert "withdrawn" not in got


# -- consent ----------------------------------------------------------------------------------
def test_a_person_without_consent_cannot_be_proposed(cre, db, cast):
    before = fingerprint(db)
    response = cre.post(f"{API}/proposals", json={"need_id": cast["N026"], "profile_id": cast["no_consent"]})
    body = assert_denied(response, 409)
    assert "accord" in body["error"]
    assert fingerprint(db) == before


def test_a_person_who_withdrew_consent_cannot_be_proposed(cre, cast):
    cre.patch(f"{API}/profiles/{cast['s1_person']}", json={"consent": False})
    response = cre.post(f"{API}/proposals", json={"need_id": cast["N026"], "profile_id": cast["s1_person"]})
    assert_denied(response, 409)


def test_consent_recorded_through_the_api_allows_the_proposal(cre, cast):
    cre.patch(f"{API}/profiles/{cast['no_consent']}", json={"consent": True})
    response = cre.post(f"{API}/proposals", json={"need_id": cast["N026"], "profile_id": cast["no_consent"]})
    assert response.status_code == 201, response.get_data(as_text=True)


@pytest.fixture
def withdrawn(cre, cast):
    """Yusuf withdraws his consent after being proposed to E12."""
    response = cre.patch(f"{API}/profiles/{cast['yusuf']}", json={"consent": False})
    assert response.status_code == 200 and response.get_json()["consent_at"] is None


def test_after_withdrawal_the_employer_sees_no_name_no_message_no_explanation(e12, cast, withdrawn):
    got = e12.get(f"{API}/proposals/{cast['shared']}").get_json()
    assert got["withdrawn"] is True
    assert got["first_name"] is None and got["message"] == "" and got["explanation"] == {}
    assert "Yusuf" not in json.dumps(got, ensure_ascii=False)


def test_after_withdrawal_the_history_keeps_no_note_about_the_person(e12, cast, withdrawn):
    events = e12.get(f"{API}/proposals/{cast['shared']}").get_json()["events"]
    assert events and all(e["note"] == "" for e in events)  # the first note was the CRE's message


def test_after_withdrawal_the_employer_s_list_hides_the_person(e12, cast, withdrawn):
    listed = {p["id"]: p for p in e12.get(f"{API}/proposals").get_json()}
    hidden = listed[cast["shared"]]
    assert hidden["withdrawn"] is True and hidden["first_name"] is None
    assert hidden["message"] == "" and hidden["explanation"] == {}


def test_after_withdrawal_an_employer_s_answer_shows_no_name_either(e12, cast, withdrawn):
    response = e12.post(f"{API}/proposals/{cast['shared']}/transitions", json={"status": "refusee", "reason": "autre"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["first_name"] is None and response.get_json()["withdrawn"] is True


def test_after_withdrawal_the_cre_still_sees_the_person(cre, cast, withdrawn):
    got = cre.get(f"{API}/proposals/{cast['shared']}").get_json()
    assert got["first_name"] == "Yusuf" and "withdrawn" not in got


@pytest.mark.parametrize("status", ["entretien", "pmsmp", "periode_essai", "embauchee"])
def test_after_withdrawal_the_employer_cannot_move_the_candidature_forward(e12, cre, cast, withdrawn, status):
    before = cre.get(f"{API}/proposals/{cast['shared']}").get_json()["status"]
    response = e12.post(f"{API}/proposals/{cast['shared']}/transitions", json={"status": status})
    body = assert_denied(response, 409)
    assert "retiré son accord" in body["error"]
    assert cre.get(f"{API}/proposals/{cast['shared']}").get_json()["status"] == before

