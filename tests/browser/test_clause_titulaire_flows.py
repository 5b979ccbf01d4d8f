"""End-to-end in Chromium: both sides of a clause (issue 13).

A titulaire (Sophie, Atelier Rénov'Est, E01) logs in, sees its lot and declares a month; the buyer (Marc,
B1) validates it and sees the forecast and the report change; a hire on a linked need has prepared a line
for Clarivia Propreté (Yanis, E03); the report prints to an A4 PDF with its participants and its curve;
the calibration page answers. Screenshots at desktop and phone size go to test-artifacts/.
"""
from __future__ import annotations

import io
import re

import pytest
from browser_helpers import BUYER_B1, login, logout

try:
    from playwright.sync_api import Page, expect
except ImportError:  # conftest.py then skips every test here, saying why
    Page = expect = None

pytestmark = pytest.mark.browser

TITULAIRE = "titulaire@demo.passerelle.fr"            # Sophie, Atelier Rénov'Est (E01)
TITULAIRE_PROPRETE = "titulaire.proprete@demo.passerelle.fr"  # Yanis, Clarivia Propreté (E03)
CRECHES = "Peinture des crèches municipales"          # 2026-MTR-044 of B1, lot 1 awarded to E01
CLEANING = "Nettoyage des bâtiments communaux"        # 2026-MTR-031 of B1, lot 1 awarded to E03
PHONE = {"width": 390, "height": 844}


def menu(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name=name, exact=True).click()


def shoot(page: Page, browser, artifacts_dir, name: str) -> None:
    """The page at desktop size, then the same page on a phone: no horizontal scrolling, both saved."""
    page.screenshot(path=str(artifacts_dir / f"{name}.png"), full_page=True)
    phone = browser.new_context(storage_state=page.context.storage_state(), base_url=page.url, viewport=PHONE,
                                locale="fr-FR")
    try:
        mobile = phone.new_page()
        mobile.goto(page.url)
        width = mobile.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{name} : la page défile horizontalement sur téléphone ({width}px)"
        mobile.screenshot(path=str(artifacts_dir / f"{name}_mobile.png"), full_page=True)
    finally:
        phone.close()


