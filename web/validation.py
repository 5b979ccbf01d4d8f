"""Validation of profiles and needs, shared by the forms, the CSV imports and the API.

Input values may be strings (forms, CSV) or JSON types (API). Each ``clean_*``
function returns the row to store and a dict of French error messages by
field; nothing is stored while that dict is not empty.
"""
from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timedelta
from typing import Any, Mapping

import eligibility
import outcomes
import storage
import workflow
from matching import FRENCH_LEVELS
from matching.text import split_list

from . import geo

Errors = dict[str, str]

REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,39}$")
POSTCODE = re.compile(r"^\d{5}$")
TRUE_WORDS = {"1", "true", "vrai", "oui", "on", "yes", "o", "x"}
FALSE_WORDS = {"0", "false", "faux", "non", "off", "no", "n", ""}

MAX_SHORT_TEXT = 120
MAX_LONG_TEXT = 4000
MAX_MOBILITY_KM = 300
MAX_HOURS_PER_WEEK = 48
MAX_POSITIONS = 100
# A need names at most this many skills (forms, CSV and API alike), each a short text.
MAX_NEED_SKILLS = 30
# Past jobs of a profile: at most this many lines, each at most this long.
MAX_EXPERIENCES = 30
MAX_EXPERIENCE_LENGTH = 200
# Plausible dates: nothing in Passerelle happens before 2000 (insertion paths, contracts, proofs)
# nor more than this many years ahead; "0202-03-01" or "9999-12-31" are typing slips, not dates.
EARLIEST_YEAR = 2000
YEARS_AHEAD = 10


def latest_year() -> int:
    return date.today().year + YEARS_AHEAD


