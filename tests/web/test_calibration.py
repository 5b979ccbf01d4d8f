"""Calibrating a clause before the tender: the formula, feasibility through the engine, protected counts."""
from __future__ import annotations

import random

import jsonschema
import pytest

import clauses
import storage
from matching import Location, Need, NeedSkill
from web import calibration
from web.engine import engine
from web.openapi import document
from web_helpers import api_client, enter

MONTREUIL = {"lat": 48.8638, "lon": 2.4485}
BODY = {"trades": ["nettoyage de locaux", "peinture intérieure", "plaquiste", "soudeur", "F1606"],
        "location": MONTREUIL, "radius_km": 20, "amount": 1_600_000, "labour_share": 0.7, "insertion_rate": 0.06,
        "hourly_cost": 30, "start": "2027-01-01", "end": "2028-06-30"}


@pytest.fixture
def buyer_api(app):
    return api_client(app, "buyer", "B1")


def calibrate(client, **changes):
    return client.post("/api/v1/clause-calibrations", json={**BODY, **changes})


def independent_fit(db, text, radius):
    """Who fits a trade near Montreuil, asked of the engine directly over every profile."""
    eng = engine()
    accepted = {k for k, r in clauses.eligibility_rules().items()
                if not r.get("needs_qpv_priority") and not r.get("needs_validation")}
    profiles = {p["id"]: p for p in storage.list_profiles(db)}
    code, label = calibration._rome_of(db, eng, text)
    title = label if calibration._is_rome_code(text) else text
    need = Need(id="t", title=title, description=title, skills=(NeedSkill(title, True),),
                location=Location(round(MONTREUIL["lat"], 2), round(MONTREUIL["lon"], 2), None), max_distance_km=radius)
    people = set()
    for m in eng.rank(db, need, top=len(profiles)):
        p = profiles[int(m.candidate)]
        if (not m.blocking and m.distance_km is not None and m.distance_km <= radius and m.coverage >= 0.5
                and any(c.kind in ("direct", "transfer") for c in m.credits) and p.get("consent_at")
                and set(p["eligibility"]) & accepted):
            people.add(p["id"])
    return people, {profiles[i]["siae_id"] for i in people}


def test_the_answer_has_the_documented_fields_and_schema(buyer_api):
    response = calibrate(buyer_api)
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert {"required_hours", "trades", "people_total", "recommended_hours", "explanation"} <= set(answer)
    assert answer["required_hours"] == clauses.required_hours(1_600_000, 0.7, 0.06, 30) == 2240
    assert [t["text"] for t in answer["trades"]] == BODY["trades"]
    assert {"text", "rome_code", "people", "structures"} <= set(answer["trades"][0])
    schema = {**document()["components"]["schemas"]["Calibration"], "$defs": {}}
    jsonschema.validate(answer, schema)
    assert "montant × part de main-d'œuvre × taux d'insertion ÷ coût horaire chargé" in answer["explanation"]


def test_counts_match_the_matching_engine_with_suppression_under_five(app, db, buyer_api):
    answer = calibrate(buyer_api).get_json()
    kinds = set()
    for trade in answer["trades"]:
        people, structures = independent_fit(db, trade["text"], 20)
        if len(people) < 5:
            assert trade["people"] == "moins de 5", trade
            kinds.add("suppressed")
        else:
            assert isinstance(trade["people"], int) and trade["people"] % 5 == 0, trade
            assert abs(trade["people"] - len(people)) < 5 and trade["people"] >= 5
            kinds.add("published")
        assert trade["structures"] == len(structures)
    assert kinds == {"suppressed", "published"}          # the demo exercises both
    with app.app_context():
        exact = calibration.reach(db, engine(), BODY["trades"], (48.86, 2.45), 20.0)
    assert [r.people for r in exact] == [frozenset(independent_fit(db, t, 20)[0]) for t in BODY["trades"]]


@pytest.mark.parametrize("trade, rome", [("peinture intérieure", "F1606"), ("plaquiste", "F1604"),
                                         ("F1606", "F1606"), ("nettoyage de locaux", "K2205")])
def test_each_trade_gets_its_rome_code(buyer_api, trade, rome):
    [answer] = calibrate(buyer_api, trades=[trade]).get_json()["trades"]
    assert answer["rome_code"] == rome


def test_a_trade_under_the_threshold_never_changes_the_total(buyer_api):
    alone = calibrate(buyer_api, trades=["nettoyage de locaux"]).get_json()
    with_rare = calibrate(buyer_api, trades=["nettoyage de locaux", "plaquiste", "soudeur"]).get_json()
    assert [t["people"] for t in with_rare["trades"][1:]] == ["moins de 5", "moins de 5"]
    assert with_rare["people_total"] == alone["people_total"] == alone["trades"][0]["people"]
    only_rare = calibrate(buyer_api, trades=["plaquiste", "soudeur"]).get_json()
    assert only_rare["people_total"] == "moins de 5" and only_rare["recommended_hours"] == 0


