"""The CRE's employer network ("aller-vers l'entreprise"): employers, contacts, the log of
visits and calls with next actions, besoins pressentis, spreadsheet import/export, the
employers to approach for a person, and "besoin pressenti → besoin".

An entry belongs to the structure that keeps it; shared, it is read (never its notes) by the
CRE of the structures of its territory. The rules: ``permissions.py``; the formats:
``network.py``.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Mapping

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

import network
import permissions
import storage
import workflow
from matching import FRENCH_LEVELS

from . import careers, conflicts, csvio, geo, hidden_market, skillmap, spreadsheet, validation
from .auth import audit
from .db import get_db
from .engine import GOOD_MATCH_SCORE, engine
from .spaces import current_org, current_user, space_required

bp = Blueprint("outreach", __name__, url_prefix="/cre/reseau")
IMPORT_PREVIEW = (("reference", "Référence"), ("name", "Entreprise"), ("naf_code", "Code NAF"),
                  ("postcode", "Code postal"), ("city", "Commune"), ("shared", "Partagée"))


@bp.before_request
@space_required("cre")
def _require_cre():
    return None


def _org_id() -> str:
    return current_org()["id"]


def _viewer_territory(org: Mapping[str, Any] | None = None) -> str | None:
    return geo.departement((org or current_org()).get("postcode"))


def territories(entry: Mapping[str, Any]) -> set[str]:
    """The départements an entry belongs to: its structure's and the employer's."""
    return {d for d in (geo.departement(entry.get("owner_postcode")), geo.departement(entry.get("postcode"))) if d}


def _annotated(entry: dict[str, Any]) -> dict[str, Any]:
    entry["territories"] = territories(entry)
    return entry


def visible_entries(db, user: Mapping[str, Any], org: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The user's structure's own entries, then the entries other structures share in its territory."""
    territory = _viewer_territory(org)
    own = [_annotated(e) for e in storage.list_network_employers(db, siae_id=org["id"])]
    shared = [e for e in (_annotated(e) for e in storage.list_network_employers(db, shared_only=True))
              if e["siae_id"] != org["id"]
              and permissions.can_view_network_employer(user, e, viewer_territory=territory)]
    return own + shared


def _entry(entry_id: int, *, edit: bool = False) -> dict[str, Any]:
    try:
        entry = _annotated(storage.get_network_employer(get_db(), entry_id))
    except storage.NotFound:
        abort(404)
    user = current_user()
    allowed = (permissions.can_edit_network_employer(user, entry) if edit else
               permissions.can_view_network_employer(user, entry, viewer_territory=_viewer_territory()))
    if not allowed:
        abort(404)
    return entry


def _activity(entry: Mapping[str, Any]) -> str | None:
    """What the NAF code says: the imported ROME's sector label, else the bundled one."""
    code = entry.get("naf_code")
    if not code:
        return None
    suggest = careers.suggester(get_db())
    if suggest is not None and network.naf_division(code) in suggest.referential.naf_sectors:
        return suggest.referential.naf_sectors[network.naf_division(code)]
    found = network.naf_activity(code)
    return found[0] if found else None


# -- list, create, edit -----------------------------------------------------------------------
@bp.get("/")
def index():
    db = get_db()
    q = (request.args.get("q") or "").strip()
    entries = visible_entries(db, current_user(), current_org())
    if q:
        folded = q.casefold()
        entries = [e for e in entries if folded in " ".join(
            str(e.get(k) or "") for k in ("name", "city", "naf_code", "reference")).casefold()]
    own = [e for e in entries if e["siae_id"] == _org_id()]
    shared = [e for e in entries if e["siae_id"] != _org_id()]
    potentials = storage.list_potentials(db, (e["id"] for e in entries))
    events = storage.list_events(db, (e["id"] for e in entries))
    return render_template("outreach/index.html", own=own, shared=shared, potentials=potentials, events=events,
                           actions=storage.next_actions(db, _org_id()), q=q, today=date.today().isoformat(),
                           activity=_activity, kinds=network.EVENT_KINDS)


def _render_form(values, errors, entry=None, status=200):
    return render_template("outreach/form.html", values=values, errors=errors, entry=entry, sizes=network.SIZES,
                           employers=storage.list_organisations(get_db(), kind="employer")), status


def _clean_form(form) -> tuple[dict[str, Any], dict[str, str]]:
    data, errors = validation.clean_network_employer(form.to_dict())
    organisation_id = (form.get("organisation_id") or "").strip() or None
    if organisation_id and organisation_id not in {o["id"] for o in storage.list_organisations(get_db(), kind="employer")}:
        errors["organisation_id"] = "Employeur inscrit : choisissez dans la liste."
    data["organisation_id"] = organisation_id
    return data, errors