class _Cleaner:
    """Collects clean values and French messages field by field."""

    def __init__(self, raw: Mapping[str, Any], partial: bool) -> None:
        self.raw = raw
        self.partial = partial
        self.data: dict[str, Any] = {}
        self.errors: Errors = {}

    def present(self, name: str) -> bool:
        return not self.partial or name in self.raw

    def value(self, name: str) -> Any:
        value = self.raw.get(name)
        return value.strip() if isinstance(value, str) else value

    def text(self, name: str, label: str, *, required: bool = False, max_length: int = MAX_SHORT_TEXT) -> None:
        if not self.present(name):
            return
        value = self.value(name)
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.errors[name] = f"{label} : un texte est attendu."
            return
        if required and not value:
            self.errors[name] = f"{label} : ce champ est obligatoire."
        elif len(value) > max_length:
            self.errors[name] = f"{label} : {max_length} caractères au plus."
        else:
            self.data[name] = value

    def lines(self, name: str, label: str, *, max_items: int = MAX_EXPERIENCES,
              max_length: int = MAX_EXPERIENCE_LENGTH) -> None:
        if not self.present(name):
            return
        value = self.raw.get(name)
        if value is None or value == "":
            items: list[str] = []
        elif isinstance(value, str):
            items = [line.strip() for line in re.split(r"[\r\n;|]", value) if line.strip()]
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            items = [v.strip() for v in value if v.strip()]
        else:
            self.errors[name] = f"{label} : une liste de textes est attendue."
            return
        if len(items) > max_items:
            self.errors[name] = f"{label} : {max_items} lignes au plus ({len(items)} reçues)."
        elif any(len(item) > max_length for item in items):
            self.errors[name] = f"{label} : {max_length} caractères au plus par ligne."
        else:
            self.data[name] = items

    def reference(self, name: str, label: str, hint: str = "") -> None:
        """A pseudonymous reference such as ACI-MTR-0042; ``hint`` ends the error message."""
        ref = str(self.value(name) or "")
        if REFERENCE.match(ref):
            self.data[name] = ref
        else:
            self.errors[name] = f"{label} : 2 à 40 lettres, chiffres, tirets ou points{hint}."

    def boolean(self, name: str, label: str) -> None:
        if not self.present(name):
            return
        value = self.raw.get(name)
        flag = False if value is None else _flag(value)
        if flag is None:
            self.errors[name] = f"{label} : oui ou non attendu."
        else:
            self.data[name] = flag

    def number(self, name: str, label: str, *, minimum: float, maximum: float, integer: bool = False,
               required: bool = False) -> None:
        if not self.present(name):
            return
        value = self.value(name)
        if value is None or value == "":
            if required:
                self.errors[name] = f"{label} : ce champ est obligatoire."
            else:
                self.data[name] = None
            return
        try:
            if isinstance(value, bool):
                raise ValueError
            # French input: "1 000 000,50" (spaces, non-breaking spaces, decimal comma).
            number = (float(re.sub(r"[\s\u00a0\u202f]", "", value).replace(",", "."))
                      if isinstance(value, str) else float(value))
        except (TypeError, ValueError):
            self.errors[name] = f"{label} : un nombre est attendu."
            return
        if not math.isfinite(number):  # "nan", "inf", or 1e400 in JSON: int() would crash on them
            self.errors[name] = f"{label} : un nombre est attendu."
            return
        if integer and number != int(number):
            self.errors[name] = f"{label} : un nombre entier est attendu."
        elif not minimum <= number <= maximum:
            self.errors[name] = f"{label} : entre {minimum:g} et {maximum:g}."
        else:
            self.data[name] = int(number) if integer else number

    def choice(self, name: str, label: str, choices: Mapping[str, str] | tuple[str, ...], *,
               required: bool = False) -> None:
        if not self.present(name):
            return
        value = self.value(name) or None
        if value is None:
            if required:
                self.errors[name] = f"{label} : ce champ est obligatoire."
            else:
                self.data[name] = None
        elif value not in choices:
            allowed = ", ".join(choices)
            self.errors[name] = f"{label} : valeur inconnue « {value} » (attendu : {allowed})."
        else:
            self.data[name] = value

    def date(self, name: str, label: str, *, required: bool = False) -> None:
        if not self.present(name):
            return
        value = self.value(name)
        if not value:
            if required:
                self.errors[name] = f"{label} : ce champ est obligatoire."
            else:
                self.data[name] = None
            return
        try:
            day = date.fromisoformat(str(value))
        except ValueError:
            self.errors[name] = f"{label} : date attendue au format AAAA-MM-JJ."
            return
        if not EARLIEST_YEAR <= day.year <= latest_year():
            self.errors[name] = (f"{label} : date peu plausible ({day.strftime('%d/%m/%Y')}) ; "
                                 f"entre {EARLIEST_YEAR} et {latest_year()} attendue.")
        else:
            self.data[name] = day.isoformat()

    def multi_choice(self, name: str, label: str, choices: Mapping[str, str]) -> None:
        if not self.present(name):
            return
        value = self.raw.get(name)
        if value is None or value == "":
            items: list[str] = []
        elif isinstance(value, str):
            items = [v.strip() for v in re.split(r"[;,|]", value) if v.strip()]
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            items = value
        else:
            self.errors[name] = f"{label} : une liste est attendue."
            return
        unknown = [v for v in items if v not in choices]
        if unknown:
            self.errors[name] = f"{label} : valeur inconnue « {unknown[0]} » (attendu : {', '.join(choices)})."
        else:
            self.data[name] = list(dict.fromkeys(items))

    def location(self) -> None:
        """Postcode (and city) → coordinates; explicit lat/lon win."""
        if not (self.present("postcode") or self.present("lat")):
            return
        postcode = str(self.value("postcode") or "")
        city = str(self.value("city") or "")
        lat, lon = self.value("lat"), self.value("lon")
        if lat not in (None, "") or lon not in (None, ""):
            self.number("lat", "Latitude", minimum=41, maximum=51.5, required=True)
            self.number("lon", "Longitude", minimum=-5.5, maximum=10, required=True)
            self.data.update(postcode=postcode or None, city=city or None)
            return
        if not postcode:
            self.data.update(postcode=None, city=None, lat=None, lon=None)
            return
        if not POSTCODE.match(postcode):
            self.errors["postcode"] = "Code postal : 5 chiffres attendus."
            return
        commune = geo.locate(postcode, city)
        if commune is None:
            self.errors["postcode"] = (f"Code postal {postcode} inconnu de Passerelle : "
                                       "indiquez aussi la latitude et la longitude.")
            return
        self.data.update(postcode=postcode, city=commune.city, lat=commune.lat, lon=commune.lon)


