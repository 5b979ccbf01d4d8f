"""XLSX files through openpyxl: writing workbooks for downloads, reading an uploaded sheet as text rows.

Every cell is written as text or a number as given; dates and numbers typed by a user in a
spreadsheet are read back as the text they show ("93100", "2027-03"), so that the importer
validates one kind of value whatever the file's format. Uploaded workbooks are parsed with
defusedxml (pinned next to openpyxl): no XML entity expansion.
"""
from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from typing import Any, Iterable, Sequence

from flask import Response
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils.exceptions import InvalidFileException

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Reading stops here: an import of more rows is refused by the importer anyway.
MAX_ROWS = 20_001
COLUMN_WIDTH_MAX = 60


class SpreadsheetError(ValueError):
    """An uploaded file that is not a readable XLSX workbook; the message is in French."""


Sheet = tuple[str, Sequence[str], Iterable[Sequence[Any]]]  # (title, headers, rows)


def workbook_bytes(sheets: Iterable[Sheet]) -> bytes:
    """An XLSX workbook: one sheet per (title, headers, rows), bold frozen header, wrapped text."""
    book = Workbook()
    book.remove(book.active)
    for title, headers, rows in sheets:
        sheet = book.create_sheet(title=title[:31])
        sheet.append(list(headers))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        widths = [len(str(h)) for h in headers]
        for row in rows:
            values = ["" if v is None else v for v in row]
            sheet.append(values)
            for i, v in enumerate(values):
                longest = max((len(line) for line in str(v).splitlines()), default=0)
                widths[i] = max(widths[i], longest)
        for column, width in zip(sheet.columns, widths):
            sheet.column_dimensions[column[0].column_letter].width = min(COLUMN_WIDTH_MAX, width + 2)
            for cell in column[1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def response(sheets: Iterable[Sheet], filename: str) -> Response:
    """An XLSX download."""
    return Response(workbook_bytes(sheets), mimetype=XLSX_MIMETYPE,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_first_sheet(raw: bytes) -> tuple[list[str], list[dict[str, str]]]:
    """Headers and rows (header → text) of a workbook's first sheet; raise ``SpreadsheetError``."""
    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SpreadsheetError("Le fichier n'est pas un classeur XLSX lisible (enregistrez-le au format "
                               "Excel .xlsx, ou en CSV).") from exc
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True, max_row=MAX_ROWS)
        first = next(rows, None)
        if first is None:
            return [], []
        headers = [_text(h).strip() for h in first]
        while headers and not headers[-1]:
            headers.pop()
        out = []
        for row in rows:
            cells = [_text(v) for v in row]
            extra = [c for c in cells[len(headers):] if c.strip()]
            record: dict[Any, Any] = dict(zip(headers, cells + [""] * (len(headers) - len(cells))))
            if extra:
                record[None] = extra  # like csv.DictReader: more values than headers
            out.append(record)
        return headers, out
    finally:
        book.close()