def test_a_titulaire_declares_the_buyer_validates_forecast_and_report_change(page: Page, browser, artifacts_dir):
    login(page, TITULAIRE, role="employer", name="Sophie (Atelier Rénov'Est)")
    menu(page, "Marchés (titulaire)")
    expect(page.get_by_role("heading", level=1, name="Mes marchés publics (titulaire)")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^2026-MTR-031"))).to_have_count(0)   # another titulaire's
    page.get_by_role("link", name=re.compile(r"^2026-MTR-044 lot 1 — ")).click()
    expect(page.get_by_role("heading", level=1, name="Lot 1 — Peinture et revêtements muraux")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Mois manquants : 2026-04")          # never declared
    shoot(page, browser, artifacts_dir, "titulaire_lot")

    november = page.get_by_role("row").filter(has=page.get_by_role("cell", name="2026-11", exact=True))
    november.get_by_role("link", name="Déclarer").click()
    expect(page.get_by_role("heading", level=1, name="Heures d'insertion de 2026-11 — lot 1")).to_be_visible()
    # October's participant still in post is proposed again, hours to fill.
    expect(page.get_by_label("Participant, ligne 1")).to_have_value("CL-0001")
    expect(page.get_by_label("Heures, ligne 1")).to_have_value("")
    page.get_by_label("Heures, ligne 1").fill("abc")
    page.get_by_role("button", name="Envoyer à l'acheteur").click()
    expect(page.get_by_role("alert")).to_contain_text("Ligne 1 : Heures : un nombre est attendu.")
    expect(page.get_by_label("Heures, ligne 1")).to_have_value("abc")                     # what was typed is kept
    page.get_by_label("Heures, ligne 1").fill("45")
    shoot(page, browser, artifacts_dir, "titulaire_declaration")
    page.get_by_role("button", name="Envoyer à l'acheteur").click()
    expect(page.get_by_role("status")).to_have_text("Déclaration envoyée à l'acheteur.")
    row = page.get_by_role("row").filter(has=page.get_by_role("cell", name="2026-11", exact=True))
    expect(row).to_contain_text("transmise")
    expect(row).to_contain_text("45 h")

    logout(page)
    login(page, BUYER_B1)
    page.get_by_role("link", name=CRECHES, exact=True).click()
    pending = page.get_by_role("region", name=re.compile(r"^Déclarations à valider"))
    expect(pending).to_contain_text("Lot 1, 2026-11")
    page.get_by_role("link", name="Rapport imprimable").click()
    report_before = page.locator("table.summary tbody tr").first.get_by_role("cell").nth(3).inner_text()
    page.go_back()
    pending.get_by_role("link", name="Lot 1, 2026-11").click()
    expect(page.get_by_role("heading", level=1, name="Déclaration de 2026-11 — lot 1")).to_be_visible()
    expect(page.get_by_label("Heures, ligne 1")).to_have_value("45")
    shoot(page, browser, artifacts_dir, "buyer_declaration")
    page.get_by_label("Heures, ligne 1").fill("40")                                       # corrected while validating
    page.get_by_role("button", name="Valider la déclaration").click()
    expect(page.get_by_role("status")).to_have_text("Déclaration validée : 1 ligne(s) au registre, dont 1 corrigée(s).")
    expect(page.get_by_role("heading", level=1, name="Lot 1 — Peinture et revêtements muraux")).to_be_visible()
    months = page.get_by_role("region", name="Déclarations du titulaire, mois par mois")
    expect(months.get_by_role("row").filter(has=page.get_by_role("cell", name="2026-11", exact=True))).to_contain_text(
        "validée")
    forecast = page.get_by_role("term").filter(has_text="Prévision").locator("xpath=following-sibling::dd[1]")
    expect(forecast).to_contain_text("mois déclarés")
    expect(page.get_by_role("img", name=re.compile("Heures comptées cumulées du lot"))).to_be_visible()
    shoot(page, browser, artifacts_dir, "buyer_lot")
    page.get_by_role("link", name="Rapport du lot").click()
    report_after = page.locator("table.summary tbody tr").first.get_by_role("cell").nth(3).inner_text()
    assert int(re.sub(r"\D", "", report_after)) == int(re.sub(r"\D", "", report_before)) + 40


def test_a_hire_on_a_linked_need_prepared_the_titulaires_line(page: Page):
    login(page, TITULAIRE_PROPRETE, role="employer", name="Yanis (Clarivia Propreté)")
    menu(page, "Marchés (titulaire)")
    page.get_by_role("link", name=re.compile(r"^2026-MTR-031 lot 1 — ")).click()
    hires = page.get_by_role("region", name="Personnes embauchées par Passerelle sur ce marché")
    expect(hires).to_contain_text(re.compile(r"PAS-\d{5}"))
    expect(hires).to_contain_text("en attente de confirmation par la structure d'insertion")
    needs = page.get_by_role("region", name="Mes besoins rattachés à ce lot")
    expect(needs).to_contain_text("Agent(e) de propreté")
    draft = page.get_by_role("row").filter(has_text="brouillon").first
    draft.get_by_role("link", name="Compléter et envoyer").click()
    expect(page.get_by_text("embauche Passerelle").first).to_be_visible()
    expect(page.get_by_label("Heures, ligne 1")).to_have_attribute("placeholder", "à compléter")


def test_the_report_prints_to_an_a4_pdf_with_its_table_and_curve(page: Page, browser, artifacts_dir):
    from pypdf import PdfReader

    login(page, BUYER_B1)
    page.get_by_role("link", name=CLEANING, exact=True).click()
    page.get_by_role("link", name="Rapport imprimable").click()
    expect(page.get_by_role("heading", level=1, name="Rapport de réalisation de la clause sociale d'insertion")
           ).to_be_visible()
    shoot(page, browser, artifacts_dir, "clause_report")
    page.emulate_media(media="print")
    table = page.locator("table.participants").first
    expect(table).to_be_visible()
    expect(table.get_by_role("cell", name="CL-0006", exact=True)).to_be_visible()
    curve = page.locator("figure.cumulative").first
    expect(curve).to_be_visible()
    expect(curve.locator("polyline.counted")).to_have_count(1)
    expect(curve.locator("line.target")).to_have_count(1)
    expect(curve.locator("polyline.path")).to_have_count(1)
    expect(page.locator("header.site")).not_to_be_visible()
    pdf = page.pdf(format="A4", print_background=True)
    (artifacts_dir / "clause_report.pdf").write_bytes(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2                                        # the whole, then the lot
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert abs(width - 595.3) < 1.5 and abs(height - 841.9) < 1.5      # A4 in points
    text = "\n".join(p.extract_text() for p in reader.pages)
    flat = re.sub(r"\s+", " ", text)
    for expected in ("Rapport de réalisation de la clause sociale d'insertion", "Participants", "Référence",
                     "Catégorie d'éligibilité", "Situation de sortie", "CL-0006", "CL-0007",
                     "heures comptées cumulées", "trajectoire linéaire", "objectif (1440 h)",
                     "Contact du facilitateur", "Pour le titulaire"):
        assert expected in flat, f"« {expected} » absent du PDF"
    assert "03/26" in flat and "02/27" in flat                           # the curve's month axis
    assert "ETTI-PAR" not in flat and "Se déconnecter" not in flat


def test_the_calibration_page_answers_on_the_demo(page: Page, browser, artifacts_dir):
    login(page, BUYER_B1)
    menu(page, "Calibrer une clause")
    expect(page.get_by_role("heading", level=1, name="Calibrer une clause avant l'appel d'offres")).to_be_visible()
    page.get_by_label("Métiers du marché").fill("nettoyage de locaux\nplaquiste\nF1606")
    page.get_by_label("Code postal du chantier").fill("93100")
    page.get_by_label("Rayon autour du chantier (km)").fill("20")
    page.get_by_label("Montant estimé (€ HT)").fill("900000")
    page.get_by_label("Type de travaux").select_option(index=1)
    page.get_by_label("Part de main-d'œuvre (%)").fill("80")
    page.get_by_label("Taux d'insertion envisagé (%)").fill("5")
    page.get_by_label("Coût horaire chargé (€/h)").fill("25")
    page.get_by_label("Début d'exécution").fill("2027-03-01")
    page.get_by_label("Fin d'exécution").fill("2028-02-29")
    page.get_by_role("button", name="Calibrer").click()
    result = page.get_by_role("region", name="Résultat du calibrage")
    expect(result).to_be_visible()
    rows = result.get_by_role("row")
    expect(rows.filter(has_text="plaquiste")).to_contain_text("moins de 5")
    expect(rows.filter(has_text="nettoyage de locaux")).to_contain_text("K2205")
    expect(result).to_contain_text("Heures requises")
    expect(result.locator(".formula")).to_contain_text("Capacité du territoire")
    shoot(page, browser, artifacts_dir, "clause_calibration")


def test_supplier_commitments_page(page: Page, browser, artifacts_dir):
    login(page, BUYER_B1)
    menu(page, "Engagements fournisseurs")
    expect(page.get_by_role("heading", level=1, name="Engagements des fournisseurs")).to_be_visible()
    page.get_by_role("link", name="Filéa Câblage").click()
    expect(page.get_by_role("region", name="Suivi")).to_contain_text("PMSMP")
    shoot(page, browser, artifacts_dir, "supplier_commitment")
