"""Proposals of a person for a need, their workflow and history."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import sqlite_utils

import workflow

from .base import Conflict, NotFound, check_version, encode_row, get_row, next_version, now, select, transaction



@dataclass(frozen=True)
class ProposalChange:
    """What happened to a proposal, as its listeners receive it (inside the writing transaction)."""

    proposal: dict[str, Any]           # the proposal after the change, joined as ``get_proposal`` returns it
    previous_status: str | None        # None when the proposal was just created
    actor: str
    note: str = ""
    internal: bool = False             # the note is for the CRE's structure only


ProposalListener = Callable[[sqlite_utils.Database, ProposalChange], None]
_LISTENERS: list[ProposalListener] = []


def on_proposal_change(listener: ProposalListener) -> ProposalListener:
    """Register what must happen with every new proposal or state change (a follow-up plan on a
    hire, a draft clause line, a queued notification): it runs in the same transaction, so the
    change and its consequences are stored together or not at all. Usable as a decorator."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


def _changed(db: sqlite_utils.Database, proposal_id: int, previous: str | None, actor: str, note: str,
             internal: bool) -> dict[str, Any]:
    proposal = get_proposal(db, proposal_id)
    change = ProposalChange(proposal, previous, actor, note, internal)
    for listener in _LISTENERS:
        listener(db, change)
    return proposal


# carrier_id and member_ids are set for a pooled need's proposals (the carrier hires; members see them).
_PROPOSAL_SELECT = (
    "SELECT proposals.*, needs.title AS need_title, needs.reference AS need_reference, needs.employer_id AS employer_id, "
    "organisations.name AS employer_name, profiles.first_name AS first_name, "
    "profiles.reference AS profile_reference, profiles.siae_id AS siae_id, profiles.consent_at AS consent_at, "
    "pooled_needs.carrier_id AS carrier_id, "
    "(SELECT group_concat(pooled_members.employer_id, ',') FROM pooled_members "
    " WHERE pooled_members.need_id = proposals.need_id) AS member_ids "
    "FROM proposals JOIN needs ON needs.id = proposals.need_id "
    "JOIN organisations ON organisations.id = needs.employer_id "
    "JOIN profiles ON profiles.id = proposals.profile_id "
    "LEFT JOIN pooled_needs ON pooled_needs.need_id = proposals.need_id "
)


