"""Periodic work, run by ``flask --app app run-jobs`` (from cron every few minutes): reminders,
auto-closing of stale proposals, needs to confirm, overdue check-ins, daily digests, then sending
the queued mails.

Idempotent: each action is marked (``job_marks``) in the transaction that does it, so a run repeated,
or two runs at once, act once; mails are claimed before sending, so none goes twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Mapping

import sqlite_utils

import storage
import workflow
from notifications import events, mailer

# A proposal without an employer answer: a reminder to the employer after this many days…
REMINDER_DAYS = 7
# …and closed "sans réponse" after this many (the CRE is told and can propose the person elsewhere).
AUTO_CLOSE_DAYS = 30
# An open need not updated for this long: its employer is asked whether it is still open.
STALE_NEED_DAYS = 60
SYSTEM_ACTOR = "Passerelle (relance automatique)"


@dataclass(frozen=True)
class JobSettings:
    reminder_days: int = REMINDER_DAYS
    auto_close_days: int = AUTO_CLOSE_DAYS
    stale_need_days: int = STALE_NEED_DAYS

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "JobSettings":
        return cls(reminder_days=int(config.get("REMINDER_DAYS", REMINDER_DAYS)),
                   auto_close_days=int(config.get("AUTO_CLOSE_DAYS", AUTO_CLOSE_DAYS)),
                   stale_need_days=int(config.get("STALE_NEED_DAYS", STALE_NEED_DAYS)))


def _days_ago(days: int) -> str:
    return (datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=days)).isoformat()


def _awaiting_answer(db: sqlite_utils.Database, older_than: str) -> list[dict[str, Any]]:
    return [p for state in sorted(workflow.AWAITING_EMPLOYER) for p in storage.list_proposals(db, status=state)
            if p["created_at"] <= older_than]


def close_unanswered(db: sqlite_utils.Database, settings: JobSettings) -> int:
    """Proposals still unanswered ``auto_close_days`` after they were made: closed « sans réponse »."""
    closed = 0
    for proposal in _awaiting_answer(db, _days_ago(settings.auto_close_days)):
        try:
            storage.transition_proposal(
                db, proposal["id"], workflow.NO_ANSWER, actor=SYSTEM_ACTOR,
                note=f"Close sans réponse de l'employeur {settings.auto_close_days} jours après la proposition.")
        except storage.Conflict:  # answered meanwhile, or closed by another run
            continue
        closed += 1
    return closed


def remind_unanswered(db: sqlite_utils.Database, settings: JobSettings) -> int:
    """Proposals unanswered for ``reminder_days``: one reminder to the employer, once."""
    sent = 0
    for proposal in _awaiting_answer(db, _days_ago(settings.reminder_days)):
        with storage.transaction(db):
            if storage.mark_job_done(db, "relance_candidature", proposal["id"]):
                events.proposal_reminder(db, proposal, settings.reminder_days)
                sent += 1
    return sent


def ask_stale_needs(db: sqlite_utils.Database, settings: JobSettings) -> int:
    """Open needs not updated for ``stale_need_days``: the employer is asked once per quiet period (an
    update, such as the confirmation, starts the clock again)."""
    asked = 0
    limit = _days_ago(settings.stale_need_days)
    for need in storage.list_needs(db, status="ouvert"):
        if (need.get("updated_at") or "") > limit:
            continue
        with storage.transaction(db):
            if storage.mark_job_done(db, "besoin_a_confirmer", f"{need['id']}:{need['updated_at']}"):
                events.need_stale(db, need, settings.stale_need_days)
                asked += 1
    return asked


def remind_overdue_checkins(db: sqlite_utils.Database) -> int:
    """Check-ins past their day and not recorded: the CRE in charge is reminded once per check-in."""
    reminded = 0
    for checkin in storage.overdue_checkins(db, today=storage.today()):
        with storage.transaction(db):
            if storage.mark_job_done(db, "suivi_en_retard", f"{checkin['id']}:{checkin['due_on']}"):
                events.checkin_overdue(db, checkin)
                reminded += 1
    return reminded


def run_jobs(db: sqlite_utils.Database, *, settings: JobSettings, mail_settings: mailer.MailSettings,
             transport: mailer.Transport | None = None,
             more: Mapping[str, Callable[[sqlite_utils.Database], int]] | None = None) -> dict[str, int]:
    """Everything periodic, in order: the clocks first (their mails then leave in the same run).

    ``more``: further reminders by name (the clauses' missing months), each returning how many it
    queued; they run before the digests so that their mails leave in this run too.
    """
    counts = {
        "closed_without_answer": close_unanswered(db, settings),
        "proposal_reminders": remind_unanswered(db, settings),
        "needs_to_confirm": ask_stale_needs(db, settings),
        "overdue_checkins": remind_overdue_checkins(db),
    }
    for name, job in (more or {}).items():
        counts[name] = job(db)
    counts["digests"] = mailer.queue_digests(db, mail_settings)
    delivered = mailer.deliver_due_mails(db, mail_settings, transport or mailer.transport_for(mail_settings))
    counts.update(mails_sent=delivered["sent"], mails_retried=delivered["retry"], mails_failed=delivered["failed"])
    return counts
