"""How each fragment of a typed skills text was understood, and the person's corrections.

A *skill map* is stored with each profile and need: one entry per fragment,
``{"fragment", "skill_id", "score", "confirmed", "required"}``. Unconfirmed
entries are suggestions of the engine (mapped again when the text changes);
confirmed ones were checked by a person: their skill is taken as is, and a
confirmed entry without skill means "ignore this fragment".
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from matching import SkillMapper, Taxonomy
from matching.text import fold

Entry = dict[str, Any]

# Form field names of entry i: map-i-fragment (hidden), map-i-choice (select:
# a skill id, "" for "ignore"), map-i-other (a skill label typed freely).
FIELD = "map-{i}-{part}"
IGNORE = "__ignore__"


def suggest(mapper: SkillMapper, items: Iterable[tuple[str, bool]]) -> list[Entry]:
    """Entries for typed items (text, required): one per understood skill or unmatched fragment."""
    entries: list[Entry] = []
    items = list(items)
    for (text, required), mapping in zip(items, mapper.map_many(t for t, _ in items)):
        for hit in mapping.skills:
            entries.append({
                "fragment": hit.fragment, "skill_id": hit.id, "score": round(hit.score, 1), "confirmed": False,
                "required": required, "alternatives": [a.id for a in hit.alternatives],
            })
        for fragment in mapping.unmatched:
            entries.append({"fragment": fragment, "skill_id": None, "score": None, "confirmed": False,
                            "required": required, "alternatives": []})
    return entries


def merge(fresh: list[Entry], previous: Iterable[Entry]) -> list[Entry]:
    """Keep a person's earlier decisions for fragments that are still there."""
    decided = {(fold(e["fragment"]), e.get("required", True)): e for e in previous if e.get("confirmed")}
    merged: list[Entry] = []
    seen: set[tuple[str, bool]] = set()
    for entry in fresh:
        key = (fold(entry["fragment"]), entry.get("required", True))
        if key in decided:
            if key not in seen:
                merged.append({**entry, **{k: decided[key][k] for k in ("skill_id", "confirmed")}})
            seen.add(key)
        else:
            merged.append(entry)
    return merged


def apply_form(entries: list[Entry], form: Mapping[str, str], taxonomy: Taxonomy) -> tuple[list[Entry], list[str]]:
    """Apply the choices a person made on the page; return entries and French errors."""
    by_label = {fold(s.label): s.id for s in taxonomy.skills.values()}
    choices: dict[str, tuple[str, str]] = {}
    i = 0
    while FIELD.format(i=i, part="fragment") in form:
        fragment = form[FIELD.format(i=i, part="fragment")]
        choices[fold(fragment)] = (form.get(FIELD.format(i=i, part="choice"), ""),
                                   form.get(FIELD.format(i=i, part="other"), "").strip())
        i += 1
    errors: list[str] = []
    result: list[Entry] = []
    for entry in entries:
        choice = choices.get(fold(entry["fragment"]))
        if choice is None:
            result.append(entry)
            continue
        selected, other = choice
        if other:
            skill_id = by_label.get(fold(other))
            if skill_id is None:
                errors.append(f"« {other} » n'est pas une compétence connue : choisissez-la dans la liste proposée.")
                result.append(entry)
                continue
            result.append({**entry, "skill_id": skill_id, "confirmed": True})
        elif selected == IGNORE:
            result.append({**entry, "skill_id": None, "confirmed": True})
        elif selected in taxonomy.skills:
            result.append({**entry, "skill_id": selected, "confirmed": True})
        else:
            result.append(entry)
    return result, errors


def engine_parts(entries: Iterable[Entry]) -> dict[str, list]:
    """Split a skill map for the engine: fragments still to map, confirmed skills, checked text."""
    parts: dict[str, list] = {"auto_required": [], "auto_wanted": [], "ids_required": [], "ids_wanted": [],
                              "checked_text": []}
    for e in entries:
        required = e.get("required", True)
        if not e.get("confirmed"):
            parts["auto_required" if required else "auto_wanted"].append(e["fragment"])
        else:
            parts["checked_text"].append(e["fragment"])
            if e.get("skill_id"):
                parts["ids_required" if required else "ids_wanted"].append(e["skill_id"])
    return parts


def labelled(entries: Iterable[Entry], taxonomy: Taxonomy) -> list[Entry]:
    """Entries with skill labels and alternatives' labels, for templates and the API."""
    out = []
    for e in entries:
        out.append({
            **e,
            "label": taxonomy.label(e["skill_id"]) if e.get("skill_id") else None,
            "alternatives": [{"id": a, "label": taxonomy.label(a)} for a in e.get("alternatives", [])
                             if a in taxonomy.skills],
        })
    return out
