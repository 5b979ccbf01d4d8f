"""Optimistic concurrency on the pages: the version a form was read at, and what a stale form shows.

Every edit form carries the ``version`` of the record it was filled from (a
hidden field). Storage refuses the write when the record moved on since
(``storage.StaleVersion``); the view then shows the form again with the
person's input kept, a French message, and, field by field, what the other
person saved meanwhile. The form now carries the current version: saving
again is a deliberate choice made after seeing the other change.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

import storage

_VERSION = re.compile(r"[0-9]{1,9}")
_TRUE = {"oui", "on", "1", "true", "vrai"}


def submitted_version(form: Mapping[str, Any]) -> int | None:
    """The version a form was read at; None when the form carries none (a script's post)."""
    value = (form.get("version") or "").strip()
    return int(value) if _VERSION.fullmatch(value) else None


def _shown(value: Any, flag: bool) -> str:
    if flag:
        return "oui" if (str(value).strip().lower() in _TRUE if isinstance(value, str) else bool(value)) else "non"
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return re.sub(r"\r\n?", "\n", str(value)).strip()


def stale_form(exc: storage.StaleVersion, stored_values: Mapping[str, Any], submitted: Mapping[str, Any],
               labels: Mapping[str, str], *, flags: Iterable[str] = ()) -> dict[str, Any]:
    """What a stale form shows: the message, and each field where the stored record now differs
    from the person's input (``stored_values``: the current record as the form would show it)."""
    flags = set(flags)
    changes = []
    for name, label in labels.items():
        yours, theirs = _shown(submitted.get(name), name in flags), _shown(stored_values.get(name), name in flags)
        if yours != theirs:
            changes.append({"field": name, "label": label, "yours": yours, "theirs": theirs})
    return {"message": str(exc), "changes": changes, "updated_at": exc.current.get("updated_at"),
            "version": exc.current.get("version")}
