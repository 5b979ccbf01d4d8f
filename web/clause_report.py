"""The report a buyer files: per contract and per lot, the participants, the cumulative curve, what did
not count and why, who to contact; printable (a page), and as XLSX (French headers) and CSV.

Built from a ``clause_status.ContractStatus``; no storage access here.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import clauses
import eligibility

from .clause_status import ContractStatus


@dataclass
class ParticipantRow:
    """One participant of a lot (or of the contract): anonymous reference, never a name."""

    reference: str
    lots: list[int]
    category: str
    modalities: list[str]
    declared: Decimal
    counted: Decimal
    exit_situation: str


@dataclass
class Section:
    """The report of one lot, or of the whole contract (``lot`` None)."""

    title: str
    lot: dict[str, Any] | None
    fulfilment: clauses.Fulfilment
    participants: list[ParticipantRow]
    curve: list[clauses.CurvePoint]


@dataclass
class Report:
    contract: dict[str, Any]
    buyer_name: str
    made_on: date
    sections: list[Section]
    lots: list[tuple[dict[str, Any], clauses.Fulfilment]]
    evaluations: list[clauses.Evaluation] = field(default_factory=list)

    @property
    def facilitator(self) -> dict[str, str]:
        c = self.contract
        return {k: c.get(f"facilitator_{k}") or "" for k in ("name", "email", "phone")}


def _participants(status: ContractStatus, evaluations: list[clauses.Evaluation]) -> list[ParticipantRow]:
    rows: dict[int, ParticipantRow] = {}
    for ev in evaluations:
        e = ev.entry
        p = status.participants.get(e["participant_id"]) or {}
        row = rows.get(e["participant_id"])
        if row is None:
            row = rows[e["participant_id"]] = ParticipantRow(
                reference=e["participant_reference"], lots=[], category=eligibility.CATEGORIES.get(
                    p.get("category") or "", "non renseignée"), modalities=[], declared=Decimal(0),
                counted=Decimal(0), exit_situation=clauses.EXIT_SITUATIONS.get(p.get("exit_situation") or "en_cours",
                                                                                p.get("exit_situation") or ""))
        if e["lot_number"] not in row.lots:
            row.lots.append(e["lot_number"])
        label = clauses.MODALITIES.get(e["modality"], e["modality"])
        if label not in row.modalities:
            row.modalities.append(label)
        row.declared += ev.declared
        row.counted += ev.counted
    return sorted(rows.values(), key=lambda r: r.reference)


def build(status: ContractStatus, buyer_name: str, *, lot_id: int | None = None,
          today: date | None = None) -> Report:
    """The report of a contract (a section for the whole and one per lot), or of one lot."""
    today = today or date.today()
    contract = status.contract
    sections = []
    if lot_id is None:
        sections.append(Section("Ensemble du marché", None, status.total,
                                _participants(status, status.evaluations),
                                clauses.cumulative_curve(status.total, contract, today=today)))
    for lot, f in status.lots:
        if lot_id is not None and lot["id"] != lot_id:
            continue
        evaluations = [ev for ev in status.evaluations if ev.entry["lot_id"] == lot["id"]]
        sections.append(Section(f"Lot {lot['number']} — {lot['title']}", lot, f, _participants(status, evaluations),
                                clauses.cumulative_curve(f, contract, today=today)))
    lots = [(lot, f) for lot, f in status.lots if lot_id is None or lot["id"] == lot_id]
    evaluations = [ev for ev in status.evaluations if lot_id is None or ev.entry["lot_id"] == lot_id]
    return Report(contract, buyer_name, today, sections, lots, evaluations)


PARTICIPANT_HEADERS = ("Lot(s)", "Référence du participant", "Catégorie d'éligibilité", "Modalité(s)",
                       "Heures déclarées", "Heures comptées", "Situation de sortie")


def _participant_cells(row: ParticipantRow) -> list[Any]:
    return [", ".join(map(str, row.lots)), row.reference, row.category, ", ".join(row.modalities),
            float(row.declared), float(row.counted), row.exit_situation]


def participants_csv(report: Report) -> str:
    """The per-participant table of the report (the whole contract, or the lot), French headers."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(PARTICIPANT_HEADERS)
    for row in report.sections[0].participants:
        cells = _participant_cells(row)
        cells[4:6] = [_fr_hours(row.declared), _fr_hours(row.counted)]
        writer.writerow(cells)
    return out.getvalue()


