"""The OpenAPI document at /api/v1/openapi.json stays true to the API.

It lists exactly the routes the app serves, every reference in it resolves,
it says which operations need a token (and documents their 401 and 403),
and real responses (successes and errors) validate against the schemas it
documents for their status code. Each request is made with the token of the
role that may make it: a CRE of S1 for profiles, matches and proposals, the
employer owning a need to publish, edit or answer it.
"""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

import storage
from web.api import PUBLIC_ENDPOINTS
from web.openapi import document
from web_helpers import api_client

API = "/api/v1"
DOC_URI = "urn:passerelle:openapi"
METHODS = {"get", "put", "post", "patch", "delete"}


@pytest.fixture
def spec(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200 and response.is_json
    return response.get_json()


@pytest.fixture
def cre(app):
    return api_client(app, "cre", "S1")


@pytest.fixture
def e01(app):
    """Employer E01: needs N001 and N002 (NEED is one of its needs)."""
    return api_client(app, "employer", "E01")


def employer_of(app, row):
    return api_client(app, "employer", row["employer_id"])


def served_routes(app):
    """(path, method) of every route under /api/v1, written the OpenAPI way."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API + "/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule[len(API):])
        routes |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return routes


def documented_routes(spec):
    return {(path, method) for path, item in spec["paths"].items() for method in item if method in METHODS}


def operations(spec):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield path, method, op


def walk(node, where=""):
    """Every (JSON pointer, value) of a document."""
    yield where, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, f"{where}/{key.replace('~', '~0').replace('/', '~1')}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, f"{where}/{i}")


def resolve(spec, ref):
    assert ref.startswith("#/"), f"only local references are expected: {ref}"
    node = spec
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"{ref} does not resolve"
        node = node[part]
    return node


def pointer(*parts):
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def validator(spec, *parts):
    """A 2020-12 validator for the schema at this place of the document ($refs resolved in the document)."""
    registry = Registry().with_resource(DOC_URI, Resource.from_contents(spec, default_specification=DRAFT202012))
    return Draft202012Validator({"$ref": DOC_URI + "#" + quote(pointer(*parts))}, registry=registry)


def check(spec, response, path, method):
    """The response's status is documented for this operation, and its JSON body fits the documented schema."""
    op = spec["paths"][path][method]
    status = str(response.status_code)
    assert status in op["responses"], (
        f"{method.upper()} {path} answered {status}, documented: {sorted(op['responses'])}: "
        f"{response.get_data(as_text=True)[:300]}")
    content = op["responses"][status].get("content", {})
    assert "application/json" in content, f"{method.upper()} {path} {status} documents no JSON body"
    assert response.is_json, response.content_type
    errors = sorted(validator(spec, "paths", path, method, "responses", status, "content", "application/json",
                              "schema").iter_errors(response.get_json()), key=lambda e: list(e.absolute_path))
    assert not errors, f"{method.upper()} {path} {status}: " + "; ".join(
        f"{'/'.join(map(str, e.absolute_path)) or '(racine)'}: {e.message[:200]}" for e in errors[:5])
    return response.get_json()


def check_request(spec, path, method, body):
    """A body the tests send is one the document allows (so the document does not forbid what works)."""
    errors = list(validator(spec, "paths", path, method, "requestBody", "content", "application/json",
                            "schema").iter_errors(body))
    assert not errors, [e.message for e in errors]


NEED = {
    "employer_id": "E01", "reference": "OA-0001", "title": "Opérateur câbleur H/F", "description": "Câblage.",
    "skills": [{"text": "soudure à l'étain", "required": True}, {"text": "jardinage", "required": False}],
    "contract": "CDI", "hours_per_week": 35, "positions": 2, "start_date": "2027-02-01",
    "requirements": {"driving_licence": False, "french_level": "A2"}, "location": {"postcode": "93100"},
    "max_distance_km": 30,
}
PROFILE = {
    "siae_id": "S1", "reference": "OA-P-0001", "first_name": "Awa", "skills_text": "peinture au rouleau, ponçage",
    "experiences": ["peintre"], "driving_licence": True, "vehicle": False, "mobility_km": 25, "french_level": "B1",
    "location": {"postcode": "93000"}, "eligibility": ["RSA"], "path_start": "2026-01-05", "path_end": "2027-01-04",
}


def first_need(client, reference="N001"):
    """A demo need, as a CRE (who sees every need) finds it."""
    return next(n for n in client.get(f"{API}/needs?status=tous").get_json() if n["reference"] == reference)


# -- the document itself ---------------------------------------------------------------
def test_the_served_document_is_the_module_document(spec):
    assert spec == document()
    assert spec["openapi"].startswith("3.1") and spec["servers"] == [{"url": API}]


def test_the_document_lists_exactly_the_served_routes(app, spec):
    served, documented = served_routes(app), documented_routes(spec)
    assert served, "no route under /api/v1?"
    assert documented - served == set(), "documented but not served"
    assert served - documented == set(), "served but not documented"


def test_every_operation_has_an_id_and_a_success_response(spec):
    ids = []
    for path, method, op in operations(spec):
        assert op.get("operationId"), f"{method.upper()} {path} has no operationId"
        ids.append(op["operationId"])
        assert any(code.startswith("2") for code in op["responses"]), f"{method.upper()} {path}: no 2xx response"
        for code, response in op["responses"].items():
            assert re.fullmatch(r"[1-5]\d\d", code), f"{method.upper()} {path}: status {code}"
            assert response.get("description"), f"{method.upper()} {path} {code} has no description"
    assert len(ids) == len(set(ids)), "operationIds must be unique"


def test_every_error_response_is_the_error_schema(spec):
    for path, method, op in operations(spec):
        for code, response in op["responses"].items():
            if code.startswith(("4", "5")):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, f"{method.upper()} {path} {code}"


def is_public(spec, op):
    return op.get("security", spec["security"]) == []


def test_the_document_declares_bearer_tokens_for_every_operation_by_default(spec):
    assert spec["components"]["securitySchemes"]["bearerAuth"]["type"] == "http"
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert spec["security"] == [{"bearerAuth": []}]


def test_the_public_operations_are_the_ones_the_app_serves_without_a_token(app, spec):
    public = {(path, method) for path, method, op in operations(spec) if is_public(spec, op)}
    assert public == {("/map", "get"), ("/openapi.json", "get")}
    served_public = {re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule[len(API):])
                     for rule in app.url_map.iter_rules() if rule.endpoint in PUBLIC_ENDPOINTS}
    assert served_public == {path for path, _ in public}