def clean_profile(raw: Mapping[str, Any], *, partial: bool = False) -> tuple[dict[str, Any], Errors]:
    """A job-seeker's profile. ``partial``: only the fields present are checked (API PATCH)."""
    c = _Cleaner(raw, partial)
    if c.present("reference"):
        c.reference("reference", "Référence", ", sans nom de famille (ex. ACI-MTR-0042)")
    c.text("first_name", "Prénom", required=True, max_length=40)
    c.text("description", "Description", max_length=MAX_LONG_TEXT)
    c.text("skills_text", "Compétences", max_length=MAX_LONG_TEXT)
    c.lines("experiences", "Expériences")
    c.text("formation", "Formation", max_length=MAX_LONG_TEXT)
    c.text("informal_skills", "Compétences informelles", max_length=MAX_LONG_TEXT)
    c.boolean("driving_licence", "Permis B")
    c.boolean("vehicle", "Véhicule")
    c.number("mobility_km", "Mobilité (km)", minimum=0, maximum=MAX_MOBILITY_KM)
    c.choice("french_level", "Niveau de français", FRENCH_LEVELS)
    c.text("availability", "Disponibilité")
    c.boolean("part_time", "Temps partiel")
    c.location()
    c.date("path_start", "Début de parcours")
    c.date("path_end", "Fin de parcours")
    c.multi_choice("eligibility", "Éligibilité", eligibility.CATEGORIES)
    c.text("notes", "Notes", max_length=MAX_LONG_TEXT)
    if "consent" in raw:
        c.boolean("consent", "Consentement")
    start, end = c.data.get("path_start"), c.data.get("path_end")
    if start and end and end < start:
        c.errors["path_end"] = "Fin de parcours : elle doit être postérieure au début."
    if c.data.get("vehicle") and c.data.get("driving_licence") is False:
        c.errors["vehicle"] = "Véhicule : impossible sans permis B."
    return c.data, c.errors


def clean_need(raw: Mapping[str, Any], *, partial: bool = False) -> tuple[dict[str, Any], Errors]:
    """An employer's need. Skills come as ``skills`` [{"text", "required"}] or as two texts."""
    c = _Cleaner(raw, partial)
    if c.present("reference"):
        if c.value("reference") in (None, ""):
            c.data["reference"] = None
        else:
            c.reference("reference", "Référence de l'offre")
    c.text("title", "Intitulé du poste", required=True)
    c.text("description", "Description", max_length=MAX_LONG_TEXT)
    if "skills" in raw:
        skills = raw.get("skills")
        if not isinstance(skills, list) or not all(
            isinstance(s, Mapping) and isinstance(s.get("text"), str) and s["text"].strip() for s in skills
        ):
            c.errors["skills"] = "Compétences : une liste de {\"text\", \"required\"} est attendue."
        else:
            flags = [_flag(s.get("required", True)) for s in skills]
            if None in flags:
                c.errors["skills"] = "Compétences : « required » doit valoir oui ou non (true ou false)."
            else:
                c.data["skills"] = [{"text": s["text"].strip(), "required": f} for s, f in zip(skills, flags)]
    elif c.present("skills_required") or c.present("skills_wanted"):
        c.data["skills"] = (
            [{"text": t, "required": True} for t in _split_lines(raw.get("skills_required"))]
            + [{"text": t, "required": False} for t in _split_lines(raw.get("skills_wanted"))]
        )
    skills = c.data.get("skills") or []
    if len(skills) > MAX_NEED_SKILLS:
        c.errors["skills"] = f"Compétences : {MAX_NEED_SKILLS} au plus ({len(skills)} reçues)."
        c.data.pop("skills")
    elif any(len(s["text"]) > MAX_SHORT_TEXT for s in skills):
        c.errors["skills"] = f"Compétences : {MAX_SHORT_TEXT} caractères au plus par compétence."
        c.data.pop("skills")
    c.choice("contract", "Type de contrat", workflow.CONTRACTS, required=not partial)
    c.number("hours_per_week", "Heures par semaine", minimum=1, maximum=MAX_HOURS_PER_WEEK)
    c.number("positions", "Nombre de postes", minimum=1, maximum=MAX_POSITIONS, integer=True)
    if c.present("positions") and c.data.get("positions") is None and "positions" not in c.errors:
        c.data["positions"] = 1
    c.date("start_date", "Date de début")
    c.boolean("driving_licence", "Permis B exigé")
    c.choice("french_level", "Niveau de français exigé", FRENCH_LEVELS)
    c.location()
    c.number("max_distance_km", "Distance maximale (km)", minimum=1, maximum=MAX_MOBILITY_KM)
    _lot_link(c)
    return c.data, c.errors


def _lot_link(c: "_Cleaner") -> None:
    """The lot a need serves, as asked: ``lot_id`` (forms, API) or a contract reference (CSV, API).

    Stored as ``c.data["link"]`` ({"lot_id": int | None} or {"reference": text}), resolved among the
    employer's own lots by ``clause_links.resolve``: a typed reference links nothing by itself.
    Absent from the input: the need's link is left alone.
    """
    if "lot_id" in c.raw:
        value = c.value("lot_id")
        if value in (None, ""):
            c.data["link"] = {"lot_id": None}
        elif isinstance(value, int) and not isinstance(value, bool) or (isinstance(value, str) and value.isdigit()
                                                                          and len(value) <= 9):
            c.data["link"] = {"lot_id": int(value)}
        else:
            c.errors["lot_id"] = "Lot du marché : choisissez un de vos lots."
    elif "public_contract" in c.raw:
        value = c.value("public_contract")
        if value is None or value == "":
            c.data["link"] = {"lot_id": None}
        elif not isinstance(value, str) or len(value) > MAX_SHORT_TEXT:
            c.errors["public_contract"] = f"Marché public lié : référence de {MAX_SHORT_TEXT} caractères au plus."
        else:
            c.data["link"] = {"reference": value}


