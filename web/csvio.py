"""CSV import and export of profiles, needs and proposals.

Import is two steps: ``parse`` checks every line and reports errors in French
by line number (nothing is stored); the page then imports the whole file in
one transaction, keyed by reference so that a re-import creates no duplicate.
Files may be UTF-8 (with or without BOM) or Windows-1252 (then with a warning:
the characters may not be the ones meant), comma- or semicolon-separated, with
any line ending (CRLF, LF, or the bare CR of old Mac spreadsheets). A line
break inside a one-line column means a quote left open swallowed the end of
the line: that row is refused rather than stored wrong.

Exports are UTF-8 with BOM and semicolons, which French spreadsheet software
opens as is, and which the importer reads back. A text cell starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be run as a
formula by a spreadsheet: it is written with a leading apostrophe (the
spreadsheet's own "this is text" mark), which the importer removes again.
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
# Longest cell accepted in an import (the longest column, a description, holds 4,000 characters).
MAX_CELL = validation.MAX_LONG_TEXT
# Characters that make a spreadsheet read a cell as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class ImportReport:
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)

    def add_decoding(self, decoded: "Decoded") -> "ImportReport":
        """What reading the file's bytes found, before its lines."""
        self.warnings[:0] = decoded.warnings
        self.errors[:0] = [(0, e) for e in decoded.errors]
        return self


@dataclass
class Decoded:
    text: str
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


CP1252_WARNING = ("Le fichier n'est pas en UTF-8 : il a été lu comme du Windows-1252 (Excel). Vérifiez les "
                  "accents dans l'aperçu avant d'importer ; en cas de doute, enregistrez-le en « CSV UTF-8 ».")


def decode(raw: bytes) -> Decoded:
    """Text of an uploaded file: UTF-8 (BOM or not), else Windows-1252 with a warning."""
    try:
        return Decoded(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        pass
    try:
        return Decoded(raw.decode("cp1252"), warnings=[CP1252_WARNING])
    except UnicodeDecodeError as exc:
        # Bytes Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D): neither encoding fits.
        text = raw.decode("cp1252", errors="replace")
        line = text.count("\n", 0, exc.start) + 1
        return Decoded(text, errors=[f"Ligne {line} : octet illisible (0x{raw[exc.start]:02X}) ; le fichier n'est "
                                     "ni en UTF-8 ni en Windows-1252. Enregistrez-le en « CSV UTF-8 »."])


def uploaded(upload, pasted: str | None) -> Decoded:
    """The CSV text of an import form: the file sent, else the text pasted (already decoded)."""
    if upload is not None and upload.filename:
        return decode(upload.read())
    return Decoded(pasted or "")


def _reader(text: str) -> csv.DictReader:
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=";,\t")
    except csv.Error:
        dialect = csv.excel
        dialect.delimiter = ";" if sample.count(";") > sample.count(",") else ","
    # newline="": the csv module sees every line ending (\r\n, \n, bare \r) and quoted line breaks.
    return csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)


def _unescape(value: str) -> str:
    """A cell exported as text ("'=SOMME…") reads back as it was typed."""
    if value.startswith("'") and value[1:2] and value[1] in FORMULA_STARTS:
        return value[1:]
    return value


def parse(text: str, *, columns: tuple[str, ...], required: tuple[str, ...],
          clean: Callable[[Mapping[str, Any]], tuple[dict, dict]], rename: Mapping[str, str] | None = None,
          multiline: tuple[str, ...] = ()) -> ImportReport:
    """Check every line of a CSV text; nothing is stored here.

    ``multiline``: the columns whose cells may hold line breaks (descriptions, notes); a line
    break anywhere else is refused.
    """
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
    records, end = 0, reader.line_num
    while True:
        start = end + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            number = reader.line_num
            if "field larger than field limit" in str(exc):
                report.errors.append((number, "Champ trop long (plus de 100 000 caractères) : un guillemet "
                                              "non fermé a sans doute avalé la suite du fichier."))
            else:
                report.errors.append((number, f"CSV mal formé ({exc}) : un guillemet mal placé ?"))
            break
        end = reader.line_num
        records += 1
        if records > MAX_LINES:
            report.errors.append((end, f"Fichier trop long : {MAX_LINES} lignes au plus."))
            break
        if None in row:
            report.errors.append((end, "Plus de valeurs que de colonnes (un séparateur en trop ?)."))
            continue
        values = {(k or "").strip(): _unescape((v or "").strip()) for k, v in row.items()}
        if not any(values.values()):
            continue
        broken = [k for k, v in values.items() if ("\n" in v or "\r" in v) and k not in multiline]
        number = start if broken or any("\n" in v or "\r" in v for v in values.values()) else end
        if broken:
            report.errors.append((number, f"Saut de ligne dans la colonne « {broken[0]} » (lignes {start} à {end}) : "
                                          "un guillemet non fermé a sans doute avalé la fin de la ligne. "
                                          "Rien de cette ligne n'est importé."))
            continue
        too_long = [(k, len(v)) for k, v in values.items() if len(v) > MAX_CELL]
        if too_long:
            column, length = too_long[0]
            report.errors.append((number, f"Colonne « {column} » trop longue : {length} caractères, "
                                          f"{MAX_CELL} au plus."))
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


PROFILE_MULTILINE = ("description", "skills", "experiences", "formation", "informal_skills", "notes")
NEED_MULTILINE = ("description", "skills_required", "skills_wanted")


def parse_profiles(text: str) -> ImportReport:
    return parse(text, columns=PROFILE_COLUMNS, required=PROFILE_REQUIRED, clean=validation.clean_profile,
                 rename={"skills": "skills_text"}, multiline=PROFILE_MULTILINE)


def parse_needs(text: str) -> ImportReport:
    return parse(text, columns=NEED_COLUMNS, required=NEED_REQUIRED, clean=validation.clean_need,
                 multiline=NEED_MULTILINE)


def safe_cell(value: Any) -> str | int | float:
    """A value as an exported cell: text that a spreadsheet would run as a formula gets a leading
    apostrophe; numbers stay numbers (a negative amount is not a formula)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, (int, float)):
        return value
    text = " | ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def writer(out: io.StringIO):
    """The CSV writer of every export: UTF-8 BOM, semicolons, CRLF (French spreadsheets open it as is)."""
    out.write("\ufeff")
    return csv.writer(out, delimiter=";", lineterminator="\r\n")


def export(rows: Iterable[Mapping[str, Any]], columns: tuple[str, ...]) -> str:
    out = io.StringIO()
    write = writer(out)
    write.writerow(columns)
    for row in rows:
        write.writerow([safe_cell(row.get(c)) for c in columns])
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
    return {**row, "skills_required": "; ".join(s["text"] for s in skills if s.get("required", True)),
            "skills_wanted": "; ".join(s["text"] for s in skills if not s.get("required", True)),
            "driving_licence": bool(row.get("driving_licence"))}
