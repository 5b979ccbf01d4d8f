"""The OpenAPI document at /api/v1/openapi.json stays true to the API.

It lists exactly the routes the app serves, every reference in it resolves,
and real responses (successes and errors) validate against the schemas it
documents for their status code.
"""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from web.openapi import document

API = "/api/v1"
DOC_URI = "urn:passerelle:openapi"
METHODS = {"get", "put", "post", "patch", "delete"}


@pytest.fixture
def spec(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200 and response.is_json
    return response.get_json()


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
def test_needs_responses_fit_the_document(client, spec):
    listed = check(spec, client.get(f"{API}/needs"), "/needs", "get")
    assert len(listed) == 30
    check(spec, client.get(f"{API}/needs?status=tous&employer_id=E01"), "/needs", "get")
    check(spec, client.get(f"{API}/needs/{listed[0]['id']}"), "/needs/{need_id}", "get")
    check_request(spec, "/needs", "post", NEED)
    created = check(spec, client.post(f"{API}/needs", json=NEED), "/needs", "post")
    assert created["skill_map"]  # mapped entries, with labels and alternatives, fit SkillMapEntry
    patch = {"title": "Câbleur H/F", "status": "ferme", "location": {"postcode": "75011"}}
    check_request(spec, "/needs/{need_id}", "patch", patch)
    check(spec, client.patch(f"{API}/needs/{created['id']}", json=patch), "/needs/{need_id}", "patch")


def test_matches_responses_fit_the_document(client, spec):
    need = first_need(client)
    for query in ("top=5", "top=100", "top=100&include_blocked=false", "siae_id=S1", "max_distance_km=5"):
        body = check(spec, client.get(f"{API}/needs/{need['id']}/matches?{query}"), "/needs/{need_id}/matches", "get")
        assert body["results"]
    blocked = check(spec, client.get(f"{API}/needs/{first_need(client, 'N018')['id']}/matches?top=3"),
                    "/needs/{need_id}/matches", "get")
    assert all(r["blocking"] for r in blocked["results"])


def test_profiles_responses_fit_the_document(client, spec):
    listed = check(spec, client.get(f"{API}/profiles"), "/profiles", "get")
    assert len(listed) == 120
    check(spec, client.get(f"{API}/profiles?siae_id=S2&archived=true"), "/profiles", "get")
    check_request(spec, "/profiles", "post", PROFILE)
    created = check(spec, client.post(f"{API}/profiles", json=PROFILE), "/profiles", "post")
    assert created["skill_map"]
    check(spec, client.get(f"{API}/profiles/{created['id']}"), "/profiles/{profile_id}", "get")
    check_request(spec, "/profiles/{profile_id}", "patch", {"archived": True, "mobility_km": 10})
    check(spec, client.patch(f"{API}/profiles/{created['id']}", json={"archived": True, "mobility_km": 10}),
          "/profiles/{profile_id}", "patch")


def test_proposals_responses_fit_the_document(client, spec):
    check(spec, client.get(f"{API}/proposals"), "/proposals", "get")
    check(spec, client.get(f"{API}/proposals?status=embauchee&employer_id=E10"), "/proposals", "get")
    need = first_need(client, "N026")
    best = client.get(f"{API}/needs/{need['id']}/matches?top=1&include_blocked=false").get_json()["results"][0]
    body = {"need_id": need["id"], "profile_id": best["candidate"], "message": "Motivée", "proposed_by": "S1"}
    check_request(spec, "/proposals", "post", body)
    proposal = check(spec, client.post(f"{API}/proposals", json=body), "/proposals", "post")
    for transition in ({"status": "vue", "actor": "E12"}, {"status": "entretien", "note": "mardi 10 h"},
                       {"status": "refusee", "reason": "mobilite"}):
        check_request(spec, "/proposals/{proposal_id}/transitions", "post", transition)
        check(spec, client.post(f"{API}/proposals/{proposal['id']}/transitions", json=transition),
              "/proposals/{proposal_id}/transitions", "post")
    got = check(spec, client.get(f"{API}/proposals/{proposal['id']}"), "/proposals/{proposal_id}", "get")
    assert len(got["events"]) == 4


def test_map_and_openapi_responses_fit_the_document(client, spec):
    check(spec, client.get(f"{API}/map", query_string={"text": "soudur a letain, jardinage, xyzzy"}), "/map", "get")
    check(spec, client.get(f"{API}/map"), "/map", "get")
    check(spec, client.get(f"{API}/openapi.json"), "/openapi.json", "get")


# -- the documented "required" lists are the ones the API enforces ------------------------
def minimal_bodies(client):
    """For each input schema: the operation, and a body made of its required properties only."""
    need = first_need(client, "N026")
    best = client.get(f"{API}/needs/{need['id']}/matches?top=1&include_blocked=false").get_json()["results"][0]
    proposal = client.get(f"{API}/proposals?status=proposee").get_json()[0]
    return {
        "NeedInput": ("post", "/needs", "/needs", {"employer_id": "E01", "title": "Agent", "contract": "CDD"}),
        "ProfileInput": ("post", "/profiles", "/profiles",
                         {"siae_id": "S1", "reference": "MIN-01", "first_name": "Léa"}),
        "ProposalInput": ("post", "/proposals", "/proposals", {"need_id": need["id"], "profile_id": best["candidate"]}),
        "Transition": ("post", f"/proposals/{proposal['id']}/transitions", "/proposals/{proposal_id}/transitions",
                       {"status": "vue"}),
    }


@pytest.mark.parametrize("schema", ["NeedInput", "ProfileInput", "ProposalInput", "Transition"])
def test_a_body_with_only_the_required_properties_is_accepted(client, spec, schema):
    method, url, path, body = minimal_bodies(client)[schema]
    assert set(body) == set(spec["components"]["schemas"][schema]["required"])
    check_request(spec, path, method, body)
    response = getattr(client, method)(API + url, json=body)
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    check(spec, response, path, method)


@pytest.mark.parametrize("schema", ["NeedInput", "ProfileInput", "ProposalInput", "Transition"])
def test_a_body_without_a_required_property_is_refused(client, spec, schema):
    method, url, path, body = minimal_bodies(client)[schema]
    for name in spec["components"]["schemas"][schema]["required"]:
        response = getattr(client, method)(API + url, json={k: v for k, v in body.items() if k != name})
        assert response.status_code == 422, (name, response.get_data(as_text=True))
        check(spec, response, path, method)


# -- errors against the document --------------------------------------------------------
ERRORS = [
    # (method, url, request kwargs, documented path, expected status)
    ("get", "/needs?status=perdu", {}, "/needs", 400),
    ("post", "/needs", {"data": "x"}, "/needs", 415),
    ("post", "/needs", {"json": ["liste"]}, "/needs", 400),
    ("post", "/needs", {"json": {**NEED, "contract": "X", "hours_per_week": 99}}, "/needs", 422),
    ("post", "/needs", {"json": {**NEED, "employer_id": "E99"}}, "/needs", 422),
    ("post", "/needs", {"json": {**NEED, "reference": "N001"}}, "/needs", 409),
    ("get", "/needs/99999", {}, "/needs/{need_id}", 404),
    ("patch", "/needs/99999", {"json": {}}, "/needs/{need_id}", 404),
    ("patch", "/needs/{N001}", {"json": {"employer_id": "E02"}}, "/needs/{need_id}", 422),
    ("patch", "/needs/{N001}", {"data": "x"}, "/needs/{need_id}", 415),
    ("patch", "/needs/{N001}", {"json": {"reference": "N002"}}, "/needs/{need_id}", 409),
    ("get", "/needs/{N001}/matches?top=0", {}, "/needs/{need_id}/matches", 400),
    ("get", "/needs/{N001}/matches?top=abc", {}, "/needs/{need_id}/matches", 400),
    ("get", "/needs/{N001}/matches?max_distance_km=-1", {}, "/needs/{need_id}/matches", 400),
    ("get", "/needs/{N001}/matches?siae_id=S9", {}, "/needs/{need_id}/matches", 422),
    ("get", "/needs/99999/matches", {}, "/needs/{need_id}/matches", 404),
    ("post", "/profiles", {"json": {**PROFILE, "location": {"postcode": "99999"}}}, "/profiles", 422),
    ("post", "/profiles", {"json": {**PROFILE, "reference": "ACI-MTR-0001"}}, "/profiles", 409),
    ("post", "/profiles", {"data": "x", "content_type": "text/plain"}, "/profiles", 415),
    ("post", "/profiles", {"data": "{", "content_type": "application/json"}, "/profiles", 400),
    ("get", "/profiles/99999", {}, "/profiles/{profile_id}", 404),
    ("patch", "/profiles/1", {"json": {"eligibility": ["XYZ"]}}, "/profiles/{profile_id}", 422),
    ("patch", "/profiles/1", {"json": {"archived": "oui"}}, "/profiles/{profile_id}", 422),
    ("get", "/proposals?status=perdue", {}, "/proposals", 400),
    ("post", "/proposals", {"json": {}}, "/proposals", 422),
    ("post", "/proposals", {"json": {"need_id": 99999, "profile_id": 1}}, "/proposals", 404),
    ("get", "/proposals/99999", {}, "/proposals/{proposal_id}", 404),
    ("post", "/proposals/99999/transitions", {"json": {"status": "vue"}}, "/proposals/{proposal_id}/transitions", 404),
    ("post", "/proposals/{hired}/transitions", {"json": {"status": "entretien"}},
     "/proposals/{proposal_id}/transitions", 409),
    ("post", "/proposals/{hired}/transitions", {"json": {}}, "/proposals/{proposal_id}/transitions", 422),
    ("get", "/map?text=" + "a" * 4001, {}, "/map", 400),
]


@pytest.mark.parametrize("method, url, kwargs, path, status", ERRORS,
                         ids=[f"{m.upper()} {u[:40]} {s}" for m, u, _, _, s in ERRORS])
def test_error_responses_fit_the_document(client, spec, method, url, kwargs, path, status):
    if "{N001}" in url:
        url = url.replace("{N001}", str(first_need(client)["id"]))
    if "{hired}" in url:
        url = url.replace("{hired}", str(client.get(f"{API}/proposals?status=embauchee").get_json()[0]["id"]))
    response = getattr(client, method)(API + url, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)
    body = check(spec, response, path, method)
    assert body["error"]


def test_a_duplicate_proposal_is_a_documented_409(client, spec):
    proposal = client.get(f"{API}/proposals").get_json()[0]
    response = client.post(f"{API}/proposals", json={"need_id": proposal["need_id"],
                                                     "profile_id": proposal["profile_id"]})
    assert response.status_code == 409
    check(spec, response, "/proposals", "post")
