"""End-to-end flows in Chromium: the territory — a pooled need, the employer network, the diagnostic.

Demo data: the pooled caretakers' need carried by the AI « Coup de Main Habitat 93 » (S6, account
cre.ai@demo) for four social landlords, one of them « Résidences de l'Ourcq » (E18, account
bailleur@demo); Nadia (CRE of S1) and Mohamed (ACI-MTR-0001), who has no good match among posted
needs; S1's network with Transports Ferrand et Fils and its besoin pressenti. Screenshots at desktop
and phone size (390 × 844) go to test-artifacts/.
"""
from __future__ import annotations

import re

import pytest
from browser_helpers import CRE_S1, login, switch_account

try:
    from playwright.sync_api import Page, expect
except ImportError:  # conftest.py then skips every test here, saying why
    Page = expect = None

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
CARRIER = "cre.ai@demo.passerelle.fr"
MEMBER_E18 = "bailleur@demo.passerelle.fr"
DIRECTOR = "direction@demo.passerelle.fr"
BUYER = "acheteur@demo.passerelle.fr"
POOLED_TITLE = "Gardien / gardienne d'immeuble en contrat de professionnalisation"
LANDLORDS = ("Logis du Canal", "Habitat des Murs-à-Pêches", "Résidences de l'Ourcq", "Toit Solidaire Rosny")


def menu(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name=name, exact=True).click()


def shoot(browser, page: Page, artifacts_dir, name: str, check=None) -> None:
    """Screenshots of the current page at desktop size, then phone size (no horizontal scrolling)."""
    page.screenshot(path=str(artifacts_dir / f"{name}.png"), full_page=True)
    phone = browser.new_context(storage_state=page.context.storage_state(), base_url=page.url, viewport=PHONE,
                                device_scale_factor=2, is_mobile=True, has_touch=True, locale="fr-FR")
    try:
        mobile = phone.new_page()
        mobile.goto(page.url)
        if check:
            check(mobile)
        width = mobile.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"la page défile horizontalement sur téléphone ({width}px)"
        mobile.screenshot(path=str(artifacts_dir / f"{name}_mobile.png"), full_page=True)
    finally:
        phone.close()


def test_a_cre_proposes_to_the_pooled_need_the_carrier_hires_and_places_a_member_sees_its_hours(
        page: Page, browser, artifacts_dir):
    login(page, CRE_S1)
    menu(page, "Besoins")
    page.get_by_role("link", name=POOLED_TITLE).click()
    expect(page.get_by_role("heading", level=1, name=POOLED_TITLE)).to_be_visible()
    pooled = page.get_by_role("region", name="Besoin mutualisé")
    expect(pooled).to_contain_text("Coup de Main Habitat 93")
    members = pooled.get_by_role("table", name=re.compile("Employeurs membres"))
    expect(members.get_by_role("row")).to_have_count(6)                 # header + 4 landlords + a conciergerie
    for landlord in LANDLORDS:
        expect(members).to_contain_text(landlord)
    expect(members).to_contain_text("17,5 h par semaine")

    def pooled_on_phone(mobile):
        expect(mobile.get_by_role("region", name="Besoin mutualisé")).to_contain_text("Toit Solidaire Rosny")

    # Five candidates, to keep the screenshots readable.
    page.get_by_label("Nombre").fill("5")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.locator("li.match")).to_have_count(5)
    shoot(browser, page, artifacts_dir, "pooled_need", pooled_on_phone)

    candidate = page.locator("li.match").first
    first_name = candidate.locator("strong").first.inner_text()
    candidate.get_by_text(f"Proposer {first_name}").click()
    candidate.get_by_label("Message à l'employeur").fill("Très à l'aise avec les locataires, a tenu une loge l'été.")
    candidate.get_by_role("button", name="Proposer la candidature").click()
    expect(page.get_by_role("status")).to_have_text("Candidature proposée à l'employeur.")

    # The carrier reads the candidate as an employer would, hires and places the person with two landlords.
    switch_account(page, CARRIER)
    menu(page, "Besoins")
    page.get_by_role("link", name="Besoins mutualisés entre employeurs").click()
    page.get_by_role("link", name=POOLED_TITLE).click()
    page.get_by_role("link", name=first_name).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Candidature de {first_name}")
    expect(page.get_by_role("region", name="Message de la structure")).to_contain_text("Très à l'aise avec les locataires")
    expect(page.locator("main")).not_to_contain_text("ACI-MTR")
    page.get_by_label("Votre réponse").select_option(label="Embauchée")
    page.get_by_label("Logis du Canal — entreprise sociale pour l'habitat (heures par semaine)").fill("20")
    page.get_by_label("Résidences de l'Ourcq (heures par semaine)").fill("15")
    page.get_by_label("Début de la mise à disposition").fill("2026-11-02")
    page.get_by_role("button", name="Envoyer la réponse").click()
    expect(page.get_by_role("status")).to_have_text("Embauche enregistrée et mise à disposition des membres.")
    expect(page.get_by_role("region", name="Mise à disposition")).to_contain_text("Résidences de l'Ourcq : 15 h par semaine")

    page.get_by_role("link", name="← Retour au suivi du besoin").click()
    page.get_by_role("link", name="Saisir les heures du mois").click()
    page.get_by_label("Mois", exact=True).fill("2026-11")
    page.get_by_role("button", name="Afficher").click()
    field = page.get_by_label(f"Heures de {first_name} chez Résidences de l'Ourcq")
    expect(field).to_have_value("63")                                    # 15 h × 21 working days ÷ 5
    field.fill("60")
    page.get_by_role("button", name="Enregistrer les heures de 2026-11").click()
    expect(page.get_by_role("status")).to_contain_text("Heures de 2026-11 enregistrées")
    shoot(browser, page, artifacts_dir, "pooled_hours")

    # A member sees the need, the candidates as an employer may, and the hours done at its place.
    switch_account(page, MEMBER_E18)
    page.get_by_role("link", name=POOLED_TITLE).click()
    expect(page.get_by_role("heading", level=1, name=POOLED_TITLE)).to_be_visible()
    expect(page.get_by_role("link", name=first_name)).to_be_visible()
    done = page.get_by_role("table", name="Heures réalisées chez vous, par mois")
    expect(done.get_by_role("row", name=re.compile("2026-11"))).to_contain_text("133,5 h")   # 73.5 (Samir) + 60
    page.get_by_role("link", name=first_name).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(first_name)
    expect(page.get_by_role("button", name="Envoyer la réponse")).to_have_count(0)
    shoot(browser, page, artifacts_dir, "pooled_member_proposal")


