"""Loading the bundled, fictional demo data (``data/demo/``) into the database.

Idempotent: organisations are upserted by id, profiles by reference, needs
by (employer, reference); demo proposals are created once.
"""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import clauses
import pooling
import storage
import workflow

from . import geo, validation
from .engine import EngineState, snapshot

DEMO_DIR = Path(__file__).resolve().parent.parent / "data" / "demo"

# Demo proposals: (need reference, how many top candidates, the states they reach).
DEMO_PROPOSALS = [
    ("N028", [workflow.INTERVIEW, workflow.PROPOSED]),
    ("N021", [workflow.HIRED, workflow.SEEN]),
    ("N006", [workflow.PMSMP]),
    ("N012", [workflow.TRIAL, workflow.REFUSED]),
    ("N025", [workflow.PROPOSED]),
    ("N001", [workflow.SEEN, workflow.INTERVIEW]),
    ("N009", [workflow.PROPOSED]),
    # N005 (Clarivia Propreté) is linked to its lot of 2026-MTR-031: the hire prepares a draft ledger line.
    ("N005", [workflow.HIRED]),
]
_PATHS = {
    workflow.PROPOSED: [],
    workflow.SEEN: [workflow.SEEN],
    workflow.INTERVIEW: [workflow.SEEN, workflow.INTERVIEW],
    workflow.PMSMP: [workflow.SEEN, workflow.PMSMP],
    workflow.TRIAL: [workflow.SEEN, workflow.INTERVIEW, workflow.TRIAL],
    workflow.HIRED: [workflow.SEEN, workflow.INTERVIEW, workflow.HIRED],
    workflow.REFUSED: [workflow.SEEN, workflow.REFUSED],
}


def _read(name: str) -> Any:
    path = DEMO_DIR / name
    if name.endswith(".jsonl"):
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return json.loads(path.read_text(encoding="utf-8"))


def _location(item: dict) -> dict:
    loc = item.get("location") or {}
    return {"postcode": loc.get("postcode"), "city": loc.get("city"), "lat": loc.get("lat"), "lon": loc.get("lon")}


# Demo people who have not (yet) agreed to be proposed: the consent rule shows on them.
WITHOUT_CONSENT = {"ACI-MTR-0028", "EI-STD-0026", "GEIQ-CRT-0024"}


def profile_row(item: dict) -> dict:
    raw = {**item, **_location(item), "skills_text": ", ".join(item.get("skills", []))}
    data, errors = validation.clean_profile(raw)
    if errors:
        raise ValueError(f"profil de démonstration {item.get('reference')} : {errors}")
    consent = {} if item["reference"] in WITHOUT_CONSENT else {"consent_at": "2026-01-05T09:00:00+00:00",
                                                               "consent_by": "démonstration"}
    return {**data, **consent, "siae_id": item["siae"]}


def need_row(item: dict) -> dict:
    req = item.get("requirements") or {}
    raw = {**item, **_location(item), "reference": item["id"], "driving_licence": req.get("driving_licence"),
           "french_level": req.get("french_level")}
    data, errors = validation.clean_need(raw)
    if errors:
        raise ValueError(f"besoin de démonstration {item.get('id')} : {errors}")
    return {**data, "employer_id": item["employer"]}