@bp.route("/nouveau", methods=["GET", "POST"])
def new():
    if request.method == "GET":
        return _render_form({}, {})
    data, errors = _clean_form(request.form)
    if errors:
        return _render_form(request.form.to_dict(), errors, status=400)
    try:
        entry_id = storage.create_network_employer(get_db(), _org_id(), data)
    except storage.Conflict as exc:
        return _render_form(request.form.to_dict(), {"reference": str(exc)}, status=400)
    audit("création", "network_employer", entry_id)
    flash("Entreprise ajoutée à votre réseau.", "success")
    return redirect(url_for("outreach.entry", entry_id=entry_id))


@bp.route("/<int:entry_id>/modifier", methods=["GET", "POST"])
def edit(entry_id: int):
    entry = _entry(entry_id, edit=True)
    if request.method == "GET":
        return _render_form(entry, {}, entry)
    data, errors = _clean_form(request.form)
    if errors:
        return _render_form(request.form.to_dict(), errors, entry, 400)
    data["reference"] = data.get("reference") or entry["reference"]
    try:
        storage.update_network_employer(get_db(), entry_id, data)
    except storage.Conflict as exc:
        return _render_form(request.form.to_dict(), {"reference": str(exc)}, entry, 400)
    audit("modification", "network_employer", entry_id)
    flash("Entreprise mise à jour.", "success")
    return redirect(url_for("outreach.entry", entry_id=entry_id))


@bp.get("/<int:entry_id>")
def entry(entry_id: int):
    row = _entry(entry_id)
    db = get_db()
    own = permissions.can_edit_network_employer(current_user(), row)
    needs = storage.list_needs(db, employer_id=row["organisation_id"]) if row.get("organisation_id") else []
    return render_template(
        "outreach/entry.html", entry=row, own=own, activity=_activity(row),
        contacts=storage.list_contacts(db, [entry_id])[entry_id],
        events=storage.list_events(db, [entry_id])[entry_id],
        potentials=storage.list_potentials(db, [entry_id])[entry_id],
        needs=needs, kinds=network.EVENT_KINDS, today=date.today().isoformat(),
        metier_labels=sorted(m.label for m in engine().taxonomy.metiers.values()), errors={},
    )


# -- contacts, log, besoins pressentis ------------------------------------------------------------
def _back(entry_id: int):
    return redirect(url_for("outreach.entry", entry_id=entry_id))


@bp.post("/<int:entry_id>/contacts")
def add_contact(entry_id: int):
    _entry(entry_id, edit=True)
    data, errors = validation.clean_network_contact(request.form)
    if errors:
        flash(" ".join(errors.values()), "error")
    else:
        storage.add_contact(get_db(), entry_id, data)
        flash("Contact ajouté.", "success")
    return _back(entry_id)


@bp.post("/<int:entry_id>/contacts/<int:contact_id>/supprimer")
def delete_contact(entry_id: int, contact_id: int):
    _entry(entry_id, edit=True)
    try:
        storage.delete_contact(get_db(), entry_id, contact_id)
    except storage.NotFound:
        abort(404)
    flash("Contact retiré.", "success")
    return _back(entry_id)


@bp.post("/<int:entry_id>/journal")
def add_event(entry_id: int):
    _entry(entry_id, edit=True)
    data, errors = validation.clean_network_event(request.form)
    if errors:
        flash(" ".join(errors.values()), "error")
    else:
        storage.add_event(get_db(), entry_id, data, author=current_user()["name"])
        flash("Échange noté au journal.", "success")
    return _back(entry_id)


@bp.post("/<int:entry_id>/journal/<int:event_id>/fait")
def complete_action(entry_id: int, event_id: int):
    _entry(entry_id, edit=True)
    try:
        storage.complete_next_action(get_db(), entry_id, event_id)
    except storage.NotFound:
        abort(404)
    flash("Action faite.", "success")
    return redirect(request.form.get("next") if request.form.get("next") == url_for("outreach.index")
                    else url_for("outreach.entry", entry_id=entry_id))


@bp.post("/<int:entry_id>/pressentis")
def add_potential(entry_id: int):
    _entry(entry_id, edit=True)
    data, errors = validation.clean_network_potential(request.form)
    if errors:
        flash(" ".join(errors.values()), "error")
        return _back(entry_id)
    db = get_db()
    data["metier_id"], data["rome_code"] = hidden_market.resolve_metier(db, data["metier"])
    storage.add_potential(db, entry_id, data)
    flash("Besoin pressenti noté.", "success")
    return _back(entry_id)