def test_the_same_people_give_the_same_figure_whatever_the_question(buyer_api):
    first = calibrate(buyer_api).get_json()
    nudged = calibrate(buyer_api, location={"lat": 48.8641, "lon": 2.4483}, radius_km=20.3).get_json()
    assert first["trades"] == nudged["trades"] and first["people_total"] == nudged["people_total"]
    assert nudged["site"] == {"lat": 48.86, "lon": 2.45} and nudged["radius_km"] == 20


def test_protected_counts_are_consistent_rounded_and_unbiased():
    secret = b"test-secret"
    assert calibration.protect([], secret) == calibration.protect([1, 2, 3, 4], secret) == "moins de 5"
    assert calibration.protect(range(5), secret) == 5 and calibration.protect(range(10), secret) == 10
    people = list(range(100, 112))                                         # 12 people
    value = calibration.protect(people, secret)
    assert value in (10, 15) and calibration.protect(reversed(people), secret) == value
    rng = random.Random(13)
    draws = [calibration.protect(rng.sample(range(10_000), 12), secret) for _ in range(2000)]
    assert set(draws) == {10, 15} and abs(sum(draws) / len(draws) - 12) < 0.3   # unbiased on average
    # One person more or less does not show as a difference of one.
    assert all(calibration.protect(range(n), secret) % 5 == 0 for n in range(5, 60))


def test_recommended_hours_follow_the_explained_formula(buyer_api):
    answer = calibrate(buyer_api, trades=["nettoyage de locaux"], start="2027-01", end="2027-12").get_json()
    total = answer["people_total"]
    assert isinstance(total, int) and answer["months"] == 12
    capacity = int(total * calibration.MOBILISATION_RATE * calibration.MONTHLY_HOURS_PER_PERSON * 12)
    assert answer["capacity_hours"] == capacity
    assert answer["recommended_hours"] == min(answer["required_hours"], capacity)
    small = calibrate(buyer_api, trades=["nettoyage de locaux"], start="2027-01", end="2027-01",
                      insertion_rate=20).get_json()
    assert small["required_hours"] > small["capacity_hours"] == small["recommended_hours"]
    assert f"{small['recommended_rate'] * 100:.2f}".replace(".", ",") in small["explanation"]


@pytest.mark.parametrize("changes, field, message", [
    ({"trades": []}, "trades", "Métiers : indiquez au moins un métier."),
    ({"trades": "peinture"}, "trades", "Métiers : une liste"),
    ({"location": {"lat": 48.8}}, "lon", "Longitude du chantier : ce champ est obligatoire."),
    ({"location": None}, "location", "Lieu du chantier"),
    ({"radius_km": 0}, "radius_km", "Rayon (km) : entre 1 et 100."),
    ({"amount": "beaucoup"}, "amount", "Montant (€ HT) : un nombre est attendu."),
    ({"labour_share": 0}, "labour_share", "Part de main-d'œuvre : entre"),
    ({"insertion_rate": 250}, "insertion_rate", "Taux d'insertion : entre"),
    ({"hourly_cost": None}, "hourly_cost", "Coût horaire chargé (€/h) : ce champ est obligatoire."),
    ({"start": "demain"}, "start", "Début : date attendue"),
    ({"end": "2026-06-01"}, "end", "Fin : elle doit être postérieure au début."),
])
def test_bad_input_is_a_french_422(buyer_api, changes, field, message):
    response = calibrate(buyer_api, **changes)
    assert response.status_code == 422
    body = response.get_json()
    assert message in body["fields"][field] and message in body["error"]


def test_a_body_that_is_not_json_is_415(buyer_api):
    response = buyer_api.post("/api/v1/clause-calibrations", data="trades=peinture")
    assert response.status_code == 415 and "Corps JSON attendu" in response.get_json()["error"]


def test_the_calibration_page_answers_on_the_demo(app):
    buyer = enter(app.test_client(), "buyer", "B1")
    assert "Calibrer une clause avant l'appel d'offres" in buyer.get("/acheteur/calibrage").get_data(as_text=True)
    form = {"trades": "nettoyage de locaux\nplaquiste", "postcode": "93100", "radius_km": "20", "amount": "900 000",
            "labour_share": "80", "insertion_rate": "5", "hourly_cost": "25", "start": "2027-03-01",
            "end": "2028-02-29"}
    page = buyer.post("/acheteur/calibrage", data=form).get_data(as_text=True)
    assert "Résultat du calibrage" in page and "1\u202f440 h" in page and "moins de 5" in page
    assert "K2205" in page and "GEIQ Propreté" in page
    bad = buyer.post("/acheteur/calibrage", data={**form, "postcode": "00000", "labour_share": "0"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "Code postal 00000 inconnu" in text and "Part de main-d&#39;œuvre" in text