def load_demo(db, engine: EngineState) -> dict[str, int]:
    """Load organisations, profiles, needs and a few proposals; return what was created."""
    with storage.transaction(db):
        for s in _read("siae.json"):
            commune = geo.locate(s["postcode"], s["city"])
            storage.upsert_organisation(db, {"id": s["id"], "kind": "siae", "name": s["name"], "subtype": s["kind"],
                                             "city": s["city"], "postcode": s["postcode"],
                                             "lat": commune and commune.lat, "lon": commune and commune.lon,
                                             "sector": ", ".join(s.get("sectors", []))})
        for e in _read("employers.json"):
            storage.upsert_organisation(db, {"id": e["id"], "kind": "employer", "name": e["name"], "sector": e["sector"],
                                             "city": e["city"], "postcode": e["postcode"], "lat": e["lat"],
                                             "lon": e["lon"], "size": e["size"]})
        for b in _read("clauses.json")["buyers"]:
            storage.upsert_organisation(db, {"id": b["id"], "kind": "buyer", "name": b["name"], "city": b["city"],
                                             "postcode": b["postcode"]})
    profiles = storage.upsert_profiles(db, [profile_row(p) for p in _read("profiles.jsonl")])
    needs = storage.upsert_needs(db, [need_row(n) for n in _read("needs.jsonl")])
    # Before the proposals: a hire on a need linked to a lot prepares its titulaire's ledger line.
    clause_counts = load_clauses(db)
    # Accounts before proposals too: each proposal is then the demo CRE's of its structure, and the
    # employers' demo accounts receive their notifications (in the outbox after run-jobs).
    accounts_created = load_accounts(db)
    created = 0
    for reference, states in DEMO_PROPOSALS:
        need = next((n for n in storage.list_needs(db, status=None) if n["reference"] == reference), None)
        if need is None or storage.list_proposals(db, need_id=need["id"]):
            continue
        for match, state in zip(engine.rank(db, need, top=len(states), include_blocked=False), states):
            profile = storage.get_profile(db, int(match.candidate))
            cre = next(iter(storage.org_members(db, profile["siae_id"], role="cre")), None)
            proposal_id = storage.create_proposal(
                db, need_id=need["id"], profile_id=int(match.candidate), proposed_by="démonstration",
                message="Candidature proposée par la CRE après un entretien de positionnement.",
                score=match.score, explanation=snapshot(match), proposer_id=cre["id"] if cre else None)
            for step in _PATHS[state]:
                reason = "poste_pourvu" if step == workflow.REFUSED else None
                storage.transition_proposal(db, proposal_id, step, actor="démonstration", reason=reason)
            created += 1
    clause_counts["pooled_needs_created"] = load_pooled(db, engine)
    clause_counts["network_employers_created"] = load_network(db)
    clause_counts["accounts_created"] = accounts_created
    clause_counts["followups_prepared"] = load_followups(db)
    clause_counts["exit_outcomes_created"] = load_outcomes(db)
    return {"profiles_created": profiles["created"], "profiles_updated": profiles["updated"],
            "needs_created": needs["created"], "needs_updated": needs["updated"], "proposals_created": created,
            **clause_counts}


# One account per role, for trying the app: documented in the README, never for production.
DEMO_PASSWORD = "demo-passerelle"
DEMO_ACCOUNTS = [
    ("cre@demo.passerelle.fr", "Nadia (CRE)", "cre", "S1"),
    ("cre.insertion@demo.passerelle.fr", "Karim (CIP)", "cre", "S4"),
    ("employeur@demo.passerelle.fr", "Claire (Filéa Câblage)", "employer", "E14"),
    ("cre.ai@demo.passerelle.fr", "Inès (CIP de l'AI)", "cre", "S6"),
    ("direction@demo.passerelle.fr", "Claude (direction)", "direction", "S1"),
    ("bailleur@demo.passerelle.fr", "Julien (Résidences de l'Ourcq)", "employer", "E18"),
    ("acheteur@demo.passerelle.fr", "Marc (Ville de Montreuil)", "buyer", "B1"),
    ("titulaire@demo.passerelle.fr", "Sophie (Atelier Rénov'Est)", "employer", "E01"),
    ("titulaire.proprete@demo.passerelle.fr", "Yanis (Clarivia Propreté)", "employer", "E03"),
    ("conciergerie@demo.passerelle.fr", "Lina (Veille & Conciergerie Urbaine)", "employer", "E11"),
    ("admin@demo.passerelle.fr", "Administrateur", "admin", None),
    ("rh.bellevue@demo.passerelle.fr", "Sophie (Hypermarché Bellevue)", "employer", "E10"),
]
# Fictional numbers (the 01 99 00 range is reserved for fiction by the French regulator).
DEMO_PHONES = {"cre@demo.passerelle.fr": "01 99 00 12 34", "cre.insertion@demo.passerelle.fr": "01 99 00 45 67",
               "employeur@demo.passerelle.fr": "01 99 00 78 90", "rh.bellevue@demo.passerelle.fr": "01 99 00 24 68"}


def load_accounts(db) -> int:
    from werkzeug.security import generate_password_hash

    created = 0
    for email, name, role, org_id in DEMO_ACCOUNTS:
        if storage.user_by_email(db, email) is None:
            storage.create_user(db, email=email, name=name, role=role, org_id=org_id,
                                password_hash=generate_password_hash(DEMO_PASSWORD))
            storage.update_user(db, storage.user_by_email(db, email)["id"], {"phone": DEMO_PHONES.get(email)})
            created += 1
    return created


