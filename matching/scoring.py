"""What a score is made of: skill coverage, text similarity and blocking constraints.

Everything here works on one need and one profile at a time; ``index.py``
computes the same quantities for many profiles at once, from the same
``SkillSources`` and constants, so that the explanation of a result is the
one its score was computed from.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable

from .mapping import TRANSVERSAL_SECTOR, Mapping, MetierHit, SkillHit, SkillMapper
from .model import FRENCH_LEVELS, Need, Profile
from .taxonomy import Taxonomy
from .text import normalise

__all__ = [
    "COVERAGE_WEIGHT",
    "TEXT_WEIGHT",
    "Held",
    "PreparedNeed",
    "PreparedProfile",
    "Credit",
    "SkillSources",
    "Match",
    "prepare_need",
    "prepare_profiles",
    "blocking_reasons",
    "haversine_km",
    "combine",
]

# The final score mixes the two signals. Skill coverage carries most of it
# because it is what a CRE can explain and an employer can check; text
# similarity catches what the taxonomy does not know (unmatched fragments,
# descriptions, employer jargon) and separates candidates of equal coverage.
COVERAGE_WEIGHT = 0.7
TEXT_WEIGHT = 0.3

# Weights of a need's skills in the coverage: indispensable skills count
# fully, "souhaitée" ones half, and those only implied by the job title half.
REQUIRED_WEIGHT = 1.0
WANTED_WEIGHT = 0.5
IMPLIED_WEIGHT = 0.5

# A need that names fewer mapped skills than this gets the core skills of the
# métier its title stands for, so that "Câbleur (H/F)" alone still means something.
MIN_EXPLICIT_SKILLS = 3

# How sure we are that a person holds a skill: typed or confirmed skills are
# held; the core skills of a past job are likely but not certain.
DECLARED_STRENGTH = 1.0
EXPERIENCE_STRENGTH = 0.8

# Two skills that share bridging aptitudes (dextérité fine, port de charges…)
# transfer when no explicit link says better: this much per shared aptitude,
# up to the cap. One shared aptitude is a hint, two a real head start; both
# stay below every explicit link of the taxonomy (0.3 and up).
APTITUDE_TRANSFER_PER_SHARED = 0.15
APTITUDE_TRANSFER_CAP = 0.3

# See ``resolve``: a mapping score under this, outside the sectors of the
# métier in context, is not trusted.
OUT_OF_CONTEXT_MIN_SCORE = 90.0

EARTH_RADIUS_KM = 6371.0088

_FRENCH_RANK = {level: i for i, level in enumerate(FRENCH_LEVELS)}


@dataclass(frozen=True)
class Held:
    """A skill a profile holds, how surely, and where we learnt it."""

    strength: float
    origin: str


@dataclass(frozen=True)
class PreparedProfile:
    profile: Profile
    held: dict[str, Held]
    text: str
    skills_mapping: Mapping
    metiers: tuple[MetierHit, ...] = ()


@dataclass(frozen=True)
class PreparedNeed:
    need: Need
    wanted: dict[str, float]
    text: str
    skills_mapping: Mapping
    metier: MetierHit | None = None
    implied: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Credit:
    """How one needed skill is met by a profile."""

    skill: str
    weight: float
    credit: float
    kind: str  # "direct", "transfer", "aptitude" or "missing"
    source: str | None = None
    why: str = ""


def _analyzer(doc: str) -> list[str]:
    """Unigrams and bigrams of an already normalised text (for TF-IDF)."""
    words = doc.split()
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


def _skill_text(mapper: SkillMapper, skill_ids: Iterable[str]) -> str:
    """The canonical labels of skills, normalised: the taxonomy's words for what a text says."""
    return " ".join(mapper.normalise(mapper.taxonomy.label(s)) for s in skill_ids)


def _context(taxonomy: Taxonomy, metier_ids: Iterable[str]) -> tuple[set[str], set[str]]:
    """Core skills and sectors of the métiers a text is about (a need's title, a person's past jobs)."""
    skills: set[str] = set()
    sectors: set[str] = set()
    for metier_id in metier_ids:
        metier = taxonomy.metiers[metier_id]
        skills.update(metier.skills)
        sectors.add(metier.sector)
    return skills, sectors


