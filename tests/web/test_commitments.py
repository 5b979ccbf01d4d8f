"""Supplier commitments: a buyer records what a supplier promised for a year and follows it from Passerelle."""
from __future__ import annotations

import pytest

import storage
import workflow
from web_helpers import enter


@pytest.fixture
def buyer(app):
    return enter(app.test_client(), "buyer", "B1")


FORM = {"supplier_id": "E12", "year": "2026", "pmsmp": "3", "internships": "1", "hires": "2", "internships_done": "0",
        "action": "enregistrer"}


def propose(db, need_reference, employer, profile_reference, *states):
    need = storage.need_by_reference(db, employer, need_reference)
    profile = storage.profile_by_reference(db, profile_reference)
    storage.update_profile(db, profile["id"], {"consent_at": "2026-01-05T09:00:00+00:00"})
    proposal_id = storage.create_proposal(db, need_id=need["id"], profile_id=profile["id"], message="m", score=0.5,
                                          explanation={}, proposed_by="test")
    for state in states:
        storage.transition_proposal(db, proposal_id, state, actor="test")
    return proposal_id


def commitment_of(db, supplier="E12", year=2026, buyer_id="B1"):
    return next(c for c in storage.list_commitments(db, buyer_id) if c["supplier_id"] == supplier and c["year"] == year)


def test_a_commitment_is_followed_from_pmsmp_hires_and_internships(time_machine, app, db):
    time_machine.move_to("2026-07-01 12:00:00+02:00", tick=False)
    buyer = enter(app.test_client(), "buyer", "B1")
    before = storage.supplier_activity(db, "E12", 2026)
    response = buyer.post("/acheteur/engagements/nouveau", data=FORM)
    assert response.status_code == 302 and "/acheteur/engagements/" in response.location
    row = commitment_of(db)
    propose(db, "N025", "E12", "ACI-MTR-0001", workflow.PMSMP, workflow.HIRED)    # a PMSMP, then a hire
    propose(db, "N026", "E12", "ACI-MTR-0002", workflow.PMSMP)                     # a PMSMP
    propose(db, "N026", "E12", "ACI-MTR-0003", workflow.SEEN, workflow.INTERVIEW)
    e12 = enter(app.test_client(), "employer", "E12")
    posted = e12.post("/employeur/besoins/nouveau", data={"reference": "T-STAGE", "title": "Stagiaire atelier vélo",
                                                          "contract": "stage", "action": "enregistrer"})
    assert posted.status_code == 302
    propose(db, "T-STAGE", "E12", "ACI-MTR-0004", workflow.HIRED)                  # an internship, not a hire
    after = storage.supplier_activity(db, "E12", 2026)
    assert after["pmsmp"] - before["pmsmp"] == 2
    assert after["hires"] - before["hires"] == 1
    assert after["internships"] - before["internships"] == 1
    assert after["proposals"] - before["proposals"] == 4
    assert storage.supplier_activity(db, "E12", 2025) == {"proposals": 0, "pmsmp": 0, "internships": 0, "hires": 0}
    page = buyer.get(f"/acheteur/engagements/{row['id']}").get_data(as_text=True)
    assert "Engagement de Rayons Libres" in page and "Attendu à ce jour" in page
    listing = buyer.get("/acheteur/engagements").get_data(as_text=True)
    assert f"{after['pmsmp']} / 3" in listing and f"{after['hires']} / 2" in listing


def test_the_pace_of_the_year_flags_a_late_supplier(time_machine, app, db):
    time_machine.move_to("2026-11-30 12:00:00+01:00", tick=False)
    buyer = enter(app.test_client(), "buyer", "B1")
    buyer.post("/acheteur/engagements/nouveau", data={**FORM, "supplier_id": "E02", "hires": "4", "pmsmp": "0",
                                                      "internships": "0"})
    row = commitment_of(db, "E02")
    page = buyer.get(f"/acheteur/engagements/{row['id']}").get_data(as_text=True)
    assert "en retard" in page                                   # nothing recorded, 11 months of 12 gone
    time_machine.move_to("2026-01-02 12:00:00+01:00", tick=False)
    buyer = enter(app.test_client(), "buyer", "B1")
    assert "en retard" not in buyer.get(f"/acheteur/engagements/{row['id']}").get_data(as_text=True)


def test_a_buyer_sees_and_changes_its_own_commitments_only(app, db, buyer):
    buyer.post("/acheteur/engagements/nouveau", data=FORM)
    row = commitment_of(db)
    other = enter(app.test_client(), "buyer", "B2")
    assert other.get(f"/acheteur/engagements/{row['id']}").status_code == 404
    assert other.post(f"/acheteur/engagements/{row['id']}", data={"action": "supprimer"}).status_code == 404
    assert "Rayons Libres" not in other.get("/acheteur/engagements").get_data(as_text=True)
    twice = buyer.post("/acheteur/engagements/nouveau", data=FORM)
    assert twice.status_code == 400 and "Un engagement existe déjà avec ce fournisseur pour 2026" in \
        twice.get_data(as_text=True)
    buyer.post(f"/acheteur/engagements/{row['id']}", data={**FORM, "hires": "5"})
    assert storage.get_commitment(db, row["id"])["hires"] == 5
    buyer.post(f"/acheteur/engagements/{row['id']}", data={"action": "supprimer"})
    assert not [c for c in storage.list_commitments(db, "B1") if c["supplier_id"] == "E12"]


@pytest.mark.parametrize("changes, message", [
    ({"supplier_id": "S1"}, "Fournisseur : choisissez une entreprise de la liste."),
    ({"year": "deux mille"}, "Année : un nombre est attendu."),
    ({"pmsmp": "-1"}, "PMSMP : entre 0 et 10000."),
    ({"pmsmp": "0", "internships": "0", "hires": "0"}, "au moins un nombre de PMSMP, de stages ou d&#39;embauches"),
])
def test_bad_commitments_are_refused_in_french(db, buyer, changes, message):
    count = len(storage.list_commitments(db, "B1"))
    response = buyer.post("/acheteur/engagements/nouveau", data={**FORM, **changes})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert len(storage.list_commitments(db, "B1")) == count


def test_the_demo_has_commitments(db, buyer):
    page = buyer.get("/acheteur/engagements").get_data(as_text=True)
    assert "Filéa Câblage" in page and "Clarivia Propreté" in page
