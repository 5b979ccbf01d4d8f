"""JSON API under /api/v1: needs, profiles, matches of a need, proposals, skill mapping, clause calibrations.

Bodies are JSON; errors are ``{"error": "message en français"}`` (plus
``"fields"`` for validation errors) with a 4xx status. Described by the
OpenAPI document at /api/v1/openapi.json (``web/openapi.py``), kept true by
tests/web/test_openapi.py.
"""
from __future__ import annotations

import json
import math
import re
from typing import Any, Mapping

from flask import Blueprint, current_app, g, jsonify, request

import clauses
import permissions
import storage
import workflow

from . import calibration, careers, clause_links, diagnostic, skillmap, validation
from .auth import api_user_from_token, audit, csrf
from .db import get_db
from .engine import engine, snapshot
from .openapi import document

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Authenticated by bearer tokens only, never by the session cookie: no CSRF to fear.
csrf.exempt(bp)
PUBLIC_ENDPOINTS = {"api.map_text", "api.openapi"}

MAX_TOP = 100
# ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
_DIGITS = re.compile(r"[0-9]{1,9}")
MAX_INT_ARG = 999_999_999  # nine digits at most (documented as the maximum of integer query parameters)
MAX_MAP_TEXT = 4000
# A PATCH without a version is applied to the record as it is when written; if another write
# lands between this request's read and its write, it reads again (at most this many times).
PATCH_ATTEMPTS = 3
_VERSION_TAG = re.compile(r'(?:W/)?"?([0-9]{1,9})"?')