def resolve(hit: SkillHit, taxonomy: Taxonomy, context: tuple[set[str], set[str]]) -> str | None:
    """The skill a fragment stands for, given what the text is about; None to set it aside.

    "sertissage" in a wiring offer is the electronics skill, in a plumber's
    profile the plumbing one: among the best candidates, prefer a core skill
    of the métier in context, then one of its sector, then the best score.
    A loose match outside the sectors in context is a false friend more often
    than a skill ("fabrication de caisses en bois" for a joiner is not the
    cashier's "caisse"): under ``OUT_OF_CONTEXT_MIN_SCORE`` it is set aside.
    """
    skills, sectors = context
    if (sectors and hit.score < OUT_OF_CONTEXT_MIN_SCORE
            and taxonomy.skills[hit.id].sector not in sectors | {TRANSVERSAL_SECTOR}
            and not any(taxonomy.skills[a.id].sector in sectors for a in hit.alternatives)):
        return None
    if not hit.alternatives:
        return hit.id
    candidates = [hit.id, *(a.id for a in hit.alternatives)]
    for pool in (skills, {c for c in candidates if taxonomy.skills[c].sector in sectors}):
        for candidate in candidates:
            if candidate in pool:
                return candidate
    return hit.id


def prepare_profiles(profiles: Iterable[Profile], mapper: SkillMapper) -> list[PreparedProfile]:
    """Map every profile's free text once, in batches; the result feeds the index."""
    profiles = list(profiles)
    taxonomy = mapper.taxonomy
    # Skills a person already checked are not mapped again.
    skill_maps = mapper.map_many("\n".join(p.skills) if p.auto_map else "" for p in profiles)
    experience_maps = mapper.map_many("\n".join(p.experiences) for p in profiles)
    titles = [t for p in profiles for t in p.experiences]
    title_hits = iter(mapper.map_titles(titles))
    prepared: list[PreparedProfile] = []
    for profile, skills_map, exp_map in zip(profiles, skill_maps, experience_maps):
        held: dict[str, Held] = {}
        metiers: list[MetierHit] = []
        for _ in profile.experiences:
            hit = next(title_hits)
            if hit is None:
                continue
            metiers.append(hit)
            for skill_id in taxonomy.metiers[hit.id].skills:
                held.setdefault(skill_id, Held(EXPERIENCE_STRENGTH, f"expérience : {hit.text}"))
        for skill_id in profile.implied_skill_ids:
            if skill_id in taxonomy.skills:
                held.setdefault(skill_id, Held(EXPERIENCE_STRENGTH, "métier ROME de l'expérience"))
        context = _context(taxonomy, (m.id for m in metiers))
        for hit in (*exp_map.skills, *skills_map.skills):
            skill_id = resolve(hit, taxonomy, context)
            if skill_id is not None:
                held[skill_id] = Held(DECLARED_STRENGTH, f"« {hit.fragment} »")
        for skill_id in profile.skill_ids:
            if skill_id in taxonomy.skills:
                held[skill_id] = Held(DECLARED_STRENGTH, "confirmée")
        raw = " ".join((profile.description, *profile.skills, *profile.experiences))
        text = f"{normalise(raw, lexicon=taxonomy.lexicon)} {_skill_text(mapper, held)}".strip()
        prepared.append(PreparedProfile(profile, held, text, skills_map, tuple(metiers)))
    return prepared


def prepare_need(need: Need, mapper: SkillMapper) -> PreparedNeed:
    """Map a need's skills and title; decide the weight of every wanted skill."""
    taxonomy = mapper.taxonomy
    mappings = mapper.map_many(s.text for s in need.skills)
    metier = mapper.map_title(need.title) if need.title else None
    context = _context(taxonomy, [metier.id] if metier else [])
    wanted: dict[str, float] = {}
    for need_skill, mapping in zip(need.skills, mappings):
        weight = REQUIRED_WEIGHT if need_skill.required else WANTED_WEIGHT
        if not need.auto_map:
            continue
        for hit in mapping.skills:
            skill_id = resolve(hit, taxonomy, context)
            if skill_id is not None:
                wanted[skill_id] = max(wanted.get(skill_id, 0.0), weight)
    for skill_id in need.optional_skill_ids:
        if skill_id in taxonomy.skills:
            wanted[skill_id] = max(wanted.get(skill_id, 0.0), WANTED_WEIGHT)
    for skill_id in need.skill_ids:
        if skill_id in taxonomy.skills:
            wanted[skill_id] = REQUIRED_WEIGHT
    implied: set[str] = set()
    if metier is not None and len(wanted) < MIN_EXPLICIT_SKILLS:
        for skill_id in taxonomy.metiers[metier.id].skills:
            if skill_id not in wanted:
                wanted[skill_id] = IMPLIED_WEIGHT
                implied.add(skill_id)
    merged = Mapping(
        "\n".join(s.text for s in need.skills),
        tuple(h for m in mappings for h in m.skills),
        tuple(u for m in mappings for u in m.unmatched),
    )
    raw = " ".join((need.title, need.description, *(s.text for s in need.skills)))
    text = f"{normalise(raw, lexicon=taxonomy.lexicon)} {_skill_text(mapper, wanted)}".strip()
    return PreparedNeed(need, wanted, text, merged, metier, frozenset(implied))


