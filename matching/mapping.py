"""Fuzzy mapping of free French text onto taxonomy skills and métiers."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from .fuzzy import Candidate, FuzzyIndex
from .taxonomy import Taxonomy
from .text import normalise, split_fragments

__all__ = ["SkillHit", "MetierHit", "Mapping", "SkillMapper", "MATCH_THRESHOLD"]

# A fragment maps to a skill at this score (0–100) or above. Set on the
# mapping tests: one typo in a short word scores ~85, two words swapped ~95,
# while unrelated fragments sharing a word ("permis de construire" against
# "permis B") stay under 75.
MATCH_THRESHOLD = 82.0

# Other skills within this many points of the best one make the fragment
# ambiguous: they are returned as alternatives for a person to choose.
AMBIGUITY_MARGIN = 4.0

# A job title maps to a métier at this score or above. Titles are short and
# their words carry the whole meaning, so the bar is higher than for skills.
TITLE_THRESHOLD = 85.0

# Transversal skills (permis, SST, anglais…) sit beside any trade's skill.
TRANSVERSAL_SECTOR = "transversal"

# Job titles are often one word ("menuisier", "carrossier") standing for a
# longer title ("menuisier poseur"): such a partial match scores from this
# share of 100 (see fuzzy.PARTIAL_FLOOR), enough to pass TITLE_THRESHOLD
# when the word covers most of the title.
TITLE_PARTIAL_FLOOR = 0.7

# How many candidates are looked at per fragment: the best, its ambiguous
# rivals, and further skills whose words all appear in a long fragment.
CANDIDATES_PER_FRAGMENT = 8

# Results of normalised fragments are memoised up to this many entries: CRE
# notes repeat the same fragments ("permis B", "ménage") across profiles.
CACHE_SIZE = 200_000


# Years, year ranges and durations in a CV line: "2016-2022", "(8 ans)", "depuis 2019".
_DATES = re.compile(r"\b(?:19|20)\d\d\s*[-–/à]+\s*(?:(?:19|20)\d\d|auj\w*|ce jour)\b|\b(?:depuis|en|de)?\s*(?:19|20)\d\d\b"
                    r"|\(?\b\d+\s*(?:ans?|mois|semaines?)\b\)?", re.IGNORECASE)


@dataclass(frozen=True)
class Alternative:
    id: str
    label: str
    score: float


@dataclass(frozen=True)
class SkillHit:
    """A fragment of text understood as a taxonomy skill."""

    id: str
    label: str
    score: float
    fragment: str
    alternatives: tuple[Alternative, ...] = ()

    def to_dict(self) -> dict:
        data = {"id": self.id, "label": self.label, "score": round(self.score, 1), "fragment": self.fragment}
        if self.alternatives:
            data["alternatives"] = [
                {"id": a.id, "label": a.label, "score": round(a.score, 1)} for a in self.alternatives
            ]
        return data


@dataclass(frozen=True)
class MetierHit:
    """A job title understood as a taxonomy métier."""

    id: str
    label: str
    score: float
    text: str


@dataclass(frozen=True)
class Mapping:
    """How a text was understood: skills found, fragments not understood."""

    input: str
    skills: tuple[SkillHit, ...]
    unmatched: tuple[str, ...]

    @property
    def skill_ids(self) -> list[str]:
        return list(dict.fromkeys(h.id for h in self.skills))

    def to_dict(self) -> dict:
        return {
            "input": self.input,
            "skills": [h.to_dict() for h in self.skills],
            "unmatched": list(self.unmatched),
        }


class SkillMapper:
    """Maps free text to skills and job titles to métiers; fit once, query many times."""

    def __init__(self, taxonomy: Taxonomy, *, threshold: float = MATCH_THRESHOLD,
                 title_threshold: float = TITLE_THRESHOLD) -> None:
        self.taxonomy = taxonomy
        self.threshold = threshold
        self.title_threshold = title_threshold
        self._skills = FuzzyIndex(taxonomy.skill_forms())
        self._metiers = (FuzzyIndex(taxonomy.metier_forms(), single_word_partial=True,
                                    partial_floor=TITLE_PARTIAL_FLOOR, strict_generic_words=True)
                         if taxonomy.metiers else None)
        self._cache: dict[str, tuple[tuple[Candidate, ...], tuple[Candidate, ...]]] = {}
        self._normalised: dict[str, str] = {}
        self._title_cache: dict[str, Candidate | None] = {}

    def normalise(self, text: str) -> str:
        """``matching.text.normalise`` with the taxonomy's lexicon, memoised."""
        cached = self._normalised.get(text)
        if cached is None:
            if len(self._normalised) >= CACHE_SIZE:
                self._normalised.clear()
            cached = self._normalised[text] = normalise(text, lexicon=self.taxonomy.lexicon)
        return cached

    # -- skills -------------------------------------------------------------
    def map(self, text: str) -> Mapping:
        """Split ``text`` into fragments and map each one."""
        return self.map_many([text])[0]

    def map_many(self, texts: Iterable[str]) -> list[Mapping]:
        """Map many texts at once; unknown fragments are scored in one batch."""
        texts = [t or "" for t in texts]
        split = [split_fragments(t, keep_whole=self._is_known_expression) for t in texts]
        normalised = {f: self.normalise(f) for frags in split for f in frags}
        selected = {n: self._cache[n] for n in normalised.values() if n in self._cache}
        todo = sorted({n for n in normalised.values() if n and n not in selected})
        if todo:
            for norm, candidates in zip(todo, self._skills.query_many(todo, limit=CANDIDATES_PER_FRAGMENT)):
                selected[norm] = self._select(norm, candidates)
                self._remember(norm, selected[norm])
        return [self._assemble(text, frags, normalised, selected) for text, frags in zip(texts, split)]

    def _is_known_expression(self, piece: str) -> bool:
        return self._skills.correct(self.normalise(piece)) in self._skills.exact

    def _remember(self, norm: str, value: tuple[tuple[Candidate, ...], tuple[Candidate, ...]]) -> None:
        if len(self._cache) >= CACHE_SIZE:
            self._cache.clear()
        self._cache[norm] = value

    def _select(self, norm: str, candidates: list[Candidate]) -> tuple[tuple[Candidate, ...], tuple[Candidate, ...]]:
        """Pick the skills a normalised fragment stands for, and the best one's rivals.

        The best candidate counts if it reaches the threshold. Further
        candidates count too when every word of their form appears in the
        fragment, on words not used yet: "soudure etain cablage filaire"
        holds two skills.
        """
        if not candidates or candidates[0].score < self.threshold:
            return (), ()
        best = candidates[0]
        words = set(self._skills.correct(norm).split())
        best_words = set(best.form.split())
        # A fuzzy best match (typos) stands for the whole fragment.
        used = best_words if best_words <= words else words
        chosen: list[Candidate] = [best]
        rivals: list[Candidate] = []
        # The best form may be shared by skills of several trades ("sertissage"):
        # any of them may set the trade of the fragment.
        best_sectors = {self.taxonomy.skills[i].sector for i in self._skills.exact.get(best.form, [best.id])}
        for c in candidates[1:]:
            if c.score < self.threshold:
                continue
            form_words = set(c.form.split())
            # A second skill in the same fragment must be of the same trade as
            # the first: "rackage serveurs" holds no waiter ("serveur").
            sector = self.taxonomy.skills[c.id].sector
            same_sector = sector in best_sectors or TRANSVERSAL_SECTOR in best_sectors | {sector}
            if form_words <= words and not form_words & used and same_sector:
                chosen.append(c)
                used |= form_words
            elif best.score - c.score <= AMBIGUITY_MARGIN and not (best.score >= 100.0 > c.score):
                rivals.append(c)
        return tuple(chosen), tuple(rivals)

    def _assemble(self, text: str, fragments: list[str], normalised: dict[str, str],
                  selected: dict[str, tuple[tuple[Candidate, ...], tuple[Candidate, ...]]]) -> Mapping:
        hits: list[SkillHit] = []
        unmatched: list[str] = []
        for fragment in fragments:
            chosen, rivals = selected.get(normalised[fragment], ((), ()))
            if not chosen:
                unmatched.append(fragment)
                continue
            alternatives = tuple(Alternative(r.id, self.taxonomy.label(r.id), r.score) for r in rivals)
            for i, c in enumerate(chosen):
                hits.append(SkillHit(c.id, self.taxonomy.label(c.id), c.score, fragment, alternatives if i == 0 else ()))
        return Mapping(text, tuple(hits), tuple(unmatched))

    # -- job titles ---------------------------------------------------------
    def map_title(self, title: str) -> MetierHit | None:
        """The métier a typed job title stands for, or ``None`` under the threshold."""
        return self.map_titles([title])[0]

    def map_titles(self, titles: Iterable[str]) -> list[MetierHit | None]:
        """Map job titles as typed in a CV line: "2016-2022 employée de pressing, Nantes".

        Dates and durations are dropped, the line is split like a skills list,
        and the best-scoring piece decides.
        """
        titles = list(titles)
        if self._metiers is None:
            return [None] * len(titles)
        pieces = [[self.normalise(p) for p in split_fragments(_DATES.sub(" ", t)) or [t]] for t in titles]
        todo = sorted({n for ps in pieces for n in ps if n not in self._title_cache})
        for norm, candidates in zip(todo, self._metiers.query_many(todo, limit=1)):
            best = candidates[0] if candidates and candidates[0].score >= self.title_threshold else None
            self._title_cache[norm] = best
        results: list[MetierHit | None] = []
        for title, norms in zip(titles, pieces):
            found = [c for c in (self._title_cache.get(n) for n in norms) if c is not None]
            c = max(found, key=lambda c: c.score, default=None)
            results.append(None if c is None else MetierHit(c.id, self.taxonomy.metiers[c.id].label, c.score, title))
        return results