class ApiError(Exception):
    def __init__(self, status: int, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.fields = status, message, dict(fields or {})


@bp.before_request
def _authenticate():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    user = api_user_from_token()
    if user is None:
        raise ApiError(401, "Authentification requise : jeton d'API dans l'en-tête « Authorization: Bearer … ».")
    g.api_user = user
    return None


def _user() -> dict[str, Any]:
    return g.api_user


def _allow(*roles: str) -> dict[str, Any]:
    user = _user()
    if user["role"] not in roles:
        raise ApiError(403, "Votre rôle ne donne pas accès à cette ressource.")
    return user


@bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    body: dict[str, Any] = {"error": error.message}
    if error.fields:
        body["fields"] = error.fields
    return jsonify(body), error.status


@bp.errorhandler(storage.Conflict)
def _conflict(error: storage.Conflict):
    if isinstance(error, storage.StaleVersion):
        return _stale(error)
    return _api_error(ApiError(409, str(error)))


def _stale(error: storage.StaleVersion):
    """409 for a write based on an older version: the client reads again and decides."""
    response = jsonify(error=str(error), current_version=int(error.current.get("version") or 1))
    response.headers["ETag"] = f'"{error.current.get("version") or 1}"'
    return response, 409


def _expected_version(body: dict[str, Any]) -> int | None:
    """The version a PATCH was read at: the body's ``version`` or the ``If-Match`` header (the
    ``ETag`` of a GET); None when the client sent neither (see ``PATCH_ATTEMPTS``)."""
    version = body.pop("version", None)
    if version is not None and (not isinstance(version, int) or isinstance(version, bool) or version < 1):
        raise ApiError(422, "« version » : entier positif attendu (celui lu avec la ressource).",
                       {"version": "entier positif"})
    header = request.headers.get("If-Match")
    if header and header.strip() != "*":
        match = _VERSION_TAG.fullmatch(header.strip())
        if not match:
            raise ApiError(400, "En-tête If-Match : la version lue est attendue (ex. \"3\").")
        if version is not None and version != int(match.group(1)):
            raise ApiError(400, "« version » et If-Match ne donnent pas la même version.")
        version = int(match.group(1))
    return version


def _with_etag(response, row: Mapping[str, Any]):
    response.headers["ETag"] = f'"{int(row.get("version") or 1)}"'
    return response


def _body() -> dict[str, Any]:
    if not request.is_json:
        raise ApiError(415, "Corps JSON attendu (Content-Type: application/json).")
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # thousands of nested brackets: not a body anyone means
        data = None
    if not isinstance(data, dict):
        raise ApiError(400, "Le corps doit être un objet JSON valide.")
    try:
        # "\ud800" is valid JSON but no text SQLite can store (it would be a 500 on insert).
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(400, "Le corps contient un caractère Unicode invalide (substitut isolé).") from None
    return data


def _int_arg(name: str, default: int | None = None, *, minimum: int = 1, maximum: int | None = None) -> int | None:
    value = request.args.get(name)
    if value in (None, ""):
        return default
    if not _DIGITS.fullmatch(value) or int(value) < minimum or (maximum is not None and int(value) > maximum):
        bound = f"entre {minimum} et {maximum}" if maximum is not None else f"de {minimum} à {MAX_INT_ARG}"
        raise ApiError(400, f"Paramètre « {name} » : entier {bound} attendu.")
    return int(value)


def _found(fn, *args):
    try:
        return fn(get_db(), *args)
    except storage.NotFound:
        raise ApiError(404, "Ressource introuvable.") from None


def _organisation(org_id: Any, kind: str, field: str) -> str:
    """An organisation id given in ``field`` of a body or a query, checked to exist and be of ``kind``."""
    if not isinstance(org_id, str) or not org_id:
        raise ApiError(422, f"« {field} » manquant.", {field: "obligatoire"})
    try:
        org = storage.get_organisation(get_db(), org_id)
    except storage.NotFound:
        org = None
    if org is None or org["kind"] != kind:
        raise ApiError(422, f"Organisation inconnue : {org_id}.", {field: "inconnue"})
    return org_id


def _own_organisation(body: dict[str, Any], user: Mapping[str, Any], kind: str, field: str, refusal: str) -> str:
    """The organisation a new record belongs to: the user's own by default, and never another one."""
    body.setdefault(field, user["org_id"])
    org_id = _organisation(body.get(field), kind, field)
    if org_id != user["org_id"]:
        raise ApiError(403, refusal)
    return org_id


# -- representations ---------------------------------------------------------
def need_json(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"], "reference": row.get("reference"), "employer_id": row["employer_id"], "title": row["title"],
        "description": row.get("description") or "", "skills": row.get("skills") or [],
        "skill_map": skillmap.labelled(row.get("skill_map") or [], engine().taxonomy),
        "contract": row.get("contract"), "hours_per_week": row.get("hours_per_week"),
        "positions": row.get("positions"), "start_date": row.get("start_date"),
        "requirements": {"driving_licence": bool(row.get("driving_licence")), "french_level": row.get("french_level")},
        "location": {"postcode": row.get("postcode"), "city": row.get("city"), "lat": row.get("lat"), "lon": row.get("lon")},
        "max_distance_km": row.get("max_distance_km"), "public_contract": row.get("public_contract"),
        "lot_id": row.get("lot_id"),
        "status": row.get("status"), "rome_code": row.get("rome_code"),
        "created_at": row.get("created_at"), "updated_at": row.get("updated_at"),
        "pooled": pooled_json(row.get("pooled")),
        "version": int(row.get("version") or 1),
    }


def pooled_json(pooled: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A pooled need's carrier, terms and members' shares (null for an ordinary need)."""
    if not pooled:
        return None
    return {"carrier_id": pooled["carrier_id"], "carrier_name": pooled.get("carrier_name"),
            "carrier_contract": pooled["carrier_contract"], "training_body": pooled.get("training_body"),
            "training_plan": pooled.get("training_plan"),
            "members": [{"employer_id": m["employer_id"], "name": m.get("name"), "positions": m.get("positions"),
                         "hours_per_week": m.get("hours_per_week")} for m in pooled["members"]]}


def _with_pooled(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    pooled = storage.pooled_by_need(get_db(), (r["id"] for r in rows))
    return [{**r, "pooled": pooled.get(r["id"])} for r in rows]


def profile_json(row: Mapping[str, Any]) -> dict[str, Any]:
    flag = lambda v: None if v is None else bool(v)  # noqa: E731
    return {
        "id": row["id"], "reference": row["reference"], "first_name": row["first_name"], "siae_id": row["siae_id"],
        "description": row.get("description") or "", "skills_text": row.get("skills_text") or "",
        "skill_map": skillmap.labelled(row.get("skill_map") or [], engine().taxonomy),
        "experiences": row.get("experiences") or [], "formation": row.get("formation") or "",
        "informal_skills": row.get("informal_skills") or "", "driving_licence": flag(row.get("driving_licence")),
        "vehicle": flag(row.get("vehicle")), "mobility_km": row.get("mobility_km"),
        "french_level": row.get("french_level"), "availability": row.get("availability"),
        "part_time": flag(row.get("part_time")),
        "location": {"postcode": row.get("postcode"), "city": row.get("city"), "lat": row.get("lat"), "lon": row.get("lon")},
        "path_start": row.get("path_start"), "path_end": row.get("path_end"),
        "eligibility": row.get("eligibility") or [], "notes": row.get("notes") or "",
        "consent_at": row.get("consent_at"), "consent_by": row.get("consent_by"),
        "archived": bool(row.get("archived")), "rome_code": row.get("rome_code"),
        "created_at": row.get("created_at"), "updated_at": row.get("updated_at"),
        "version": int(row.get("version") or 1),
    }


def proposal_json(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"], "need_id": row["need_id"], "profile_id": row["profile_id"], "status": row["status"],
        "status_label": workflow.STATE_LABELS.get(row["status"], row["status"]),
        "refusal_reason": row.get("refusal_reason"), "message": row.get("message") or "",
        "score": row.get("score"), "explanation": row.get("explanation") or {},
        "need_title": row.get("need_title"), "employer_id": row.get("employer_id"),
        "first_name": row.get("first_name"), "proposed_by": row.get("proposed_by"),
        "created_at": row.get("created_at"), "updated_at": row.get("updated_at"),
        "version": int(row.get("version") or 1),
    }


def _flatten_location(data: Mapping[str, Any]) -> dict[str, Any]:
    """API bodies nest location and requirements; the validation reads flat fields."""
    flat = dict(data)
    loc = flat.pop("location", None)
    if isinstance(loc, Mapping):
        flat.update({k: loc.get(k) for k in ("postcode", "city", "lat", "lon") if k in loc})
    elif loc is not None:
        raise ApiError(422, "« location » doit être un objet.", {"location": "objet attendu"})
    req = flat.pop("requirements", None)
    if isinstance(req, Mapping):
        flat.update({k: req.get(k) for k in ("driving_licence", "french_level") if k in req})
    elif req is not None:
        raise ApiError(422, "« requirements » doit être un objet.", {"requirements": "objet attendu"})
    return flat


# -- mapping --------------------------------------------------------------------
@bp.get("/map")
def map_text():
    text = request.args.get("text", "")
    if len(text) > MAX_MAP_TEXT:
        raise ApiError(400, f"Texte trop long : {MAX_MAP_TEXT} caractères au plus.")
    return jsonify(engine().mapper.map(text).to_dict())


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())


# -- needs ----------------------------------------------------------------------
@bp.get("/needs")
def list_needs():
    user = _allow("cre", "employer")
    status = request.args.get("status", "ouvert")
    if status not in storage.NEED_STATUSES and status != "tous":
        raise ApiError(400, "Paramètre « status » : ouvert, pourvu, ferme ou tous.")
    employer_id = request.args.get("employer_id") or None
    if user["role"] == "employer":
        employer_id = user["org_id"]  # an employer sees its own needs only
    rows = storage.list_needs(get_db(), employer_id=employer_id, status=None if status == "tous" else status)
    return jsonify([need_json(r) for r in _with_pooled(rows)])


def _need_for_user(need_id: int) -> dict[str, Any]:
    user = _allow("cre", "employer")
    need = _found(storage.get_need, need_id)
    if not permissions.can_view_need(user, need):
        raise ApiError(404, "Ressource introuvable.")
    return need


def _need_entries(data: Mapping[str, Any], previous: list) -> list:
    eng = engine()
    entries = skillmap.suggest(eng.mapper, [(s["text"], s["required"]) for s in data.get("skills", [])])
    return skillmap.merge(entries, previous)


@bp.post("/needs")
def create_need():
    user = _allow("employer")
    body = _body()
    employer_id = _own_organisation(body, user, "employer", "employer_id",
                                    "Vous ne publiez des besoins que pour votre entreprise.")
    data, errors = validation.clean_need(_flatten_location(body))
    if errors:
        raise ApiError(422, "Besoin invalide.", errors)
    _lot_link(data, employer_id)
    row = {**data, "employer_id": employer_id, "skill_map": _need_entries(data, []),
           "rome_code": careers.rome_code(get_db(), data.get("title", ""))}
    need_id = storage.create_need(get_db(), row)
    return jsonify(need_json(storage.get_need(get_db(), need_id))), 201


def _lot_link(data: dict[str, Any], employer_id: str) -> None:
    """A need's lot link asked in the body (``lot_id``, or a ``public_contract`` reference), resolved among
    the employer's own lots into ``data["lot_id"]`` (None unlinks); absent, the link is left alone."""
    link = data.pop("link", None)
    if link is None:
        return
    lot_id, problem = clause_links.resolve(get_db(), employer_id, link)
    if problem:
        field = "lot_id" if "lot_id" in link else "public_contract"
        raise ApiError(422, problem, {field: problem})
    data["lot_id"] = lot_id


@bp.get("/needs/<int:need_id>")
def get_need(need_id: int):
    need = _with_pooled([_need_for_user(need_id)])[0]
    return _with_etag(jsonify(need_json(need)), need)


@bp.patch("/needs/<int:need_id>")
def patch_need(need_id: int):
    _allow("employer")
    current = _need_for_user(need_id)
    body = _body()
    expected = _expected_version(body)
    if "employer_id" in body and body["employer_id"] != current["employer_id"]:
        raise ApiError(422, "L'employeur d'un besoin ne change pas.", {"employer_id": "non modifiable"})
    body.pop("employer_id", None)
    status = body.pop("status", None)
    if status is not None and status not in storage.NEED_STATUSES:
        raise ApiError(422, "Statut inconnu.", {"status": "ouvert, pourvu ou ferme"})
    data, errors = validation.clean_need(_flatten_location(body), partial=True)
    if errors:
        raise ApiError(422, "Besoin invalide.", errors)
    _lot_link(data, current["employer_id"])
    if status is not None:
        data["status"] = status
    for _ in range(PATCH_ATTEMPTS):
        if "skills" in data:
            data["skill_map"] = _need_entries(data, current["skill_map"])
        try:
            storage.update_need(get_db(), need_id, data,
                                expected_version=current["version"] if expected is None else expected)
            break
        except storage.StaleVersion:
            if expected is not None:
                raise
            current = _need_for_user(need_id)  # another write landed meanwhile: apply this one on top of it
    else:
        raise ApiError(409, "Ce besoin est modifié en continu par d'autres : réessayez.")
    need = _with_pooled([storage.get_need(get_db(), need_id)])[0]
    return _with_etag(jsonify(need_json(need)), need)


@bp.get("/needs/<int:need_id>/matches")
def need_matches(need_id: int):
    user = _allow("cre")
    need = _found(storage.get_need, need_id)
    top = _int_arg("top", 10, maximum=MAX_TOP)
    max_km = request.args.get("max_distance_km")
    if max_km not in (None, ""):
        try:
            max_km = float(max_km)
            if not math.isfinite(max_km) or max_km <= 0:
                raise ValueError
        except ValueError:
            raise ApiError(400, "Paramètre « max_distance_km » : nombre positif attendu.") from None
    else:
        max_km = None
    include_blocked = request.args.get("include_blocked", "true").lower() not in ("false", "0", "non")
    siae_id = request.args.get("siae_id") or user["org_id"]
    if siae_id != user["org_id"]:
        raise ApiError(403, "Vous ne voyez que les personnes de votre structure.")
    ids = [p["id"] for p in storage.list_profiles(get_db(), siae_id=_organisation(siae_id, "siae", "siae_id"))]
    matches = engine().rank(get_db(), need, top=top, include_blocked=include_blocked, max_distance_km=max_km,
                            profile_ids=ids)
    return jsonify({"need": need_id, "results": [m.to_dict() | {"candidate": int(m.candidate)} for m in matches]})


# -- profiles -------------------------------------------------------------------
@bp.get("/profiles")
def list_profiles():
    user = _allow("cre")
    siae_id = request.args.get("siae_id") or user["org_id"]
    if siae_id != user["org_id"]:
        raise ApiError(403, "Vous ne voyez que les personnes de votre structure.")
    rows = storage.list_profiles(get_db(), siae_id=siae_id, include_archived=request.args.get("archived") == "true")
    audit("consultation (API)", "profiles", siae_id, f"{len(rows)} profils")
    return jsonify([profile_json(r) for r in rows])


def _own_profile(profile_id: int) -> dict[str, Any]:
    user = _allow("cre")
    profile = _found(storage.get_profile, profile_id)
    if not permissions.can_view_profile(user, profile):
        raise ApiError(404, "Ressource introuvable.")
    return profile


def _profile_entries(data: Mapping[str, Any], previous: list) -> list:
    entries = skillmap.suggest(engine().mapper, [(data.get("skills_text") or "", True)])
    return skillmap.merge(entries, previous)


@bp.post("/profiles")
def create_profile():
    user = _allow("cre")
    body = _body()
    siae_id = _own_organisation(body, user, "siae", "siae_id", "Vous ne créez des profils que pour votre structure.")
    data, errors = validation.clean_profile(_flatten_location(body))
    if errors:
        raise ApiError(422, "Profil invalide.", errors)
    row = {**_consent(data, None), "siae_id": siae_id, "skill_map": _profile_entries(data, []),
           "rome_code": careers.rome_code(get_db(), *data.get("experiences", []))}
    with storage.transaction(get_db()):  # the profile and its audit row together
        profile_id = storage.create_profile(get_db(), row)
        audit("création (API)", "profile", profile_id)
    profile = storage.get_profile(get_db(), profile_id)
    return _with_etag(jsonify(profile_json(profile)), profile), 201


def _consent(data: dict[str, Any], current: Mapping[str, Any] | None) -> dict[str, Any]:
    """Turn a "consent" flag into who recorded it and when (kept while it stays given)."""
    data = dict(data)
    if "consent" in data:
        given = data.pop("consent")
        if given and not (current and current.get("consent_at")):
            data.update(consent_at=storage.now(), consent_by=_user()["name"])
        elif not given:
            data.update(consent_at=None, consent_by=None)
    return data


@bp.get("/profiles/<int:profile_id>")
def get_profile(profile_id: int):
    profile = _own_profile(profile_id)
    audit("consultation (API)", "profile", profile_id)
    return _with_etag(jsonify(profile_json(profile)), profile)


@bp.patch("/profiles/<int:profile_id>")
def patch_profile(profile_id: int):
    current = _own_profile(profile_id)
    body = _body()
    expected = _expected_version(body)
    if "siae_id" in body and body["siae_id"] != current["siae_id"]:
        raise ApiError(422, "La structure d'un profil ne change pas.", {"siae_id": "non modifiable"})
    body.pop("siae_id", None)
    archived = body.pop("archived", None)
    if archived is not None and not isinstance(archived, bool):
        raise ApiError(422, "« archived » : true ou false.", {"archived": "booléen attendu"})
    cleaned, errors = validation.clean_profile(_flatten_location(body), partial=True)
    if errors:
        raise ApiError(422, "Profil invalide.", errors)
    db = get_db()
    for _ in range(PATCH_ATTEMPTS):
        data = dict(cleaned)
        if "skills_text" in data:
            data["skill_map"] = _profile_entries(data, current["skill_map"])
        data = _consent(data, current)
        if archived is not None:
            data["archived"] = int(archived)
        try:
            with storage.transaction(db):  # the change and its audit row together
                storage.update_profile(db, profile_id, data,
                                       expected_version=current["version"] if expected is None else expected)
                audit("modification (API)", "profile", profile_id, ", ".join(sorted(data)))
            break
        except storage.StaleVersion:
            if expected is not None:
                raise
            current = _own_profile(profile_id)  # another write landed meanwhile: apply this one on top of it
    else:
        raise ApiError(409, "Ce profil est modifié en continu par d'autres : réessayez.")
    profile = storage.get_profile(db, profile_id)
    return _with_etag(jsonify(profile_json(profile)), profile)


# -- proposals ------------------------------------------------------------------
@bp.get("/proposals")
def list_proposals():
    user = _allow("cre", "employer")
    status = request.args.get("status") or None
    if status and status not in workflow.STATE_LABELS:
        raise ApiError(400, "Paramètre « status » inconnu.")
    scope = {"siae_id": user["org_id"]} if user["role"] == "cre" else {"employer_id": user["org_id"]}
    rows = storage.list_proposals(get_db(), need_id=_int_arg("need_id"), profile_id=_int_arg("profile_id"),
                                  status=status, **scope)
    return jsonify([_proposal_for(user, r) for r in rows])


def _proposal_for(user: Mapping[str, Any], row: Mapping[str, Any]) -> dict[str, Any]:
    """What a role may see of a proposal: an employer never sees a person who withdrew consent."""
    data = proposal_json(row)
    if not permissions.can_see_candidate(user, row):
        data.update(first_name=None, message="", explanation={}, withdrawn=True)
    return data


def _visible_proposal(proposal_id: int) -> dict[str, Any]:
    user = _allow("cre", "employer")
    row = _found(storage.get_proposal, proposal_id)
    if not permissions.can_view_proposal(user, row):
        raise ApiError(404, "Ressource introuvable.")
    return row


@bp.post("/proposals")
def create_proposal():
    _allow("cre")
    body = _body()
    need_id, profile_id = body.get("need_id"), body.get("profile_id")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (need_id, profile_id)):
        raise ApiError(422, "« need_id » et « profile_id » (entiers) sont obligatoires.",
                       {"need_id": "entier", "profile_id": "entier"})
    message = body.get("message", "")
    if not isinstance(message, str) or len(message) > validation.MAX_LONG_TEXT:
        raise ApiError(422, "« message » : texte de 4000 caractères au plus.", {"message": "texte"})
    need = _found(storage.get_need, need_id)
    _own_profile(profile_id)  # 404 unless the person is of the caller's structure
    matches = engine().rank(get_db(), need, top=1, profile_ids=[profile_id])
    if not matches:
        raise ApiError(409, "Ce profil ne peut pas être proposé (archivé ?).")
    proposal_id = storage.create_proposal(get_db(), need_id=need_id, profile_id=profile_id, message=message.strip(),
                                          score=matches[0].score, explanation=snapshot(matches[0]),
                                          proposed_by=_user()["name"], proposer_id=_user()["id"])
    return jsonify(proposal_json(storage.get_proposal(get_db(), proposal_id))), 201


@bp.get("/proposals/<int:proposal_id>")
def get_proposal(proposal_id: int):
    row = _visible_proposal(proposal_id)
    shared_only = _user()["role"] == "employer"
    data = _proposal_for(_user(), row)
    events = storage.proposal_events(get_db(), proposal_id, shared_only=shared_only)
    if data.get("withdrawn"):  # the first event's note is the CRE's message about the person
        events = [{**e, "note": ""} for e in events]
    return jsonify(data | {"events": events})


@bp.post("/proposals/<int:proposal_id>/transitions")
def transition(proposal_id: int):
    current = _visible_proposal(proposal_id)
    user = _user()
    body = _body()
    expected = _expected_version(body)
    status, reason, note = body.get("status"), body.get("reason"), body.get("note", "")
    if not isinstance(status, str) or (reason is not None and not isinstance(reason, str)) or not isinstance(note, str):
        raise ApiError(422, "« status » (texte), « reason » et « note » facultatifs.", {"status": "obligatoire"})
    if len(note) > validation.MAX_LONG_TEXT:
        raise ApiError(422, f"« note » : {validation.MAX_LONG_TEXT} caractères au plus (comme sur les pages).",
                       {"note": f"{validation.MAX_LONG_TEXT} caractères au plus"})
    if status not in workflow.STATE_LABELS:
        raise ApiError(422, f"État inconnu : {status}.", {"status": ", ".join(workflow.STATE_LABELS)})
    if user["role"] == "employer" and status not in permissions.EMPLOYER_STATES:
        raise ApiError(403, "Un employeur répond par entretien, PMSMP, période d'essai, embauche ou refus.")
    if not permissions.can_answer_proposal(user, current, status):
        raise _refusal(user, current, status)
    internal = user["role"] == "cre" and current["siae_id"] == user["org_id"]
    if current.get("carrier_id") and status == workflow.HIRED:
        _hire_pooled(current, body.get("assignments"), note=note.strip(), internal=internal, expected_version=expected)
        row = storage.get_proposal(get_db(), proposal_id)
    else:
        row = storage.transition_proposal(get_db(), proposal_id, status, actor=user["name"], reason=reason,
                                          note=note.strip(), internal=internal, expected_version=expected)
    return jsonify(_proposal_for(user, row))


def _refusal(user: Mapping[str, Any], proposal: Mapping[str, Any], status: str) -> ApiError:
    """Why a visible proposal cannot be moved by this user, with the right status."""
    if user["role"] == "employer" and proposal.get("employer_id") != user["org_id"]:
        return ApiError(403, "Les candidatures d'un besoin mutualisé sont suivies par la structure porteuse : "
                             "un membre les consulte sans y répondre.")
    if proposal.get("carrier_id") and status == workflow.HIRED and proposal.get("carrier_id") != user["org_id"]:
        return ApiError(403, "L'embauche d'un besoin mutualisé est faite par la structure porteuse.")
    return ApiError(409, "La personne a retiré son accord : cette candidature ne peut plus qu'être close (refus).")


def _hire_pooled(proposal: Mapping[str, Any], raw: Any, *, note: str, internal: bool,
                 expected_version: int | None = None) -> None:
    """The carrier hires for a pooled need: ``assignments`` place the person with members."""
    from .pooled import hire

    db = get_db()
    need, pooled = storage.get_need(db, proposal["need_id"]), storage.get_pooled(db, proposal["need_id"])
    if not isinstance(raw, list) or not all(isinstance(a, dict) for a in raw):
        raise ApiError(422, "Embauche d'un besoin mutualisé : « assignments » est attendu, une liste de "
                            "{\"employer_id\", \"hours_per_week\", \"start_date\"}.", {"assignments": "obligatoire"})
    assignments = []
    for a in raw:
        hours, start = a.get("hours_per_week"), a.get("start_date") or storage.now()[:10]
        if not isinstance(a.get("employer_id"), str) or isinstance(hours, bool) or not isinstance(hours, (int, float)):
            raise ApiError(422, "Chaque mise à disposition : « employer_id » (texte) et « hours_per_week » (nombre).",
                           {"assignments": "invalide"})
        data, errors = validation.clean_need({"title": "x", "contract": "CDI", "start_date": start}, partial=True)
        if errors:
            raise ApiError(422, "« start_date » : date AAAA-MM-JJ attendue.", {"assignments": "start_date"})
        assignments.append({"employer_id": a["employer_id"], "hours_per_week": float(hours),
                            "start_date": data["start_date"]})
    errors = hire(db, need, pooled, proposal, assignments, actor=_user()["name"], note=note, internal=internal,
                  expected_version=expected_version)
    if errors:
        raise ApiError(422, " ".join(errors), {"assignments": "invalide"})


# -- the territorial diagnostic ----------------------------------------------------------------
@bp.get("/territory")
def territory_diagnostic():
    user = _allow(*permissions.TERRITORY_ROLES)
    try:
        scope = diagnostic.scope_from(request.args)
    except diagnostic.ScopeError as exc:
        raise ApiError(400, str(exc)) from None
    result = diagnostic.compute(get_db(), scope)
    audit("consultation du diagnostic territorial (API)", "territory", scope.label)
    return jsonify(diagnostic.api_json(scope, result))


# -- insertion clauses: calibrating a clause before the tender ----------------------
@bp.post("/clause-calibrations")
def clause_calibration():
    user = _allow("buyer")
    if not permissions.can_calibrate_clause(user):
        raise ApiError(403, "Votre rôle ne donne pas accès à cette ressource.")
    data, errors = validation.clean_calibration(_body())
    if errors:
        raise ApiError(422, "Calibrage invalide : " + " ".join(errors.values()), errors)
    try:
        answer = calibration.calibrate(get_db(), engine(), data, secret=current_app.config["SECRET_KEY"].encode())
    except clauses.ClauseError as exc:
        raise ApiError(422, str(exc), {"insertion_rate": str(exc)}) from None
    audit("calibrage d'une clause (API)", "calibration", None, ", ".join(data["trades"])[:200])
    return jsonify(answer)