class SkillSources:
    """For each skill, the held skills that count toward it and at which weight.

    The skill itself counts fully; explicit transfer links at their weight;
    skills sharing bridging aptitudes at ``APTITUDE_TRANSFER_PER_SHARED`` each (capped).
    Built lazily, once per skill, and shared by scalar and vector scoring.
    """

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self._cache: dict[str, list[tuple[str, float, str, str]]] = {}
        self._lookup: dict[str, dict[str, tuple[int, float, str, str]]] = {}

    def __call__(self, skill_id: str) -> list[tuple[str, float, str, str]]:
        """(source skill, weight, kind, why) sorted by decreasing weight, the skill itself first."""
        if skill_id in self._cache:
            return self._cache[skill_id]
        taxonomy = self.taxonomy
        sources: dict[str, tuple[str, float, str, str]] = {skill_id: (skill_id, 1.0, "direct", "")}
        for t in taxonomy.transfers_into(skill_id):
            if t.source not in sources or sources[t.source][1] < t.weight:
                sources[t.source] = (t.source, t.weight, "transfer", t.why)
        target = taxonomy.skills.get(skill_id)
        shared: dict[str, list[str]] = {}
        for apt_id in (target.aptitudes if target else ()):
            aptitude = taxonomy.aptitudes[apt_id]
            if aptitude.bridge:
                for other in taxonomy.skills_with_aptitude(apt_id):
                    shared.setdefault(other, []).append(aptitude.label.lower())
        for other, labels in shared.items():
            weight = min(APTITUDE_TRANSFER_CAP, APTITUDE_TRANSFER_PER_SHARED * len(labels))
            if other not in sources:
                why = ("aptitude commune : " if len(labels) == 1 else "aptitudes communes : ") + ", ".join(labels)
                sources[other] = (other, weight, "aptitude", why)
        ordered = sorted(sources.values(), key=lambda s: (s[2] != "direct", -s[1], s[0]))
        self._cache[skill_id] = ordered
        self._lookup[skill_id] = {s[0]: (rank, *s[1:]) for rank, s in enumerate(ordered)}
        return ordered

    def lookup(self, skill_id: str) -> dict[str, tuple[int, float, str, str]]:
        """Source skill → (rank in ``__call__``'s order, weight, kind, why)."""
        if skill_id not in self._lookup:
            self(skill_id)
        return self._lookup[skill_id]


def credit_for(skill_id: str, weight: float, held: dict[str, Held], sources: SkillSources) -> Credit:
    """How a profile's held skills meet one needed skill: the best source wins.

    Ties go to the source listed first by ``SkillSources`` (the skill itself,
    then explicit links, then shared aptitudes).
    """
    table = sources.lookup(skill_id)
    best_key: tuple[float, int] | None = None
    best: Credit = Credit(skill_id, weight, 0.0, "missing")
    for source, h in held.items():
        entry = table.get(source)
        if entry is None:
            continue
        rank, link_weight, kind, why = entry
        key = (round(h.strength * link_weight, 9), -rank)
        if best_key is None or key > best_key:
            best_key = key
            best = Credit(skill_id, weight, h.strength * link_weight, kind, source, why)
    return best


def combine(coverage: float, text_similarity: float, has_skills: bool) -> float:
    """The final score from its two parts; text alone when the need names no known skill."""
    if not has_skills:
        return text_similarity
    return COVERAGE_WEIGHT * coverage + TEXT_WEIGHT * text_similarity


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def profile_distance(need: Need, profile: Profile) -> float | None:
    if not (need.location.known and profile.location.known):
        return None
    return haversine_km(need.location.lat, need.location.lon, profile.location.lat, profile.location.lon)


