"""Insertion clauses: the required-hours formula and every rule of which ledger hours count."""
from datetime import date
from decimal import Decimal

import pytest

import clauses
from clauses import ClauseError, evaluate, fulfilment, required_hours

CONTRACT = {"start_date": "2026-01-15", "end_date": "2026-12-31", "qpv_priority": False}
OK = {"category": "RSA", "proof_kind": "attestation CAF", "proof_date": "2025-12-10", "exit_situation": "en_cours"}


def entry(pid=1, month="2026-03", hours=100, modality="mad_ai", id=None, lot_id=1):
    return {"id": id, "participant_id": pid, "month": month, "hours": hours, "modality": modality, "lot_id": lot_id}


def counted(entries, participants=None, contract=CONTRACT):
    return [(e.counted, e.reasons) for e in evaluate(contract, entries, participants or {1: OK})]


@pytest.mark.parametrize(
    "amount, share, rate, cost, hours",
    [
        (1_000_000, 0.5, 0.05, 30, 833),     # the classic example: 833.33 h
        ("1 000 000", "0,5", "0,05", "30", 833),  # French-formatted input
        (300_000, 0.7, 0.07, 28, 525),        # exactly 525
        (100_000, 0.5, 0.05, 40, 63),         # 62.5 rounds half up, not to even
        (250_000, 0.2, 0.05, 35, 71),         # 71.43
    ],
)
def test_required_hours_formula_and_rounding(amount, share, rate, cost, hours):
    assert required_hours(amount, share, rate, cost) == hours


def test_decimal_arithmetic_avoids_float_error():
    # 0.1 + 0.2 style error would give 62.49999… and round down.
    assert required_hours(125_000, 0.1, 0.1, 20) == 63


@pytest.mark.parametrize(
    "args, message",
    [((0, 0.5, 0.05, 30), "Montant"), ((1000, 1.5, 0.05, 30), "Part de main-d'œuvre"),
     ((1000, 0.5, 0, 30), "Taux d'insertion"), ((1000, 0.5, 0.05, 0), "Coût horaire"),
     (("beaucoup", 0.5, 0.05, 30), "Montant : nombre attendu"), ((float("nan"), 0.5, 0.05, 30), "nombre attendu")],
)
def test_bad_figures_are_refused_in_french(args, message):
    with pytest.raises(ClauseError, match=message):
        required_hours(*args)


def test_presets_include_the_documented_kinds():
    shares = {p["id"]: p["labour_share"] for p in clauses.labour_presets()}
    assert shares["peinture_interieure"] == 0.70 and shares["maconnerie"] == 0.50
    assert shares["charpente_metallique"] == 0.20


def test_eligible_hours_inside_the_contract_count():
    assert counted([entry()]) == [(Decimal(100), [])]


@pytest.mark.parametrize("month", ["2025-12", "2027-01"])
def test_hours_outside_contract_dates_do_not_count(month):
    assert counted([entry(month=month)]) == [(0, ["hors de la période du marché"])]


def test_the_months_of_start_and_end_count():
    assert [c for c, _ in counted([entry(month="2026-01"), entry(month="2026-12", pid=1, modality="mad_geiq")])] == [100, 100]


@pytest.mark.parametrize(
    "participant, reason",
    [
        ({**OK, "category": None}, "participant non éligible"),
        ({**OK, "category": "champion"}, "participant non éligible"),
        ({**OK, "proof_date": None}, "justificatif manquant"),
        ({**OK, "proof_kind": ""}, "justificatif manquant"),
        ({**OK, "proof_date": "2025-09-01"}, "justificatif expiré à l'entrée"),    # RSA: 3 months
        ({**OK, "proof_date": "2026-05-02"}, "justificatif postérieur à l'entrée"),
        ({**OK, "category": "QPV"}, "catégorie non retenue par ce marché"),
        ({**OK, "category": "autre"}, "situation non validée par le facilitateur"),
    ],
)
def test_ineligible_or_unproven_hours_do_not_count(participant, reason):
    assert counted([entry()], {1: participant}) == [(0, [reason])]


def test_validity_depends_on_the_category():
    rqth = {**OK, "category": "RQTH", "proof_date": "2023-06-01"}   # 60 months
    assert counted([entry()], {1: rqth}) == [(100, [])]


def test_proof_is_judged_at_entry_not_at_each_month():
    # Entered in March with a 2-month-old RSA proof: still counts in November.
    entries = [entry(month="2026-03", modality="embauche_cdi"), entry(month="2026-11", modality="embauche_cdi")]
    assert [c for c, _ in counted(entries, {1: {**OK, "proof_date": "2026-01-05"}})] == [100, 100]


def test_qpv_counts_where_the_contract_gives_priority_and_autre_once_validated():
    assert counted([entry()], {1: {**OK, "category": "QPV"}}, {**CONTRACT, "qpv_priority": True}) == [(100, [])]
    assert counted([entry()], {1: {**OK, "category": "autre", "validated": True}}) == [(100, [])]