@bp.post("/<int:entry_id>/pressentis/<int:potential_id>/supprimer")
def delete_potential(entry_id: int, potential_id: int):
    _entry(entry_id, edit=True)
    try:
        storage.delete_potential(get_db(), entry_id, potential_id)
    except storage.NotFound:
        abort(404)
    except storage.Conflict as exc:
        flash(str(exc), "error")
        return _back(entry_id)
    flash("Besoin pressenti retiré.", "success")
    return _back(entry_id)


# -- besoin pressenti → besoin -----------------------------------------------------------------------
def _employer_of(db, entry: Mapping[str, Any]) -> str:
    """The Passerelle organisation of a network employer: the linked one, else one created for it."""
    if entry.get("organisation_id"):
        return entry["organisation_id"]
    org_id = f"RES{entry['id']}"
    activity = network.naf_activity(entry.get("naf_code"))
    storage.upsert_organisation(db, {"id": org_id, "kind": "employer", "name": entry["name"],
                                     "sector": activity[0] if activity else None, "city": entry.get("city"),
                                     "postcode": entry.get("postcode"), "lat": entry.get("lat"),
                                     "lon": entry.get("lon"), "size": entry.get("size")})
    storage.update_network_employer(db, entry["id"], {"organisation_id": org_id})
    return org_id


def _draft_values(entry: Mapping[str, Any], potential: Mapping[str, Any]) -> dict[str, Any]:
    """The need as the besoin pressenti suggests it: the métier's core skills, the count, the month."""
    taxonomy = engine().taxonomy
    metier = taxonomy.metiers.get(potential.get("metier_id") or "")
    skills = [taxonomy.label(s) for s in metier.skills] if metier else []
    return {"title": potential["metier"], "description": potential.get("notes") or "",
            "skills_required": "\n".join(skills[:4]), "skills_wanted": "\n".join(skills[4:]),
            "positions": potential.get("count") or 1, "hours_per_week": 35, "contract": "CDI",
            "start_date": f"{potential['expected']}-01" if potential.get("expected") else "",
            "postcode": entry.get("postcode"), "city": entry.get("city"),
            "lat": entry.get("lat") if not entry.get("postcode") else None,
            "lon": entry.get("lon") if not entry.get("postcode") else None}


def _render_need_form(values, errors, *, entry=None, potential=None, need=None, status=200, conflict=None):
    return render_template("outreach/need_form.html", values=values, errors=errors, entry=entry,
                           potential=potential, need=need, contracts=workflow.CONTRACTS, levels=FRENCH_LEVELS,
                           statuses=storage.NEED_STATUSES, conflict=conflict), status


def _drafted_values(need: Mapping[str, Any]) -> dict[str, Any]:
    skills = need.get("skills") or []
    return {**need, "skills_required": "\n".join(s["text"] for s in skills if s.get("required", True)),
            "skills_wanted": "\n".join(s["text"] for s in skills if not s.get("required", True))}


def _need_row(db, data: dict[str, Any], previous: list | None) -> dict[str, Any]:
    entries = skillmap.suggest(engine().mapper, [(s["text"], s["required"]) for s in data.get("skills", [])])
    return {**data, "skill_map": skillmap.merge(entries, previous or []),
            "rome_code": careers.rome_code(db, data.get("title", ""))}


@bp.route("/<int:entry_id>/pressentis/<int:potential_id>/besoin", methods=["GET", "POST"])
def draft_need(entry_id: int, potential_id: int):
    """One click from a besoin pressenti to a need drafted with the employer (a form filled in advance)."""
    entry = _entry(entry_id, edit=True)
    db = get_db()
    try:
        potential = storage.get_potential(db, entry_id, potential_id)
    except storage.NotFound:
        abort(404)
    if potential["need_id"]:
        flash("Ce besoin pressenti est déjà devenu un besoin.", "error")
        return redirect(url_for("cre.need", need_id=potential["need_id"]))
    if request.method == "GET":
        return _render_need_form(_draft_values(entry, potential), {}, entry=entry, potential=potential)
    data, errors = validation.clean_need(request.form.to_dict())
    if errors:
        return _render_need_form(request.form.to_dict(), errors, entry=entry, potential=potential, status=400)
    with storage.transaction(db):
        employer_id = _employer_of(db, entry)
        need_id = storage.create_need(db, {**_need_row(db, data, None), "employer_id": employer_id,
                                           "drafted_by": _org_id()})
        storage.link_potential_to_need(db, potential_id, need_id)
        storage.add_event(db, entry_id, {"kind": "recrutement", "date": date.today().isoformat(),
                                         "summary": f"Besoin rédigé avec l'employeur : {data['title']}"},
                          author=current_user()["name"])
        audit("besoin rédigé avec l'employeur", "need", need_id, entry["name"])
    flash(f"Besoin rédigé avec {entry['name']} : il est ouvert aux propositions des structures.", "success")
    return redirect(url_for("cre.need", need_id=need_id))