# The demo hire (N021) started this many days ago: its J+7 check-in is done, J+30 is overdue.
DEMO_HIRE_DAYS_AGO = 40


def load_followups(db) -> int:
    """The follow-up plan of the demo hire (created by the hire itself) as it stands some weeks later:
    a tutor, the first check-in recorded, the next one overdue, the tutor's first assessment."""
    prepared = 0
    for plan in storage.list_followup_plans(db):
        checkins = storage.list_checkins(db, plan["id"])
        if any(c["done_at"] for c in checkins) or storage.list_tutor_assessments(db, plan["id"]):
            continue  # already prepared (the demo is loaded again)
        with storage.transaction(db):
            storage.update_followup_plan(db, plan["id"], {
                "hired_on": (storage.today() - timedelta(days=DEMO_HIRE_DAYS_AGO)).isoformat(),
                "tutor_name": "Bernard Lemoine", "tutor_phone": "01 99 00 31 31",
                "tutor_email": "b.lemoine@bellevue.example", "contract_months": None})
            first = storage.list_checkins(db, plan["id"])[0]
            storage.record_checkin(db, first["id"], situation="en_poste_difficultes", difficulties=["transport"],
                                   action="Horaires d'ouverture : aide au financement du pass Navigo et covoiturage "
                                          "avec une collègue, vu avec le tuteur.", recorded_by="Nadia (CRE)")
            storage.add_tutor_assessment(db, plan["id"], {"punctuality": 3, "integration": 4, "skills": 3,
                                                          "comment": "Bonne intégration dans l'équipe du rayon frais."},
                                         author_name="Bernard Lemoine", author_user_id=None)
        prepared += 1
    return prepared


# Exits of the Montreuil ressourcerie (S1) over the past months: (days ago, situation, months, employer, sector).
DEMO_EXITS = [
    (20, "cdd", 8, "Biocoop des Murs-à-Pêches", "commerce / distribution"),
    (45, "interim", 3, "Intérim Est Parisien", "logistique"),
    (70, "formation_qualifiante", None, "AFPA Montreuil", "formation"),
    (100, "cdi", None, "Clarivia Propreté", "nettoyage/propreté"),
    (130, "recherche_emploi", None, None, None),
    (160, "contrat_aide", None, "Mairie de Bagnolet", "collectivité"),
    (200, "autre_siae", None, "ACI Jardins de Bagnolet", "espaces verts"),
    (240, "cdd", 6, "Le Comptoir de Montreuil", "hôtellerie-restauration"),
    (280, "sans_nouvelles", None, None, None),
]


def load_outcomes(db) -> int:
    """Exit outcomes for the taux de sorties dynamiques: the demo hire's (from its plan) and past exits."""
    created = 0
    for plan in storage.list_followup_plans(db):
        if storage.exit_outcome_for_profile(db, plan["profile_id"]) is None:
            employer = storage.get_organisation(db, plan["employer_id"])
            storage.save_exit_outcome(db, plan["profile_id"], {
                "exit_date": plan["hired_on"], "detail": "cdi" if plan["contract_type"] == "CDI" else "cdd",
                "contract_months": plan.get("contract_months") or 6, "contract_type": plan["contract_type"],
                "employer_name": employer["name"], "sector": employer.get("sector"),
                "proposal_id": plan["proposal_id"]}, recorded_by="démonstration")
            created += 1
    never_proposed = [p for p in storage.profiles_never_proposed(db, siae_id="S1")
                      if storage.exit_outcome_for_profile(db, p["id"]) is None]
    with storage.transaction(db):
        if not storage.mark_job_done(db, "demo", "exit_outcomes"):
            return created  # loaded before
        for profile, (days, detail, months, employer, sector) in zip(reversed(never_proposed), DEMO_EXITS):
            storage.save_exit_outcome(db, profile["id"], {
                "exit_date": (storage.today() - timedelta(days=days)).isoformat(), "detail": detail,
                "contract_months": months, "employer_name": employer, "sector": sector},
                recorded_by="démonstration")
            created += 1
    return created


