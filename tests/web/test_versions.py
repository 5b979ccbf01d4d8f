"""No lost update: every edit form and API PATCH carries the version it was read at."""
from __future__ import annotations

import re
import threading

import pytest

import storage
from web_helpers import api_client, enter, ensure_user

API = "/api/v1"


def form_fields(page: str) -> dict[str, str]:
    """The values a browser would post back from the main edit form (enough for these forms)."""
    form = re.search(r'<form method="post" class="stack" novalidate>(.*?)</form>', page, re.S).group(1)
    fields = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or re.search(r'type="(checkbox|radio)"', tag) and "checked" not in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        fields[name.group(1)] = value.group(1) if value else ""
    for name, text in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        fields[name] = text
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option(?: value="([^"]*)")? selected>([^<]*)', options)
        if chosen:
            fields[name] = chosen.group(1) if chosen.group(1) is not None else chosen.group(2)
    return {k: v.replace("&#39;", "'").replace("&amp;", "&") for k, v in fields.items()}


@pytest.fixture
def two_cres(app):
    first = enter(app.test_client(), "cre", "S1")
    ensure_user(app, "cre", "S1")
    second = enter(app.test_client(), "cre", "S1")
    return first, second


def _db(app):
    return storage.connect(app.config["DATABASE"])


def test_a_stale_profile_form_is_refused_keeping_the_input_and_showing_the_other_change(app, two_cres):
    first, second = two_cres
    person = storage.list_profiles(_db(app), siae_id="S1")[0]
    url = f"/cre/profils/{person['id']}/modifier"
    mine, theirs = form_fields(first.get(url).get_data(as_text=True)), form_fields(second.get(url).get_data(as_text=True))
    assert mine["version"] == theirs["version"] == str(person["version"])
    assert first.post(url, data={**mine, "notes": "Appelée lundi : disponible.", "action": "enregistrer"}).status_code == 302

    stale = second.post(url, data={**theirs, "availability": "à partir de mars", "action": "enregistrer"})
    page = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert "Quelqu&#39;un d&#39;autre a modifié ce profil" in page
    assert 'value="à partir de mars"' in page                      # the person's input is kept
    assert "Appelée lundi : disponible." in page                   # the other person's change is shown
    stored = storage.get_profile(_db(app), person["id"])
    assert stored["notes"] == "Appelée lundi : disponible." and stored["availability"] != "à partir de mars"

    # Having seen it, the second person saves on top of the current version, deliberately.
    again = form_fields(page)
    assert again["version"] == str(stored["version"])
    assert second.post(url, data={**again, "action": "enregistrer"}).status_code == 302
    assert storage.get_profile(_db(app), person["id"])["availability"] == "à partir de mars"


def test_every_edit_form_carries_its_version(app):
    db = _db(app)
    cre = enter(app.test_client(), "cre", "S1")
    employer = enter(app.test_client(), "employer", "E14")
    buyer = enter(app.test_client(), "buyer", "B1")
    person = storage.list_profiles(db, siae_id="S1")[0]
    need = storage.list_needs(db, employer_id="E14")[0]
    contract = storage.list_contracts(db, buyer_id="B1")[0]
    lot = storage.list_lots(db, contract["id"])[0]
    entry = storage.list_entries(db, contract["id"])[0]
    pages = [(cre, f"/cre/profils/{person['id']}/modifier", person),
             (employer, f"/employeur/besoins/{need['id']}/modifier", need),
             (buyer, f"/acheteur/marches/{contract['id']}/modifier", contract),
             (buyer, f"/acheteur/marches/{contract['id']}/lots/{lot['id']}/modifier", lot),
             (buyer, f"/acheteur/marches/{contract['id']}/heures/{entry['id']}", entry)]
    for client, url, row in pages:
        assert form_fields(client.get(url).get_data(as_text=True)).get("version") == str(row["version"]), url


@pytest.mark.parametrize("kind", ["need", "contract", "lot", "entry"])
def test_stale_need_contract_lot_and_ledger_forms_are_refused(app, kind):
    db = _db(app)
    if kind == "need":
        client = enter(app.test_client(), "employer", "E14")
        row = storage.list_needs(db, employer_id="E14")[0]
        url, field, value = f"/employeur/besoins/{row['id']}/modifier", "title", "Opératrice câblage (modifié)"
        storage.update_need(db, row["id"], {"description": "Changée par une collègue"})
        read = lambda: storage.get_need(db, row["id"])  # noqa: E731
    else:
        client = enter(app.test_client(), "buyer", "B1")
        contract = storage.list_contracts(db, buyer_id="B1")[0]
        if kind == "contract":
            row, url = contract, f"/acheteur/marches/{contract['id']}/modifier"
            field, value = "title", "Objet corrigé"
            storage.update_contract(db, row["id"], {"title": "Objet changé par un collègue"})
            read = lambda: storage.get_contract(db, row["id"])  # noqa: E731
        elif kind == "lot":
            row = storage.list_lots(db, contract["id"])[0]
            url, field, value = f"/acheteur/marches/{contract['id']}/lots/{row['id']}/modifier", "titulaire", "Nouveau titulaire"
            storage.save_lot(db, {"titulaire": "Titulaire changé par un collègue"}, row["id"])
            read = lambda: storage.get_lot(db, row["id"])  # noqa: E731
        else:
            row = storage.list_entries(db, contract["id"])[0]
            url, field, value = f"/acheteur/marches/{contract['id']}/heures/{row['id']}", "hours", "99"
            storage.correct_entry(db, row["id"], {"hours": 12.5}, actor="collègue")
            read = lambda: storage.get_entry(db, row["id"])  # noqa: E731
    # The form was read before the colleague's change: it carries the old version.
    fields = form_fields(client.get(url).get_data(as_text=True))
    fields["version"] = str(row["version"])
    response = client.post(url, data={**fields, field: value, "action": "corriger" if kind == "entry" else "enregistrer"})
    assert response.status_code == 409, kind
    page = response.get_data(as_text=True)
    assert "pendant votre saisie" in page and value in page
    assert str(read()[field]) != value