def _flag(value: Any) -> bool | None:
    """A yes/no value as sent by a form or an API client; None when it is neither."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    return None


def _split_lines(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return split_list(str(value or ""))


# -- insertion clauses ----------------------------------------------------------
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
MAX_AMOUNT = 1_000_000_000
MAX_REQUIRED_HOURS = 1_000_000


def clean_contract(raw: Mapping[str, Any]) -> tuple[dict[str, Any], Errors]:
    """A public contract (marché) carrying a clause sociale d'insertion."""
    c = _Cleaner(raw, False)
    c.reference("reference", "Référence du marché", " (ex. 2026-MT-014)")
    c.text("title", "Objet du marché", required=True, max_length=200)
    c.date("start_date", "Début d'exécution", required=True)
    c.date("end_date", "Fin d'exécution", required=True)
    c.boolean("pooling_allowed", "Globalisation des heures")
    c.boolean("qpv_priority", "Priorité aux résidents QPV (NPNRU)")
    c.boolean("pmsmp_counted", "Les PMSMP comptent pour la clause")
    c.text("facilitator_name", "Facilitateur : nom", max_length=MAX_SHORT_TEXT)
    c.text("facilitator_email", "Facilitateur : adresse électronique", max_length=200)
    c.text("facilitator_phone", "Facilitateur : téléphone", max_length=40)
    if c.data.get("facilitator_email") and "@" not in c.data["facilitator_email"]:
        c.errors["facilitator_email"] = "Facilitateur : adresse électronique invalide."
    start, end = c.data.get("start_date"), c.data.get("end_date")
    if start and end and end <= start:
        c.errors["end_date"] = "Fin d'exécution : elle doit être postérieure au début."
    return c.data, c.errors


def clean_lot(raw: Mapping[str, Any]) -> tuple[dict[str, Any], Errors]:
    """A lot and its clause: fixed hours, or computed from amount × labour share × rate ÷ hourly cost."""
    import clauses

    c = _Cleaner(raw, False)
    c.number("number", "Numéro de lot", minimum=1, maximum=999, integer=True, required=True)
    c.text("title", "Intitulé du lot", required=True, max_length=200)
    c.text("titulaire", "Titulaire", max_length=200)
    c.text("trades", "Métiers du lot", max_length=MAX_LONG_TEXT)
    c.location()
    c.choice("clause_mode", "Mode de calcul", {"fixe": "Nombre d'heures fixé", "calcul": "Calcul"}, required=True)
    mode = c.data.get("clause_mode")
    if mode == "fixe":
        c.number("fixed_hours", "Heures d'insertion", minimum=1, maximum=MAX_REQUIRED_HOURS, integer=True,
                 required=True)
        c.data.update(amount=None, labour_share=None, insertion_rate=None, hourly_cost=None, preset=None)
        if "fixed_hours" in c.data:
            c.data["required_hours"] = c.data["fixed_hours"]
    elif mode == "calcul":
        c.number("amount", "Montant du lot (€ HT)", minimum=1, maximum=MAX_AMOUNT, required=True)
        c.number("labour_share", "Part de main-d'œuvre (%)", minimum=1, maximum=100, required=True)
        c.number("insertion_rate", "Taux d'insertion (%)", minimum=0.1, maximum=100, required=True)
        c.number("hourly_cost", "Coût horaire chargé (€/h)", minimum=1, maximum=500, required=True)
        c.text("preset", "Type de travaux")
        c.data["fixed_hours"] = None
        if all(k in c.data for k in ("amount", "labour_share", "insertion_rate", "hourly_cost")):
            try:
                c.data["required_hours"] = clauses.required_hours(
                    c.data["amount"], c.data["labour_share"] / 100, c.data["insertion_rate"] / 100, c.data["hourly_cost"])
            except clauses.ClauseError as exc:
                c.errors["amount"] = str(exc)
            if c.data.get("required_hours") == 0:
                c.errors["insertion_rate"] = "Ces chiffres donnent 0 heure d'insertion : vérifiez le taux."
    return c.data, c.errors


