"""Schemathesis let loose on /api/v1, on a copy of the demo database.

The schema is the OpenAPI document the app serves (``from_wsgi``). For every
operation, as a CRE of S1 (and, on the operations an employer may use, as the
employer E01), it generates requests that fit the document ("positive") and
requests that break it ("negative"), and checks that the API never answers
5xx and answers only statuses the document lists, with the documented content
type and a body that fits the documented schema. Path ids are drawn from real
ids half of the time (every need and proposal, S1's profiles and one of S2's),
so that generated bodies reach the validation code rather than a 404.

Bounded and derandomized, with no example database: the same examples every
run, in a few seconds. ``PASSERELLE_FUZZ_EXAMPLES=300`` digs deeper by hand.

(``schemathesis.pytest.from_fixture`` would parametrize the test from a
fixture's schema, but its lazy loader fails under pytest 9 — it writes
``request.node._nodeid`` — hence one pytest test per operation and mode, each
running Hypothesis on ``operation.as_strategy``.)
"""
from __future__ import annotations

import os
import shutil

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

import storage
from app import create_app
from conftest import TEST_CONFIG
from web.db import get_db
from web.openapi import document
from web_helpers import token_for

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES_PER_OPERATION = int(os.environ.get("PASSERELLE_FUZZ_EXAMPLES", "15"))
SETTINGS = settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, database=None, deadline=None,
                    phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))

METHODS = {"get", "post", "patch", "put", "delete"}
EMPLOYER_OPERATIONS = {("GET", "/needs"), ("POST", "/needs"), ("GET", "/needs/{need_id}"),
                       ("PATCH", "/needs/{need_id}"), ("GET", "/proposals"), ("GET", "/proposals/{proposal_id}"),
                       ("POST", "/proposals/{proposal_id}/transitions")}


def _runs():
    """(role, organisation, method, path, mode): negative examples only where there is something to break."""
    paths = document()["paths"]
    runs = []
    for path, item in paths.items():
        for method in METHODS & set(item):
            op = item[method]
            has_inputs = bool(op.get("parameters") or item.get("parameters") or op.get("requestBody"))
            modes = [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if has_inputs else [])
            users = [("cre", "S1")] + ([("employer", "E01")] if (method.upper(), path) in EMPLOYER_OPERATIONS else [])
            runs += [(role, org_id, method.upper(), path, mode) for role, org_id in users for mode in modes]
    return runs


RUNS = _runs()


@pytest.fixture(scope="module")
def fuzz_app(demo_db, tmp_path_factory):
    """One copy of the demo database for the whole run (what the fuzzer creates stays there)."""
    path = tmp_path_factory.mktemp("fuzz") / "passerelle.sqlite"
    shutil.copy(demo_db, path)
    app = create_app({**TEST_CONFIG, "DATABASE": str(path)})
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash becomes the 500 a client would get, for the checks to see
    return app


@pytest.fixture(scope="module")
def api_schema(fuzz_app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app)


@pytest.fixture(scope="module")
def real_ids(fuzz_app):
    """Ids that exist, by path parameter: every need and proposal, S1's profiles and one of S2 (404 for S1)."""
    with fuzz_app.app_context():
        db = get_db()
        return {"need_id": [n["id"] for n in storage.list_needs(db, status=None)],
                "profile_id": [p["id"] for p in storage.list_profiles(db, siae_id="S1")][:6]
                + [storage.list_profiles(db, siae_id="S2")[0]["id"]],
                "proposal_id": [p["id"] for p in storage.list_proposals(db)]}


def cases(operation, mode, real_ids):
    """Generated cases; for a path with an id, half of them on an id that exists."""
    generated = operation.as_strategy(mode)
    names = [p.name for p in operation.path_parameters]
    if not names:
        return generated
    (name,) = names
    on_real_ids = st.sampled_from(real_ids[name]).flatmap(
        lambda value: operation.as_strategy(mode, path_parameters={name: value}))
    return st.one_of(generated, on_real_ids)


@pytest.mark.parametrize("role, org_id, method, path, mode", RUNS,
                         ids=[f"{role} {method} {path} {mode.value}" for role, _, method, path, mode in RUNS])
def test_the_api_keeps_the_promises_of_its_document(fuzz_app, api_schema, real_ids, role, org_id, method, path,
                                                    mode):
    operation = api_schema[path][method]
    token = token_for(fuzz_app, role, org_id)

    @SETTINGS
    @given(case=cases(operation, mode, real_ids))
    def fuzz(case):
        case.call_and_validate(headers={"Authorization": token}, checks=CHECKS)

    fuzz()
