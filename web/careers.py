"""ROME in the web app: the import command's storage, job titles → ROME codes, and "pistes de métiers"."""
from __future__ import annotations

import threading
from typing import Any

import storage
from matching.careers import suggest_bundled
from matching.model import Profile
from matching.rome import Appellation, CareerSuggester, Referential, RomeMetier, TitleMapper

from .engine import engine

_lock = threading.Lock()
_cache: dict[str, tuple[str, CareerSuggester]] = {}


def referential_rows(ref: Referential) -> dict[str, list[dict[str, Any]]]:
    return {
        "rome_metiers": [{"code": m.code, "label": m.label, "domain": m.domain, "grand_domain": m.grand_domain,
                          "text": m.text} for m in ref.metiers.values()],
        "rome_appellations": [{"code": a.code, "label": a.label, "rome": a.rome} for a in ref.appellations],
        "rome_items": [{"code": c, "label": label, "rubrique": rubrique} for c, (label, rubrique) in ref.items.items()],
        "rome_metier_items": [{"rome": r, "item": i, "core": int(core)} for r, items in ref.metier_items.items()
                              for i, core in items.items()],
        "rome_mobility": [{"source": s, "target": t, "rank": n} for s, targets in ref.mobility.items()
                          for n, t in enumerate(targets, start=1)],
        "rome_naf": [{"code": c, "label": label} for c, label in ref.naf_sectors.items()],
        "rome_naf_metiers": [{"naf": n, "rome": r} for n, codes in ref.naf_metiers.items() for r in codes],
    }


def referential_from_db(db) -> Referential | None:
    version = storage.rome_version(db)
    if not version:
        return None
    rows = storage.rome_rows(db)
    metier_items: dict[str, dict[str, bool]] = {}
    for r in rows["rome_metier_items"]:
        metier_items.setdefault(r["rome"], {})[r["item"]] = bool(r["core"])
    mobility: dict[str, list[tuple[int, str]]] = {}
    for r in rows["rome_mobility"]:
        mobility.setdefault(r["source"], []).append((r["rank"], r["target"]))
    return Referential(
        version=version,
        metiers={r["code"]: RomeMetier(r["code"], r["label"], r["domain"] or "", r["grand_domain"] or "", r["text"] or "")
                 for r in rows["rome_metiers"]},
        appellations=[Appellation(r["code"], r["label"], r["rome"]) for r in rows["rome_appellations"]],
        items={r["code"]: (r["label"], r["rubrique"]) for r in rows["rome_items"]},
        metier_items=metier_items,
        mobility={k: [t for _, t in sorted(v)] for k, v in mobility.items()},
        naf_sectors={r["code"]: r["label"] for r in rows.get("rome_naf", [])},
        naf_metiers=_group(rows.get("rome_naf_metiers", []), "naf", "rome"),
    )


def _group(rows: list[dict[str, Any]], key: str, value: str) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for r in rows:
        grouped.setdefault(r[key], []).append(r[value])
    return grouped


def suggester(db) -> CareerSuggester | None:
    """The suggester of the imported ROME, fitted once per release and process."""
    version = storage.rome_version(db)
    if not version:
        return None
    with _lock:
        cached = _cache.get("rome")
        if cached is None or cached[0] != version:
            ref = referential_from_db(db)
            mapper = engine().mapper
            cached = _cache["rome"] = (version, CareerSuggester(ref, mapper, TitleMapper(ref, mapper)))
        return cached[1]


def core_skills(code: str) -> tuple[str, ...]:
    """Taxonomy skills brought by a ROME métier (empty when no ROME is imported)."""
    from .db import get_db

    suggest = suggester(get_db())
    if suggest is None or code not in suggest.referential.metiers:
        return ()
    return suggest.core_skills(code)


def rome_code(db, *titles: str) -> str | None:
    """The ROME métier of the first title that maps (a need's title, a person's past jobs)."""
    suggest = suggester(db)
    if suggest is None:
        return None
    for match in suggest.titles.map_many([t for t in titles if t]):
        if match.code:
            return match.code
    return None


def career_paths(db, profile: Profile, *, top: int = 8):
    """"Pistes de métiers" for a person: ROME métiers when imported, else the bundled ones."""
    suggest = suggester(db)
    if suggest is not None:
        return "ROME " + suggest.referential.version, suggest.suggest(profile, top=top)
    return "métiers de Passerelle", suggest_bundled(profile, engine().mapper, top=top)
