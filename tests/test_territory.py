"""The territorial diagnostic's rules (territory.py): small counts, differencing, scores."""
from __future__ import annotations

from itertools import product

import pytest

import territory
from territory import SUPPRESSED, ClauseWork, Demand, Person, Potential

LABELS = {"proprete": "Propreté", "logistique": "Logistique", "numerique": "Numérique", "btp": "BTP"}


@pytest.mark.parametrize("count, shown", [(0, 0), (1, SUPPRESSED), (4, SUPPRESSED), (5, 5), (37, 37)])
def test_a_count_of_one_to_four_people_is_never_shown(count, shown):
    assert territory.suppress(count) == shown


@pytest.mark.parametrize("cells, safe", [
    ([10, 7, 0], True),           # nothing suppressed
    ([10, 3], False),             # one suppressed cell: total − 10 gives it back
    ([10, 1, 1], False),          # two cells of sum 2: both are 1
    ([10, 4, 4], False),          # two cells of sum 8: both are 4
    ([10, 1, 2], True),           # sum 3 over two cells: 1+2 or 2+1
    ([10, 3, 4, 2], True),
    ([3], False),
])
def test_a_total_is_published_only_if_no_suppressed_cell_can_be_recomputed(cells, safe):
    assert territory.total_is_safe(cells) is safe
    assert territory.publish_total(cells) == (sum(cells) if safe else None)


def test_when_a_total_is_safe_no_suppressed_cell_has_a_single_possible_value():
    """Exhaustively: knowing the published cells and the total, each suppressed cell keeps two values or more."""
    for small in product(range(1, 5), repeat=3):
        for k in (1, 2, 3):
            cells = [12, *small[:k]]
            if not territory.total_is_safe(cells):
                continue
            s = sum(small[:k])
            for i in range(k):
                # values cell i can take, the others being any 1..4 summing to s minus it
                possible = {v for v in range(1, 5) if k - 1 <= s - v <= 4 * (k - 1)}
                assert len(possible) >= 2, (cells, i)


def test_metiers_are_listed_from_five_people_and_banded_when_a_small_remainder_would_show():
    by_sector = {"proprete": {"Agent de propreté": 13, "Laveur de vitres": 1, "Machiniste": 2},
                 "logistique": {"Cariste": 6, "Magasinier": 5}, "btp": {"Maçon": 5}}
    totals = {"proprete": 16, "logistique": 11, "btp": 10}
    listed = territory.listed_metiers(by_sector, totals)
    assert listed[("proprete", "Agent de propreté")] == "10 à 14"      # 16 − 13 = 3 would show
    assert listed[("logistique", "Cariste")] == 6 and listed[("logistique", "Magasinier")] == 5   # remainder 0
    assert listed[("btp", "Maçon")] == 5                                 # remainder 5
    assert ("proprete", "Laveur de vitres") not in listed and ("proprete", "Machiniste") not in listed


@pytest.mark.parametrize("count, band", [(5, "5 à 9"), (13, "10 à 14"), (20, "20 à 24")])
def test_bands_of_five(count, band):
    assert territory.band(count) == band


def _people(n: int, sector: str, **flags) -> list[Person]:
    return [Person(sector, **flags) for _ in range(n)]