def test_same_person_same_month_two_modalities_counted_once():
    entries = [entry(hours=80, modality="mad_ai", id=1), entry(hours=120, modality="embauche_cdd", id=2)]
    assert counted(entries) == [(0, ["déjà comptées pour ce mois par une autre modalité"]), (120, [])]


def test_same_person_different_months_or_people_both_count():
    entries = [entry(month="2026-03"), entry(month="2026-04"), entry(pid=2, month="2026-03")]
    assert [c for c, _ in counted(entries, {1: OK, 2: OK})] == [100, 100, 100]


def test_month_above_the_legal_maximum_is_capped():
    assert counted([entry(hours=260)]) == [(Decimal(220), ["au-delà du maximum légal mensuel"])]


def test_fulfilment_totals_breakdowns_and_reasons():
    participants = {1: OK, 2: {**OK, "exit_situation": "emploi_durable"}, 3: {**OK, "category": None}}
    entries = [entry(1, "2026-02", 100, "mad_ai"), entry(2, "2026-03", 50, "embauche_cdi"),
               entry(3, "2026-03", 70, "mad_etti"), entry(1, "2027-02", 30, "mad_ai")]
    evs = evaluate(CONTRACT, entries, participants)
    f = fulfilment(600, evs, CONTRACT, participants, today=date(2026, 6, 15))
    assert f.counted == 150 and f.declared == 250 and f.missing == 450
    assert f.by_modality == {"mad_ai": 100, "embauche_cdi": 50}
    assert f.by_month["2026-02"] == 100 and f.by_month["2026-03"] == 50 and f.by_month["2026-04"] == 0
    assert f.not_counted == {"participant non éligible": 70, "hors de la période du marché": 30}
    assert f.participants == 2 and f.exits == {"en_cours": 1, "emploi_durable": 1}
    assert round(f.percent) == 25


def test_forecast_at_current_pace_and_alert():
    evs = evaluate(CONTRACT, [entry(month=f"2026-0{m}", hours=100, modality=f"mad_{m}") for m in (1, 2, 3)],
                   {1: OK})
    # 100 h a month over Jan–Mar: 3 of 12 months elapsed at the end of March.
    behind = fulfilment(1500, evs, CONTRACT, {1: OK}, today=date(2026, 3, 31))
    assert behind.months_elapsed == 3 and behind.forecast == 1200 and not behind.on_track
    ahead = fulfilment(1000, evs, CONTRACT, {1: OK}, today=date(2026, 3, 31))
    assert ahead.on_track


def test_month_range():
    assert clauses.month_range("2026-11-20", "2027-02-01") == ["2026-11", "2026-12", "2027-01", "2027-02"]


# -- the forecast uses declared months only (issue 13) --------------------------------
YEAR = {"start_date": "2026-03-01", "end_date": "2027-02-28", "qpv_priority": False}   # 12 months


def monthly(months, hours=100, pid=1, lot_id=1):
    return [entry(pid=pid, month=m, hours=hours, modality="embauche_cdi", lot_id=lot_id) for m in months]


def forecast_on(today, declared, entries=None, contract=YEAR, required=1440):
    entries = monthly(declared) if entries is None else entries
    evs = evaluate(contract, entries, {1: OK, 2: OK})
    return fulfilment(required, evs, contract, {1: OK, 2: OK}, today=today, declared={1: set(declared)})


def test_undeclared_months_and_the_current_month_are_not_zero_hour_months():
    # 1 December: March to October declared at 100 h; November (due on the 10th) and December not yet.
    declared = [f"2026-{m:02d}" for m in range(3, 11)]
    f = forecast_on(date(2026, 12, 1), declared)
    assert f.counted == 800 and f.pace == 100
    assert f.forecast == 800 + 100 * 4                     # not 800 + 80 × 2 (ten "elapsed" months)
    assert f.to_declare == ["2026-11", "2026-12"] and f.late_months == []
    assert f.months_declared == declared and f.forecast_known and not f.on_track
    assert f.shortfall == 1440 - 1200


def test_a_declared_month_of_zero_hours_lowers_the_pace():
    declared = [f"2026-{m:02d}" for m in range(3, 11)]
    entries = monthly(declared[:-1])                       # October declared without any hour
    f = forecast_on(date(2026, 11, 15), declared, entries)
    assert f.counted == 700 and f.pace == Decimal("87.5") and f.forecast == 700 + Decimal("87.5") * 4


def test_first_month_without_any_declaration_has_no_forecast_and_no_alert():
    f = forecast_on(date(2026, 3, 20), [], entries=[])
    assert not f.forecast_known and f.on_track and f.forecast == 0 and f.shortfall == 0
    assert f.to_declare == ["2026-03"] and f.late_months == []


def test_on_the_first_of_a_month_the_new_month_is_to_declare_and_the_last_not_yet_late():
    f = forecast_on(date(2026, 5, 1), ["2026-03"])
    assert f.to_declare == ["2026-04", "2026-05"] and f.late_months == []
    assert f.forecast == 100 * 12


