"""Two CREs edit the same person at once in Chromium: the second save is refused, nothing is lost."""
from __future__ import annotations

import uuid

import pytest
from browser_helpers import CRE_S1, login

import storage
from web.db import get_db

try:
    from playwright.sync_api import Page, expect
except ImportError:  # conftest.py then skips every test here, saying why
    Page = expect = None

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
PASSWORD = "mot-de-passe-e2e-versions"


def test_a_stale_profile_form_shows_the_other_change_and_keeps_the_input(page: Page, browser, live_server, live_app,
                                                                        make_account, artifacts_dir):
    reference = f"VERS-{uuid.uuid4().hex[:6].upper()}"
    with live_app.app_context():
        profile_id = storage.create_profile(get_db(), {"reference": reference, "first_name": "Samira", "siae_id": "S1",
                                                       "skills_text": "couture", "postcode": "93100",
                                                       "city": "Montreuil", "lat": 48.861, "lon": 2.443})
    colleague = make_account("cre", "S1", PASSWORD, name="Collègue S1")
    other = browser.new_context(base_url=live_server, locale="fr-FR", viewport=PHONE)
    second = other.new_page()
    try:
        login(page, CRE_S1)
        login(second, colleague, PASSWORD, role="cre", name="Collègue S1")
        url = f"/cre/profils/{profile_id}/modifier"
        page.goto(url)
        second.goto(url)                                  # both forms read the same version
        page.get_by_label("Notes de la CRE").fill("Appelée lundi, disponible en mars.")
        page.get_by_role("button", name="Enregistrer le profil").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Samira")

        second.get_by_label("Disponibilité").fill("dès lundi")
        second.get_by_role("button", name="Enregistrer le profil").click()
        alert = second.get_by_role("alert").filter(has_text="pendant votre saisie")
        expect(alert).to_contain_text("Quelqu'un d'autre a modifié ce profil")
        expect(alert).to_contain_text("Appelée lundi, disponible en mars.")     # the other person's change
        expect(second.get_by_label("Disponibilité")).to_have_value("dès lundi")  # the input kept
        second.screenshot(path=str(artifacts_dir / "stale-profile-form-phone.png"), full_page=True)
        second.set_viewport_size({"width": 1280, "height": 800})
        second.screenshot(path=str(artifacts_dir / "stale-profile-form-desktop.png"), full_page=True)
        with live_app.app_context():
            assert storage.get_profile(get_db(), profile_id)["availability"] in (None, "")

        second.get_by_label("Notes de la CRE").fill("Appelée lundi, disponible en mars. Vue aussi.")
        second.get_by_role("button", name="Enregistrer le profil").click()          # now knowingly
        expect(second.get_by_role("heading", level=1)).to_contain_text("Samira")
        with live_app.app_context():
            stored = storage.get_profile(get_db(), profile_id)
        assert stored["availability"] == "dès lundi" and stored["notes"].endswith("Vue aussi.")
    finally:
        other.close()
        with live_app.app_context():  # the browser tests share one database: leave no candidate behind
            storage.set_profile_archived(get_db(), profile_id, True)