def xlsx(report: Report) -> bytes:
    """The report as a workbook: Synthèse, Participants, Courbe (with its chart), Non comptées, Registre."""
    from openpyxl import Workbook
    from openpyxl.chart import LineChart, Reference
    from openpyxl.styles import Font

    bold = Font(bold=True)
    book = Workbook()
    c = report.contract
    sheet = book.active
    sheet.title = "Synthèse"
    sheet.append([f"Rapport de réalisation de la clause sociale d'insertion — {c['title']}"])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(["Marché", c["reference"]])
    sheet.append(["Acheteur", report.buyer_name])
    sheet.append(["Période d'exécution", f"du {_fr_date(c['start_date'])} au {_fr_date(c['end_date'])}"])
    sheet.append(["Établi le", _fr_date(report.made_on.isoformat())])
    sheet.append([])
    headers = ["Lot", "Titulaire", "Heures requises", "Heures comptées", "Avancement (%)", "Prévision en fin de marché",
               "Mois déclarés", "Mois à déclarer"]
    sheet.append(headers)
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    rows = [(f"{lot['number']}. {lot['title']}", lot.get("titulaire") or "", f) for lot, f in report.lots]
    if len(report.sections) > 1 or report.sections[0].lot is None:
        rows.append(("Ensemble du marché", "", report.sections[0].fulfilment))
    for name, titulaire, f in rows:
        sheet.append([name, titulaire, f.required, float(f.counted), round(f.percent, 1),
                      float(f.forecast) if f.forecast_known else "inconnue (aucun mois déclaré)",
                      len(f.months_declared), ", ".join(f.to_declare)])
    sheet.append([])
    contact = report.facilitator
    sheet.append(["Contact du facilitateur", contact["name"], contact["email"], contact["phone"]])
    _widths(sheet, [44, 28, 16, 16, 16, 26, 14, 40])

    people = book.create_sheet("Participants")
    people.append(["Section", *PARTICIPANT_HEADERS])
    for cell in people[1]:
        cell.font = bold
    for section in report.sections:
        for row in section.participants:
            people.append([section.title, *_participant_cells(row)])
    _widths(people, [36, 10, 24, 40, 40, 16, 16, 40])

    curve = book.create_sheet("Courbe")
    curve.append(["Mois", "Statut", "Heures comptées cumulées", "Trajectoire linéaire", "Objectif", "Prévision"])
    for cell in curve[1]:
        cell.font = bold
    main = report.sections[0]
    for point in main.curve:
        curve.append([point.month, point.status, None if point.cumulative is None else float(point.cumulative),
                      float(point.path), main.fulfilment.required,
                      None if point.forecast is None else float(point.forecast)])
    chart = LineChart()
    chart.title = "Heures cumulées, objectif et trajectoire"
    chart.y_axis.title = "heures"
    chart.x_axis.title = "mois"
    data = Reference(curve, min_col=3, max_col=6, min_row=1, max_row=curve.max_row)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(curve, min_col=1, min_row=2, max_row=curve.max_row))
    chart.width, chart.height = 24, 12
    curve.add_chart(chart, "H2")
    _widths(curve, [10, 12, 24, 20, 10, 12])

    lost = book.create_sheet("Non comptées")
    lost.append(["Section", "Motif", "Heures non comptées"])
    for cell in lost[1]:
        cell.font = bold
    for section in report.sections:
        for reason, hours in section.fulfilment.not_counted.items():
            lost.append([section.title, reason, float(hours)])
    _widths(lost, [36, 50, 20])

    ledger = book.create_sheet("Registre")
    ledger.append(["Lot", "Référence du participant", "Mois", "Modalité", "Heures déclarées", "Heures comptées",
                   "Motif si non comptées"])
    for cell in ledger[1]:
        cell.font = bold
    for ev in report.evaluations:
        e = ev.entry
        ledger.append([e["lot_number"], e["participant_reference"], e["month"],
                       clauses.MODALITIES.get(e["modality"], e["modality"]), float(ev.declared), float(ev.counted),
                       " ; ".join(ev.reasons)])
    _widths(ledger, [6, 24, 10, 40, 16, 16, 50])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _widths(sheet, widths: list[int]) -> None:
    from openpyxl.utils import get_column_letter

    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width


def _fr_hours(value: Decimal) -> str:
    """240 → "240", 37.5 → "37,5" (French spreadsheets read the comma as the decimal mark)."""
    text = f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:f}".rstrip("0")
    return text.replace(".", ",")


def _fr_date(value: str) -> str:
    return date.fromisoformat(value[:10]).strftime("%d/%m/%Y")

