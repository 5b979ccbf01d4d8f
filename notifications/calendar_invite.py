"""The interview as an iCalendar event (RFC 5545), built with the ``icalendar`` library.

One event per proposal (its UID does not change): a new slot or a confirmation is a new version of
the same event (a higher SEQUENCE), so a calendar moves the meeting instead of adding another.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

PRODID = "-//Passerelle//Entretiens//FR"
DEFAULT_DURATION_MINUTES = 45
# Interviews happen in France: the event carries the Paris zone (and its VTIMEZONE), not a bare offset.
TIMEZONE = ZoneInfo("Europe/Paris")
STATUSES = {"propose": "TENTATIVE", "confirme": "CONFIRMED", "autre_creneau": "CANCELLED"}


def interview_uid(proposal_id: int, domain: str) -> str:
    return f"entretien-{proposal_id}@{domain}"


def interview_ics(interview: Mapping[str, Any], *, summary: str, description: str, domain: str,
                  url: str | None = None) -> bytes:
    """An ``.ics`` file holding the interview: start and duration, place, status, version."""
    start = datetime.fromisoformat(interview["starts_at"]).astimezone(TIMEZONE)
    duration = timedelta(minutes=int(interview.get("duration_minutes") or DEFAULT_DURATION_MINUTES))
    event = Event.new(
        uid=interview_uid(interview["proposal_id"], domain),
        start=start,
        end=start + duration,
        summary=summary,
        description=description,
        location=interview.get("place") or None,
        sequence=int(interview.get("sequence") or 0),
        status=STATUSES.get(interview.get("status"), "TENTATIVE"),
        stamp=datetime.now(timezone.utc),
        url=url,
    )
    calendar = Calendar.new(prodid=PRODID, method="PUBLISH", subcomponents=[event])
    calendar.add_missing_timezones()
    return calendar.to_ical()
