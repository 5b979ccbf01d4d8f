"""Exit outcomes in the official IAE categories, as data: each situation's category, the 6-month rule
for fixed-term contracts (boundaries included), the pre-fill from a hire, the dynamic exit rate."""
from datetime import date

import pytest

import outcomes
from outcomes import (DURABLE, OTHER, POSITIVE, TRANSITION, OutcomeError, category_of, contract_months,
                      detail_from_hire, exit_rates, quarter_of)


@pytest.mark.parametrize("detail, months, category", [
    ("cdi", None, DURABLE),
    ("titularisation", None, DURABLE),
    ("creation_entreprise", None, DURABLE),
    ("cdd", 6, DURABLE),            # exactly six months: a lasting job
    ("cdd", 7, DURABLE),
    ("cdd", 5, TRANSITION),         # one month short: a transition job
    ("cdd", 0, TRANSITION),
    ("interim", 6, DURABLE),
    ("interim", 5, TRANSITION),
    ("alternance", 24, DURABLE),
    ("alternance", 3, TRANSITION),
    ("contrat_aide", None, TRANSITION),
    ("formation_qualifiante", None, POSITIVE),
    ("formation_prequalifiante", None, POSITIVE),
    ("autre_siae", None, POSITIVE),
    ("recherche_emploi", None, OTHER),
    ("sans_nouvelles", None, OTHER),
    ("cdi", 2, DURABLE),            # a duration given for a CDI changes nothing
])
def test_category_of_each_exit(detail, months, category):
    assert category_of(detail, months) == category


@pytest.mark.parametrize("detail, months", [("cdd", None), ("interim", None), ("alternance", -1), ("inconnu", 6)])
def test_a_fixed_term_contract_needs_its_duration_and_unknown_situations_are_refused(detail, months):
    with pytest.raises(OutcomeError):
        category_of(detail, months)


def test_every_situation_belongs_to_one_of_the_four_official_categories():
    assert list(outcomes.CATEGORIES) == [DURABLE, TRANSITION, POSITIVE, OTHER]
    for key, spec in outcomes.EXIT_DETAILS.items():
        assert spec.by_duration or spec.category in outcomes.CATEGORIES, key
        assert spec.by_duration == (spec.category is None), key


@pytest.mark.parametrize("contract, detail", [
    ("CDI", "cdi"), ("CDD", "cdd"), ("intérim", "interim"), ("contrat de professionnalisation", "alternance"),
    ("apprentissage", "alternance"), ("CDDI", "autre_siae"), ("PMSMP", None), (None, None), ("", None)])
def test_a_hire_recorded_in_passerelle_suggests_the_situation(contract, detail):
    assert detail_from_hire(contract) == detail


@pytest.mark.parametrize("start, end, months", [
    (date(2026, 1, 1), date(2026, 6, 30), 6),     # first to last day worked: six whole months
    (date(2026, 1, 1), date(2026, 6, 29), 5),     # one day short
    (date(2026, 1, 15), date(2026, 7, 14), 6),
    (date(2026, 1, 15), date(2026, 7, 13), 5),
    (date(2026, 1, 31), date(2026, 2, 27), 0),
    (date(2026, 3, 1), date(2026, 3, 1), 0),
    (date(2025, 9, 1), date(2026, 8, 31), 12),
])
def test_contract_months_counts_whole_months(start, end, months):
    assert contract_months(start, end) == months
    assert category_of("cdd", contract_months(start, end)) == (DURABLE if months >= 6 else TRANSITION)


def test_contract_months_refuses_an_end_before_the_start():
    with pytest.raises(OutcomeError):
        contract_months(date(2026, 5, 1), date(2026, 4, 30))


@pytest.mark.parametrize("day, quarter", [("2026-01-01", "2026-T1"), ("2026-03-31", "2026-T1"),
                                          ("2026-04-01", "2026-T2"), ("2026-12-31", "2026-T4")])
def test_quarter_of(day, quarter):
    assert quarter_of(day) == quarter


def test_exit_rates_by_group_keep_the_outcomes_behind_each_figure():
    rows = [{"id": i, "exit_date": d, "category": c} for i, (d, c) in enumerate([
        ("2026-01-10", DURABLE), ("2026-02-10", OTHER), ("2026-03-10", POSITIVE),
        ("2026-04-02", TRANSITION), ("2026-05-02", OTHER), ("2026-06-30", OTHER)])]
    cells = exit_rates(rows, lambda o: quarter_of(o["exit_date"]))
    assert list(cells) == ["2026-T1", "2026-T2"]
    t1, t2 = cells["2026-T1"], cells["2026-T2"]
    assert (t1.total, t1.dynamic, t1.rate) == (3, 2, 2 / 3)
    assert (t2.total, t2.dynamic, t2.rate) == (3, 1, 1 / 3)
    assert [o["id"] for o in t1.by_category[POSITIVE]] == [2]
    assert t2.share(OTHER) == 2 / 3 and t2.share(DURABLE) == 0
    overall = exit_rates(rows, lambda o: "all")["all"]
    assert overall.total == 6 and overall.dynamic == 3 and overall.rate == 0.5


def test_no_exit_is_no_rate_rather_than_zero():
    empty = outcomes.RateCell()
    assert empty.total == 0 and empty.rate is None and empty.share(DURABLE) is None
    assert exit_rates([], lambda o: "all") == {}
