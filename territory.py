"""The territorial diagnostic: supply (people in path) against demand (needs, potential, clause hours), by sector.

Pure functions on plain values (no Flask, no SQL), tested in tests/test_territory.py. The web
layer reads the database and the matching engine, turns every person and need of the territory
into the anonymous records below, and hands them here.

Only aggregates leave this module, and never a small count:

* a count of people from 1 to 4 is published as "moins de 5" (``SUPPRESSED``);
* a total is published only when it does not give back a suppressed cell by
  difference: with the published cells known, the suppressed ones must be at
  least two, and their sum must leave each of them undetermined;
* a breakdown by métier lists only métiers of 5 people or more, and gives
  their counts as bands of 5 ("10 à 14") when the exact counts would leave,
  by difference with the sector's count, a small number of people;
* accessibility (a share of the territory's people) is rounded to 10 %, and
  given only for a territory of 50 people or more, so that a step is at least
  5 people.

The score of a sector says where to act: much demand not met by the people
nearest to it, and jobs the people in path can reach (no licence, French level
or distance barring them).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Mapping

__all__ = [
    "SMALL_COUNT",
    "SUPPRESSED",
    "BARRIERS",
    "Person",
    "Demand",
    "Potential",
    "ClauseWork",
    "SectorRow",
    "Diagnostic",
    "suppress",
    "total_is_safe",
    "publish_total",
    "band",
    "listed_metiers",
    "build",
]

# Fewer people than this are never shown as a number (secret statistique).
SMALL_COUNT = 5
SUPPRESSED = "moins de 5"
# Accessibility is a share of the territory's people: rounded to this many percent, and only
# given when the territory has enough people for one step to be at least SMALL_COUNT people.
ACCESSIBILITY_STEP = 10
MIN_PEOPLE_FOR_ACCESSIBILITY = SMALL_COUNT * 100 // ACCESSIBILITY_STEP
# Clause hours still to do, turned into positions for the score: a year's full-time hours.
CLAUSE_HOURS_PER_POSITION = 1607
# The score mixes demand not met (where the jobs are) and accessibility (whether the people in
# path can take them); demand weighs more: an accessible sector with no jobs is no way out.
DEMAND_WEIGHT = 0.6
ACCESS_WEIGHT = 0.4
# A besoin pressenti is hiring a CRE expects, not yet a need: it weighs half a position.
POTENTIAL_WEIGHT = 0.5
# Accessibility assumed for a sector whose needs say nothing (noted potential, clause hours only).
UNKNOWN_ACCESS = 0.5
# Skills listed per sector as the most missing.
MISSING_SKILLS_PER_SECTOR = 5
OTHER_SECTOR = "autre"
OTHER_SECTOR_LABEL = "Autre ou non déterminé"

# The barriers counted among people in path: (field of Person, French label).
BARRIERS: tuple[tuple[str, str], ...] = (
    ("no_licence", "Sans permis B"),
    ("low_french", "Français à consolider (A1–A2)"),
    ("low_mobility", "Mobilité réduite (moins de 10 km)"),
)

Count = int | str  # a published count: a number, or SUPPRESSED


@dataclass(frozen=True)
class Person:
    """A person in path in the territory, reduced to what is counted (no identity)."""

    sector: str | None
    metier: str | None = None       # label of their main métier
    no_licence: bool = False
    low_french: bool = False
    low_mobility: bool = False


@dataclass(frozen=True)
class Demand:
    """An open need of the territory (pooled or not) and how the territory's people answer it."""

    sector: str | None
    positions: int
    pooled: bool = False
    good_candidates: int = 0             # people of the territory fit for it (good score, nothing blocking)
    reachable_share: float | None = None  # share of the territory's people no constraint of it bars
    missing_skills: tuple[str, ...] = ()  # skills its nearest candidates lack


@dataclass(frozen=True)
class Potential:
    """Hiring a CRE expects from an employer of the territory (besoin pressenti)."""

    sector: str | None
    count: int


