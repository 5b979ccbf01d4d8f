"""Jinja filters: French dates in Paris time, French numbers."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from flask import Flask

# Moments are stored in UTC; people read them in the time of the office they work in.
PARIS = ZoneInfo("Europe/Paris")


def paris_time(value: str) -> datetime:
    """A stored ISO moment ("2026-11-22T13:47:00+00:00") in Paris time; a moment without an offset is UTC."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(PARIS)


_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def date_fr(value: str | None, with_time: bool = False) -> str:
    """"2027-01-11" -> "11/01/2027"; a moment is shown in Paris time: "2026-11-22T13:47:00+00:00" ->
    "22/11/2026" or, ``with_time``, "22/11/2026 14:47" (the day itself may change: 23:30 UTC is the next day)."""
    if not value:
        return ""
    try:
        if "T" in value:
            return paris_time(value).strftime("%d/%m/%Y %H:%M" if with_time else "%d/%m/%Y")
        return date.fromisoformat(value[:10]).strftime("%d/%m/%Y")
    except ValueError:
        return value


def when_fr(value: str | None) -> str:
    """A meeting's moment, Paris time: "2026-03-10T14:30:00+01:00" → "mardi 10/03/2026 à 14 h 30"."""
    if not value:
        return ""
    moment = paris_time(value)
    return f"{_DAYS[moment.weekday()]} {moment:%d/%m/%Y} à {moment:%H} h {moment:%M}"


MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
             "novembre", "décembre")


def month_fr(value: str | None) -> str:
    """A month "2026-10" as people write it: "octobre 2026"."""
    if not value:
        return ""
    try:
        year, month = (int(part) for part in value[:7].split("-"))
        return f"{MONTHS_FR[month - 1]} {year}"
    except (ValueError, IndexError):
        return value


def num(value: float | int | None, digits: int = 1) -> str:
    """French number display: 43.8 -> "43,8", 70.0 -> "70", 1000000 -> "1 000 000"."""
    if value is None:
        return ""
    text = f"{float(value):,.{digits}f}".replace(",", "\u202f").replace(".", ",")
    if "," in text:
        text = text.rstrip("0").rstrip(",")
    return text


def init_app(app: Flask) -> None:
    app.add_template_filter(date_fr)
    app.add_template_filter(num)
    app.add_template_filter(month_fr)
    app.add_template_filter(when_fr, "interview_when")
