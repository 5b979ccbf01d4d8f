"""The rules of a pooled need (pooling.py), one by one."""
from __future__ import annotations

import pytest

import clauses
import pooling
from pooling import Share


@pytest.mark.parametrize("subtype, expected", [
    ("AI", True), ("GEIQ", True), ("ETTI", True), ("ACI", False), ("EI", False), (None, False), ("", False),
])
def test_who_may_carry_a_pooled_need(subtype, expected):
    assert pooling.can_carry(subtype) is expected


def test_shares_in_positions_and_hours_within_what_the_carrier_hires_for():
    shares = [Share("E1", positions=1), Share("E2", hours_per_week=35), Share("E3", hours_per_week=17.5),
              Share("E4", hours_per_week=17.5)]
    assert pooling.share_errors(shares, positions=3, hours_per_week=35) == []  # 105 h of 105 h
    too_much = pooling.share_errors(shares, positions=2, hours_per_week=35)     # 105 h of 70 h
    assert len(too_much) == 1 and "105 h" in too_much[0] and "70 h" in too_much[0]


def test_a_pooled_need_has_two_members_at_least():
    assert any("au moins deux" in e for e in pooling.share_errors([Share("E1", positions=1)], positions=1,
                                                                     hours_per_week=35))
    assert any("au moins deux" in e for e in pooling.share_errors([], positions=1, hours_per_week=35))


@pytest.mark.parametrize("share", [Share("E2"), Share("E2", positions=1, hours_per_week=10)])
def test_a_share_is_positions_or_hours_exactly_one(share):
    errors = pooling.share_errors([Share("E1", positions=1), share], positions=4, hours_per_week=35)
    assert any("l'un des deux" in e for e in errors)


@pytest.mark.parametrize("share", [Share("E2", positions=0), Share("E2", hours_per_week=-3)])
def test_a_share_is_positive(share):
    assert any("positif" in e for e in pooling.share_errors([Share("E1", positions=1), share], positions=4,
                                                            hours_per_week=35))


def test_a_member_once_and_never_the_carrier():
    twice = pooling.share_errors([Share("E1", positions=1), Share("E1", positions=1)], positions=4, hours_per_week=35)
    assert any("deux fois" in e for e in twice)
    carrier = pooling.share_errors([Share("S6", positions=1), Share("E1", positions=1)], positions=4,
                                   hours_per_week=35, carrier_id="S6")
    assert any("porteuse" in e for e in carrier)


def test_without_weekly_hours_a_position_is_a_full_time_week():
    assert pooling.weekly_hours(Share("E1", positions=2), None) == 70.0
    assert pooling.share_errors([Share("E1", positions=1), Share("E2", hours_per_week=35)], positions=2,
                                hours_per_week=None) == []


def test_a_hire_is_placed_with_members_within_the_contract_week():
    members = ["E1", "E2"]
    ok = [{"employer_id": "E1", "hours_per_week": 17.5}, {"employer_id": "E2", "hours_per_week": 17.5}]
    assert pooling.assignment_errors(ok, members, contract_hours=35) == []
    assert pooling.assignment_errors([], members, contract_hours=35)                      # placed nowhere
    over = pooling.assignment_errors(ok + [{"employer_id": "E1", "hours_per_week": 1}], members, contract_hours=35)
    assert any("36 h" in e for e in over)
    stranger = pooling.assignment_errors([{"employer_id": "E9", "hours_per_week": 10}], members, contract_hours=35)
    assert any("n'est pas membre" in e for e in stranger)


@pytest.mark.parametrize("month, days", [("2026-11", 21), ("2026-02", 20), ("2027-02", 20), ("2024-02", 21),
                                         ("2026-08", 21)])
def test_working_days_of_a_month(month, days):
    assert pooling.working_days(month) == days


def test_month_estimate_is_weekly_hours_times_working_days_over_five_to_the_half_hour():
    assert pooling.estimated_month_hours(17.5, "2026-11") == 73.5       # 17.5 × 21 / 5
    assert pooling.estimated_month_hours(35, "2026-02") == 140.0        # 35 × 20 / 5
    assert pooling.estimated_month_hours(10, "2026-11") == 42.0         # 42
    assert pooling.estimated_month_hours(11, "2026-11") == 46.0         # 46.2 → 46
    assert pooling.estimated_month_hours(48, "2026-12") == 220.0        # capped like a clause month (48 × 23 / 5 = 220.8)


