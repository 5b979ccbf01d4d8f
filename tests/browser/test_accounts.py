"""End-to-end flows in Chromium: logging in, and an account created by invitation.

The server runs with the real security settings (Secure session cookie, CSRF
tokens): what passes here passes in the browser of a real user. Locators are
the accessible ones (label, role, text).
"""
from __future__ import annotations

import re
import uuid

import pytest
from browser_helpers import (ADMIN, DEMO_PASSWORD, EMPLOYER_E14, LOGIN_HEADING, fill_login_form, login,
                             logout)

try:
    from playwright.sync_api import Page, expect
except ImportError:  # conftest.py then skips every test here, saying why
    Page = expect = None

pytestmark = pytest.mark.browser

LOGIN_ERROR = "Adresse ou mot de passe incorrect, ou compte temporairement bloqué."
S1_NAME = "Le Grenier des Murs-à-Pêches — ressourcerie solidaire"


def menu(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name=name, exact=True).click()


# -- 1 ---------------------------------------------------------------------------
def test_a_wrong_password_and_an_unknown_address_get_the_same_answer(page: Page):
    # A protected page sends to the login form, which comes back to it once logged in.
    page.goto("/employeur/candidatures")
    expect(page.get_by_role("heading", level=1, name=LOGIN_HEADING)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/connexion\?next="))

    answers = []
    for email, password in ((EMPLOYER_E14, "pas-le-bon-mot-de-passe"),
                            (f"inconnu-{uuid.uuid4().hex[:6]}@exemple.fr", DEMO_PASSWORD)):
        with page.expect_response(lambda r: r.request.method == "POST" and "/connexion" in r.url) as posted:
            fill_login_form(page, email, password)
        assert posted.value.status == 401, posted.value.status
        expect(page.get_by_role("heading", level=1, name=LOGIN_HEADING)).to_be_visible()
        expect(page.get_by_role("alert")).to_have_text(LOGIN_ERROR)
        expect(page.get_by_label("Adresse électronique")).to_have_value(email)  # kept
        expect(page.get_by_label("Mot de passe", exact=True)).to_have_value("")  # never sent back
        expect(page.get_by_role("button", name="Se déconnecter")).to_have_count(0)
        answers.append(page.get_by_role("main").inner_text())
    # Nothing tells whether the address has an account.
    assert answers[0] == answers[1], answers

    # The right password then works, and leads to the page first asked for.
    fill_login_form(page, EMPLOYER_E14, DEMO_PASSWORD)
    expect(page.get_by_role("heading", level=1, name="Candidatures reçues")).to_be_visible()
    expect(page.get_by_role("banner").get_by_role("link", name="Claire (Filéa Câblage)")).to_be_visible()


# -- 2 ---------------------------------------------------------------------------
def test_an_admin_invites_a_cre_who_chooses_a_password(page: Page, browser, live_server, deliver_mails):
    email = f"cip-{uuid.uuid4().hex[:6]}@e2e.passerelle.test"
    name = "Yasmine (CIP)"
    password = "un mot de passe bien long"
    login(page, ADMIN)
    menu(page, "Comptes")
    invite = page.get_by_role("region", name="Inviter une personne")
    invite.get_by_label("Adresse électronique").fill(email)
    invite.get_by_label("Nom", exact=True).fill(name)
    invite.get_by_label("Rôle").select_option(label="CRE / CIP")
    organisation = invite.get_by_label("Organisation (sauf administrateur)")
    # A CRE account in an employer's organisation: refused, and said under the organisation field.
    organisation.select_option("E14")
    invite.get_by_role("button", name="Créer le compte").click()
    expect(page.get_by_role("alert")).to_contain_text("appartient à une organisation de type")
    expect(organisation).to_have_attribute("aria-invalid", "true")
    expect(organisation).to_have_accessible_description(re.compile("appartient à une organisation"))
    expect(invite.get_by_label("Adresse électronique")).not_to_have_attribute("aria-invalid", "true")
    expect(invite.get_by_label("Adresse électronique")).to_have_value(email)  # what was typed is kept
    expect(page.get_by_role("cell", name=email, exact=True)).to_have_count(0)

    organisation.select_option("S1")
    invite.get_by_role("button", name="Créer le compte").click()

    # The administrator never sees the invitation link (it would open the CRE's account to them):
    # it reaches only the invitee, by mail.
    shown = page.get_by_role("status").filter(has_text=f"Compte {email} créé")
    expect(shown).to_contain_text("part par courriel")
    expect(page.locator("body")).not_to_contain_text("/invitation/")
    [mail] = deliver_mails(email, "invitation")
    text = mail.get_body(preferencelist=("plain",)).get_content()
    link = re.search(re.escape(live_server) + r"/invitation/[A-Za-z0-9_-]{40,}", text).group(0)
    row = page.get_by_role("row").filter(has=page.get_by_role("cell", name=email, exact=True))
    expect(row).to_contain_text("invitation en attente")
    expect(row).to_contain_text(S1_NAME)

    # The invited person opens the link in their own browser (no admin session there).
    context = browser.new_context(base_url=live_server, locale="fr-FR", timezone_id="Europe/Paris",
                                  viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    js_errors: list[str] = []
    try:
        invited = context.new_page()
        invited.on("pageerror", lambda error: js_errors.append(str(error)))
        invited.goto(link)
        expect(invited.get_by_role("heading", level=1)).to_have_text(f"Bienvenue, {name}")
        expect(invited.get_by_text(email)).to_be_visible()
        new_password = invited.get_by_label("Mot de passe (12 caractères au moins)")
        confirm = invited.get_by_label("Confirmez le mot de passe")
        activate = invited.get_by_role("button", name="Activer le compte")

        # Too short: the browser stops the form first (minlength)…
        new_password.fill("trop-court")
        confirm.fill("trop-court")
        activate.click()
        assert new_password.evaluate("e => e.validity.tooShort"), "minlength n'est pas appliqué"
        assert new_password.evaluate("e => e.validationMessage")  # in the browser's language, not the page's
        expect(invited.get_by_role("alert")).to_have_count(0)
        # …and the server refuses it too, in French, when the browser lets it through.
        new_password.evaluate("e => e.removeAttribute('minlength')")
        with invited.expect_response(lambda r: r.request.method == "POST") as posted:
            activate.click()
        assert posted.value.status == 400, posted.value.status
        expect(invited.get_by_role("alert")).to_have_text("Le mot de passe doit faire au moins 12 caractères.")
        expect(invited.get_by_role("heading", level=1)).to_have_text(f"Bienvenue, {name}")

        invited.get_by_label("Mot de passe (12 caractères au moins)").fill(password)
        invited.get_by_label("Confirmez le mot de passe").fill(password + "!")
        invited.get_by_role("button", name="Activer le compte").click()
        expect(invited.get_by_role("alert")).to_have_text("Les deux mots de passe ne sont pas identiques.")

        invited.get_by_label("Mot de passe (12 caractères au moins)").fill(password)
        invited.get_by_label("Confirmez le mot de passe").fill(password)
        invited.get_by_role("button", name="Activer le compte").click()
        expect(invited.get_by_role("heading", level=1, name="Tableau de bord")).to_be_visible()
        expect(invited.get_by_role("status")).to_have_text("Compte activé.")
        expect(invited.get_by_role("banner").get_by_role("link", name=f"{name} · {S1_NAME}")).to_be_visible()

        # The link works once; afterwards the password is what opens the account.
        logout(invited)
        response = invited.goto(link)
        assert response is not None and response.status == 404, response and response.status
        expect(invited.get_by_role("heading", level=1, name="Invitation invalide")).to_be_visible()
        login(invited, email, password, role="cre", name=name)
    finally:
        context.close()
    assert not js_errors, f"Erreurs JavaScript dans la page : {js_errors}"

    menu(page, "Comptes")  # (not a reload: the invitation page is the answer to a POST)
    expect(page.get_by_role("alert")).to_have_count(0)
    row = page.get_by_role("row").filter(has=page.get_by_role("cell", name=email, exact=True))
    expect(row).not_to_contain_text("invitation en attente")
    expect(row).to_contain_text("actif")


# -- 3 ---------------------------------------------------------------------------
@pytest.mark.parametrize("target", ["//site.example/connexion", "/%09/site.example/connexion",
                                    "https://site.example/connexion", "/%5C/site.example/connexion"])
def test_the_login_never_sends_to_another_site(page: Page, target: str):
    """A link to the login page with a « next » of another site lands on the user's own space."""
    elsewhere: list[str] = []
    page.route("**/*", lambda route: (elsewhere.append(route.request.url), route.abort())
               if "site.example" in route.request.url.split("?")[0] else route.continue_())
    page.goto(f"/connexion?next={target}")
    fill_login_form(page, EMPLOYER_E14, DEMO_PASSWORD)
    expect(page.get_by_role("heading", level=1, name="Mes besoins de recrutement")).to_be_visible()
    assert page.url.split("?")[0].endswith("/employeur/"), page.url
    assert not elsewhere, elsewhere
