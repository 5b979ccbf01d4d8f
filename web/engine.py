"""The matching engine as the web app holds it: one per process, index kept up to date.

The taxonomy and the mapper are loaded once. The profile index is built on
first use, then brought up to date by replaying the ``profile_changes`` log
(written by ``storage`` on every profile write), so it is never rebuilt per
request and stays right when several processes write to the same database.
"""
from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any, Iterable, Mapping

from flask import Flask, current_app

import storage
from matching import (Location, Match, MatchIndex, Need, NeedSkill, PreparedNeed, Profile, SkillMapper, load_taxonomy,
                      prepare_need)

from . import skillmap

EXTENSION = "passerelle_engine"

# A need "has a good candidate" when its best unblocked match scores this
# much: about two thirds of the indispensable skills met directly.
GOOD_MATCH_SCORE = 0.5


@lru_cache(maxsize=4)
def _mapper(taxonomy_dir: str | None) -> SkillMapper:
    # The taxonomy and its fitted mapper are read-only: one per process and
    # folder, shared by every app instance (the tests create many).
    return SkillMapper(load_taxonomy(taxonomy_dir))


class EngineState:
    def __init__(self, taxonomy_dir: str | None = None) -> None:
        self.mapper = _mapper(taxonomy_dir)
        self.taxonomy = self.mapper.taxonomy
        self.index: MatchIndex | None = None
        self.seq = 0
        self.lock = threading.RLock()
        self._needs: dict[int, tuple[Need, PreparedNeed]] = {}

    # -- conversions --------------------------------------------------------
    @staticmethod
    def _location(row: Mapping[str, Any]) -> Location:
        return Location(row.get("lat"), row.get("lon"), row.get("postcode"))

    @staticmethod
    def _flag(value: Any) -> bool | None:
        return None if value is None else bool(value)

    def profile_for(self, row: Mapping[str, Any]) -> Profile:
        parts = self._parts(row.get("skill_map"), [(row.get("skills_text") or "", True)])
        text = " ".join(filter(None, [row.get("description"), row.get("formation"), row.get("informal_skills"),
                                      *parts["checked_text"]]))
        return Profile(
            id=str(row["id"]), description=text, skills=tuple(parts["auto_required"] + parts["auto_wanted"]),
            experiences=tuple(row.get("experiences") or ()), driving_licence=self._flag(row.get("driving_licence")),
            french_level=row.get("french_level"), location=self._location(row), mobility_km=row.get("mobility_km"),
            skill_ids=tuple(parts["ids_required"] + parts["ids_wanted"]),
            implied_skill_ids=self._rome_skills(row.get("rome_code")),
        )

    @staticmethod
    def _rome_skills(code: str | None) -> tuple[str, ...]:
        """Core skills of a ROME métier, when the ROME is imported (see web/careers.py)."""
        if not code:
            return ()
        from . import careers

        return careers.core_skills(code)

    def need_for(self, row: Mapping[str, Any]) -> Need:
        typed = [(s["text"], s.get("required", True)) for s in row.get("skills") or ()]
        parts = self._parts(row.get("skill_map"), typed)
        description = " ".join(filter(None, [row.get("description"), *parts["checked_text"]]))
        return Need(
            id=str(row["id"]), title=row.get("title") or "", description=description,
            skills=tuple([NeedSkill(t, True) for t in parts["auto_required"]]
                         + [NeedSkill(t, False) for t in parts["auto_wanted"]]),
            driving_licence=bool(row.get("driving_licence")), french_level=row.get("french_level"),
            location=self._location(row), max_distance_km=row.get("max_distance_km"),
            skill_ids=tuple(parts["ids_required"]),
            optional_skill_ids=tuple(parts["ids_wanted"]) + (
                # A need naming few skills gets its ROME métier's core skills as "souhaitées".
                self._rome_skills(row.get("rome_code")) if len(typed) < 3 else ()),
        )

    @staticmethod
    def _parts(entries: list | None, typed: list[tuple[str, bool]]) -> dict[str, list]:
        if entries:
            return skillmap.engine_parts(entries)
        # Never checked (an import, the API): every typed item is mapped by the engine.
        return {"auto_required": [t for t, r in typed if r and t], "auto_wanted": [t for t, r in typed if not r and t],
                "ids_required": [], "ids_wanted": [], "checked_text": []}

    # -- the profile index --------------------------------------------------
    def profile_index(self, db) -> MatchIndex:
        """The index of every active profile, up to date with the database."""
        with self.lock:
            if self.index is None:
                self.seq = storage.last_profile_change(db)
                rows = storage.list_profiles(db)
                self.index = MatchIndex.build([self.profile_for(r) for r in rows], self.mapper)
                return self.index
            seq, changed = storage.profile_changes_since(db, self.seq)
            if changed:
                fresh = []
                for profile_id in changed:
                    try:
                        row = storage.get_profile(db, profile_id)
                    except storage.NotFound:
                        row = None
                    if row is None or row["archived"]:
                        self.index.remove(str(profile_id))
                    else:
                        fresh.append(self.profile_for(row))
                self.index.add(fresh)
                if self.index.needs_refit:
                    self.index.refit()
            self.seq = seq
            return self.index

    def prepared_need(self, row: Mapping[str, Any]) -> PreparedNeed:
        """A need mapped once per content (the engine's ``Need`` is the cache key, not a timestamp)."""
        need = self.need_for(row)
        with self.lock:
            cached = self._needs.get(row["id"])
            if cached and cached[0] == need:
                return cached[1]
            prepared = prepare_need(need, self.mapper)
            self._needs[row["id"]] = (need, prepared)
            return prepared

    def rank(self, db, need: Mapping[str, Any] | Need, *, top: int, include_blocked: bool = True,
             max_distance_km: float | None = None, profile_ids: Iterable[int] | None = None) -> list[Match]:
        """Candidates for a stored need (a row) or a need typed on the spot (a ``Need``)."""
        index = self.profile_index(db)
        with self.lock:
            prepared = prepare_need(need, self.mapper) if isinstance(need, Need) else self.prepared_need(need)
            only = None if profile_ids is None else [str(i) for i in profile_ids]
            return index.rank(prepared, top=top, include_blocked=include_blocked,
                              max_distance_km=max_distance_km, only=only)

    def needs_for_profile(self, db, profile_id: int, need_rows: Iterable[Mapping[str, Any]]) -> list[tuple[dict, Match]]:
        """Every need explained for one profile, unblocked first, best first."""
        index = self.profile_index(db)
        with self.lock:
            results = []
            for row in need_rows:
                match = index.explain(self.prepared_need(row), str(profile_id))
                if match is not None:
                    results.append((dict(row), match))
        results.sort(key=lambda r: (bool(r[1].blocking), -r[1].score))
        return results

    def best_scores(self, db, need_rows: Iterable[Mapping[str, Any]], profile_ids: Iterable[int] | None = None
                    ) -> dict[int, float]:
        """Best unblocked score of each need (0 when nobody fits without a blocking reason)."""
        ids = None if profile_ids is None else list(profile_ids)
        best = {}
        for row in need_rows:
            top = self.rank(db, row, top=1, include_blocked=False, profile_ids=ids)
            best[row["id"]] = top[0].score if top else 0.0
        return best


def snapshot(match: Match) -> dict:
    """The explanation as saved with a proposal: what the CRE saw when proposing."""
    data = match.to_dict()
    data["skills"] = {
        "direct": [c.skill for c in match.direct],
        "transferable": [{"skill": c.skill, "from": c.source, "kind": c.kind} for c in match.transferable],
        "missing": [c.skill for c in match.missing],
    }
    return data


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = None


def engine() -> EngineState:
    """This process's engine, created on first use."""
    state = current_app.extensions.get(EXTENSION)
    if state is None:
        state = current_app.extensions[EXTENSION] = EngineState(current_app.config.get("TAXONOMY_DIR"))
    return state
