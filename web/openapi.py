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
    "location": LOCATION, "max_distance_km": NULLABLE_NUMBER,
    "public_contract": {"type": ["string", "null"], "description": "marché du lot lié (lecture) ; en écriture, "
                        "« RÉFÉRENCE » ou « RÉFÉRENCE lot N » cherché parmi les lots attribués à l'employeur "
                        "seulement ; vide ou null : aucun lot"},
    "lot_id": {"type": ["integer", "null"], "description": "lot de marché dont la clause est servie : un lot "
               "attribué à l'employeur (titulaire) ; null : aucun"},
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

POOLED = {
    "type": ["object", "null"],
    "description": "besoin mutualisé : la structure porteuse (qui embauche), son contrat, la formation, les "
                   "employeurs membres et leur part (postes ou heures par semaine) ; null pour un besoin ordinaire",
    "required": ["carrier_id", "carrier_contract", "members"],
    "properties": {
        "carrier_id": {"type": "string"}, "carrier_name": NULLABLE_STRING, "carrier_contract": {"type": "string"},
        "training_body": NULLABLE_STRING, "training_plan": NULLABLE_STRING,
        "members": {"type": "array", "items": {"type": "object", "required": ["employer_id"], "properties": {
            "employer_id": {"type": "string"}, "name": NULLABLE_STRING, "positions": {"type": ["integer", "null"]},
            "hours_per_week": NULLABLE_NUMBER}}},
    },
}
# A count of people: a number, or "moins de 5" (never a smaller number: secret statistique).
PEOPLE_COUNT = {"oneOf": [{"type": "integer", "minimum": 0, "not": {"enum": [1, 2, 3, 4]}},
                          {"type": "string", "enum": ["moins de 5"]}]}
ASSIGNMENTS = {
    "type": "array", "description": "embauche d'un besoin mutualisé (structure porteuse) : mise à disposition "
                                    "de la personne chez les membres, heures par semaine",
    "items": {"type": "object", "required": ["employer_id", "hours_per_week"], "properties": {
        "employer_id": {"type": "string"}, "hours_per_week": {"type": "number", "exclusiveMinimum": 0, "maximum": 48},
        "start_date": {"type": "string", "format": "date"}}},
}
# A published count of people: an integer (5 or more, rounded to 5) or "moins de 5".
COUNT = {"oneOf": [{"type": "integer", "minimum": 5}, {"type": "string", "enum": ["moins de 5"]}]}
SHARE = {"type": "number", "exclusiveMinimum": 0, "maximum": 100,
         "description": "fraction (0,05) ou pourcentage (5) : au-delà de 1, un pourcentage"}
