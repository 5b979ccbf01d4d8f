"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json.

tests/web/test_openapi.py checks that it lists exactly the routes the app
has, and validates real responses against these schemas;
tests/web/test_api_fuzz.py lets schemathesis loose on it.

Every operation needs an API token (``Authorization: Bearer …``, security
scheme ``bearerAuth``) except the two public ones (``/map`` and this
document), which say ``security: []``.
"""
from __future__ import annotations

from typing import Any

import eligibility
import workflow
from matching import FRENCH_LEVELS

NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_NUMBER = {"type": ["number", "null"]}
NULLABLE_BOOL = {"type": ["boolean", "null"]}
FRENCH_LEVEL = {"type": ["string", "null"], "enum": [*FRENCH_LEVELS, None]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


def _id_param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


LOCATION = {
    "type": "object",
    "properties": {"postcode": NULLABLE_STRING, "city": NULLABLE_STRING, "lat": NULLABLE_NUMBER, "lon": NULLABLE_NUMBER},
}
SKILL_MAP_ENTRY = {
    "type": "object",
    "required": ["fragment", "skill_id", "confirmed"],
    "properties": {
        "fragment": {"type": "string"}, "skill_id": NULLABLE_STRING, "label": NULLABLE_STRING,
        "score": NULLABLE_NUMBER, "confirmed": {"type": "boolean"}, "required": {"type": "boolean"},
        "alternatives": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "string"}, "label": {"type": "string"}}}},
    },
}
MATCH = {
    "type": "object",
    "required": ["candidate", "score", "direct", "transferable", "missing", "blocking"],
    "properties": {
        "candidate": {"type": "integer"},
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        "direct": {"type": "array", "items": {"type": "string"}},
        "transferable": {"type": "array", "items": {"type": "object", "required": ["skill", "from", "why"], "properties": {
            "skill": {"type": "string"}, "from": {"type": "string"}, "why": {"type": "string"},
            "weight": {"type": "number"}}}},
        "missing": {"type": "array", "items": {"type": "string"}},
        "blocking": {"type": "array", "items": {"type": "string"}},
        "to_check": {"type": "array", "items": {"type": "string"}},
        "coverage": {"type": "number"}, "text_similarity": {"type": "number"}, "distance_km": NULLABLE_NUMBER,
    },
}
NEED_FIELDS = {
    "reference": NULLABLE_STRING, "title": {"type": "string"}, "description": {"type": "string"},
    "skills": {"type": "array", "items": {"type": "object", "required": ["text"], "properties": {
        "text": {"type": "string"}, "required": {"type": "boolean"}}}},
    "contract": {"type": ["string", "null"], "enum": [*workflow.CONTRACTS, None]},
    "hours_per_week": NULLABLE_NUMBER, "positions": {"type": ["integer", "null"]}, "start_date": NULLABLE_STRING,
    "requirements": {"type": "object", "properties": {"driving_licence": {"type": "boolean"}, "french_level": FRENCH_LEVEL}},
    "location": LOCATION, "max_distance_km": NULLABLE_NUMBER, "public_contract": NULLABLE_STRING,
}
# Writing only: the two lists of a form, instead of "skills".
NEED_INPUT_FIELDS = {
    **NEED_FIELDS,
    "skills_required": {"type": "string", "description": "compétences indispensables, séparées par , ; ou retour à la ligne"},
    "skills_wanted": {"type": "string", "description": "compétences souhaitées, même format"},
}
PROFILE_FIELDS = {
    "reference": {"type": "string"}, "first_name": {"type": "string"}, "description": {"type": "string"},
    "skills_text": {"type": "string"}, "experiences": {"type": "array", "items": {"type": "string"}},
    "formation": {"type": "string"}, "informal_skills": {"type": "string"}, "driving_licence": NULLABLE_BOOL,
    "vehicle": NULLABLE_BOOL, "mobility_km": NULLABLE_NUMBER, "french_level": FRENCH_LEVEL,
    "availability": NULLABLE_STRING, "part_time": NULLABLE_BOOL, "location": LOCATION,
    "path_start": NULLABLE_STRING, "path_end": NULLABLE_STRING,
    "eligibility": {"type": "array", "items": {"type": "string", "enum": list(eligibility.CATEGORIES)}},
    "notes": {"type": "string", "description": "notes de la CRE, jamais montrées à un employeur"},
}
# Writing only: the person's agreement to be proposed to employers (recorded as consent_at / consent_by).
CONSENT_INPUT = {"consent": {"type": "boolean", "description": "accord de la personne pour être proposée aux "
                                                                "employeurs ; false le retire"}}
# Reading only: when and by whom the agreement was recorded (null: no agreement, or withdrawn).
CONSENT_OUTPUT = {"consent_at": NULLABLE_STRING, "consent_by": NULLABLE_STRING}
STATUS = {"type": "string", "enum": list(workflow.STATE_LABELS)}
# Optimistic concurrency: every record carries the version it is at (also its ETag).
VERSION_OUTPUT = {"version": {"type": "integer", "minimum": 1,
                              "description": "version de l'enregistrement, +1 à chaque écriture (aussi en ETag)"}}
VERSION_INPUT = {"version": {"type": "integer", "minimum": 1,
                             "description": "la version lue (ou l'en-tête If-Match) : 409 si l'enregistrement a "
                                            "changé depuis ; sans version, la modification s'applique à "
                                            "l'enregistrement tel qu'il est, aux seuls champs envoyés"}}
# Accepted for older clients, but the author is always the owner of the token.
IGNORED = {"type": "string", "deprecated": True, "description": "ignoré : l'auteur est le titulaire du jeton"}

SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["error"], "properties": {
        "error": {"type": "string"}, "fields": {"type": "object", "additionalProperties": {"type": "string"}},
        "current_version": {"type": "integer", "description": "version actuelle, quand la version envoyée est périmée"}}},
    "Mapping": {"type": "object", "required": ["input", "skills", "unmatched"], "properties": {
        "input": {"type": "string"},
        "skills": {"type": "array", "items": {"type": "object", "required": ["id", "label", "score", "fragment"], "properties": {
            "id": {"type": "string"}, "label": {"type": "string"}, "score": {"type": "number"},
            "fragment": {"type": "string"}, "alternatives": {"type": "array"}}}},
        "unmatched": {"type": "array", "items": {"type": "string"}}}},
    "Need": {"type": "object", "required": ["id", "employer_id", "title", "status", "skills", "skill_map"], "properties": {
        "id": {"type": "integer"}, "employer_id": {"type": "string"}, **NEED_FIELDS,
        "skill_map": {"type": "array", "items": SKILL_MAP_ENTRY},
        "status": {"type": "string", "enum": ["ouvert", "pourvu", "ferme"]},
        "created_at": {"type": "string"}, "updated_at": {"type": "string"}, **VERSION_OUTPUT}},
    "NeedInput": {"type": "object", "required": ["title", "contract"], "properties": {
        "employer_id": {"type": "string", "description": "l'employeur du jeton (seul permis, par défaut)"},
        **NEED_INPUT_FIELDS}},
    "NeedPatch": {"type": "object", "properties": {**NEED_INPUT_FIELDS, **VERSION_INPUT,
                                                   "status": {"type": "string", "enum": ["ouvert", "pourvu", "ferme"]}}},
    "Profile": {"type": "object", "required": ["id", "reference", "first_name", "siae_id", "skill_map", "archived"], "properties": {
        "id": {"type": "integer"}, "siae_id": {"type": "string"}, **PROFILE_FIELDS, **CONSENT_OUTPUT,
        "skill_map": {"type": "array", "items": SKILL_MAP_ENTRY}, "archived": {"type": "boolean"},
        "created_at": {"type": "string"}, "updated_at": {"type": "string"}, **VERSION_OUTPUT}},
    "ProfileInput": {"type": "object", "required": ["reference", "first_name"], "properties": {
        "siae_id": {"type": "string", "description": "la structure de la CRE (seule permise, par défaut)"},
        **PROFILE_FIELDS, **CONSENT_INPUT}},
    "ProfilePatch": {"type": "object", "properties": {**PROFILE_FIELDS, **CONSENT_INPUT, **VERSION_INPUT,
                                                      "archived": {"type": "boolean"}}},
    "Matches": {"type": "object", "required": ["need", "results"], "properties": {
        "need": {"type": "integer"}, "results": {"type": "array", "items": MATCH}}},
    "Proposal": {"type": "object", "required": ["id", "need_id", "profile_id", "status", "score", "explanation"], "properties": {
        "id": {"type": "integer"}, "need_id": {"type": "integer"}, "profile_id": {"type": "integer"}, "status": STATUS,
        "status_label": {"type": "string"}, "refusal_reason": {"type": ["string", "null"]}, "message": {"type": "string"},
        "score": {"type": "number"}, "explanation": {"type": "object"}, "need_title": NULLABLE_STRING,
        "employer_id": NULLABLE_STRING, "first_name": NULLABLE_STRING, "proposed_by": NULLABLE_STRING,
        "created_at": {"type": "string"}, "updated_at": {"type": "string"}, **VERSION_OUTPUT,
        "withdrawn": {"type": "boolean", "description": "vu par un employeur : la personne a retiré son accord "
                                                        "(prénom, message et explication masqués)"},
        "events": {"type": "array", "items": {"type": "object"}}}},
    "ProposalInput": {"type": "object", "required": ["need_id", "profile_id"], "properties": {
        "need_id": {"type": "integer"}, "profile_id": {"type": "integer"}, "message": {"type": "string"},
        "proposed_by": IGNORED}},
    "Transition": {"type": "object", "required": ["status"], "properties": {
        "status": STATUS, "reason": {"type": ["string", "null"], "enum": [*workflow.REFUSAL_REASONS, None]},
        "note": {"type": "string", "maxLength": 4000}, "actor": IGNORED, **VERSION_INPUT}},
}


def document() -> dict[str, Any]:
    bad = _error("Paramètre ou corps invalide")
    missing = _error("Introuvable")
    invalid = _error("Champs invalides (détail dans « fields »)")
    conflict = _error("Conflit : doublon, passage d'état impossible, ou version périmée (« current_version »)")
    if_match = {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
                "description": "la version lue (ETag), comme le champ « version » du corps"}
    not_json = _error("Corps non JSON")
    unauthorized = _error("Jeton d'API absent, inconnu ou révoqué")
    forbidden = _error("Interdit à ce rôle ou hors de son organisation")

    def body(schema: str) -> dict[str, Any]:
        return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}

    paths: dict[str, Any] = {
        "/map": {"get": {"summary": "Comment un texte libre est compris", "operationId": "mapText",
                         "parameters": [_query("text", {"type": "string", "maxLength": 4000}, "texte libre")],
                         "security": [],
                         "responses": {"200": _json(_ref("Mapping"), "Compétences reconnues"), "400": bad}}},
        "/openapi.json": {"get": {"summary": "Cette description", "operationId": "openapi", "security": [],
                                  "responses": {"200": _json({"type": "object"}, "Document OpenAPI")}}},
        "/needs": {
            "get": {"summary": "Besoins", "operationId": "listNeeds", "parameters": [
                _query("status", {"type": "string", "enum": ["ouvert", "pourvu", "ferme", "tous"]}, "statut (ouvert par défaut)"),
                _query("employer_id", {"type": "string"}, "un employeur (ignoré pour un employeur : les siens)")],
                "responses": {"200": _json({"type": "array", "items": _ref("Need")}, "Liste"), "400": bad}},
            "post": {"summary": "Publier un besoin", "operationId": "createNeed", "requestBody": body("NeedInput"),
                     "responses": {"201": _json(_ref("Need"), "Créé"), "400": bad, "409": conflict,
                                   "415": not_json, "422": invalid}},
        },
        "/needs/{need_id}": {
            "parameters": [_id_param("need_id")],
            "get": {"summary": "Un besoin", "operationId": "getNeed",
                    "responses": {"200": _json(_ref("Need"), "Le besoin"), "404": missing}},
            "patch": {"summary": "Modifier un besoin", "operationId": "patchNeed", "requestBody": body("NeedPatch"),
                      "parameters": [if_match],
                      "responses": {"200": _json(_ref("Need"), "Modifié"), "400": bad, "404": missing,
                                    "409": conflict, "415": not_json, "422": invalid}},
        },
        "/needs/{need_id}/matches": {
            "parameters": [_id_param("need_id")],
            "get": {"summary": "Candidats classés et expliqués", "operationId": "needMatches", "parameters": [
                _query("top", {"type": "integer", "minimum": 1, "maximum": 100}, "nombre (10 par défaut)"),
                _query("max_distance_km", {"type": "number", "exclusiveMinimum": 0}, "filtre de distance"),
                _query("include_blocked", {"type": "string", "enum": ["true", "false"]}, "candidats bloqués inclus"),
                _query("siae_id", {"type": "string"}, "la structure de la CRE (seule permise, par défaut)")],
                "responses": {"200": _json(_ref("Matches"), "Classement"), "400": bad, "404": missing}},
        },
        "/profiles": {
            "get": {"summary": "Profils", "operationId": "listProfiles", "parameters": [
                _query("siae_id", {"type": "string"}, "la structure de la CRE (seule permise, par défaut)"),
                _query("archived", {"type": "string", "enum": ["true", "false"]}, "inclure les archivés")],
                "responses": {"200": _json({"type": "array", "items": _ref("Profile")}, "Liste")}},
            "post": {"summary": "Créer un profil", "operationId": "createProfile", "requestBody": body("ProfileInput"),
                     "responses": {"201": _json(_ref("Profile"), "Créé"), "400": bad, "409": conflict,
                                   "415": not_json, "422": invalid}},
        },
        "/profiles/{profile_id}": {
            "parameters": [_id_param("profile_id")],
            "get": {"summary": "Un profil", "operationId": "getProfile",
                    "responses": {"200": _json(_ref("Profile"), "Le profil"), "404": missing}},
            "patch": {"summary": "Modifier ou archiver un profil", "operationId": "patchProfile",
                      "parameters": [if_match],
                      "requestBody": body("ProfilePatch"),
                      "responses": {"200": _json(_ref("Profile"), "Modifié"), "400": bad, "404": missing,
                                    "409": conflict, "415": not_json, "422": invalid}},
        },
        "/proposals": {
            "get": {"summary": "Propositions", "operationId": "listProposals", "parameters": [
                _query("need_id", {"type": "integer", "minimum": 1, "maximum": 999_999_999}, "un besoin"),
                _query("profile_id", {"type": "integer", "minimum": 1, "maximum": 999_999_999}, "un profil"),
                _query("status", STATUS, "un état"),
                _query("siae_id", {"type": "string", "deprecated": True}, "ignoré : la structure de la CRE"),
                _query("employer_id", {"type": "string", "deprecated": True}, "ignoré : l'employeur du jeton")],
                "responses": {"200": _json({"type": "array", "items": _ref("Proposal")}, "Liste"), "400": bad}},
            "post": {"summary": "Proposer une personne pour un besoin", "operationId": "createProposal",
                     "requestBody": body("ProposalInput"),
                     "responses": {"201": _json(_ref("Proposal"), "Créée, avec l'explication du moment"),
                                   "400": bad, "404": missing, "409": conflict, "415": not_json, "422": invalid}},
        },
        "/proposals/{proposal_id}": {
            "parameters": [_id_param("proposal_id")],
            "get": {"summary": "Une proposition et son historique", "operationId": "getProposal",
                    "responses": {"200": _json(_ref("Proposal"), "La proposition"), "404": missing}},
        },
        "/proposals/{proposal_id}/transitions": {
            "parameters": [_id_param("proposal_id")],
            "post": {"summary": "Faire avancer une proposition", "operationId": "transitionProposal",
                     "requestBody": body("Transition"),
                     "responses": {"200": _json(_ref("Proposal"), "Nouvel état"), "400": bad, "404": missing,
                                   "409": conflict, "415": not_json, "422": invalid}},
        },
    }
    # Every operation but the public ones needs a token; the role or the organisation may forbid it.
    for item in paths.values():
        for op in item.values():
            if isinstance(op, dict) and "responses" in op and op.get("security") != []:
                op["responses"] |= {"401": unauthorized, "403": forbidden}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Passerelle API", "version": "1.0.0",
                 "description": "Besoins des employeurs, profils des personnes accompagnées, rapprochements et "
                                "propositions. Un jeton d'API (page « Mon compte ») est attendu dans l'en-tête "
                                "« Authorization: Bearer … », sauf pour /map et ce document."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "jeton d'API d'un compte (CRE, employeur…)"}},
            "schemas": SCHEMAS,
        },
    }