def test_a_cre_finds_employers_to_approach_for_a_person_with_no_posted_match_and_drafts_the_need(
        page: Page, browser, artifacts_dir):
    login(page, CRE_S1)
    menu(page, "Réseau")
    expect(page.get_by_role("heading", level=1, name="Réseau d'employeurs")).to_be_visible()
    expect(page.get_by_role("region", name="Prochaines actions")).to_contain_text("Rappeler pour organiser une PMSMP")
    expect(page.get_by_role("region", name=re.compile("Partagé par les structures du territoire"))
           ).to_contain_text("Hôtel Pleyel Gare")
    shoot(browser, page, artifacts_dir, "network")

    page.get_by_role("region", name=re.compile("Votre réseau")).get_by_role("link", name="Transports Ferrand et Fils").click()
    expect(page.get_by_role("region", name="Journal des échanges")).to_contain_text("Visite du dépôt")
    shoot(browser, page, artifacts_dir, "network_entry")

    menu(page, "Personnes")
    page.get_by_role("link", name="Mohamed").click()
    approach = page.get_by_role("region", name="Entreprises à démarcher")
    expect(approach).to_contain_text("Aucune offre publiée ne convient bien")
    expect(approach).to_contain_text("Transports Ferrand et Fils")
    approach.get_by_role("link", name="Voir toutes les entreprises à démarcher").click()
    expect(page.get_by_role("heading", level=1, name="Entreprises à démarcher pour Mohamed")).to_be_visible()
    ferrand = page.locator("li.match").filter(has_text="Transports Ferrand et Fils")
    expect(ferrand).to_contain_text("Besoin pressenti : 2 × Livreur / livreuse en utilitaire")
    shoot(browser, page, artifacts_dir, "hidden_market",
          lambda mobile: expect(mobile.locator("li.match").filter(has_text="Transports Ferrand")).to_be_visible())

    ferrand.get_by_role("link", name=re.compile("Besoin pressenti → besoin")).click()
    expect(page.get_by_role("heading", level=1, name="Rédiger le besoin avec Transports Ferrand et Fils")).to_be_visible()
    expect(page.get_by_label("Intitulé du poste")).to_have_value("Livreur / livreuse en utilitaire")
    expect(page.get_by_label("Nombre de postes")).to_have_value("2")
    page.get_by_label("Type de contrat").select_option("CDD")
    page.get_by_role("button", name="Ouvrir ce besoin").click()
    expect(page.get_by_role("status")).to_contain_text("Besoin rédigé avec Transports Ferrand et Fils")
    expect(page.get_by_role("heading", level=1, name="Livreur / livreuse en utilitaire")).to_be_visible()
    expect(page.locator("li.match").first).to_be_visible()             # ranked as any need


def test_the_diagnostic_of_seine_saint_denis_with_its_charts(page: Page, browser, artifacts_dir):
    login(page, BUYER)
    menu(page, "Territoire")
    page.get_by_label("Département").select_option("93")
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_role("heading", level=1, name="Diagnostic territorial : Seine-Saint-Denis (93)")).to_be_visible()
    expect(page.get_by_role("img", name="Offre et demande par secteur")).to_be_visible()
    expect(page.get_by_role("img", name="Score des secteurs (0 à 100)")).to_be_visible()
    table = page.get_by_role("table").filter(has_text="Postes sans candidat proche")
    expect(table.get_by_role("rowheader", name="Conciergerie, accueil et sécurité")).to_be_visible()
    expect(table).to_contain_text("moins de 5")
    expect(page.get_by_role("region", name="Compétences les plus manquantes")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("ACI-MTR")

    def charts_on_phone(mobile):
        expect(mobile.get_by_role("img", name="Offre et demande par secteur")).to_be_visible()

    shoot(browser, page, artifacts_dir, "diagnostic", charts_on_phone)
    with page.expect_download() as download:
        page.get_by_role("link", name="Exporter le diagnostic (XLSX)").click()
    assert download.value.suggested_filename == "diagnostic-93.xlsx"


def test_a_director_lands_on_the_diagnostic_of_their_departement(page: Page):
    login(page, DIRECTOR)
    expect(page.get_by_role("heading", level=1, name="Diagnostic territorial : Seine-Saint-Denis (93)")).to_be_visible()
    expect(page.get_by_role("navigation", name="Navigation principale").get_by_role("link")).to_have_text(
        ["Diagnostic territorial"])