def test_build_counts_supply_and_demand_by_sector():
    people = _people(12, "proprete", metier="Agent de propreté") + _people(3, "logistique", no_licence=True) \
        + _people(6, "numerique", low_french=True) + _people(2, None)
    demands = [Demand("proprete", 4, pooled=True, good_candidates=6, reachable_share=0.83,
                      missing_skills=("Monobrosse",)),
               Demand("proprete", 2, good_candidates=1, reachable_share=0.5, missing_skills=("Monobrosse", "Vitrerie")),
               Demand("numerique", 3, good_candidates=0, reachable_share=0.2, missing_skills=("Fibre",))]
    result = territory.build(people, demands, [Potential("logistique", 2), Potential("btp", 1)],
                             [ClauseWork("btp", 803.5), ClauseWork(None, 100)], LABELS)
    rows = {r.sector: r for r in result.sectors}
    assert rows["proprete"].people == 12 and rows["logistique"].people == SUPPRESSED
    assert rows["autre"].people == SUPPRESSED and rows["autre"].clause_hours_to_do == 100
    assert rows["proprete"].open_positions == 6 and rows["proprete"].pooled_positions == 4
    assert rows["proprete"].met == 5 and rows["proprete"].unmet == 1         # 4 of 4, then 1 of 2
    assert rows["numerique"].unmet == 3 and rows["btp"].clause_hours_to_do == 804
    assert rows["proprete"].missing_skills == [("Monobrosse", 2), ("Vitrerie", 1)]
    assert rows["logistique"].barriers["no_licence"] == SUPPRESSED
    assert rows["numerique"].barriers["low_french"] == 6 and rows["numerique"].barriers["no_licence"] == 0
    assert result.open_positions_total == 9 and result.potential_total == 3 and result.clause_hours_total == 904
    # 12 + 6 shown, 3 and 2 suppressed (sum 5 over two cells: undetermined) → the total may be given
    assert result.people_total == 23


def test_accessibility_is_rounded_and_given_only_for_a_large_enough_territory():
    demands = [Demand("proprete", 3, reachable_share=0.83), Demand("proprete", 1, reachable_share=0.2)]
    small = territory.build(_people(49, "proprete"), demands, [], [], LABELS)
    assert small.sectors[0].accessibility is None and not small.accessibility_given
    large = territory.build(_people(50, "proprete"), demands, [], [], LABELS)
    # weighted by positions: (0.83 × 3 + 0.2 × 1) / 4 = 0.6725 → 70 %
    assert large.sectors[0].accessibility == 70


def test_score_ranks_unmet_demand_that_people_in_path_can_reach():
    people = _people(60, "proprete")
    demands = [Demand("proprete", 10, good_candidates=0, reachable_share=0.9),    # much unmet, accessible
               Demand("numerique", 10, good_candidates=0, reachable_share=0.1),   # much unmet, out of reach
               Demand("logistique", 10, good_candidates=10, reachable_share=0.9)]  # met
    rows = territory.build(people, demands, [], [], LABELS).sectors
    assert [r.sector for r in rows] == ["proprete", "numerique", "logistique"]
    assert rows[0].score == 96 and rows[1].score == 64 and rows[2].score == 36   # 60 % × 1 + 40 % × access
    assert all(0 <= r.score <= 100 for r in rows)


def test_a_sector_with_supply_only_has_no_score_and_comes_last():
    rows = territory.build(_people(8, "btp") + _people(5, "proprete"), [Demand("proprete", 1)], [], [], LABELS).sectors
    assert rows[-1].sector == "btp" and rows[-1].score is None


def test_an_empty_territory_has_no_sector():
    result = territory.build([], [], [], [], LABELS)
    assert result.sectors == [] and result.people_total == 0 and result.metiers == []


def test_a_small_grand_total_is_itself_suppressed():
    result = territory.build(_people(1, "proprete") + _people(2, "btp"), [], [], [], LABELS)
    assert result.people_total == SUPPRESSED     # two cells 1 + 2 are safe, but 3 people is a small count


def test_nothing_identifying_leaves_the_module():
    result = territory.build(_people(7, "proprete", metier="Agent de propreté"), [], [], [], LABELS)
    row = result.sectors[0]
    assert set(vars(row)) == {"sector", "label", "people", "barriers", "open_positions", "pooled_positions",
                              "potential", "clause_hours_to_do", "met", "unmet", "accessibility", "score",
                              "missing_skills"}


def test_a_cell_of_five_is_a_published_cell_not_a_suppressed_one():
    assert territory.total_is_safe([5, 10]) is True
    assert territory.total_is_safe([5, 1]) is False


def test_a_sector_missing_from_the_totals_has_nothing_left_over():
    assert territory.listed_metiers({"btp": {"Maçon": 6}}, {}) == {("btp", "Maçon"): "5 à 9"}