@dataclass(frozen=True)
class ClauseWork:
    """Insertion hours a lot of the territory still has to do."""

    sector: str | None
    hours_to_do: float


@dataclass
class SectorRow:
    sector: str
    label: str
    people: Count
    barriers: dict[str, Count]
    open_positions: int
    pooled_positions: int
    potential: int
    clause_hours_to_do: int
    met: int
    unmet: int
    accessibility: int | None
    score: int | None
    missing_skills: list[tuple[str, int]]

    @property
    def demand(self) -> int:
        return self.open_positions + self.potential


@dataclass
class Diagnostic:
    sectors: list[SectorRow]
    metiers: list[tuple[str, str, Count]]      # (métier, sector label, people or band) — listed métiers only
    people_total: Count | None                  # None when publishing it would give back a small cell
    barrier_totals: dict[str, Count | None]
    open_positions_total: int
    potential_total: int
    clause_hours_total: int
    accessibility_given: bool = field(default=True)


def suppress(count: int) -> Count:
    """A count of people as published: 0 and 5 or more as they are, 1 to 4 as "moins de 5"."""
    return SUPPRESSED if 0 < count < SMALL_COUNT else count


def total_is_safe(counts: Iterable[int]) -> bool:
    """Whether publishing the total of these cells keeps every suppressed cell undetermined.

    Knowing the total and the published cells gives the sum of the suppressed ones: one
    suppressed cell is then known; several are each undetermined unless their sum forces them
    all to 1 or all to 4.
    """
    small = [c for c in counts if 0 < c < SMALL_COUNT]
    k, s = len(small), sum(small)
    return k == 0 or (k >= 2 and k < s < (SMALL_COUNT - 1) * k)


def publish_total(counts: Iterable[int]) -> int | None:
    counts = list(counts)
    return sum(counts) if total_is_safe(counts) else None


def band(count: int) -> str:
    """A count given as its band of 5: 12 → "10 à 14"."""
    low = count // SMALL_COUNT * SMALL_COUNT
    return f"{low} à {low + SMALL_COUNT - 1}"


def listed_metiers(by_sector: Mapping[str, Mapping[str, int]], sector_totals: Mapping[str, int]
                   ) -> dict[tuple[str, str], Count]:
    """(sector, métier) → people, for the métiers that may be listed.

    A métier of fewer than 5 people is not listed. When the exact counts of a sector's listed
    métiers would leave, by difference with the sector's count, a small number of people (1 to 4
    in the other métiers), those counts are given as bands of 5 ("10 à 14") instead.
    """
    listed: dict[tuple[str, str], Count] = {}
    for sector, metiers in by_sector.items():
        kept = {m: n for m, n in metiers.items() if n >= SMALL_COUNT}
        remainder = sector_totals.get(sector, 0) - sum(kept.values())
        exact = remainder == 0 or remainder >= SMALL_COUNT
        listed.update({(sector, m): (n if exact else band(n)) for m, n in kept.items()})
    return listed


def _round_share(share: float) -> int:
    return int(round(share * 100 / ACCESSIBILITY_STEP) * ACCESSIBILITY_STEP)


