"""Choosing a space; pages of a space need it."""
from web_helpers import enter


def test_home_lists_structures_and_employers(client):
    page = client.get("/").get_data(as_text=True)
    assert "Espace CRE / CIP" in page and "Espace employeur" in page
    assert "Filéa Câblage" in page


def test_space_pages_redirect_home_without_a_space(client):
    for url in ("/cre/", "/cre/profils", "/employeur/", "/employeur/candidatures"):
        response = client.get(url)
        assert response.status_code == 302 and response.location.endswith("/")


def test_wrong_kind_of_organisation_is_refused(client):
    response = client.post("/espace", data={"space": "cre", "org_id": "E14"}, follow_redirects=True)
    assert "Choisissez une structure" in response.get_data(as_text=True)
    assert client.get("/cre/").status_code == 302


def test_employer_space_does_not_open_cre_pages(employer):
    assert employer.get("/cre/profils").status_code == 302


def test_unknown_space_is_a_bad_request(client):
    assert client.post("/espace", data={"space": "admin", "org_id": "S1"}).status_code == 400


def test_french_error_pages(cre):
    response = cre.get("/cre/profils/999999")
    assert response.status_code == 404 and "Page introuvable" in response.get_data(as_text=True)


def test_empty_database_home_explains_how_to_load_the_demo(empty_app):
    page = empty_app.test_client().get("/").get_data(as_text=True)
    assert "flask --app app load-demo" in page


def test_load_demo_twice_creates_no_duplicates(runner, db):
    before = (db["profiles"].count, db["needs"].count, db["proposals"].count)
    result = runner.invoke(args=["load-demo"])
    assert result.exit_code == 0
    assert "profiles_created = 0" in result.output and "needs_created = 0" in result.output
    assert (db["profiles"].count, db["needs"].count, db["proposals"].count) == before