def test_a_form_without_version_is_applied_as_before(app):
    """Scripts that post the form without the hidden field keep working (documented)."""
    cre = enter(app.test_client(), "cre", "S1")
    person = storage.list_profiles(_db(app), siae_id="S1")[0]
    fields = form_fields(cre.get(f"/cre/profils/{person['id']}/modifier").get_data(as_text=True))
    fields.pop("version")
    assert cre.post(f"/cre/profils/{person['id']}/modifier", data={**fields, "notes": "sans version"}).status_code == 302
    assert storage.get_profile(_db(app), person["id"])["notes"] == "sans version"


# -- API --------------------------------------------------------------------------------
def test_api_exposes_the_version_and_refuses_a_stale_patch(app):
    cre = api_client(app, "cre", "S1")
    person = storage.list_profiles(_db(app), siae_id="S1")[0]
    got = cre.get(f"{API}/profiles/{person['id']}")
    body = got.get_json()
    assert body["version"] == person["version"] and got.headers["ETag"] == f'"{person["version"]}"'
    assert body["reference"] == person["reference"]                   # existing fields unchanged

    ok = cre.patch(f"{API}/profiles/{person['id']}", json={"notes": "première", "version": body["version"]})
    assert ok.status_code == 200 and ok.get_json()["version"] == body["version"] + 1
    stale = cre.patch(f"{API}/profiles/{person['id']}", json={"notes": "seconde", "version": body["version"]})
    assert stale.status_code == 409
    assert "pendant votre saisie" in stale.get_json()["error"]
    assert stale.get_json()["current_version"] == body["version"] + 1
    assert storage.get_profile(_db(app), person["id"])["notes"] == "première"


def test_api_accepts_the_version_as_if_match(app):
    employer = api_client(app, "employer", "E14")
    need = storage.list_needs(_db(app), employer_id="E14")[0]
    etag = employer.get(f"{API}/needs/{need['id']}").headers["ETag"]
    assert employer.patch(f"{API}/needs/{need['id']}", json={"positions": 2}, headers={"If-Match": etag}).status_code == 200
    stale = employer.patch(f"{API}/needs/{need['id']}", json={"positions": 3}, headers={"If-Match": etag})
    assert stale.status_code == 409 and storage.get_need(_db(app), need["id"])["positions"] == 2
    weak = f'W/"{storage.get_need(_db(app), need["id"])["version"]}"'
    assert employer.patch(f"{API}/needs/{need['id']}", json={"positions": 3}, headers={"If-Match": weak}).status_code == 200
    bad = employer.patch(f"{API}/needs/{need['id']}", json={"positions": 4}, headers={"If-Match": "abc"})
    assert bad.status_code == 400 and "If-Match" in bad.get_json()["error"]
    mismatch = employer.patch(f"{API}/needs/{need['id']}", json={"positions": 4, "version": 1}, headers={"If-Match": '"2"'})
    assert mismatch.status_code == 400
    assert employer.patch(f"{API}/needs/{need['id']}", json={"version": "3"}).status_code == 422


def test_a_patch_without_version_changes_only_its_fields_even_after_another_write(app):
    cre = api_client(app, "cre", "S1")
    person = storage.list_profiles(_db(app), siae_id="S1")[0]
    storage.update_profile(_db(app), person["id"], {"availability": "changée ailleurs"})
    response = cre.patch(f"{API}/profiles/{person['id']}", json={"notes": "sans version"})
    assert response.status_code == 200
    stored = storage.get_profile(_db(app), person["id"])
    assert stored["notes"] == "sans version" and stored["availability"] == "changée ailleurs"


def test_a_stale_transition_is_refused(app):
    db = _db(app)
    proposal = storage.list_proposals(db, siae_id="S1")[0]
    cre = api_client(app, "cre", "S1")
    storage.add_proposal_note(db, proposal["id"], "note", actor="x")  # does not move it: version unchanged
    refused = cre.post(f"{API}/proposals/{proposal['id']}/transitions",
                       json={"status": "refusee", "reason": "autre", "version": proposal["version"] + 5})
    assert refused.status_code == 409
    assert storage.get_proposal(db, proposal["id"])["status"] == proposal["status"]


def test_concurrent_writers_of_one_version_exactly_one_wins(app):
    """Eight threads, each with its own connection, write version 1 of the same profile at once."""
    path = app.config["DATABASE"]
    person = storage.list_profiles(_db(app), siae_id="S1")[0]
    version = person["version"]
    outcomes, barrier = [], threading.Barrier(8)

    def write(i):
        db = storage.connect(path)
        barrier.wait()
        try:
            storage.update_profile(db, person["id"], {"notes": f"écrit par {i}"}, expected_version=version)
            outcomes.append(("ok", i))
        except storage.StaleVersion:
            outcomes.append(("stale", i))
        finally:
            db.conn.close()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    winners = [i for kind, i in outcomes if kind == "ok"]
    assert len(outcomes) == 8 and len(winners) == 1
    stored = storage.get_profile(_db(app), person["id"])
    assert stored["notes"] == f"écrit par {winners[0]}" and stored["version"] == version + 1