def build(people: Iterable[Person], demands: Iterable[Demand], potentials: Iterable[Potential],
          clause_work: Iterable[ClauseWork], sector_labels: Mapping[str, str]) -> Diagnostic:
    """The diagnostic of a territory, every count already published (suppressed where small)."""
    people, demands = list(people), list(demands)
    potentials, clause_work = list(potentials), list(clause_work)

    def key(sector: str | None) -> str:
        return sector if sector in sector_labels else OTHER_SECTOR

    supply: Counter[str] = Counter(key(p.sector) for p in people)
    barrier_counts: dict[str, Counter[str]] = {name: Counter() for name, _ in BARRIERS}
    by_metier: dict[str, Counter[str]] = defaultdict(Counter)
    for p in people:
        for name, _ in BARRIERS:
            if getattr(p, name):
                barrier_counts[name][key(p.sector)] += 1
        if p.metier:
            by_metier[key(p.sector)][p.metier] += 1

    open_positions: Counter[str] = Counter()
    pooled_positions: Counter[str] = Counter()
    met: Counter[str] = Counter()
    reach_weighted: Counter[str] = Counter()
    reach_weight: Counter[str] = Counter()
    missing: dict[str, Counter[str]] = defaultdict(Counter)
    for d in demands:
        s = key(d.sector)
        open_positions[s] += d.positions
        if d.pooled:
            pooled_positions[s] += d.positions
        met[s] += min(d.positions, d.good_candidates)
        if d.reachable_share is not None:
            reach_weighted[s] += d.reachable_share * d.positions
            reach_weight[s] += d.positions
        missing[s].update(set(d.missing_skills))
    potential: Counter[str] = Counter()
    for p in potentials:
        potential[key(p.sector)] += p.count
    clause_hours: Counter[str] = Counter()
    for c in clause_work:
        clause_hours[key(c.sector)] += c.hours_to_do

    accessibility_given = len(people) >= MIN_PEOPLE_FOR_ACCESSIBILITY
    sectors = [s for s in [*sector_labels, OTHER_SECTOR]
               if supply[s] or open_positions[s] or potential[s] or clause_hours[s]]
    accessibility = {s: (_round_share(reach_weighted[s] / reach_weight[s])
                         if accessibility_given and reach_weight[s] else None) for s in sectors}
    known = [a / 100 for a in accessibility.values() if a is not None]
    default_access = sum(known) / len(known) if known else UNKNOWN_ACCESS
    unmet_demand = {s: (open_positions[s] - met[s]) + POTENTIAL_WEIGHT * potential[s]
                    + clause_hours[s] / CLAUSE_HOURS_PER_POSITION for s in sectors}
    top = max(unmet_demand.values(), default=0.0)

    rows = []
    for s in sectors:
        has_demand = bool(open_positions[s] or potential[s] or clause_hours[s])
        score = None
        if has_demand:
            access = accessibility[s] / 100 if accessibility[s] is not None else default_access
            demand_index = unmet_demand[s] / top if top else 0.0
            score = int(round(100 * (DEMAND_WEIGHT * demand_index + ACCESS_WEIGHT * access)))
        rows.append(SectorRow(
            sector=s, label=sector_labels.get(s, OTHER_SECTOR_LABEL), people=suppress(supply[s]),
            barriers={name: suppress(barrier_counts[name][s]) for name, _ in BARRIERS},
            open_positions=open_positions[s], pooled_positions=pooled_positions[s], potential=potential[s],
            clause_hours_to_do=int(round(clause_hours[s])), met=met[s], unmet=open_positions[s] - met[s],
            accessibility=accessibility[s], score=score,
            missing_skills=sorted(missing[s].items(), key=lambda kv: (-kv[1], kv[0]))[:MISSING_SKILLS_PER_SECTOR],
        ))
    rows.sort(key=lambda r: (r.score is None, -(r.score or 0), r.label))
    metiers = listed_metiers(by_metier, supply)
    return Diagnostic(
        sectors=rows,
        metiers=sorted(((m, sector_labels.get(s, OTHER_SECTOR_LABEL), n) for (s, m), n in metiers.items()),
                       key=lambda t: (-(t[2] if isinstance(t[2], int) else int(t[2].split()[0])), t[0])),
        people_total=None if (total := publish_total(supply[s] for s in sectors)) is None else suppress(total),
        barrier_totals={name: (None if (t := publish_total(barrier_counts[name][s] for s in sectors)) is None
                               else suppress(t)) for name, _ in BARRIERS},
        open_positions_total=sum(open_positions.values()),
        potential_total=sum(potential.values()),
        clause_hours_total=int(round(sum(clause_hours.values()))),
        accessibility_given=accessibility_given,
    )
