"""CSV import and export of profiles, needs and proposals.

Import is two steps: ``parse`` checks every line and reports errors in French
by line number (nothing is stored); the page then imports the whole file in
one transaction, keyed by reference so that a re-import creates no duplicate.
Files may be UTF-8 (with or without BOM) or Windows-1252, comma- or
semicolon-separated, as spreadsheets write them. Exports are UTF-8 with BOM
and semicolons, which French spreadsheet software opens as is, and which the
importer reads back.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from flask import Response

from . import validation

PROFILE_COLUMNS = (
    "reference", "first_name", "description", "skills", "experiences", "formation", "informal_skills",
    "driving_licence", "vehicle", "mobility_km", "french_level", "availability", "part_time", "postcode", "city",
    "lat", "lon", "path_start", "path_end", "eligibility", "notes",
)
PROFILE_REQUIRED = ("reference", "first_name")

NEED_COLUMNS = (
    "reference", "title", "description", "skills_required", "skills_wanted", "contract", "hours_per_week",
    "positions", "start_date", "driving_licence", "french_level", "postcode", "city", "lat", "lon",
    "max_distance_km", "public_contract",
)
NEED_REQUIRED = ("reference", "title", "contract")

PROPOSAL_COLUMNS = (
    "id", "need_reference", "need_title", "employer", "profile_reference", "first_name", "status", "refusal_reason",
    "score", "created_at", "updated_at",
)

MAX_LINES = 20_000


@dataclass
class ImportReport:
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


def decode(raw: bytes) -> str:
    """Text of an uploaded file: UTF-8 (BOM or not), else Windows-1252."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _reader(text: str) -> csv.DictReader:
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=";,\t")
    except csv.Error:
        dialect = csv.excel
        dialect.delimiter = ";" if sample.count(";") > sample.count(",") else ","
    return csv.DictReader(io.StringIO(text), dialect=dialect)


def parse(text: str, *, columns: tuple[str, ...], required: tuple[str, ...],
          clean: Callable[[Mapping[str, Any]], tuple[dict, dict]], rename: Mapping[str, str] | None = None) -> ImportReport:
    """Check every line of a CSV text; nothing is stored here."""
    report = ImportReport()
    if not text.strip():
        report.errors.append((0, "Le fichier est vide."))
        return report
    reader = _reader(text)
    header = [h.strip() for h in (reader.fieldnames or []) if h is not None]
    missing = [c for c in required if c not in header]
    if missing:
        report.errors.append((1, "Colonnes obligatoires absentes : " + ", ".join(missing)
                              + ". Colonnes attendues : " + ", ".join(columns) + "."))
        return report
    unknown = [h for h in header if h not in columns]
    if unknown:
        report.errors.append((1, "Colonnes inconnues : " + ", ".join(unknown) + "."))
    seen: dict[str, int] = {}
    for number, row in enumerate(reader, start=2):
        if number - 1 > MAX_LINES:
            report.errors.append((number, f"Fichier trop long : {MAX_LINES} lignes au plus."))
            break
        if None in row:
            report.errors.append((number, "Plus de valeurs que de colonnes (un séparateur en trop ?)."))
            continue
        values = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        if not any(values.values()):
            continue
        raw = {(rename or {}).get(k, k): v for k, v in values.items() if k in columns}
        data, errors = clean(raw)
        for name, message in errors.items():
            report.errors.append((number, message))
        reference = values.get("reference", "")
        if reference in seen:
            report.errors.append((number, f"Référence « {reference} » déjà présente ligne {seen[reference]}."))
        elif reference:
            seen[reference] = number
        if not errors:
            report.rows.append((number, data))
    if not report.rows and not report.errors:
        report.errors.append((0, "Aucune ligne de données dans le fichier."))
    return report


def parse_profiles(text: str) -> ImportReport:
    return parse(text, columns=PROFILE_COLUMNS, required=PROFILE_REQUIRED, clean=validation.clean_profile,
                 rename={"skills": "skills_text"})


def parse_needs(text: str) -> ImportReport:
    return parse(text, columns=NEED_COLUMNS, required=NEED_REQUIRED, clean=validation.clean_need)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list):
        return " | ".join(str(v) for v in value)
    return str(value)


def export(rows: Iterable[Mapping[str, Any]], columns: tuple[str, ...]) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return out.getvalue()


def response(text: str, filename: str):
    """A CSV download."""
    return Response(text, mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def profile_export_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {**row, "skills": row.get("skills_text"), "eligibility": "; ".join(row.get("eligibility") or []),
            "driving_licence": None if row.get("driving_licence") is None else bool(row["driving_licence"]),
            "vehicle": None if row.get("vehicle") is None else bool(row["vehicle"]),
            "part_time": None if row.get("part_time") is None else bool(row["part_time"])}


def need_export_row(row: Mapping[str, Any]) -> dict[str, Any]:
    skills = row.get("skills") or []
    # The linked lot as the importer reads it back ("2026-MTR-017 lot 2"); empty when not linked.
    link = f"{row['linked_contract_reference']} lot {row['lot_number']}" if row.get("lot_id") else ""
    return {**row, "public_contract": link, "skills_required": "; ".join(s["text"] for s in skills if s.get("required", True)),
            "skills_wanted": "; ".join(s["text"] for s in skills if not s.get("required", True)),
            "driving_licence": bool(row.get("driving_licence"))}