# The fields of a drafted need a stale form compares with what was saved meanwhile (by the employer too).
NEED_FIELDS = {"title": "Intitulé du poste", "description": "Description", "contract": "Type de contrat",
               "hours_per_week": "Heures par semaine", "positions": "Nombre de postes", "start_date": "Date de début",
               "skills_required": "Compétences indispensables", "skills_wanted": "Compétences souhaitées",
               "postcode": "Code postal", "status": "Statut"}


@bp.route("/besoins/<int:drafted_need_id>/modifier", methods=["GET", "POST"])
def edit_drafted_need(drafted_need_id: int):
    db = get_db()
    try:
        need = storage.get_need(db, drafted_need_id)
    except storage.NotFound:
        abort(404)
    if not permissions.can_edit_drafted_need(current_user(), need):
        abort(404)
    if request.method == "GET":
        return _render_need_form(_drafted_values(need), {}, need=need)
    data, errors = validation.clean_need(request.form.to_dict())
    status = request.form.get("status")
    if status not in storage.NEED_STATUSES:
        errors["status"] = "Statut : ouvert, pourvu ou fermé."
    if errors:
        return _render_need_form(request.form.to_dict(), errors, need=need, status=400)
    try:
        with storage.transaction(db):
            storage.update_need(db, drafted_need_id, {**_need_row(db, data, need["skill_map"]), "status": status},
                                expected_version=conflicts.submitted_version(request.form))
            audit("modification d'un besoin rédigé", "need", drafted_need_id)
    except storage.StaleVersion as exc:
        conflict = conflicts.stale_form(exc, _drafted_values(exc.current), request.form.to_dict(), NEED_FIELDS,
                                        flags=("driving_licence",))
        return _render_need_form({**request.form.to_dict(), "version": exc.current["version"]}, {}, need=exc.current,
                                 status=409, conflict=conflict)
    flash("Besoin mis à jour.", "success")
    return redirect(url_for("cre.need", need_id=drafted_need_id))


# -- the employers to approach for a person ------------------------------------------------------------
@bp.get("/pour/<int:profile_id>")
def for_person(profile_id: int):
    db = get_db()
    try:
        profile = storage.get_profile(db, profile_id)
    except storage.NotFound:
        abort(404)
    if not permissions.can_view_profile(current_user(), profile) or profile["archived"]:
        abort(404)
    offers = engine().needs_for_profile(db, profile_id, storage.list_needs(db))
    good = [(n, m) for n, m in offers if not m.blocking and m.score >= GOOD_MATCH_SCORE]
    entries = visible_entries(db, current_user(), current_org())
    targets = hidden_market.targets_for(db, profile)
    suggestions = hidden_market.employers_to_approach(
        db, profile, entries, storage.list_potentials(db, (e["id"] for e in entries)), own_siae=_org_id(),
        targets=targets)
    return render_template("outreach/for_person.html", profile=profile, suggestions=suggestions, targets=targets,
                           good=good, best=max((m.score for _, m in offers if not m.blocking), default=0.0),
                           threshold=GOOD_MATCH_SCORE, activity=_activity)


# -- spreadsheet import / export -------------------------------------------------------------------
_RENAME = {h: k for k, h in network.COLUMNS}


def _read_upload() -> tuple[list[str], list[dict[str, Any]]] | csvio.Decoded:
    """Headers and rows of the uploaded file (XLSX), or the CSV text (uploaded, or carried by the preview)."""
    upload = request.files.get("file")
    if upload and upload.filename:
        raw = upload.read()
        if upload.filename.lower().endswith(".xlsx") or raw[:2] == b"PK":
            return spreadsheet.read_first_sheet(raw)
        return csvio.decode(raw)
    return csvio.Decoded(request.form.get("text", ""))


def _as_csv(headers: list[str], rows: list[dict[str, Any]]) -> str:
    """A spreadsheet's rows as the CSV text the preview carries to the import step (no BOM: it is text)."""
    return csvio.export(rows, tuple(headers)).lstrip("\ufeff")


