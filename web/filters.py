"""Jinja filters: French date display."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask

_PARIS = ZoneInfo("Europe/Paris")
_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def date_fr(value: str | None, with_time: bool = False) -> str:
    """"2027-01-11" -> "11/01/2027"; with_time: "2026-11-22T13:47:00+00:00" -> "22/11/2026 13:47"."""
    if not value:
        return ""
    try:
        if with_time and "T" in value:
            moment = datetime.fromisoformat(value)
            return moment.strftime("%d/%m/%Y %H:%M")
        return date.fromisoformat(value[:10]).strftime("%d/%m/%Y")
    except ValueError:
        return value


def when_fr(value: str | None) -> str:
    """A meeting's moment, Paris time: "2026-03-10T14:30:00+01:00" → "mardi 10/03/2026 à 14 h 30"."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value).astimezone(_PARIS)
    return f"{_DAYS[moment.weekday()]} {moment:%d/%m/%Y} à {moment:%H} h {moment:%M}"


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
    app.add_template_filter(when_fr, "interview_when")