def clean_entry(raw: Mapping[str, Any]) -> tuple[dict[str, Any], Errors]:
    """A line of the hours ledger: one participant, one month, one modality."""
    import clauses
    import eligibility

    c = _Cleaner(raw, False)
    month = str(c.value("month") or "")
    if not MONTH.match(month):
        c.errors["month"] = "Mois : format AAAA-MM attendu (ex. 2026-03)."
    elif not EARLIEST_YEAR <= int(month[:4]) <= latest_year():
        c.errors["month"] = f"Mois : peu plausible ({month}) ; entre {EARLIEST_YEAR} et {latest_year()} attendu."
    else:
        c.data["month"] = month
    c.number("hours", "Heures", minimum=0.5, maximum=400, required=True)
    c.choice("modality", "Modalité", clauses.MODALITIES, required=True)
    c.text("employer_name", "Employeur ou SIAE", max_length=200)
    c.text("contract_type", "Type de contrat", max_length=80)
    c.date("contract_start", "Début du contrat de travail")
    c.date("contract_end", "Fin du contrat de travail")
    c.reference("participant_reference", "Référence du participant")
    c.text("profile_reference", "Référence Passerelle", max_length=40)
    c.choice("category", "Catégorie d'éligibilité", eligibility.CATEGORIES)
    c.text("proof_kind", "Justificatif", max_length=200)
    c.date("proof_date", "Date du justificatif")
    c.choice("exit_situation", "Situation de sortie", clauses.EXIT_SITUATIONS)
    start, end = c.data.get("contract_start"), c.data.get("contract_end")
    if start and end and end < start:
        c.errors["contract_end"] = "Fin du contrat de travail : elle doit suivre le début."
    return c.data, c.errors


# -- the employer network --------------------------------------------------------------------
def clean_network_employer(raw: Mapping[str, Any]) -> tuple[dict[str, Any], Errors]:
    """An employer of a structure's network (form or spreadsheet row); contacts and besoins
    pressentis come as spreadsheet cells (one per line) when ``contacts`` / ``potentials`` are given."""
    import network

    c = _Cleaner(raw, False)
    if c.value("reference") in (None, ""):
        c.data["reference"] = None
    else:
        c.reference("reference", "Référence")
    c.text("name", "Entreprise", required=True, max_length=200)
    siret = str(c.value("siret") or "")
    problem = network.siret_error(siret)
    if problem:
        c.errors["siret"] = problem
    else:
        c.data["siret"] = re.sub(r"[\s\u00a0]", "", siret) or None
    try:
        c.data["naf_code"] = network.normalise_naf(str(c.value("naf_code") or ""))
    except network.NafError as exc:
        c.errors["naf_code"] = str(exc)
    c.choice("size", "Taille", network.SIZES)
    c.text("address", "Adresse", max_length=200)
    c.location()
    c.text("notes", "Notes", max_length=MAX_LONG_TEXT)
    c.boolean("shared", "Partagée avec le territoire")
    for name, parse, label in (("contacts", network.parse_contacts, "Contacts"),
                               ("potentials", network.parse_potentials, "Besoins pressentis")):
        if name in raw:
            items, problems = parse(str(raw.get(name) or ""))
            if problems:
                c.errors[name] = f"{label} : " + " ".join(problems)
            else:
                c.data[name] = items
    for name in ("address", "notes"):
        if c.data.get(name) == "":
            c.data[name] = None
    return c.data, c.errors


def clean_network_event(raw: Mapping[str, Any]) -> tuple[dict[str, Any], Errors]:
    """A visit, call or event of the log, with its next action and due date (both or neither)."""
    import network

    c = _Cleaner(raw, False)
    c.choice("kind", "Type", network.EVENT_KINDS, required=True)
    c.date("date", "Date", required=True)
    c.text("summary", "Résumé", max_length=MAX_LONG_TEXT)
    c.text("next_action", "Prochaine action", max_length=200)
    c.date("next_action_date", "Échéance de la prochaine action")
    if c.data.get("next_action") and not c.data.get("next_action_date") and "next_action_date" not in c.errors:
        c.errors["next_action_date"] = "Échéance de la prochaine action : indiquez une date."
    if c.data.get("next_action_date") and not c.data.get("next_action"):
        c.errors["next_action"] = "Prochaine action : dites ce qui est à faire à cette date."
    return c.data, c.errors


def clean_network_contact(raw: Mapping[str, Any]) -> tuple[dict[str, Any], Errors]:
    c = _Cleaner(raw, False)
    c.text("name", "Nom du contact", required=True)
    c.text("role", "Fonction")
    c.text("phone", "Téléphone", max_length=40)
    c.text("email", "Courriel", max_length=200)
    if c.data.get("email") and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", c.data["email"]):
        c.errors["email"] = "Courriel : adresse invalide."
    return {k: (v or None) for k, v in c.data.items()}, c.errors