@pytest.mark.parametrize("subtype, modality", [("AI", "mad_ai"), ("GEIQ", "mad_geiq"), ("ETTI", "mad_etti")])
def test_hours_become_a_clause_line_of_the_carrier_modality(subtype, modality):
    line = pooling.ledger_line(carrier={"name": "Porteuse", "subtype": subtype},
                               carrier_contract="contrat de professionnalisation", lot_id=3, participant_id=9,
                               month="2026-11", hours=73.5, start_date="2026-10-05")
    assert line["modality"] == modality and modality in clauses.MODALITIES
    assert line == {"lot_id": 3, "participant_id": 9, "month": "2026-11", "hours": 73.5, "modality": modality,
                    "employer_name": "Porteuse", "contract_type": "contrat de professionnalisation",
                    "contract_start": "2026-10-05", "contract_end": None}


def test_a_structure_that_does_not_place_people_gives_no_clause_line():
    with pytest.raises(ValueError):
        pooling.ledger_line(carrier={"name": "ACI", "subtype": "ACI"}, carrier_contract="CDDI", lot_id=1,
                            participant_id=1, month="2026-11", hours=10)


def test_every_carrier_contract_is_a_need_contract():
    import workflow

    assert set(pooling.CARRIER_CONTRACTS.values()) <= set(workflow.CONTRACTS)


def test_a_share_without_positions_nor_hours_stands_for_no_hours():
    assert pooling.weekly_hours(Share("E1"), 35) == 0.0
    assert pooling.weekly_hours(Share("E1", positions=2), 20) == 40.0
    assert pooling.weekly_hours(Share("E1", hours_per_week=12.5), 20) == 12.5


def test_the_messages_say_what_to_do():
    assert pooling.share_errors([], positions=1, hours_per_week=35) == [
        "Un besoin mutualisé réunit au moins deux employeurs membres."]
    assert pooling.share_errors([Share("S6", positions=1), Share("E1", positions=1)], positions=2, hours_per_week=35,
                                carrier_id="S6") == ["La structure porteuse ne peut pas être membre de son propre besoin."]
    assert pooling.assignment_errors([], ["E1"], contract_hours=35) == [
        "Indiquez chez quel(s) membre(s) la personne embauchée est mise à disposition (heures par semaine)."]


def test_a_share_of_zero_hours_is_no_share():
    errors = pooling.share_errors([Share("E1", positions=1), Share("E2", hours_per_week=0)], positions=2,
                                  hours_per_week=35)
    assert errors == ["Part de E2 : un nombre positif est attendu."]


@pytest.mark.parametrize("shares, positions, weekly, ok", [
    ([Share("E1", positions=1), Share("E2", positions=1)], 2, 20, True),             # 40 h of 40 h
    ([Share("E1", positions=1), Share("E2", hours_per_week=21)], 2, 20, False),      # 41 h of 40 h
    ([Share("E1", hours_per_week=35), Share("E2", hours_per_week=0.5)], None, 35, False),  # 35.5 h of one position
    ([Share("E1", hours_per_week=30), Share("E2", hours_per_week=5)], None, 35, True),
    ([Share("E1", hours_per_week=52.5), Share("E2", hours_per_week=52.75)], 3, 35, False),  # 105.25 h of 105 h
])
def test_the_capacity_boundary(shares, positions, weekly, ok):
    assert (pooling.share_errors(shares, positions=positions, hours_per_week=weekly) == []) is ok


@pytest.mark.parametrize("hours, contract, ok", [
    (0.5, 35, True), (48, 48, True), (48.5, 48, False), (0, 35, False), (35, 35, True), (35.5, 35, False),
])
def test_a_placement_boundaries(hours, contract, ok):
    errors = pooling.assignment_errors([{"employer_id": "E1", "hours_per_week": hours}], ["E1"], contract_hours=contract)
    assert (errors == []) is ok


def test_a_placement_without_contract_hours_has_a_full_time_week():
    assert pooling.assignment_errors([{"employer_id": "E1", "hours_per_week": 35}], ["E1"], contract_hours=None) == []
    assert pooling.assignment_errors([{"employer_id": "E1", "hours_per_week": 36}], ["E1"], contract_hours=None)


def test_a_half_hour_is_rounded_up_not_to_even():
    assert pooling.estimated_month_hours(1.0625, "2026-02") == 4.5     # 4.25 h → 4.5, not 4.0


def test_the_refusal_names_the_structure():
    with pytest.raises(ValueError, match="^Atelier ACI ne peut pas porter"):
        pooling.ledger_line(carrier={"name": "Atelier ACI", "subtype": "ACI"}, carrier_contract="CDDI", lot_id=1,
                            participant_id=1, month="2026-11", hours=10)