def test_the_metier_breakdown_labels_sectors_and_sorts_biggest_first():
    people = (_people(6, "proprete", metier="Agent de propreté") + _people(7, "logistique", metier="Cariste")
              + _people(5, "logistique", metier="Magasinier") + _people(5, None, metier="Autre métier")
              + _people(3, "proprete", metier="Laveur de vitres"))
    result = territory.build(people, [], [], [], LABELS)
    assert result.metiers == [("Cariste", "Logistique", 7), ("Agent de propreté", "Propreté", "5 à 9"),
                              ("Autre métier", "Autre ou non déterminé", 5), ("Magasinier", "Logistique", 5)]
    labels = {r.sector: r.label for r in result.sectors}
    assert labels == {"proprete": "Propreté", "logistique": "Logistique", "autre": "Autre ou non déterminé"}


def test_potential_and_clause_hours_count_in_their_own_sector_and_the_score():
    result = territory.build(_people(60, "proprete"),
                             [Demand("proprete", 4, good_candidates=0, reachable_share=1.0)],
                             [Potential("logistique", 3), Potential("logistique", 5)],
                             [ClauseWork("btp", 1607), ClauseWork("btp", 1607)], LABELS)
    rows = {r.sector: r for r in result.sectors}
    assert rows["logistique"].potential == 8 and rows["logistique"].open_positions == 0
    assert rows["logistique"].demand == 8 and rows["proprete"].demand == 4
    assert rows["btp"].clause_hours_to_do == 3214 and rows["btp"].potential == 0
    # unmet demand: propreté 4, logistique 8 × 0.5 = 4, BTP 3214 h = 2 positions; accessibility: propreté 100 %,
    # the others unknown, given the territory's average (100 %)
    assert rows["proprete"].score == 100 and rows["logistique"].score == 100 and rows["btp"].score == 70
    assert [r.sector for r in result.sectors] == ["logistique", "proprete", "btp"]   # ties by label


def test_a_sector_with_clause_hours_only_is_a_demand():
    result = territory.build(_people(2, "btp"), [], [], [ClauseWork("btp", 800)], LABELS)
    [row] = result.sectors
    assert row.score == int(round(100 * (0.6 * 1 + 0.4 * territory.UNKNOWN_ACCESS)))


def test_accessibility_unknown_everywhere_is_half():
    result = territory.build(_people(60, "proprete"), [], [Potential("proprete", 2)], [], LABELS)
    assert result.sectors[0].score == 80     # 60 % × 1 + 40 % × 0.5


def test_known_accessibility_of_other_sectors_stands_for_the_unknown_ones():
    result = territory.build(_people(60, "proprete"),
                             [Demand("proprete", 2, good_candidates=0, reachable_share=0.3),
                              Demand("numerique", 2, good_candidates=0, reachable_share=0.5)],
                             [Potential("logistique", 4)], [], LABELS)
    rows = {r.sector: r for r in result.sectors}
    assert rows["logistique"].score == 76     # 60 % × (2 / 2) + 40 % × mean(0.3, 0.5)


def test_missing_skills_most_needs_first_then_by_name_five_at_most():
    demands = [Demand("proprete", 1, missing_skills=("B", "A", "C", "D", "E", "F")),
               Demand("proprete", 1, missing_skills=("C", "B"))]
    [row] = territory.build([], demands, [], [], LABELS).sectors
    assert row.missing_skills == [("B", 2), ("C", 2), ("A", 1), ("D", 1), ("E", 1)]


def test_pooled_positions_add_up():
    demands = [Demand("proprete", 2, pooled=True), Demand("proprete", 3, pooled=True), Demand("proprete", 1)]
    [row] = territory.build([], demands, [], [], LABELS).sectors
    assert (row.open_positions, row.pooled_positions) == (6, 5)


def test_barrier_totals_are_published_like_any_total():
    people = _people(6, "proprete", no_licence=True) + _people(7, "logistique", no_licence=True)
    result = territory.build(people, [], [], [], LABELS)
    assert result.barrier_totals == {"no_licence": 13, "low_french": 0, "low_mobility": 0}
    assert result.accessibility_given is False


def test_accessibility_rounds_to_the_nearest_step():
    for share, shown in ((0.64, 60), (0.66, 70), (0.95, 100), (0.04, 0)):
        result = territory.build(_people(60, "proprete"), [Demand("proprete", 1, reachable_share=share)], [], [], LABELS)
        assert result.sectors[0].accessibility == shown, share