def clean_network_potential(raw: Mapping[str, Any]) -> tuple[dict[str, Any], Errors]:
    """A besoin pressenti: the métier, how many, when (AAAA-MM), a note."""
    import network

    metier = str(raw.get("metier") or "").strip()
    count = str(raw.get("count") or "").strip()
    expected = str(raw.get("expected") or "").strip()
    notes = str(raw.get("notes") or "").strip()
    problem = network.potential_error(metier, count, expected)
    if problem:
        return {}, {"metier": "Besoin pressenti : " + problem}
    if len(notes) > MAX_LONG_TEXT:
        return {}, {"notes": f"Note : {MAX_LONG_TEXT} caractères au plus."}
    return {"metier": metier, "count": int(count) if count else None, "expected": expected or None,
            "notes": notes or None}, {}
# -- calibrating a clause before the tender -------------------------------------
MAX_CALIBRATION_TRADES = 20
MAX_CALIBRATION_RADIUS_KM = 100


def _share(c: "_Cleaner", name: str, label: str, percent: bool) -> None:
    """A share or a rate: a percentage (``percent``, forms), else a fraction (0.05) or, above 1, a percentage."""
    c.number(name, label, minimum=0.0001, maximum=100, required=True)
    if name in c.data and c.data[name] is not None and (percent or c.data[name] > 1):
        c.data[name] = c.data[name] / 100


def clean_calibration(raw: Mapping[str, Any], *, from_form: bool = False) -> tuple[dict[str, Any], Errors]:
    """A planned contract to calibrate: trades, site (lat, lon), radius, the clause's figures, dates.

    Shares and rates may be fractions (0.5) or percentages (50); dates
    AAAA-MM-JJ or AAAA-MM (the first or last day of the month). ``from_form``:
    the page's fields, trades one per line and shares always in percent.
    """
    c = _Cleaner(raw, False)
    percent = from_form
    trades = raw.get("trades")
    if from_form and isinstance(trades, str):
        trades = [t.strip() for t in re.split(r"[\n;]", trades)]
    if not isinstance(trades, list) or not all(isinstance(t, str) for t in trades):
        c.errors["trades"] = "Métiers : une liste de textes (ou de codes ROME) est attendue."
    else:
        trades = list(dict.fromkeys(t.strip() for t in trades if t.strip()))
        if not trades:
            c.errors["trades"] = "Métiers : indiquez au moins un métier."
        elif len(trades) > MAX_CALIBRATION_TRADES:
            c.errors["trades"] = f"Métiers : {MAX_CALIBRATION_TRADES} au plus."
        elif any(len(t) > MAX_SHORT_TEXT for t in trades):
            c.errors["trades"] = f"Métiers : {MAX_SHORT_TEXT} caractères au plus par métier."
        else:
            c.data["trades"] = trades
    location = raw.get("location")
    if not isinstance(location, Mapping):
        c.errors["location"] = "Lieu du chantier : un objet {\"lat\", \"lon\"} est attendu."
    else:
        site = _Cleaner(location, False)
        site.number("lat", "Latitude du chantier", minimum=-90, maximum=90, required=True)
        site.number("lon", "Longitude du chantier", minimum=-180, maximum=180, required=True)
        c.errors.update(site.errors)
        if not site.errors:
            c.data["location"] = {"lat": site.data["lat"], "lon": site.data["lon"]}
    c.number("radius_km", "Rayon (km)", minimum=1, maximum=MAX_CALIBRATION_RADIUS_KM, required=True)
    c.number("amount", "Montant (€ HT)", minimum=1, maximum=MAX_AMOUNT, required=True)
    _share(c, "labour_share", "Part de main-d'œuvre", percent)
    _share(c, "insertion_rate", "Taux d'insertion", percent)
    c.number("hourly_cost", "Coût horaire chargé (€/h)", minimum=1, maximum=500, required=True)
    for name, label, last in (("start", "Début", False), ("end", "Fin", True)):
        value = c.value(name)
        if isinstance(value, str) and MONTH.match(value):
            c.data[name] = _month_day(value, last=last)
        else:
            c.date(name, label, required=True)
    if c.data.get("start") and c.data.get("end") and c.data["end"] <= c.data["start"]:
        c.errors["end"] = "Fin : elle doit être postérieure au début."
    return c.data, c.errors


def _month_day(month: str, *, last: bool) -> str:
    """"2027-02" → its first day, or its last day."""
    first = date(int(month[:4]), int(month[5:7]), 1)
    if not last:
        return first.isoformat()
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1).isoformat()


