"""The matching index: profiles fitted once, needs ranked against them many times.

Profiles live in sparse matrices (TF-IDF text vectors, held-skill strengths)
plus a few constraint arrays, so ranking a need against 100,000 profiles is a
handful of sparse products and vector operations. Only the returned top K are
explained, by the scalar code of ``scoring.py`` on the same data.

Incremental changes: ``add`` puts profiles in a small delta block scored with
the fitted vectoriser; ``remove`` marks a row dead. When the changes since the
last fit exceed ``REFIT_RATIO`` of the fitted size, ``needs_refit`` turns true
and the owner calls ``refit()`` (the web app does it when it next rebuilds).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from .mapping import SkillMapper
from .model import FRENCH_LEVELS, Need, Profile
from .scoring import (
    COVERAGE_WEIGHT,
    EARTH_RADIUS_KM,
    TEXT_WEIGHT,
    Match,
    PreparedNeed,
    PreparedProfile,
    SkillSources,
    _analyzer,
    explain,
    prepare_need,
    prepare_profiles,
)
from .text import normalise

__all__ = ["MatchIndex", "REFIT_RATIO", "DEFAULT_TOP"]

DEFAULT_TOP = 10

# Changes (added + removed profiles) past this share of the fitted size make
# the index stale enough to refit: new words are unknown to the fitted
# vocabulary and the IDF drifts. Below it, ranking quality is unaffected in
# practice and adding a profile costs milliseconds.
REFIT_RATIO = 0.2

# Ranking key offset that puts every blocked candidate after every other one
# (scores are within [0, 1]).
_BLOCKED_PENALTY = 2.0

_UNKNOWN = -1


@dataclass
class _Block:
    """Rows of prepared profiles as matrices and arrays."""

    prepared: list[PreparedProfile]
    text: sp.csr_matrix
    skills: sp.csc_matrix
    licence: np.ndarray
    french: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    mobility: np.ndarray
    alive: np.ndarray

    @property
    def size(self) -> int:
        return len(self.prepared)


class MatchIndex:
    """Profiles fitted once; needs ranked many times."""

    def __init__(self, mapper: SkillMapper, prepared: Sequence[PreparedProfile] = ()) -> None:
        self.mapper = mapper
        self.taxonomy = mapper.taxonomy
        self.sources = SkillSources(self.taxonomy)
        self._skill_column = {s: i for i, s in enumerate(self.taxonomy.skills)}
        self._fit(list(prepared))

    # -- building -----------------------------------------------------------
    @classmethod
    def build(cls, profiles: Iterable[Profile], mapper: SkillMapper) -> "MatchIndex":
        """Map and index ``profiles`` in one go."""
        return cls(mapper, prepare_profiles(profiles, mapper))

    def _background(self) -> list[str]:
        # The taxonomy's own words, one document per skill, stabilise the IDF
        # when few profiles are indexed (a command-line run on five people).
        lexicon = self.taxonomy.lexicon
        return [normalise(" ".join((s.label, *s.synonyms)), lexicon=lexicon) for s in self.taxonomy.skills.values()]

    def _fit(self, prepared: list[PreparedProfile]) -> None:
        self._vectorizer = TfidfVectorizer(analyzer=_analyzer, sublinear_tf=True, dtype=np.float32)
        self._vectorizer.fit([p.text for p in prepared] + self._background())
        self._main = self._block(prepared)
        self._delta_rows: list[PreparedProfile] = []
        self._delta: _Block | None = None
        self._rows: dict[str, tuple[str, int]] = {p.profile.id: ("main", i) for i, p in enumerate(prepared)}
        self._removed = 0

    def _block(self, prepared: list[PreparedProfile]) -> _Block:
        n = len(prepared)
        text = self._vectorizer.transform([p.text for p in prepared]) if n else sp.csr_matrix((0, len(self._vectorizer.vocabulary_)), dtype=np.float32)
        rows, cols, vals = [], [], []
        for i, p in enumerate(prepared):
            for skill_id, held in p.held.items():
                rows.append(i)
                cols.append(self._skill_column[skill_id])
                vals.append(held.strength)
        skills = sp.csc_matrix((np.array(vals, dtype=np.float32), (rows, cols)), shape=(n, len(self._skill_column)))
        french_rank = {level: i for i, level in enumerate(FRENCH_LEVELS)}

        def floats(values: Iterable[float | None]) -> np.ndarray:
            return np.array([np.nan if v is None else v for v in values], dtype=np.float64)

        profiles = [p.profile for p in prepared]
        return _Block(
            prepared=prepared,
            text=text.tocsr(),
            skills=skills,
            licence=np.array([_UNKNOWN if p.driving_licence is None else int(p.driving_licence) for p in profiles], dtype=np.int8),
            french=np.array([french_rank.get(p.french_level, _UNKNOWN) for p in profiles], dtype=np.int8),
            lat=floats(p.location.lat for p in profiles),
            lon=floats(p.location.lon for p in profiles),
            mobility=floats(p.mobility_km for p in profiles),
            alive=np.ones(n, dtype=bool),
        )

    # -- incremental changes -------------------------------------------------
    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, profile_id: object) -> bool:
        return profile_id in self._rows

    @property
    def fitted_size(self) -> int:
        return self._main.size

    @property
    def pending_changes(self) -> int:
        return len(self._delta_rows) + self._removed

    @property
    def needs_refit(self) -> bool:
        """True once the changes since the last fit pass ``REFIT_RATIO`` of its size."""
        return self.pending_changes > max(1, REFIT_RATIO * self.fitted_size)

    def add(self, profiles: Iterable[Profile]) -> None:
        """Index new or changed profiles (a changed one replaces its old row)."""
        prepared = prepare_profiles(profiles, self.mapper)
        for p in prepared:
            if p.profile.id in self._rows:
                self.remove(p.profile.id)
            self._rows[p.profile.id] = ("delta", len(self._delta_rows))
            self._delta_rows.append(p)
        self._delta = None

    def remove(self, profile_id: str) -> bool:
        """Forget a profile; return whether it was indexed."""
        where = self._rows.pop(profile_id, None)
        if where is None:
            return False
        block, row = where
        if block == "main":
            self._main.alive[row] = False
            self._removed += 1
        else:
            # Delta rows are few: rebuild the delta block without it.
            self._delta_rows.pop(row)
            self._rows.update({p.profile.id: ("delta", i) for i, p in enumerate(self._delta_rows)})
            self._delta = None
        return True

    def refit(self) -> None:
        """Fit again on every live profile (the rule for when: ``needs_refit``)."""
        live = [p for p, alive in zip(self._main.prepared, self._main.alive) if alive] + self._delta_rows
        self._fit(live)

    def profiles(self) -> list[PreparedProfile]:
        """Every live prepared profile, fitted ones first."""
        return [p for p, a in zip(self._main.prepared, self._main.alive) if a] + list(self._delta_rows)

    def get(self, profile_id: str) -> PreparedProfile | None:
        where = self._rows.get(profile_id)
        if where is None:
            return None
        block, row = where
        return self._main.prepared[row] if block == "main" else self._delta_rows[row]

    def _blocks(self) -> list[_Block]:
        if self._delta_rows and self._delta is None:
            self._delta = self._block(self._delta_rows)
        return [self._main] + ([self._delta] if self._delta_rows else [])

    # -- querying -----------------------------------------------------------
    def prepare(self, need: Need) -> PreparedNeed:
        return prepare_need(need, self.mapper)

    def text_vector(self, text: str) -> sp.csr_matrix:
        return self._vectorizer.transform([text])

    def rank(self, need: Need | PreparedNeed, *, top: int = DEFAULT_TOP, include_blocked: bool = True,
             max_distance_km: float | None = None, only: Iterable[str] | None = None) -> list[Match]:
        """The ``top`` best candidates for a need, unblocked first, each explained.

        ``max_distance_km`` narrows the search (a filter of the web page) on
        top of the need's own limit; ``include_blocked=False`` drops blocked
        ones; ``only`` restricts the search to these profile ids (a CRE sees
        the people of their own structure).
        """
        prepared = need if isinstance(need, PreparedNeed) else self.prepare(need)
        if top <= 0 or not self._rows:
            return []
        query = self.text_vector(prepared.text)
        keys, texts, owners = [], [], []
        for block in self._blocks():
            key, text = self._scores(block, prepared, query, max_distance_km)
            keys.append(key)
            texts.append(text)
            owners.append(block)
        key = np.concatenate(keys)
        text_sim = np.concatenate(texts)
        if only is not None:
            allowed = np.zeros(key.size, dtype=bool)
            offsets = np.cumsum([0] + [b.size for b in owners])
            for profile_id in only:
                where = self._rows.get(profile_id)
                if where is not None:
                    allowed[(offsets[0] if where[0] == "main" else offsets[1]) + where[1]] = True
            key[~allowed] = -np.inf
        limit = -np.inf if include_blocked else -_BLOCKED_PENALTY / 2
        k = min(top, key.size)
        chosen = np.argpartition(-key, k - 1)[:k] if k < key.size else np.arange(key.size)
        chosen = chosen[np.argsort(-key[chosen], kind="stable")]
        offsets = np.cumsum([0] + [b.size for b in owners])
        results: list[Match] = []
        for row in chosen:
            if not np.isfinite(key[row]) or key[row] <= limit:
                continue
            b = int(np.searchsorted(offsets, row, side="right") - 1)
            profile = owners[b].prepared[row - offsets[b]]
            results.append(explain(prepared, profile, float(text_sim[row]), self.sources))
        return results

    def explain(self, need: Need | PreparedNeed, profile_id: str) -> Match | None:
        """The explained match of one indexed profile for a need."""
        prepared = need if isinstance(need, PreparedNeed) else self.prepare(need)
        profile = self.get(profile_id)
        if profile is None:
            return None
        similarity = float((self.text_vector(prepared.text) @ self.text_vector(profile.text).T).toarray()[0, 0])
        return explain(prepared, profile, similarity, self.sources)

    def _scores(self, block: _Block, need: PreparedNeed, query: sp.csr_matrix,
                max_distance_km: float | None) -> tuple[np.ndarray, np.ndarray]:
        """Ranking key (score, minus a penalty when blocked; -inf when dead) and text similarity."""
        n = block.size
        if n == 0:
            return np.empty(0), np.empty(0, dtype=np.float32)
        text = np.asarray((block.text @ query.T).todense()).ravel()
        total = sum(need.wanted.values())
        if total:
            coverage = np.zeros(n, dtype=np.float32)
            for skill_id, weight in need.wanted.items():
                coverage += weight * self._credit_column(block, skill_id)
            score = COVERAGE_WEIGHT * (coverage / total) + TEXT_WEIGHT * text
        else:
            score = text.astype(np.float32)
        blocked = self._blocked(block, need.need, max_distance_km)
        key = score - _BLOCKED_PENALTY * blocked
        key[~block.alive] = -np.inf
        if max_distance_km is not None:
            key[self._distance(block, need.need) > max_distance_km] = -np.inf
        return key, text

    def _credit_column(self, block: _Block, skill_id: str) -> np.ndarray:
        """Best credit of every row for one needed skill (same rule as ``credit_for``)."""
        matrix = block.skills
        rows, values = [], []
        for source, weight, *_ in self.sources(skill_id):
            column = self._skill_column[source]
            lo, hi = matrix.indptr[column], matrix.indptr[column + 1]
            if hi > lo:
                rows.append(matrix.indices[lo:hi])
                values.append(matrix.data[lo:hi] * np.float32(weight))
        credit = np.zeros(block.size, dtype=np.float32)
        if rows:
            np.maximum.at(credit, np.concatenate(rows), np.concatenate(values))
        return credit

    @staticmethod
    def _distance(block: _Block, need: Need) -> np.ndarray:
        if not need.location.known:
            return np.full(block.size, np.nan)
        lat1, lon1 = np.radians(need.location.lat), np.radians(need.location.lon)
        lat2, lon2 = np.radians(block.lat), np.radians(block.lon)
        a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
        return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))

    def _blocked(self, block: _Block, need: Need, max_distance_km: float | None) -> np.ndarray:
        """Vector form of ``scoring.blocking_reasons``: True where at least one reason applies."""
        blocked = np.zeros(block.size, dtype=bool)
        if need.driving_licence:
            blocked |= block.licence == 0
        if need.french_level:
            required = FRENCH_LEVELS.index(need.french_level)
            blocked |= (block.french != _UNKNOWN) & (block.french < required)
        if need.location.known and (need.max_distance_km is not None or np.isfinite(block.mobility).any()):
            distance = self._distance(block, need)
            with np.errstate(invalid="ignore"):
                if need.max_distance_km is not None:
                    blocked |= distance > need.max_distance_km
                blocked |= distance > block.mobility
        return blocked