def load_clauses(db) -> dict[str, int]:
    """Buyers, contracts with their lots, participants and the hours ledger (``clauses.json``)."""
    spec = _read("clauses.json")
    created = {"contracts_created": 0, "ledger_lines_created": 0}
    with storage.transaction(db):
        for b in spec["buyers"]:
            storage.upsert_organisation(db, {"id": b["id"], "kind": "buyer", "name": b["name"], "city": b["city"],
                                             "postcode": b["postcode"]})
        lots: dict[tuple[str, int], tuple[dict, int]] = {}
        for c in spec["contracts"]:
            contract = storage.contract_by_reference(db, c["buyer"], c["reference"])
            if contract is None:
                data, errors = validation.clean_contract(c)
                if errors:
                    raise ValueError(f"marché de démonstration {c['reference']} : {errors}")
                storage.create_contract(db, {**data, "buyer_id": c["buyer"]})
                contract = storage.contract_by_reference(db, c["buyer"], c["reference"])
                created["contracts_created"] += 1
                for lot in c["lots"]:
                    data, errors = validation.clean_lot(lot)
                    if errors:
                        raise ValueError(f"lot de démonstration {c['reference']}/{lot['number']} : {errors}")
                    lot_id = storage.save_lot(db, {**data, "contract_id": contract["id"]})
                    if lot.get("titulaire_id"):
                        storage.award_lot(db, lot_id, lot["titulaire_id"])
            for lot in storage.list_lots(db, contract["id"]):
                lots[(c["reference"], lot["number"])] = (contract, lot["id"])
        people = {p["reference"]: p for p in spec["participants"]}
        for e in spec["entries"]:
            contract, lot_id = lots[(e["contract"], e["lot"])]
            p = people[e["participant"]]
            profile = storage.profile_by_reference(db, p["profile_reference"]) if p.get("profile_reference") else None
            row = {k: v for k, v in p.items() if k != "profile_reference"}
            participant_id = storage.save_participant(db, {**row, "contract_id": contract["id"],
                                                           "profile_id": profile and profile["id"]})
            for month in clauses.month_range(e["from"], e["to"]):
                if storage.find_entry(db, lot_id, participant_id, month, e["modality"]):
                    continue
                storage.create_entry(db, contract["id"], {
                    "lot_id": lot_id, "participant_id": participant_id, "month": month,
                    "hours": e["hours"], "modality": e["modality"], "employer_name": e["employer_name"],
                    "contract_type": e["contract_type"]}, actor="démonstration", action="import")
                created["ledger_lines_created"] += 1
        for link in spec.get("linked_needs", []):
            need = storage.need_by_reference(db, link["employer"], link["need"])
            _, lot_id = lots[(link["contract"], link["lot"])]
            if need is not None and need.get("lot_id") != lot_id:
                storage.link_need(db, need["id"], lot_id)
        for c in spec.get("commitments", []):
            if not any(r["supplier_id"] == c["supplier"] and r["year"] == c["year"]
                       for r in storage.list_commitments(db, c["buyer"])):
                storage.save_commitment(db, c["buyer"], {**{k: c[k] for k in (
                    "year", "pmsmp", "internships", "hires", "internships_done", "note")}, "supplier_id": c["supplier"]})
    created["declarations_created"] = load_declarations(db, spec, lots)
    return created


def load_declarations(db, spec: dict, lots: dict) -> int:
    """Titulaires' declarations in each state: sent, rejected with a reason, validated with a correction."""
    from .declarations import validate

    created = 0
    for d in spec.get("declarations", []):
        contract, lot_id = lots[(d["contract"], d["lot"])]
        if storage.declaration_for(db, lot_id, d["month"]) is not None:
            continue
        with storage.transaction(db):
            declaration = storage.ensure_declaration(db, contract["id"], lot_id, d["month"])
            storage.replace_declaration_lines(db, declaration["id"], d["lines"])
            titulaire = storage.get_lot(db, lot_id)["titulaire"]
            storage.set_declaration_status(db, declaration["id"], storage.DECLARATION_SUBMITTED, actor=titulaire,
                                           action="envoi")
            buyer = storage.get_organisation(db, contract["buyer_id"])["name"]
            if d["status"] == storage.DECLARATION_REJECTED:
                storage.set_declaration_status(db, declaration["id"], storage.DECLARATION_REJECTED, actor=buyer,
                                               action="rejet", reason=d["reason"])
            elif d["status"] == storage.DECLARATION_VALIDATED:
                lines = storage.declaration_lines(db, declaration["id"])
                corrections = {line["id"]: {**line, **d["corrections"][line["participant_reference"]]}
                               for line in lines if line["participant_reference"] in d.get("corrections", {})}
                validate(db, storage.get_declaration(db, declaration["id"]), actor=buyer, corrections=corrections)
        created += 1
    return created