def clean_site(raw: Mapping[str, Any]) -> tuple[dict[str, float] | None, Errors]:
    """A site typed in a form: a postcode, or latitude and longitude; as {"lat", "lon"}."""
    c = _Cleaner(raw, False)
    c.location()
    if c.errors:
        return None, c.errors
    if c.data.get("lat") is None:
        return None, {"postcode": "Lieu du chantier : indiquez le code postal (ou la latitude et la longitude)."}
    return {"lat": c.data["lat"], "lon": c.data["lon"]}, {}


MAX_COMMITMENT = 10_000


def clean_commitment(raw: Mapping[str, Any]) -> tuple[dict[str, Any], Errors]:
    """A supplier's yearly commitments: so many PMSMP, internships and hires of people in insertion."""
    c = _Cleaner(raw, False)
    c.text("supplier_id", "Fournisseur", required=True, max_length=40)
    c.number("year", "Année", minimum=2000, maximum=2100, integer=True, required=True)
    for name, label in (("pmsmp", "PMSMP"), ("internships", "Stages"), ("hires", "Embauches"),
                        ("internships_done", "Stages réalisés (déclarés par le fournisseur)")):
        c.number(name, label, minimum=0, maximum=MAX_COMMITMENT, integer=True)
        if c.data.get(name) is None and name not in c.errors:
            c.data[name] = 0
    c.text("note", "Note", max_length=MAX_LONG_TEXT)
    if not c.errors and not (c.data["pmsmp"] or c.data["internships"] or c.data["hires"]):
        c.errors["pmsmp"] = "Engagements : au moins un nombre de PMSMP, de stages ou d'embauches."
    return c.data, c.errors
# -- interviews, follow-up plans, exit outcomes -------------------------------------------
# A French or international phone number, as people type it (spaces, dots, dashes, parentheses).
PHONE = re.compile(r"^\+?[0-9][0-9 .\-()]{5,23}$")
TIME = re.compile(r"^([01]?\d|2[0-3])[:hH]([0-5]\d)$")
INTERVIEW_DURATIONS = (15, 240)     # minutes
INTERVIEW_HORIZON_DAYS = 365        # an interview is not planned more than a year ahead
MAX_CONTRACT_MONTHS = 120


def date_field(value: Any, label: str, errors: Errors, name: str) -> date | None:
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        errors[name] = f"{label} : une date (AAAA-MM-JJ) est attendue."
        return None


def clean_interview(raw: Mapping[str, Any], *, today: date) -> tuple[dict[str, Any], Errors]:
    """An interview slot proposed by an employer: date and time (Paris), duration, where or how, contact."""
    errors: Errors = {}
    data: dict[str, Any] = {}
    day = date_field(raw.get("date"), "Date de l'entretien", errors, "date")
    match = TIME.match(str(raw.get("time") or "").strip())
    if not match:
        errors["time"] = "Heure : par exemple 14:30."
    if day and match:
        if not today <= day <= today + timedelta(days=INTERVIEW_HORIZON_DAYS):
            errors["date"] = "Date de l'entretien : à partir d'aujourd'hui, dans l'année."
        else:
            start = datetime.combine(day, time(int(match.group(1)), int(match.group(2))), storage.LOCAL_TIMEZONE)
            data["starts_at"] = start.isoformat()
    duration = str(raw.get("duration_minutes") or "45").strip()
    if not duration.isdigit() or not INTERVIEW_DURATIONS[0] <= int(duration) <= INTERVIEW_DURATIONS[1]:
        errors["duration_minutes"] = "Durée : entre 15 et 240 minutes."
    else:
        data["duration_minutes"] = int(duration)
    mode = raw.get("mode")
    if mode not in storage.INTERVIEW_MODES:
        errors["mode"] = "Modalité : sur place, par téléphone ou en visio."
    data["mode"] = mode
    place = str(raw.get("place") or "").strip()
    if not place:
        errors["place"] = {"telephone": "Numéro à appeler : ce champ est obligatoire.",
                           "visio": "Lien de la visio : ce champ est obligatoire."}.get(
            mode, "Adresse : ce champ est obligatoire.")
    elif len(place) > 300:
        errors["place"] = "Lieu : 300 caractères au plus."
    data["place"] = place
    for name, label in (("contact_name", "Contact sur place"), ("note", "Précisions")):
        value = str(raw.get(name) or "").strip()
        limit = MAX_SHORT_TEXT if name == "contact_name" else 1000
        if len(value) > limit:
            errors[name] = f"{label} : {limit} caractères au plus."
        data[name] = value
    phone = str(raw.get("contact_phone") or "").strip()
    if phone and not PHONE.match(phone):
        errors["contact_phone"] = "Téléphone du contact : un numéro comme 01 23 45 67 89."
    data["contact_phone"] = phone
    return data, errors


