"""Follow-up after the hire, as rules: the check-in plan, its bounds, overdue check-ins, the forms."""
from datetime import date

import pytest

import followup


def test_default_plan_is_j7_j30_j90():
    assert followup.checkin_schedule(date(2026, 1, 31)) == [
        (7, date(2026, 2, 7)), (30, date(2026, 3, 2)), (90, date(2026, 5, 1))]


def test_an_edited_plan_keeps_each_day_once_in_order():
    assert [d for d, _ in followup.checkin_schedule(date(2026, 1, 1), (60, 14, 14, 3))] == [3, 14, 60]


@pytest.mark.parametrize("due, ok", [
    (date(2026, 1, 1), True),              # the hire day itself
    (date(2025, 12, 31), False),           # before the hire
    (date(2026, 4, 3), True),              # day 92: still the third month
    (date(2026, 4, 4), False),             # day 93: beyond three months
])
def test_check_in_dates_stay_within_three_months_of_the_hire(due, ok):
    assert (followup.check_due_date(date(2026, 1, 1), due) is None) == ok


@pytest.mark.parametrize("checkin, overdue", [
    ({"due_on": "2026-03-09", "done_at": None}, True),     # yesterday
    ({"due_on": "2026-03-10", "done_at": None}, False),    # today: still time
    ({"due_on": "2026-03-11", "done_at": None}, False),
    ({"due_on": "2026-03-01", "done_at": "2026-03-02T10:00:00+00:00"}, False),
])
def test_overdue_is_past_its_day_and_not_recorded(checkin, overdue):
    assert followup.is_overdue(checkin, date(2026, 3, 10)) == overdue


@pytest.mark.parametrize("situation, difficulties, action, field", [
    ("en_poste", [], "", None),
    ("en_poste_difficultes", ["transport", "garde_enfants"], "Aide au permis", None),
    ("en_poste_difficultes", [], "", "difficulties"),       # difficulties named when there are some
    ("a_quitte", ["sante"], "", None),
    ("absent", [], "", "situation"),
    (None, [], "", "situation"),
    ("en_poste", ["meteo"], "", "difficulties"),
    ("en_poste", [], "x" * 2001, "action"),
])
def test_checkin_form(situation, difficulties, action, field):
    errors = followup.check_checkin(situation, difficulties, action)
    assert (set(errors) == {field}) if field else errors == {}


def test_assessment_needs_the_three_criteria_on_the_four_level_scale():
    assert followup.check_assessment({"punctuality": 4, "integration": 1, "skills": 3}) == {}
    errors = followup.check_assessment({"punctuality": 5, "integration": 0})
    assert set(errors) == {"punctuality", "integration", "skills"}
    assert list(followup.DIFFICULTIES) == ["transport", "horaires", "integration", "sante", "garde_enfants", "autre"]
