"""The eligibility categories are data: pinned here, and kept in step with the clause rules that use them."""
import json
from pathlib import Path

import eligibility

RULES = json.loads((Path(__file__).parents[1] / "data" / "clauses" / "eligibility_rules.json").read_text("utf-8"))

EXPECTED = {
    "DELD": "Demandeur d'emploi de longue durée (12 mois et plus)",
    "RSA": "Bénéficiaire du RSA",
    "ASS": "Bénéficiaire de l'ASS",
    "AAH": "Bénéficiaire de l'AAH",
    "RQTH": "Reconnaissance de la qualité de travailleur handicapé",
    "jeune_sans_qualification": "Jeune de moins de 26 ans sans qualification",
    "senior": "Senior (50 ans et plus)",
    "salarie_siae": "Salarié d'une SIAE en parcours",
    "QPV": "Résident d'un quartier prioritaire (QPV)",
    "refugie": "Réfugié ou bénéficiaire de la protection internationale",
    "autre": "Autre situation validée par le facilitateur",
}


def test_categories_are_pinned_with_their_french_labels_and_order():
    assert list(eligibility.CATEGORIES.items()) == list(EXPECTED.items())


def test_every_category_has_a_clause_rule_and_no_rule_lacks_a_category():
    assert set(RULES["categories"]) == set(eligibility.CATEGORIES)


def test_every_rule_names_a_positive_validity_and_at_least_one_proof():
    for code, rule in RULES["categories"].items():
        assert isinstance(rule["validity_months"], int) and rule["validity_months"] > 0, code
        assert rule["proofs"] and all(p.strip() for p in rule["proofs"]), code


def test_only_qpv_needs_qpv_priority_and_only_autre_needs_validation():
    assert [c for c, r in RULES["categories"].items() if r.get("needs_qpv_priority")] == ["QPV"]
    assert [c for c, r in RULES["categories"].items() if r.get("needs_validation")] == ["autre"]