def clean_followup_plan(raw: Mapping[str, Any], *, cre_ids: set[int]) -> tuple[dict[str, Any], Errors]:
    """The plan's editable facts: hire date, contract, tutor, CRE in charge, status."""
    errors: Errors = {}
    data: dict[str, Any] = {}
    if raw.get("hired_on"):
        hired = date_field(raw.get("hired_on"), "Date d'embauche", errors, "hired_on")
        if hired:
            data["hired_on"] = hired.isoformat()
    contract = str(raw.get("contract_type") or "").strip()
    if contract and contract not in workflow.CONTRACTS:
        errors["contract_type"] = "Type de contrat : valeur inconnue."
    data["contract_type"] = contract or None
    months = str(raw.get("contract_months") or "").strip()
    if months and (not months.isdigit() or not 0 < int(months) <= MAX_CONTRACT_MONTHS):
        errors["contract_months"] = f"Durée du contrat : un nombre de mois entre 1 et {MAX_CONTRACT_MONTHS}."
    data["contract_months"] = int(months) if months.isdigit() else None
    for name, label in (("tutor_name", "Tuteur"),):
        value = str(raw.get(name) or "").strip()
        if len(value) > MAX_SHORT_TEXT:
            errors[name] = f"{label} : {MAX_SHORT_TEXT} caractères au plus."
        data[name] = value or None
    phone = str(raw.get("tutor_phone") or "").strip()
    if phone and not PHONE.match(phone):
        errors["tutor_phone"] = "Téléphone du tuteur : un numéro comme 01 23 45 67 89."
    data["tutor_phone"] = phone or None
    mail = str(raw.get("tutor_email") or "").strip()
    if mail and ("@" not in mail or len(mail) > 200 or " " in mail):
        errors["tutor_email"] = "Courriel du tuteur : adresse invalide."
    data["tutor_email"] = mail or None
    if "cre_user_id" in raw:
        cre = str(raw.get("cre_user_id") or "")
        if not cre.isdigit() or int(cre) not in cre_ids:
            errors["cre_user_id"] = "CRE en charge : choisissez dans la liste."
        else:
            data["cre_user_id"] = int(cre)
    if "status" in raw:
        if raw.get("status") not in storage.PLAN_STATUSES:
            errors["status"] = "État du suivi : en cours ou terminé."
        else:
            data["status"] = raw["status"]
    return data, errors


def clean_exit_outcome(raw: Mapping[str, Any], *, today: date) -> tuple[dict[str, Any], Errors]:
    """How a path ended: the date, the situation (official IAE categories), the contract's duration."""
    errors: Errors = {}
    data: dict[str, Any] = {}
    exit_date = date_field(raw.get("exit_date"), "Date de sortie", errors, "exit_date")
    if exit_date and not date(2000, 1, 1) <= exit_date <= today:
        errors["exit_date"] = "Date de sortie : pas dans le futur."
    elif exit_date:
        data["exit_date"] = exit_date.isoformat()
    detail = raw.get("detail")
    spec = outcomes.EXIT_DETAILS.get(detail or "")
    if spec is None:
        errors["detail"] = "Situation à la sortie : choisissez dans la liste."
    data["detail"] = detail
    months = str(raw.get("contract_months") or "").strip()
    if months and (not months.isdigit() or int(months) > MAX_CONTRACT_MONTHS):
        errors["contract_months"] = f"Durée du contrat : un nombre de mois entre 0 et {MAX_CONTRACT_MONTHS}."
    elif spec and spec.by_duration and not months:
        errors["contract_months"] = "Durée du contrat : obligatoire pour un CDD, de l'intérim ou une alternance."
    data["contract_months"] = int(months) if months.isdigit() else None
    for name, label, limit in (("employer_name", "Employeur ou organisme", MAX_SHORT_TEXT),
                               ("sector", "Secteur", MAX_SHORT_TEXT), ("comment", "Commentaire", 2000)):
        value = str(raw.get(name) or "").strip()
        if len(value) > limit:
            errors[name] = f"{label} : {limit} caractères au plus."
        data[name] = value or None
    contract = str(raw.get("contract_type") or "").strip()
    data["contract_type"] = contract or None
    proposal = str(raw.get("proposal_id") or "").strip()
    data["proposal_id"] = int(proposal) if proposal.isdigit() else None
    return data, errors