def _clean_import_row(raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    # Missing list columns mean empty lists: an import replaces an employer's contacts and potential.
    return validation.clean_network_employer({"contacts": "", "potentials": "", **raw})


# Cells that hold one item per line (the others are one line each).
MULTILINE = ("Contacts", "Besoins pressentis", "Notes")


def parse_network(source: tuple[list[str], list[dict[str, Any]]] | csvio.Decoded) -> tuple[csvio.ImportReport, str]:
    """Check a network spreadsheet (XLSX rows or CSV text); nothing is stored here.

    Returns the report and the CSV text the preview carries to the import step.
    """
    options = {"columns": network.HEADERS, "required": ("Entreprise",), "clean": _clean_import_row,
               "rename": _RENAME, "multiline": MULTILINE, "key": "Référence"}
    if isinstance(source, csvio.Decoded):
        return csvio.parse(source.text, **options).add_decoding(source), source.text
    headers, rows = source
    report = csvio.parse_rows(headers, ((n, n, row) for n, row in enumerate(rows, start=2)), **options)
    return report, _as_csv(headers, rows) if report.ok else ""


@bp.route("/import", methods=["GET", "POST"])
def import_network():
    page = {"headers": network.HEADERS, "preview_columns": IMPORT_PREVIEW}
    if request.method == "GET":
        return render_template("outreach/import.html", report=None, text="", **page)
    try:
        source = _read_upload()
    except spreadsheet.SpreadsheetError as exc:
        report = csvio.ImportReport(errors=[(0, str(exc))])
        return render_template("outreach/import.html", report=report, text="", **page), 400
    report, text = parse_network(source)
    if request.form.get("action") != "importer" or not report.ok:
        return render_template("outreach/import.html", report=report, text=text, **page), (200 if report.ok else 400)
    db = get_db()
    rows = []
    for _, data in report.rows:
        for p in data.get("potentials", []):
            p["metier_id"], p["rome_code"] = hidden_market.resolve_metier(db, p["metier"])
        rows.append(data)
    try:
        counts = storage.upsert_network(db, _org_id(), rows)
    except storage.Conflict as exc:
        report.errors.append((0, str(exc)))
        return render_template("outreach/import.html", report=report, text=text, **page), 400
    audit("import du réseau", "network_employer", _org_id(), f"{counts}")
    flash(f"Import terminé : {counts['created']} créée(s), {counts['updated']} mise(s) à jour, "
          f"{counts['unchanged']} inchangée(s).", "success")
    return redirect(url_for("outreach.index"))


def export_rows(db) -> tuple[list[list[Any]], list[list[Any]]]:
    """The structure's own network as spreadsheet rows (the importer reads them back unchanged), and its log."""
    entries = storage.list_network_employers(db, siae_id=_org_id())
    ids = [e["id"] for e in entries]
    contacts, potentials, events = (storage.list_contacts(db, ids), storage.list_potentials(db, ids),
                                    storage.list_events(db, ids))
    rows, journal = [], []
    for e in entries:
        values = {**e, "contacts": network.format_contacts(contacts[e["id"]]),
                  # A besoin pressenti drafted as a need lives on as that need: it is not exported again.
                  "potentials": network.format_potentials(p for p in potentials[e["id"]] if not p["need_id"]),
                  "shared": "oui" if e["shared"] else "non"}
        rows.append(["" if values.get(k) is None else values[k] for k, _ in network.COLUMNS])
        for ev in events[e["id"]]:
            journal.append([e["reference"], e["name"], ev["date"], network.EVENT_KINDS.get(ev["kind"], ev["kind"]),
                            ev.get("summary") or "", ev.get("next_action") or "", ev.get("next_action_date") or "",
                            "oui" if ev["next_action_done"] else ("non" if ev.get("next_action") else "")])
    return rows, journal


@bp.get("/export.xlsx")
def export_xlsx():
    rows, journal = export_rows(get_db())
    audit("export du réseau (XLSX)", "network_employer", _org_id())
    return spreadsheet.response([("Réseau", network.HEADERS, rows), ("Journal", network.JOURNAL_HEADERS, journal)],
                                "reseau-employeurs.xlsx")


@bp.get("/export.csv")
def export_csv():
    rows, _ = export_rows(get_db())
    audit("export du réseau (CSV)", "network_employer", _org_id())
    keyed = [dict(zip(network.HEADERS, r)) for r in rows]
    return csvio.response(csvio.export(keyed, network.HEADERS), "reseau-employeurs.csv")