@pytest.mark.parametrize("today, late", [
    (date(2026, 5, 10), []),                               # the 10th: still on time
    (date(2026, 5, 11), ["2026-04"]),                      # the 11th: April is missing
    (date(2026, 6, 11), ["2026-04", "2026-05"]),
])
def test_a_month_is_missing_after_the_tenth_of_the_next(today, late):
    assert clauses.months_missing(YEAR, ["2026-03"], today) == late
    assert forecast_on(today, ["2026-03"]).late_months == late


def test_after_the_end_date_no_month_is_to_come_and_undeclared_ones_stay_missing():
    declared = [m for m in clauses.month_range("2026-03", "2027-02") if m != "2026-07"]
    f = forecast_on(date(2027, 6, 1), declared)
    assert f.months_elapsed == 12 and f.to_declare == ["2026-07"] and f.late_months == ["2026-07"]
    assert f.forecast == 1100 + 100                        # the missing month at the declared pace
    full = forecast_on(date(2027, 6, 1), clauses.month_range("2026-03", "2027-02"))
    assert full.forecast == full.counted == 1200 and full.to_declare == []


def test_hours_outside_the_contract_never_make_a_month_declared():
    f = forecast_on(date(2026, 12, 1), ["2026-01", "2026-03"], entries=monthly(["2026-01", "2026-03"]))
    assert f.months_declared == ["2026-03"] and f.counted == 100


def test_the_contract_forecast_adds_up_the_lots_each_at_its_own_pace():
    entries = monthly(["2026-03", "2026-04"], 100, lot_id=1) + monthly(["2026-03"], 30, pid=2, lot_id=2)
    evs = evaluate(YEAR, entries, {1: OK, 2: OK})
    f = fulfilment(2000, evs, YEAR, {1: OK, 2: OK}, today=date(2026, 6, 1),
                   declared={1: {"2026-03", "2026-04"}, 2: {"2026-03"}})
    assert f.forecast == (200 + 100 * 10) + (30 + 30 * 11)
    assert f.months_declared == ["2026-03"]               # declared by every lot
    assert f.to_declare == ["2026-04", "2026-05", "2026-06"]


def test_default_declared_months_are_the_months_with_ledger_lines():
    evs = evaluate(YEAR, monthly(["2026-03", "2026-05"]), {1: OK})
    f = fulfilment(1200, evs, YEAR, {1: OK}, today=date(2026, 6, 20))
    assert f.months_declared == ["2026-03", "2026-05"] and f.to_declare == ["2026-04", "2026-06"]
    assert f.forecast == 200 + 100 * 10


def test_forecast_with_the_real_clock_pinned(time_machine):
    time_machine.move_to("2026-12-01 08:00:00+01:00", tick=False)
    f = fulfilment(1440, evaluate(YEAR, monthly(["2026-10"]), {1: OK}), YEAR, {1: OK})
    assert f.to_declare[-2:] == ["2026-11", "2026-12"] and f.months_elapsed == 10


def test_cumulative_curve_path_forecast_and_months_to_declare():
    declared = ["2026-03", "2026-04"]
    f = forecast_on(date(2026, 6, 2), declared)
    curve = clauses.cumulative_curve(f, YEAR, today=date(2026, 6, 2))
    assert [p.month for p in curve][:3] == ["2026-03", "2026-04", "2026-05"] and len(curve) == 12
    assert [p.cumulative for p in curve[:3]] == [100, 200, None]
    assert [p.status for p in curve[:5]] == ["déclaré", "déclaré", "à déclarer", "à déclarer", "à venir"]
    assert curve[0].path == 120 and curve[-1].path == 1440          # the linear path to the target
    assert curve[1].forecast == 200 and curve[-1].forecast == f.forecast == 1200
    assert all(p.forecast is None for p in curve[:1])


@pytest.mark.parametrize("contract_type, structure, modality", [
    ("CDI", None, "embauche_cdi"), ("CDD", "EI", "embauche_cdd"), ("CDDI", "ACI", "embauche_cdd"),
    ("contrat de professionnalisation", None, "embauche_pro"), ("apprentissage", None, "embauche_apprentissage"),
    ("intérim", "ETTI", "mad_etti"), ("intérim", "AI", "mad_ai"), ("intérim", "GEIQ", "mad_geiq"),
    ("intérim", "ACI", "mad_etti"), ("PMSMP", None, "pmsmp"), ("stage", None, None), (None, None, None),
])
def test_the_modality_of_a_hire_comes_from_the_contract_type(contract_type, structure, modality):
    assert clauses.hire_modality(contract_type, structure) == modality


def test_pmsmp_hours_count_only_where_the_contract_accepts_them():
    line = [entry(modality="pmsmp", hours=35)]
    assert counted(line) == [(0, ["PMSMP non retenues par ce marché"])]
    assert counted(line, contract={**CONTRACT, "pmsmp_counted": True}) == [(35, [])]


@pytest.mark.parametrize("month, deadline", [("2026-11", date(2026, 12, 10)), ("2026-12", date(2027, 1, 10))])
def test_declaration_deadline_is_the_tenth_of_the_next_month(month, deadline):
    assert clauses.declaration_deadline(month) == deadline