def load_pooled(db, engine: EngineState) -> int:
    """The pooled caretakers' need of ``pooled.json``, its hire placed with members and their hours."""
    created = 0
    for item in _read("pooled.json")["needs"]:
        if storage.need_by_reference(db, item["carrier"], item["reference"]) is not None:
            continue
        data = need_row({**item, "id": item["reference"], "employer": item["carrier"],
                         "contract": pooling.CARRIER_CONTRACTS[item["carrier_contract"]]})
        members = [{"employer_id": m["employer"], "positions": m.get("positions"),
                    "hours_per_week": m.get("hours_per_week")} for m in item["members"]]
        member_lots = {m["employer"]: m["lot"] for m in item["members"] if m.get("lot")}
        errors = pooling.share_errors([pooling.Share(**m) for m in members], positions=data.get("positions"),
                                      hours_per_week=data.get("hours_per_week"), carrier_id=item["carrier"])
        if errors:
            raise ValueError(f"besoin mutualisé de démonstration {item['reference']} : {errors}")
        with storage.transaction(db):
            need_id = storage.create_pooled_need(
                db, data, {k: item.get(k) for k in ("carrier_contract", "training_body", "training_plan")}, members)
            need = storage.get_need(db, need_id)
            carrier = storage.get_organisation(db, item["carrier"])["name"]
            for employer_id, lot in member_lots.items():
                # The member is the lot's titulaire: its hours of mise à disposition serve that clause.
                [lot_row] = [l for l in storage.lots_of_titulaire(db, employer_id)
                             if l["contract_reference"] == lot["contract"] and l["number"] == lot["number"]]
                storage.link_member_lot(db, need_id, employer_id, lot_row["id"])
            for hire in item.get("hires", []):
                proposal_id = _demo_proposal(db, engine, need, hire["profile"])
                for step in (workflow.SEEN, workflow.INTERVIEW, workflow.HIRED):
                    storage.transition_proposal(db, proposal_id, step, actor=carrier)
                ids = storage.assign_hire(db, proposal_id, [
                    {"employer_id": a["employer"], "hours_per_week": a["hours_per_week"],
                     "start_date": hire["start_date"]} for a in hire["assignments"]], actor=carrier)
                by_member = dict(zip((a["employer"] for a in hire["assignments"]), ids))
                for month, per_member in hire.get("hours", {}).items():
                    for employer_id, hours in per_member.items():
                        storage.record_hours(db, by_member[employer_id], month, hours, actor=carrier)
            for proposal in item.get("proposals", []):
                proposal_id = _demo_proposal(db, engine, need, proposal["profile"])
                for step in proposal["states"]:
                    storage.transition_proposal(db, proposal_id, step, actor=carrier)
        created += 1
    return created


def _demo_proposal(db, engine: EngineState, need: dict, reference: str) -> int:
    profile = storage.profile_by_reference(db, reference)
    [match] = engine.rank(db, need, top=1, profile_ids=[profile["id"]])
    cre = next(iter(storage.org_members(db, profile["siae_id"], role="cre")), None)
    return storage.create_proposal(db, need_id=need["id"], profile_id=profile["id"], proposed_by="démonstration",
                                   message="Candidature proposée par la CIP après un entretien de positionnement.",
                                   score=match.score, explanation=snapshot(match), proposer_id=cre["id"] if cre else None)


def load_network(db) -> int:
    """The demo structures' employer networks of ``network.json`` (created once, by reference)."""
    from .hidden_market import resolve_metier

    created = 0
    for siae_id, entries in _read("network.json")["networks"].items():
        for item in entries:
            if storage.network_employer_by_reference(db, siae_id, item["reference"]) is not None:
                continue
            data, errors = validation.clean_network_employer(
                {k: v for k, v in item.items() if k not in ("contacts", "potentials", "events", "organisation")})
            if errors:
                raise ValueError(f"réseau de démonstration {siae_id}/{item['reference']} : {errors}")
            potentials = [{**p, "metier_id": m, "rome_code": r}
                          for p in item.get("potentials", []) for m, r in [resolve_metier(db, p["metier"])]]
            with storage.transaction(db):
                entry_id = storage.create_network_employer(db, siae_id, {**data, "organisation_id": item.get("organisation")},
                                                           contacts=item.get("contacts", []), potentials=potentials)
                for event in item.get("events", []):
                    storage.add_event(db, entry_id, event, author="démonstration")
            created += 1
    return created
