"""A structure's employer network ("aller-vers l'entreprise"): the rules and formats, pure.

No Flask, no SQL (tests in tests/test_network.py):

* the kinds of contact logged (visite, appel…), company sizes;
* NAF codes (rev. 2, "81.21Z"): typed forms normalised, and the sectors of the
  skill taxonomy an activity hires in, from the bundled ``data/naf/naf_sectors.json``
  (longest prefix wins) — used when no ROME with its NAF table is imported;
* SIRET numbers: 14 digits with their check digit;
* the spreadsheet layout shared by the XLSX and CSV import/export: French headers,
  one row per employer, contacts and besoins pressentis one per line inside
  their cell, fields separated by " ; ".
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

__all__ = [
    "EVENT_KINDS",
    "SIZES",
    "COLUMNS",
    "HEADERS",
    "JOURNAL_HEADERS",
    "NafError",
    "normalise_naf",
    "naf_division",
    "naf_activity",
    "siret_error",
    "format_contacts",
    "parse_contacts",
    "format_potentials",
    "parse_potentials",
]

NAF_TABLE = Path(__file__).resolve().parent / "data" / "naf" / "naf_sectors.json"

EVENT_KINDS: dict[str, str] = {
    "visite": "Visite de l'entreprise",
    "appel": "Appel",
    "courriel": "Courriel",
    "rencontre": "Rencontre, événement (job dating, forum…)",
    "pmsmp": "PMSMP ou immersion organisée",
    "recrutement": "Recrutement accompagné",
}
SIZES: dict[str, str] = {"TPE": "TPE (moins de 10 salariés)", "PME": "PME (10 à 249)", "ETI": "ETI (250 à 4 999)",
                         "grand groupe": "Grand groupe"}

# The spreadsheet, one row per employer: (field, French header). Import and export use the same.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("reference", "Référence"), ("name", "Entreprise"), ("siret", "SIRET"), ("naf_code", "Code NAF"),
    ("size", "Taille"), ("address", "Adresse"), ("postcode", "Code postal"), ("city", "Commune"),
    ("contacts", "Contacts"), ("potentials", "Besoins pressentis"), ("notes", "Notes"),
    ("shared", "Partagée avec le territoire"), ("lat", "Latitude"), ("lon", "Longitude"),
)
HEADERS: tuple[str, ...] = tuple(h for _, h in COLUMNS)
# The log, exported on its own sheet of the XLSX file (not read back by the import).
JOURNAL_HEADERS = ("Référence", "Entreprise", "Date", "Type", "Résumé", "Prochaine action", "Échéance", "Faite")

_NAF = re.compile(r"^(\d{2})\.?(\d{2})([A-Z])$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
FIELD_SEPARATOR = " ; "
MAX_COUNT = 999


class NafError(ValueError):
    """A NAF code that is not in the "81.21Z" form; the message is in French."""


def normalise_naf(value: str | None) -> str | None:
    """"8121z", "81.21 Z", "81.21Z" → "81.21Z"; "" → None; raise ``NafError`` otherwise."""
    text = re.sub(r"[\s\u00a0]", "", value or "").upper()
    if not text:
        return None
    match = _NAF.match(text)
    if not match:
        raise NafError(f"Code NAF « {value} » : forme 81.21Z attendue (2 chiffres, point, 2 chiffres, une lettre).")
    return f"{match.group(1)}.{match.group(2)}{match.group(3)}"


def naf_division(code: str | None) -> str | None:
    """"81.21Z" → "81" (the level of the ROME's NAF sector table)."""
    return code[:2] if code else None


@lru_cache(maxsize=1)
def _naf_table() -> dict[str, dict[str, Any]]:
    return json.loads(NAF_TABLE.read_text(encoding="utf-8"))["prefixes"]


def naf_activity(code: str | None) -> tuple[str, tuple[str, ...]] | None:
    """(short label, taxonomy sectors) of the longest known prefix of a NAF code; None if unknown."""
    if not code:
        return None
    compact = code.replace(".", "")
    table = _naf_table()
    for length in (4, 3, 2):
        prefix = compact[:length]
        key = prefix if length == 2 else f"{prefix[:2]}.{prefix[2:]}"
        if key in table:
            return table[key]["label"], tuple(table[key]["sectors"])
    return None


def siret_error(value: str | None) -> str | None:
    """A French message if a SIRET is not 14 digits with a valid check digit; None if fine or empty."""
    digits = re.sub(r"[\s\u00a0]", "", value or "")
    if not digits:
        return None
    if not (digits.isdigit() and len(digits) == 14):
        return "SIRET : 14 chiffres attendus."
    if digits.startswith("356000000"):  # La Poste's establishments: digit sum divisible by 5 instead
        return None if sum(int(d) for d in digits) % 5 == 0 else "SIRET : numéro invalide (clé de contrôle)."
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return None if total % 10 == 0 else "SIRET : numéro invalide (clé de contrôle)."


# -- cells holding a list: one item per line, fields separated by " ; " -------------------------------
def _lines(cell: str | None) -> list[list[str]]:
    return [[part.strip() for part in line.split(";")] for line in (cell or "").splitlines() if line.strip()]


def format_contacts(contacts: Iterable[Mapping[str, Any]]) -> str:
    """"Nom ; fonction ; téléphone ; courriel", one contact per line (empty trailing fields dropped)."""
    rows = []
    for c in contacts:
        parts = [c.get("name") or "", c.get("role") or "", c.get("phone") or "", c.get("email") or ""]
        while parts and not parts[-1]:
            parts.pop()
        rows.append(FIELD_SEPARATOR.join(parts))
    return "\n".join(rows)


def parse_contacts(cell: str | None) -> tuple[list[dict[str, Any]], list[str]]:
    """Contacts of a cell, and French messages for the lines that cannot be read."""
    contacts, errors = [], []
    for number, parts in enumerate(_lines(cell), start=1):
        if len(parts) > 4:
            errors.append(f"Contact n° {number} : 4 éléments au plus (nom ; fonction ; téléphone ; courriel).")
            continue
        name, role, phone, email = (parts + ["", "", "", ""])[:4]
        if not name:
            errors.append(f"Contact n° {number} : le nom est obligatoire.")
            continue
        if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            errors.append(f"Contact n° {number} : adresse électronique « {email} » invalide.")
            continue
        if any(len(p) > 120 for p in parts):
            errors.append(f"Contact n° {number} : 120 caractères au plus par élément.")
            continue
        contacts.append({"name": name, "role": role or None, "phone": phone or None, "email": email or None})
    return contacts, errors


def format_potentials(potentials: Iterable[Mapping[str, Any]]) -> str:
    """"métier ; nombre ; mois (AAAA-MM) ; note", one besoin pressenti per line."""
    rows = []
    for p in potentials:
        parts = [p.get("metier") or "", str(p["count"]) if p.get("count") else "", p.get("expected") or "",
                 p.get("notes") or ""]
        while parts and not parts[-1]:
            parts.pop()
        rows.append(FIELD_SEPARATOR.join(parts))
    return "\n".join(rows)


def parse_potentials(cell: str | None) -> tuple[list[dict[str, Any]], list[str]]:
    """Besoins pressentis of a cell, and French messages for the lines that cannot be read."""
    potentials, errors = [], []
    for number, parts in enumerate(_lines(cell), start=1):
        if len(parts) > 4:
            errors.append(f"Besoin pressenti n° {number} : 4 éléments au plus (métier ; nombre ; mois ; note).")
            continue
        metier, count, expected, notes = (parts + ["", "", "", ""])[:4]
        problem = potential_error(metier, count, expected)
        if problem:
            errors.append(f"Besoin pressenti n° {number} : {problem}")
            continue
        potentials.append({"metier": metier, "count": int(count) if count else None, "expected": expected or None,
                           "notes": notes or None})
    return potentials, errors


def potential_error(metier: str, count: str | int | None, expected: str | None) -> str | None:
    """What is wrong with a besoin pressenti (métier, how many, when), in French; None if fine."""
    if not (metier or "").strip():
        return "le métier est obligatoire."
    if len(metier) > 120:
        return "métier : 120 caractères au plus."
    if count not in (None, "") and not (str(count).isdigit() and 1 <= int(count) <= MAX_COUNT):
        return f"nombre de postes « {count} » : un entier de 1 à {MAX_COUNT} est attendu."
    if expected and not _MONTH.match(expected):
        return f"mois « {expected} » : format AAAA-MM attendu (ex. 2027-03)."
    return None