DATE_OR_MONTH = {"type": "string", "description": "AAAA-MM-JJ ou AAAA-MM"}
CALIBRATION_INPUT = {
    "trades": {"type": "array", "minItems": 1, "maxItems": 20, "items": {"type": "string", "minLength": 1},
               "description": "métiers du marché, en texte libre ou en codes ROME"},
    "location": {"type": "object", "required": ["lat", "lon"], "properties": {
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "lon": {"type": "number", "minimum": -180, "maximum": 180}}},
    "radius_km": {"type": "number", "minimum": 1, "maximum": 100},
    "amount": {"type": "number", "minimum": 1}, "labour_share": SHARE, "insertion_rate": SHARE,
    "hourly_cost": {"type": "number", "minimum": 1, "maximum": 500},
    "start": DATE_OR_MONTH, "end": DATE_OR_MONTH,
}

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
        "pooled": POOLED,
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
    "CalibrationInput": {"type": "object", "required": list(CALIBRATION_INPUT), "properties": CALIBRATION_INPUT},
    "Calibration": {"type": "object", "required": ["required_hours", "trades", "people_total", "recommended_hours",
                                                   "explanation"], "properties": {
        "required_hours": {"type": "integer"},
        "trades": {"type": "array", "items": {"type": "object", "required": ["text", "rome_code", "people", "structures"],
                                              "properties": {
            "text": {"type": "string"}, "rome_code": NULLABLE_STRING, "rome_label": NULLABLE_STRING,
            "people": COUNT, "structures": {"type": "integer", "minimum": 0},
            "structures_detail": {"type": "array", "items": {"type": "object", "properties": {
                "name": {"type": "string"}, "kind": NULLABLE_STRING, "modality": NULLABLE_STRING}}}}}},
        "people_total": COUNT,
        "recommended_hours": {"type": "integer", "minimum": 0},
        "recommended_rate": {"type": "number", "description": "heures recommandées ÷ heures de main-d'œuvre"},
        "capacity_hours": {"type": "integer"}, "months": {"type": "integer"},
        "site": {"type": "object", "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}}},
        "radius_km": {"type": "number"},
        "structure_kinds": {"type": "array", "items": {"type": "object"}},
        "explanation": {"type": "string"}}},
    "Transition": {"type": "object", "required": ["status"], "properties": {
        "status": STATUS, "reason": {"type": ["string", "null"], "enum": [*workflow.REFUSAL_REASONS, None]},
        "note": {"type": "string", "maxLength": 4000}, "actor": IGNORED, **VERSION_INPUT, "assignments": ASSIGNMENTS}},
    "Territory": {"type": "object", "required": ["territory", "sectors"], "additionalProperties": False,
                  "properties": {
        "territory": {"type": "object", "required": ["kind", "label"], "properties": {
            "kind": {"type": "string", "enum": ["departement", "rayon"]}, "label": {"type": "string"},
            "departement": {"type": "string"}, "lat": {"type": "number"}, "lon": {"type": "number"},
            "radius_km": {"type": "number"}}},
        "sectors": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["sector", "people", "open_positions", "clause_hours_to_do", "unmet", "accessibility",
                         "missing_skills"],
            "properties": {
                "sector": {"type": "string"},
                "people": PEOPLE_COUNT,
                "open_positions": {"type": "integer", "minimum": 0},
                "clause_hours_to_do": {"type": "number", "minimum": 0},
                "unmet": {"type": "integer", "minimum": 0},
                "accessibility": {"type": ["integer", "null"], "minimum": 0, "maximum": 100,
                                  "description": "part des personnes en parcours du territoire qu'aucune exigence "
                                                 "des besoins du secteur n'écarte, en %, arrondie à 10 ; null si "
                                                 "inconnue ou si le territoire compte trop peu de personnes"},
                "missing_skills": {"type": "array", "items": {"type": "object", "required": ["skill", "needs"],
                                                              "properties": {"skill": {"type": "string"},
                                                                             "needs": {"type": "integer"}}}}}}}}},
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
        "/territory": {
            "get": {"summary": "Diagnostic territorial : offre et demande par secteur (agrégats seulement)",
                    "operationId": "territory",
                    "description": "Pour une CRE, une direction de structure ou un acheteur / facilitateur. Un "
                                   "département (departement=93), ou un point et un rayon (lat, lon, radius_km). "
                                   "Les effectifs de 1 à 4 personnes valent « moins de 5 ».",
                    "parameters": [
                        _query("departement", {"type": "string", "pattern": "^(0?[1-9]|1[0-9]|2[1-9]|[3-8][0-9]|9[0-5]|2[AaBb]|97[12346])$"},
                               "code du département (ex. 93, 2A, 974)"),
                        _query("lat", {"type": "number", "minimum": -90, "maximum": 90}, "latitude du centre"),
                        _query("lon", {"type": "number", "minimum": -180, "maximum": 180}, "longitude du centre"),
                        _query("radius_km", {"type": "number", "minimum": 0.5, "maximum": 200}, "rayon en km")],
                    "responses": {"200": _json(_ref("Territory"), "Diagnostic"), "400": bad}}},
        "/proposals/{proposal_id}/transitions": {
            "parameters": [_id_param("proposal_id")],
            "post": {"summary": "Faire avancer une proposition", "operationId": "transitionProposal",
                     "requestBody": body("Transition"),
                     "responses": {"200": _json(_ref("Proposal"), "Nouvel état"), "400": bad, "404": missing,
                                   "409": conflict, "415": not_json, "422": invalid}},
        },
        "/clause-calibrations": {
            "post": {"summary": "Calibrer une clause avant l'appel d'offres (acheteurs)",
                     "operationId": "calibrateClause", "requestBody": body("CalibrationInput"),
                     "description": "Heures requises, personnes éligibles à portée du chantier par métier "
                                    "(effectifs protégés : « moins de 5 », arrondis à 5), structures, heures "
                                    "recommandées et le calcul expliqué.",
                     "responses": {"200": _json(_ref("Calibration"), "Calibrage"), "400": bad,
                                   "415": not_json, "422": invalid}},
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