def test_every_protected_operation_documents_401_and_403(spec):
    for path, method, op in operations(spec):
        if not is_public(spec, op):
            assert {"401", "403"} <= set(op["responses"]), f"{method.upper()} {path}"
            for code in ("401", "403"):
                assert op["responses"][code]["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/Error"}, f"{method.upper()} {path} {code}"


def test_the_public_operations_document_no_401(spec):
    for path, method, op in operations(spec):
        if is_public(spec, op):
            assert "401" not in op["responses"], f"{method.upper()} {path}"


def test_consent_is_written_as_a_flag_and_read_as_a_record(spec):
    schemas = spec["components"]["schemas"]
    for name in ("ProfileInput", "ProfilePatch"):
        assert schemas[name]["properties"]["consent"]["type"] == "boolean"
        assert not {"consent_at", "consent_by"} & set(schemas[name]["properties"])
    assert {"consent_at", "consent_by", "notes"} <= set(schemas["Profile"]["properties"])
    assert "consent" not in schemas["Profile"]["properties"]
    assert schemas["Proposal"]["properties"]["withdrawn"]["type"] == "boolean"


def test_every_path_parameter_is_declared(spec):
    for path, item in spec["paths"].items():
        placeholders = set(re.findall(r"{([^}]+)}", path))
        for method in METHODS & set(item):
            params = item.get("parameters", []) + item[method].get("parameters", [])
            declared = {p["name"] for p in params if p["in"] == "path"}
            assert declared == placeholders, f"{method.upper()} {path}"
            assert all(p["required"] for p in params if p["in"] == "path")


def test_every_ref_resolves(spec):
    refs = [(where, node["$ref"]) for where, node in walk(spec) if isinstance(node, dict) and "$ref" in node]
    assert refs
    for where, ref in refs:
        assert isinstance(resolve(spec, ref), dict), f"{where}: {ref}"