def blocking_reasons(need: Need, profile: Profile, distance_km: float | None) -> list[str]:
    """Why a profile cannot take the job as it stands; unknown facts never block."""
    reasons: list[str] = []
    if need.driving_licence and profile.driving_licence is False:
        reasons.append("Permis B exigé, non détenu")
    if need.french_level and profile.french_level and _FRENCH_RANK[profile.french_level] < _FRENCH_RANK[need.french_level]:
        reasons.append(f"Niveau de français {profile.french_level}, inférieur au niveau demandé {need.french_level}")
    if distance_km is not None:
        if need.max_distance_km is not None and distance_km > need.max_distance_km:
            reasons.append(f"À {distance_km:.0f} km, au-delà de la distance maximale de l'offre ({need.max_distance_km:.0f} km)")
        if profile.mobility_km is not None and distance_km > profile.mobility_km:
            reasons.append(f"À {distance_km:.0f} km, au-delà de la mobilité de la personne ({profile.mobility_km:.0f} km)")
    return reasons


def to_check(need: Need, profile: Profile) -> list[str]:
    """Constraints of the need that the profile does not document: to ask, not to block."""
    notes: list[str] = []
    if need.driving_licence and profile.driving_licence is None:
        notes.append("Permis B exigé : non renseigné")
    if need.french_level and not profile.french_level:
        notes.append(f"Français {need.french_level} demandé : niveau non renseigné")
    if (need.max_distance_km is not None or profile.mobility_km is not None) and need.location.known and not profile.location.known:
        notes.append("Distance inconnue : adresse non renseignée")
    return notes


@dataclass(frozen=True)
class Match:
    """One ranked candidate with the explanation its score was computed from."""

    candidate: str
    score: float
    coverage: float
    text_similarity: float
    credits: tuple[Credit, ...]
    blocking: tuple[str, ...]
    to_check: tuple[str, ...] = ()
    distance_km: float | None = None
    labels: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def direct(self) -> list[Credit]:
        return [c for c in self.credits if c.kind == "direct"]

    @property
    def transferable(self) -> list[Credit]:
        return [c for c in self.credits if c.kind in ("transfer", "aptitude")]

    @property
    def missing(self) -> list[Credit]:
        return [c for c in self.credits if c.kind == "missing"]

    def to_dict(self) -> dict:
        label = self.labels.get
        return {
            "candidate": self.candidate,
            "score": round(self.score, 4),
            "direct": [label(c.skill, c.skill) for c in self.direct],
            "transferable": [
                {"skill": label(c.skill, c.skill), "from": label(c.source, c.source), "why": c.why,
                 "weight": round(c.credit, 2), "kind": c.kind}
                for c in self.transferable
            ],
            "missing": [label(c.skill, c.skill) for c in self.missing],
            "blocking": list(self.blocking),
            "to_check": list(self.to_check),
            "coverage": round(self.coverage, 4),
            "text_similarity": round(self.text_similarity, 4),
            "distance_km": None if self.distance_km is None else round(self.distance_km, 1),
        }


def explain(need: PreparedNeed, profile: PreparedProfile, text_similarity: float,
            sources: SkillSources) -> Match:
    """Score one pair and keep every piece of the computation as its explanation."""
    credits = tuple(
        credit_for(skill_id, weight, profile.held, sources)
        for skill_id, weight in sorted(need.wanted.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    total = sum(c.weight for c in credits)
    coverage = sum(c.weight * c.credit for c in credits) / total if total else 0.0
    distance = profile_distance(need.need, profile.profile)
    taxonomy = sources.taxonomy
    labels = {c.skill: taxonomy.label(c.skill) for c in credits}
    labels.update({c.source: taxonomy.label(c.source) for c in credits if c.source})
    return Match(
        candidate=profile.profile.id,
        score=combine(coverage, text_similarity, bool(total)),
        coverage=coverage,
        text_similarity=text_similarity,
        credits=credits,
        blocking=tuple(blocking_reasons(need.need, profile.profile, distance)),
        to_check=tuple(to_check(need.need, profile.profile)),
        distance_km=distance,
        labels=labels,
    )