def _decoded(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for row in rows:
        row["member_ids"] = row["member_ids"].split(",") if row.get("member_ids") else []
    return rows


def create_proposal(db: sqlite_utils.Database, *, need_id: int, profile_id: int, message: str,
                    score: float, explanation: Mapping[str, Any], proposed_by: str,
                    proposer_id: int | None = None) -> int:
    """Record a proposal with the explanation as it stands now; one per (need, profile).

    ``proposer_id``: the CRE account that proposed (told of the employer's answers, shown as the
    contact to the employer); ``proposed_by`` is the name shown in the history.
    """
    with transaction(db):
        need = get_row(db, "needs", need_id)
        profile = get_row(db, "profiles", profile_id)
        if need["status"] != "ouvert":
            raise Conflict("Ce besoin n'est plus ouvert")
        if profile["archived"]:
            raise Conflict("Ce profil est archivé")
        if not profile.get("consent_at"):
            raise Conflict("Cette personne n'a pas donné son accord pour être proposée aux employeurs : "
                           "recueillez son consentement d'abord")
        stamp = now()
        try:
            pk = db["proposals"].insert(encode_row("proposals", {
                "need_id": need_id, "profile_id": profile_id, "proposed_by": proposed_by, "proposer_id": proposer_id,
                "message": message,
                "status": workflow.PROPOSED, "score": score, "explanation": dict(explanation),
                "created_at": stamp, "updated_at": stamp, "version": 1,
            })).last_pk
        except sqlite3.IntegrityError as exc:
            raise Conflict("Cette personne a déjà été proposée pour ce besoin") from exc
        db["proposal_events"].insert({"proposal_id": pk, "from_status": None, "to_status": workflow.PROPOSED,
                                      "note": message, "actor": proposed_by, "at": stamp})
        _changed(db, int(pk), None, proposed_by, message, False)
        return int(pk)


def get_proposal(db: sqlite_utils.Database, proposal_id: int) -> dict[str, Any]:
    try:
        rows = _decoded(select(db, "proposals", _PROPOSAL_SELECT + "WHERE proposals.id = ?", [proposal_id]))
    except OverflowError:
        rows = []
    if not rows:
        raise NotFound(f"proposals {proposal_id}")
    return rows[0]


def list_proposals(db: sqlite_utils.Database, *, need_id: int | None = None, profile_id: int | None = None,
                   employer_id: str | None = None, siae_id: str | None = None,
                   status: str | None = None, member_id: str | None = None) -> list[dict[str, Any]]:
    """Proposals, filtered; ``member_id``: those of the pooled needs this employer is a member of."""
    where, params = ["1 = 1"], []
    for column, value in (("proposals.need_id", need_id), ("proposals.profile_id", profile_id),
                          ("needs.employer_id", employer_id), ("profiles.siae_id", siae_id),
                          ("proposals.status", status)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if member_id is not None:
        where.append("proposals.need_id IN (SELECT need_id FROM pooled_members WHERE employer_id = ?)")
        params.append(member_id)
    return _decoded(select(db, "proposals", _PROPOSAL_SELECT + f"WHERE {' AND '.join(where)} "
                           "ORDER BY proposals.updated_at DESC, proposals.id DESC", params))


def transition_proposal(db: sqlite_utils.Database, proposal_id: int, target: str, *, actor: str,
                        reason: str | None = None, note: str = "", internal: bool = False,
                        expected_version: int | None = None) -> dict[str, Any]:
    """Move a proposal to ``target`` if the workflow allows it, and log the move.

    ``internal``: the note is for the CRE's structure only (never shown to the employer).
    ``expected_version``: the version the mover saw (``StaleVersion`` if someone moved it since).
    """
    with transaction(db):
        current = get_row(db, "proposals", proposal_id)
        check_version(current, expected_version, "cette candidature")
        try:
            workflow.check_transition(current["status"], target, reason)
        except workflow.TransitionError as exc:
            raise Conflict(str(exc)) from exc
        stamp = now()
        db["proposals"].update(proposal_id, {
            "status": target, "updated_at": stamp, "version": next_version(current),
            "refusal_reason": reason if target == workflow.REFUSED else None,
        })
        db["proposal_events"].insert({"proposal_id": proposal_id, "from_status": current["status"],
                                      "to_status": target, "reason": reason if target == workflow.REFUSED else None,
                                      "note": note, "internal": int(internal),
                                      "actor": actor, "at": stamp})
        if target == workflow.HIRED:
            need = get_row(db, "needs", current["need_id"])
            hired = db.execute("SELECT COUNT(*) FROM proposals WHERE need_id = ? AND status = ?",
                               [need["id"], workflow.HIRED]).fetchone()[0]
            if hired >= (need["positions"] or 1):
                db["needs"].update(need["id"], {"status": "pourvu", "updated_at": stamp,
                                                "version": next_version(need)})
        return _changed(db, proposal_id, current["status"], actor, note, internal)


def add_proposal_note(db: sqlite_utils.Database, proposal_id: int, note: str, *, actor: str,
                      internal: bool = True) -> None:
    """A follow-up note that does not change the state (e.g. "suivi à un mois après l'embauche").

    Internal by default: a CRE's follow-up speaks of the person and stays in the structure.
    """
    with transaction(db):
        current = get_row(db, "proposals", proposal_id)
        db["proposal_events"].insert({"proposal_id": proposal_id, "from_status": current["status"],
                                      "to_status": current["status"], "note": note, "actor": actor, "at": now(),
                                      "internal": int(internal)})
        db["proposals"].update(proposal_id, {"updated_at": now()})


def proposal_events(db: sqlite_utils.Database, proposal_id: int, *, shared_only: bool = False) -> list[dict[str, Any]]:
    """The history of a proposal; ``shared_only`` hides internal notes (what an employer may see)."""
    rows = select(db, "proposal_events", "SELECT * FROM proposal_events WHERE proposal_id = ? ORDER BY id", [proposal_id])
    if shared_only:
        rows = [r for r in rows if not r["internal"] or r["from_status"] != r["to_status"]]
        for r in rows:
            if r["internal"]:
                r["note"] = ""
    return rows


def proposal_counts(db: sqlite_utils.Database, *, siae_id: str | None = None,
                    employer_id: str | None = None) -> dict[str, int]:
    """Number of proposals in each state (every state present, zeros included)."""
    where, params = ["1 = 1"], []
    if siae_id:
        where.append("profiles.siae_id = ?")
        params.append(siae_id)
    if employer_id:
        where.append("needs.employer_id = ?")
        params.append(employer_id)
    sql = ("SELECT proposals.status AS status, COUNT(*) AS n FROM proposals "
           "JOIN profiles ON profiles.id = proposals.profile_id JOIN needs ON needs.id = proposals.need_id "
           f"WHERE {' AND '.join(where)} GROUP BY proposals.status")
    counts = dict.fromkeys(workflow.STATES, 0)
    counts.update({r["status"]: r["n"] for r in db.query(sql, params)})
    return counts


def profiles_never_proposed(db: sqlite_utils.Database, *, siae_id: str | None = None) -> list[dict[str, Any]]:
    where, params = ["profiles.archived = 0", "proposals.id IS NULL"], []
    if siae_id:
        where.append("profiles.siae_id = ?")
        params.append(siae_id)
    sql = ("SELECT profiles.* FROM profiles LEFT JOIN proposals ON proposals.profile_id = profiles.id "
           f"WHERE {' AND '.join(where)} ORDER BY profiles.path_end, profiles.reference")
    return select(db, "profiles", sql, params)

