"""Needs and profiles as the engine sees them, and their parsing from JSON-like dicts.

The dict format is the one of the command line (``NEED.json`` and each line of
``CANDIDATES.jsonl``); the web app builds the same dicts from its database.
Missing optional fields mean "no constraint".
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

__all__ = [
    "FRENCH_LEVELS",
    "InputError",
    "Location",
    "NeedSkill",
    "Need",
    "Profile",
    "need_from_dict",
    "profile_from_dict",
]

FRENCH_LEVELS: tuple[str, ...] = ("A1", "A2", "B1", "B2", "C1", "C2")


class InputError(ValueError):
    """A need or a profile given to the engine is malformed; the message is in French."""


@dataclass(frozen=True)
class Location:
    lat: float | None = None
    lon: float | None = None
    postcode: str | None = None

    @property
    def known(self) -> bool:
        return self.lat is not None and self.lon is not None


@dataclass(frozen=True)
class NeedSkill:
    """A skill wanted by an employer, as typed; ``required`` means indispensable."""

    text: str
    required: bool = True


@dataclass(frozen=True)
class Need:
    id: str
    title: str = ""
    description: str = ""
    skills: tuple[NeedSkill, ...] = ()
    driving_licence: bool = False
    french_level: str | None = None
    location: Location = field(default_factory=Location)
    max_distance_km: float | None = None
    skill_ids: tuple[str, ...] = ()
    """Taxonomy skills confirmed by a person, counted as indispensable."""
    optional_skill_ids: tuple[str, ...] = ()
    """Taxonomy skills confirmed by a person, counted as "souhaitées"."""
    auto_map: bool = True
    """False when ``skill_ids`` already say what the skills are (checked by a person):
    the free text then only feeds the text similarity."""


@dataclass(frozen=True)
class Profile:
    id: str
    description: str = ""
    skills: tuple[str, ...] = ()
    experiences: tuple[str, ...] = ()
    driving_licence: bool | None = None
    french_level: str | None = None
    location: Location = field(default_factory=Location)
    mobility_km: float | None = None
    skill_ids: tuple[str, ...] = ()
    """Taxonomy skills confirmed or corrected by the CRE, held for sure."""
    implied_skill_ids: tuple[str, ...] = ()
    """Skills of the person's past métier in a referential (ROME core skills read by the
    taxonomy): likely held, counted at the experience strength."""
    auto_map: bool = True
    """False when ``skill_ids`` already say what the skills are (checked by a person):
    the free skills text then only feeds the text similarity."""


def _text(value: Any, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(f"« {name} » doit être un texte")
    return value


def _texts(value: Any, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"« {name} » doit être une liste de textes")
    return tuple(value)


def _bool(value: Any, name: str) -> bool | None:
    if value is None:
        return None
    if not isinstance(value, bool):
        raise InputError(f"« {name} » doit valoir true ou false")
    return value


def _number(value: Any, name: str, *, minimum: float | None = None, maximum: float | None = None) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(f"« {name} » doit être un nombre")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise InputError(f"« {name} » doit être compris entre {minimum} et {maximum}")
    return float(value)


def _french_level(value: Any, name: str) -> str | None:
    if value is None or value == "":
        return None
    level = str(value).strip().upper()
    if level not in FRENCH_LEVELS:
        raise InputError(f"« {name} » doit être un niveau A1, A2, B1, B2, C1 ou C2 (reçu : {value!r})")
    return level


def _location(value: Any) -> Location:
    if value is None:
        return Location()
    if not isinstance(value, Mapping):
        raise InputError("« location » doit être un objet {postcode, lat, lon}")
    lat = _number(value.get("lat"), "location.lat", minimum=-90, maximum=90)
    lon = _number(value.get("lon"), "location.lon", minimum=-180, maximum=180)
    if (lat is None) != (lon is None):
        raise InputError("« location » doit donner lat et lon ensemble")
    postcode = value.get("postcode")
    return Location(lat, lon, None if postcode is None else str(postcode))


def _id(data: Mapping[str, Any]) -> str:
    ident = data.get("id")
    if ident is None or ident == "" or isinstance(ident, (bool, dict, list)):
        raise InputError("« id » manquant")
    return str(ident)


def _need_skills(value: Any) -> tuple[NeedSkill, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InputError("« skills » doit être une liste")
    skills: list[NeedSkill] = []
    for item in value:
        if isinstance(item, str):
            skills.append(NeedSkill(item))
        elif isinstance(item, Mapping) and isinstance(item.get("text"), str):
            skills.append(NeedSkill(item["text"], bool(item.get("required", True))))
        else:
            raise InputError("« skills » : chaque élément doit être un texte ou {\"text\", \"required\"}")
    return tuple(skills)


def need_from_dict(data: Any) -> Need:
    """Build a ``Need`` from the command-line JSON format; raise ``InputError`` if malformed."""
    if not isinstance(data, Mapping):
        raise InputError("le besoin doit être un objet JSON")
    requirements = data.get("requirements") or {}
    if not isinstance(requirements, Mapping):
        raise InputError("« requirements » doit être un objet")
    return Need(
        id=_id(data),
        title=_text(data.get("title"), "title"),
        description=_text(data.get("description"), "description"),
        skills=_need_skills(data.get("skills")),
        driving_licence=bool(_bool(requirements.get("driving_licence"), "requirements.driving_licence")),
        french_level=_french_level(requirements.get("french_level"), "requirements.french_level"),
        location=_location(data.get("location")),
        max_distance_km=_number(data.get("max_distance_km"), "max_distance_km", minimum=0),
        skill_ids=_texts(data.get("skill_ids"), "skill_ids"),
        optional_skill_ids=_texts(data.get("optional_skill_ids"), "optional_skill_ids"),
    )


def profile_from_dict(data: Any) -> Profile:
    """Build a ``Profile`` from the command-line JSON format; raise ``InputError`` if malformed."""
    if not isinstance(data, Mapping):
        raise InputError("le profil doit être un objet JSON")
    return Profile(
        id=_id(data),
        description=_text(data.get("description"), "description"),
        skills=_texts(data.get("skills"), "skills"),
        experiences=_texts(data.get("experiences"), "experiences"),
        driving_licence=_bool(data.get("driving_licence"), "driving_licence"),
        french_level=_french_level(data.get("french_level"), "french_level"),
        location=_location(data.get("location")),
        mobility_km=_number(data.get("mobility_km"), "mobility_km", minimum=0),
        skill_ids=_texts(data.get("skill_ids"), "skill_ids"),
    )
