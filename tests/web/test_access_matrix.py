"""The access matrix: every page route, every role, allowed and denied.

For each route the app serves (the API has its own scoping tests), each role
(CRE of S1, director of S1, employer E14, buyer B1, admin, and an anonymous visitor) asks
for the route on objects of its own organisation where it has any: the
owning role gets the page, another role gets 403, an anonymous visitor is
sent to the login page; then a user of the owning role but another
organisation asks for the same objects and gets 404. A denied answer never
carries the data: the person's reference and first name are not in it.
"""
from __future__ import annotations

import pytest

import storage
from web.db import get_db
from web_helpers import ensure_user, enter

ROLE_ORG = {"cre": "S1", "direction": "S1", "employer": "E14", "buyer": "B1", "admin": None}
# The roles that may open a blueprint's pages (the titulaire space belongs to employers a lot is awarded to).
ROLES_OF_BLUEPRINT = {"cre": {"cre"}, "employer": {"employer"}, "buyer": {"buyer"}, "admin": {"admin"},
                      "titulaire": {"employer"}, "pooled": {"cre"}, "member": {"employer"}, "outreach": {"cre"},
                      "diagnostic": {"cre", "direction", "buyer"}}
# Whose objects a blueprint's routes are about (the diagnostic has none: aggregates only), and an
# organisation of that role that does not own them.
OWNER_ROLE = {"cre": "cre", "employer": "employer", "buyer": "buyer", "titulaire": "employer", "pooled": "cre",
              "member": "employer", "outreach": "cre"}
OTHER_ORG = {"cre": "S2", "employer": "E01", "buyer": "B2", "titulaire": "E01", "pooled": "S2", "member": "E01",
             "outreach": "S2"}
ANY_USER = {"auth.account", "auth.logout", "notifications.index", "notifications.open_notification",
            "notifications.mark_all_read", "notifications.preferences"}
# Public by design: the accessibility statement, the favicon, the password reset (tests/web/test_public_pages.py).
PUBLIC = {"auth.login", "auth.invitation", "home.index", "home.favicon", "home.accessibility",
          "password_reset.request_reset", "password_reset.reset"}
# A notification is its recipient's alone: any other account, whatever its role, gets 404.
RECIPIENT_ONLY = {"notifications.open_notification"}


# Objects a CRE may reach whatever their owner: every employer's needs, every contract's lots.
SHARED_WITH_CRE = {"need_id", "lot_id"}


def _rules():
    from app import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE": ":memory:"})
    return sorted((r for r in app.url_map.iter_rules()
                   if not r.endpoint.startswith(("api.", "static")) and r.endpoint not in PUBLIC),
                  key=lambda r: r.endpoint)


def _owned_arguments(rule) -> set[str]:
    return rule.arguments - SHARED_WITH_CRE if rule.endpoint.startswith("cre.") else set(rule.arguments)


RULES = _rules()
ROUTES = [pytest.param(r.endpoint, m, id=f"{m} {r.endpoint}") for r in RULES for m in sorted(r.methods - {"HEAD", "OPTIONS"})]
OBJECT_ROUTES = [pytest.param(r.endpoint, m, id=f"{m} {r.endpoint}") for r in RULES
                 for m in sorted(r.methods - {"HEAD", "OPTIONS"})
                 if r.endpoint.split(".")[0] in OWNER_ROLE and _owned_arguments(r)]