def test_every_schema_is_a_valid_2020_12_schema(spec):
    for name, schema in spec["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema)
    for where, node in walk(spec):
        if where.endswith("/schema"):
            Draft202012Validator.check_schema(node)


def test_every_component_schema_is_used(spec):
    used = {ref.rsplit("/", 1)[-1] for _, node in walk(spec["paths"]) if isinstance(node, dict)
            for ref in [node.get("$ref")] if isinstance(ref, str)}
    used |= {ref.rsplit("/", 1)[-1] for _, node in walk(spec["components"]) if isinstance(node, dict)
             for ref in [node.get("$ref")] if isinstance(ref, str)}
    assert set(spec["components"]["schemas"]) - used == set()


# -- real responses against the document ---------------------------------------------
def test_needs_responses_fit_the_document(cre, e01, spec):
    listed = check(spec, cre.get(f"{API}/needs"), "/needs", "get")
    assert len(listed) == 31   # 30 needs of employers and the pooled caretakers' need
    check(spec, cre.get(f"{API}/needs?status=tous&employer_id=E01"), "/needs", "get")
    check(spec, e01.get(f"{API}/needs?status=tous"), "/needs", "get")
    check(spec, cre.get(f"{API}/needs/{listed[0]['id']}"), "/needs/{need_id}", "get")
    check_request(spec, "/needs", "post", NEED)
    created = check(spec, e01.post(f"{API}/needs", json=NEED), "/needs", "post")
    assert created["skill_map"]  # mapped entries, with labels and alternatives, fit SkillMapEntry
    patch = {"title": "Câbleur H/F", "status": "ferme", "location": {"postcode": "75011"}}
    check_request(spec, "/needs/{need_id}", "patch", patch)
    check(spec, e01.patch(f"{API}/needs/{created['id']}", json=patch), "/needs/{need_id}", "patch")


def test_matches_responses_fit_the_document(cre, spec):
    need = first_need(cre)
    for query in ("top=5", "top=100", "top=100&include_blocked=false", "siae_id=S1", "max_distance_km=5"):
        body = check(spec, cre.get(f"{API}/needs/{need['id']}/matches?{query}"), "/needs/{need_id}/matches", "get")
        assert body["results"]
    blocked = check(spec, cre.get(f"{API}/needs/{first_need(cre, 'N018')['id']}/matches?top=3"),
                    "/needs/{need_id}/matches", "get")
    assert all(r["blocking"] for r in blocked["results"])


def test_profiles_responses_fit_the_document(cre, spec):
    listed = check(spec, cre.get(f"{API}/profiles"), "/profiles", "get")
    assert len(listed) == 28  # S1's people
    assert any(p["consent_at"] is None for p in listed) and any(p["consent_at"] for p in listed)
    check(spec, cre.get(f"{API}/profiles?siae_id=S1&archived=true"), "/profiles", "get")
    check_request(spec, "/profiles", "post", PROFILE)
    created = check(spec, cre.post(f"{API}/profiles", json=PROFILE), "/profiles", "post")
    assert created["skill_map"]
    check(spec, cre.get(f"{API}/profiles/{created['id']}"), "/profiles/{profile_id}", "get")
    patch = {"archived": True, "mobility_km": 10, "consent": False, "notes": "à rappeler"}
    check_request(spec, "/profiles/{profile_id}", "patch", patch)
    check(spec, cre.patch(f"{API}/profiles/{created['id']}", json=patch), "/profiles/{profile_id}", "patch")


def test_proposals_responses_fit_the_document(app, cre, spec):
    check(spec, cre.get(f"{API}/proposals"), "/proposals", "get")
    check(spec, cre.get(f"{API}/proposals?status=embauchee&employer_id=E10"), "/proposals", "get")
    need = first_need(cre, "N026")
    employer = employer_of(app, need)
    best = cre.get(f"{API}/needs/{need['id']}/matches?top=1&include_blocked=false").get_json()["results"][0]
    body = {"need_id": need["id"], "profile_id": best["candidate"], "message": "Motivée", "proposed_by": "S1"}
    check_request(spec, "/proposals", "post", body)
    proposal = check(spec, cre.post(f"{API}/proposals", json=body), "/proposals", "post")
    for client, transition in ((cre, {"status": "vue", "actor": "E12"}),
                               (employer, {"status": "entretien", "note": "mardi 10 h"}),
                               (employer, {"status": "refusee", "reason": "mobilite"})):
        check_request(spec, "/proposals/{proposal_id}/transitions", "post", transition)
        check(spec, client.post(f"{API}/proposals/{proposal['id']}/transitions", json=transition),
              "/proposals/{proposal_id}/transitions", "post")
    got = check(spec, cre.get(f"{API}/proposals/{proposal['id']}"), "/proposals/{proposal_id}", "get")
    assert len(got["events"]) == 4
    check(spec, employer.get(f"{API}/proposals/{proposal['id']}"), "/proposals/{proposal_id}", "get")
    check(spec, employer.get(f"{API}/proposals"), "/proposals", "get")


def test_a_proposal_of_a_person_who_withdrew_fits_the_document(app, cre, spec):
    shared = next(p for p in cre.get(f"{API}/proposals").get_json() if p["employer_id"] == "E12")
    cre.patch(f"{API}/profiles/{shared['profile_id']}", json={"consent": False})
    employer = employer_of(app, shared)
    got = check(spec, employer.get(f"{API}/proposals/{shared['id']}"), "/proposals/{proposal_id}", "get")
    assert got["withdrawn"] is True and got["first_name"] is None
    listed = check(spec, employer.get(f"{API}/proposals"), "/proposals", "get")
    assert any(p.get("withdrawn") for p in listed)


def test_map_and_openapi_responses_fit_the_document(client, spec):
    check(spec, client.get(f"{API}/map", query_string={"text": "soudur a letain, jardinage, xyzzy"}), "/map", "get")
    check(spec, client.get(f"{API}/map"), "/map", "get")
    check(spec, client.get(f"{API}/openapi.json"), "/openapi.json", "get")


# -- the documented "required" lists are the ones the API enforces ------------------------
def best_candidate(cre, need_id):
    """The best unblocked person of S1 for a need who agreed to be proposed."""
    agreed = {p["id"] for p in cre.get(f"{API}/profiles").get_json() if p["consent_at"]}
    results = cre.get(f"{API}/needs/{need_id}/matches?top=100&include_blocked=false").get_json()["results"]
    return next(r["candidate"] for r in results if r["candidate"] in agreed)


def minimal_bodies(cre, e01):
    """For each input schema: who sends it, the operation, and a body made of its required properties only."""
    need = first_need(cre, "N026")
    proposal = cre.get(f"{API}/proposals?status=proposee").get_json()[0]
    return {
        "NeedInput": (e01, "post", "/needs", "/needs", {"title": "Agent", "contract": "CDD"}),
        "ProfileInput": (cre, "post", "/profiles", "/profiles", {"reference": "MIN-01", "first_name": "Léa"}),
        "ProposalInput": (cre, "post", "/proposals", "/proposals",
                          {"need_id": need["id"], "profile_id": best_candidate(cre, need["id"])}),
        "Transition": (cre, "post", f"/proposals/{proposal['id']}/transitions", "/proposals/{proposal_id}/transitions",
                       {"status": "vue"}),
    }


@pytest.mark.parametrize("schema", ["NeedInput", "ProfileInput", "ProposalInput", "Transition"])
def test_a_body_with_only_the_required_properties_is_accepted(cre, e01, spec, schema):
    client, method, url, path, body = minimal_bodies(cre, e01)[schema]
    assert set(body) == set(spec["components"]["schemas"][schema]["required"])
    check_request(spec, path, method, body)
    response = getattr(client, method)(API + url, json=body)
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    check(spec, response, path, method)


@pytest.mark.parametrize("schema", ["NeedInput", "ProfileInput", "ProposalInput", "Transition"])
def test_a_body_without_a_required_property_is_refused(cre, e01, spec, schema):
    client, method, url, path, body = minimal_bodies(cre, e01)[schema]
    for name in spec["components"]["schemas"][schema]["required"]:
        response = getattr(client, method)(API + url, json={k: v for k, v in body.items() if k != name})
        assert response.status_code == 422, (name, response.get_data(as_text=True))
        check(spec, response, path, method)


# -- errors against the document --------------------------------------------------------
USERS = {"cre": ("cre", "S1"), "e01": ("employer", "E01"), "e12": ("employer", "E12"), "buyer": ("buyer", "B1"),
         "admin": ("admin", None), "anonymous": None}
ERRORS = [
    # (who, method, url, request kwargs, documented path, expected status)
    ("cre", "get", "/needs?status=perdu", {}, "/needs", 400),
    ("e01", "post", "/needs", {"data": "x"}, "/needs", 415),
    ("e01", "post", "/needs", {"json": ["liste"]}, "/needs", 400),
    ("e01", "post", "/needs", {"json": {**NEED, "contract": "X", "hours_per_week": 99}}, "/needs", 422),
    ("e01", "post", "/needs", {"json": {**NEED, "employer_id": "E99"}}, "/needs", 422),
    ("e01", "post", "/needs", {"json": {**NEED, "reference": "N001"}}, "/needs", 409),
    ("e01", "post", "/needs", {"json": {**NEED, "employer_id": "E02"}}, "/needs", 403),
    ("cre", "post", "/needs", {"json": NEED}, "/needs", 403),
    ("anonymous", "post", "/needs", {"json": NEED}, "/needs", 401),
    ("buyer", "get", "/needs", {}, "/needs", 403),
    ("anonymous", "get", "/needs", {}, "/needs", 401),
    ("cre", "get", "/needs/99999", {}, "/needs/{need_id}", 404),
    ("e01", "get", "/needs/{N025}", {}, "/needs/{need_id}", 404),
    ("admin", "get", "/needs/{N001}", {}, "/needs/{need_id}", 403),
    ("e01", "patch", "/needs/99999", {"json": {}}, "/needs/{need_id}", 404),
    ("e01", "patch", "/needs/{N001}", {"json": {"employer_id": "E02"}}, "/needs/{need_id}", 422),
    ("e01", "patch", "/needs/{N001}", {"data": "x"}, "/needs/{need_id}", 415),
    ("e01", "patch", "/needs/{N001}", {"json": {"reference": "N002"}}, "/needs/{need_id}", 409),
    ("e01", "patch", "/needs/{N025}", {"json": {"title": "x"}}, "/needs/{need_id}", 404),
    ("cre", "patch", "/needs/{N001}", {"json": {"title": "x"}}, "/needs/{need_id}", 403),
    ("anonymous", "patch", "/needs/{N001}", {"json": {"title": "x"}}, "/needs/{need_id}", 401),
    ("cre", "get", "/needs/{N001}/matches?top=0", {}, "/needs/{need_id}/matches", 400),
    ("cre", "get", "/needs/{N001}/matches?top=abc", {}, "/needs/{need_id}/matches", 400),
    ("cre", "get", "/needs/{N001}/matches?max_distance_km=-1", {}, "/needs/{need_id}/matches", 400),
    ("cre", "get", "/needs/{N001}/matches?siae_id=S9", {}, "/needs/{need_id}/matches", 403),
    ("cre", "get", "/needs/99999/matches", {}, "/needs/{need_id}/matches", 404),
    ("e01", "get", "/needs/{N001}/matches", {}, "/needs/{need_id}/matches", 403),
    ("anonymous", "get", "/needs/{N001}/matches", {}, "/needs/{need_id}/matches", 401),
    ("cre", "post", "/profiles", {"json": {**PROFILE, "location": {"postcode": "99999"}}}, "/profiles", 422),
    ("cre", "post", "/profiles", {"json": {**PROFILE, "reference": "ACI-MTR-0001"}}, "/profiles", 409),
    ("cre", "post", "/profiles", {"data": "x", "content_type": "text/plain"}, "/profiles", 415),
    ("cre", "post", "/profiles", {"data": "{", "content_type": "application/json"}, "/profiles", 400),
    ("cre", "post", "/profiles", {"data": '{"first_name": "\\ud800"}', "content_type": "application/json"},
     "/profiles", 400),
    ("cre", "post", "/profiles", {"json": {**PROFILE, "siae_id": "S2"}}, "/profiles", 403),
    ("e01", "post", "/profiles", {"json": PROFILE}, "/profiles", 403),
    ("anonymous", "post", "/profiles", {"json": PROFILE}, "/profiles", 401),
    ("cre", "get", "/profiles?siae_id=S2", {}, "/profiles", 403),
    ("e01", "get", "/profiles", {}, "/profiles", 403),
    ("anonymous", "get", "/profiles", {}, "/profiles", 401),
    ("cre", "get", "/profiles/99999", {}, "/profiles/{profile_id}", 404),
    ("cre", "get", "/profiles/{S4}", {}, "/profiles/{profile_id}", 404),
    ("e01", "get", "/profiles/{S1}", {}, "/profiles/{profile_id}", 403),
    ("anonymous", "get", "/profiles/{S1}", {}, "/profiles/{profile_id}", 401),
    ("cre", "patch", "/profiles/{S1}", {"json": {"eligibility": ["XYZ"]}}, "/profiles/{profile_id}", 422),
    ("cre", "patch", "/profiles/{S1}", {"json": {"archived": "oui"}}, "/profiles/{profile_id}", 422),
    ("cre", "patch", "/profiles/{S4}", {"json": {"first_name": "X"}}, "/profiles/{profile_id}", 404),
    ("buyer", "patch", "/profiles/{S1}", {"json": {"first_name": "X"}}, "/profiles/{profile_id}", 403),
    ("anonymous", "patch", "/profiles/{S1}", {"json": {"first_name": "X"}}, "/profiles/{profile_id}", 401),
    ("cre", "get", "/proposals?status=perdue", {}, "/proposals", 400),
    ("cre", "get", "/proposals?need_id=1234567890", {}, "/proposals", 400),
    ("admin", "get", "/proposals", {}, "/proposals", 403),
    ("anonymous", "get", "/proposals", {}, "/proposals", 401),
    ("cre", "post", "/proposals", {"json": {}}, "/proposals", 422),
    ("cre", "post", "/proposals", {"json": {"need_id": 99999, "profile_id": 1}}, "/proposals", 404),
    ("cre", "post", "/proposals", {"json": {"need_id": "{N026}", "profile_id": "{no_consent}"}}, "/proposals", 409),
    ("e01", "post", "/proposals", {"json": {"need_id": "{N001}", "profile_id": "{S1}"}}, "/proposals", 403),
    ("anonymous", "post", "/proposals", {"json": {}}, "/proposals", 401),
    ("cre", "get", "/proposals/99999", {}, "/proposals/{proposal_id}", 404),
    ("e01", "get", "/proposals/{hired}", {}, "/proposals/{proposal_id}", 404),
    ("buyer", "get", "/proposals/{hired}", {}, "/proposals/{proposal_id}", 403),
    ("anonymous", "get", "/proposals/{hired}", {}, "/proposals/{proposal_id}", 401),
    ("cre", "post", "/proposals/99999/transitions", {"json": {"status": "vue"}}, "/proposals/{proposal_id}/transitions",
     404),
    ("cre", "post", "/proposals/{hired}/transitions", {"json": {"status": "entretien"}},
     "/proposals/{proposal_id}/transitions", 409),
    ("cre", "post", "/proposals/{hired}/transitions", {"json": {}}, "/proposals/{proposal_id}/transitions", 422),
    ("e12", "post", "/proposals/{shared}/transitions", {"json": {"status": "vue"}},
     "/proposals/{proposal_id}/transitions", 403),
    ("anonymous", "post", "/proposals/{shared}/transitions", {"json": {"status": "vue"}},
     "/proposals/{proposal_id}/transitions", 401),
    ("anonymous", "get", "/map?text=" + "a" * 4001, {}, "/map", 400),
]


@pytest.fixture
def cast(cre, db):
    """Ids for the URLs and bodies of the error table (S4: a person of another structure)."""
    needs = {n["reference"]: n["id"] for n in cre.get(f"{API}/needs?status=tous").get_json()}
    s1 = cre.get(f"{API}/profiles").get_json()
    proposals = cre.get(f"{API}/proposals").get_json()
    return {
        "N001": needs["N001"], "N025": needs["N025"], "N026": needs["N026"],
        "S1": next(p["id"] for p in s1 if p["consent_at"]),
        "no_consent": next(p["id"] for p in s1 if not p["consent_at"]),
        "S4": storage.list_profiles(db, siae_id="S4")[0]["id"],
        "hired": next(p["id"] for p in proposals if p["status"] == "embauchee"),
        "shared": next(p["id"] for p in proposals if p["employer_id"] == "E12"),
    }


def fill(value, cast):
    if isinstance(value, dict):
        return {k: fill(v, cast) for k, v in value.items()}
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in cast:
        return cast[value[1:-1]]
    return value


@pytest.mark.parametrize("who, method, url, kwargs, path, status", ERRORS,
                         ids=[f"{w} {m.upper()} {u[:40]} {s}" for w, m, u, _, _, s in ERRORS])
def test_error_responses_fit_the_document(app, spec, cast, who, method, url, kwargs, path, status):
    client = app.test_client() if USERS[who] is None else api_client(app, *USERS[who])
    for name, value in cast.items():
        url = url.replace("{" + name + "}", str(value))
    response = getattr(client, method)(API + url, **fill(kwargs, cast))
    assert response.status_code == status, response.get_data(as_text=True)
    body = check(spec, response, path, method)
    assert body["error"]


def test_a_duplicate_proposal_is_a_documented_409(cre, spec):
    proposal = cre.get(f"{API}/proposals").get_json()[0]
    response = cre.post(f"{API}/proposals", json={"need_id": proposal["need_id"],
                                                  "profile_id": proposal["profile_id"]})
    assert response.status_code == 409
    check(spec, response, "/proposals", "post")