@pytest.fixture
def objects(app):
    """Ids of objects owned by each role's organisation, and the markers a leak would show."""
    with app.app_context():
        db = get_db()
        profile = storage.list_profiles(db, siae_id="S1")[0]
        need = next(n for n in storage.list_needs(db) if n["employer_id"] == "E14")
        employer = storage.user_by_email(db, ensure_user(app, "employer", "E14")["email"])
        proposal_id = storage.create_proposal(db, need_id=need["id"], profile_id=profile["id"], message="m", score=0.5,
                                              explanation={}, proposed_by="test")
        # A hire of that person (another need of E14): its follow-up plan and check-ins.
        other_need = [n for n in storage.list_needs(db) if n["employer_id"] == "E14"][-1]
        hired_profile = storage.list_profiles(db, siae_id="S1")[1]
        hired = storage.create_proposal(db, need_id=other_need["id"], profile_id=hired_profile["id"], message="",
                                        score=0.5, explanation={}, proposed_by="test")
        storage.transition_proposal(db, hired, "embauchee", actor="test")
        plan = storage.followup_plan_for_proposal(db, hired)
        notification = storage.list_notifications(db, employer["id"])[0]
        contract = storage.list_contracts(db, buyer_id="B1")[0]
        lot = storage.list_lots(db, contract["id"])[0]
        entry = storage.list_entries(db, contract["id"])[0]
        user = storage.list_users(db)[0]
        # E14 becomes the lot's titulaire; its need linked to the lot and the S1 person hired on it prepare a
        # clause participant of S1 (the CRE confirms its eligibility).
        storage.award_lot(db, lot["id"], "E14")
        storage.link_need(db, need["id"], lot["id"])
        storage.transition_proposal(db, proposal_id, "embauchee", actor="test")
        participant = storage.participants_of_proposal(db, proposal_id)[0]
        declaration = storage.list_declarations(db, lot_id=lot["id"], status="soumise")[0]
        commitment = storage.list_commitments(db, "B1")[0]
        pooled = _pooled_need_carried_by_s1(db, profile)
        network = storage.network_employer_by_reference(db, "S1", "ENT-0001")
        contact = storage.list_contacts(db, [network["id"]])[network["id"]][0]
        event = storage.list_events(db, [network["id"]])[network["id"]][0]
        potential = storage.list_potentials(db, [network["id"]])[network["id"]][0]
        drafted = storage.create_need(db, {"employer_id": "E10", "title": "Besoin rédigé", "contract": "CDI",
                                           "drafted_by": "S1"})
        return {
            "params": {"profile_id": profile["id"], "need_id": need["id"], "proposal_id": proposal_id,
                       "contract_id": contract["id"], "lot_id": lot["id"], "entry_id": entry["id"],
                       "user_id": user["id"], "participant_id": participant["id"],
                       "declaration_id": declaration["id"], "commitment_id": commitment["id"],
                       "month": declaration["month"], "pooled_id": pooled["need_id"], "contact_id": contact["id"],
                       "event_id": event["id"], "potential_id": potential["id"], "drafted_need_id": drafted,
                       "plan_id": plan["id"], "checkin_id": storage.list_checkins(db, plan["id"])[0]["id"],
                       "notification_id": notification["id"], "mail_id": storage.list_mails(db)[0]["id"]},
            # Routes of a pooled need take a proposal of that need; the network's routes, an entry of the network.
            "by_blueprint": {"pooled": {"proposal_id": pooled["proposal_id"]},
                             "member": {"proposal_id": pooled["proposal_id"]},
                             "outreach": {"entry_id": network["id"]}},
            "markers": [profile["reference"], f"{profile['first_name']} <"],
        }


def _pooled_need_carried_by_s1(db, profile) -> dict:
    """S1 (made an AI here) carries a pooled need for E14 and E16, with a proposal of one of its people."""
    org = storage.get_organisation(db, "S1")
    storage.upsert_organisation(db, {**org, "subtype": "AI"})
    need_id = storage.create_pooled_need(
        db, {"employer_id": "S1", "title": "Gardien mutualisé", "contract": "CDDI", "positions": 2,
             "hours_per_week": 35}, {"carrier_contract": "CDDI"},
        [{"employer_id": "E14", "positions": 1}, {"employer_id": "E16", "positions": 1}])
    other = storage.list_profiles(db, siae_id="S1")[1]
    proposal_id = storage.create_proposal(db, need_id=need_id, profile_id=other["id"], message="m", score=0.5,
                                          explanation={}, proposed_by="test")
    return {"need_id": need_id, "proposal_id": proposal_id}


def _url(app, endpoint, objects):
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    params = {**objects["params"], **objects["by_blueprint"].get(endpoint.split(".")[0], {})}
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **{k: params[k] for k in rule.arguments})


def _call(client, method, url):
    return client.get(url) if method == "GET" else client.post(url, data={})


def _no_leak(response, markers):
    body = response.get_data(as_text=True)
    for marker in markers:
        assert marker not in body, f"fuite de « {marker} »"


@pytest.mark.parametrize("endpoint, method", ROUTES)
def test_route_by_role(app, objects, endpoint, method):
    url = _url(app, endpoint, objects)
    blueprint = endpoint.split(".")[0]
    anonymous = _call(app.test_client(), method, url)
    assert anonymous.status_code == 302 and "/connexion" in anonymous.location
    _no_leak(anonymous, objects["markers"])
    for role, org in ROLE_ORG.items():
        client = enter(app.test_client(), role, org)
        response = _call(client, method, url)
        allowed = endpoint in ANY_USER or role in ROLES_OF_BLUEPRINT.get(blueprint, ())
        if endpoint in RECIPIENT_ONLY:
            recipient = (role, org) == ("employer", "E14")
            assert response.status_code == (302 if recipient else 404), (role, response.status_code)
            _no_leak(response, objects["markers"])
        elif allowed:
            assert response.status_code not in (401, 403, 404, 405) and response.status_code < 500, (role, response.status_code)
            if method == "GET":
                assert response.status_code == 200, (role, response.status_code)
        else:
            assert response.status_code == 403, (role, response.status_code)
            _no_leak(response, objects["markers"])


@pytest.mark.parametrize("endpoint, method", OBJECT_ROUTES)
def test_other_organisations_objects_are_404(app, objects, endpoint, method):
    space = endpoint.split(".")[0]
    client = enter(app.test_client(), OWNER_ROLE[space], OTHER_ORG[space])
    response = _call(client, method, _url(app, endpoint, objects))
    assert response.status_code == 404
    _no_leak(response, objects["markers"])


def test_matrix_size():
    """Printed in the closing note: routes × (5 roles + anonymous), plus the cross-organisation checks."""
    assert len(ROUTES) >= 90 and len(OBJECT_ROUTES) >= 45


def test_every_blueprint_has_its_roles():
    assert {r.endpoint.split(".")[0] for r in RULES} - {"auth", "notifications"} <= set(ROLES_OF_BLUEPRINT)
