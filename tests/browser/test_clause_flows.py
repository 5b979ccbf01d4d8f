"""End-to-end flows in Chromium: the insertion clauses of a buyer (acheteur / facilitateur).

Locators are the accessible ones (label, role, text) so that a broken label or
role breaks a test. The demo data (``data/demo/clauses.json``) provides B1
(Ville de Montreuil) with contract 2026-MTR-031 « Nettoyage des bâtiments
communaux » (behind its clause; CL-0007 declared twice in May and June) and
B2 (Seine-Saint-Denis Habitat) with 2025-SSDH-042. Marc, the demo buyer
account, belongs to B1; B2 has no demo account, so the test that needs one
creates it. Each test creates what it changes, with unique references
(contracts and participants), so tests can run alone or in any order on the
shared database.
"""
from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from browser_helpers import BUYER_B1, login, logout

try:
    from playwright.sync_api import Page, expect
except ImportError:  # conftest.py then skips every test here, saying why
    Page = expect = None

pytestmark = pytest.mark.browser

B1_NAME = "Ville de Montreuil — direction de la commande publique"  # B1
B2 = "B2"  # Seine-Saint-Denis Habitat — facilitateur des clauses (no demo account)
B2_PASSWORD = "facilitateur-ssdh-2026"
CLEANING = "Nettoyage des bâtiments communaux"  # 2026-MTR-031 of B1, behind its clause
PAINTING_PRESET = "Peinture intérieure, revêtements muraux (70 %)"
LEDGER_HEADER = "lot;participant_reference;month;hours;modality;category;proof_kind;proof_date\n"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6].upper()}"


# -- steps a user takes ---------------------------------------------------------
def enter_buyer(page: Page, email: str = BUYER_B1, **account) -> None:
    """Log in as a buyer (Marc, of B1, by default): ends on the contract list."""
    login(page, email, **account)


def menu(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name=name, exact=True).click()


def create_contract(page: Page, *, reference: str, title: str, start: str = "2026-01-01",
                    end: str = "2027-12-31") -> None:
    """From the contract list, through the form; ends on the new contract's page."""
    page.get_by_role("link", name="Enregistrer un marché").click()
    expect(page.get_by_role("heading", level=1, name="Enregistrer un marché")).to_be_visible()
    page.get_by_label("Référence du marché").fill(reference)
    page.get_by_label("Objet").fill(title)
    page.get_by_label("Début d'exécution").fill(start)
    page.get_by_label("Fin d'exécution").fill(end)
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Marché enregistré.")
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
    expect(page.get_by_text(re.compile(f"^{re.escape(reference)} · "))).to_contain_text(
        f"du {start[8:]}/{start[5:7]}/{start[:4]} au {end[8:]}/{end[5:7]}/{end[:4]}")


def add_fixed_lot(page: Page, *, title: str, hours: int = 500) -> None:
    """From a contract page: a lot whose clause is a fixed number of hours."""
    page.get_by_role("link", name="Ajouter un lot").click()
    page.get_by_label("Intitulé du lot").fill(title)
    page.get_by_label("Nombre d'heures fixé").check()
    page.get_by_label("Heures d'insertion (si fixé)").fill(str(hours))
    page.get_by_role("button", name="Enregistrer le lot").click()
    expect(page.get_by_role("status")).to_have_text(f"Lot enregistré : {hours} heures d'insertion requises.")


def new_contract_with_lot(page: Page, prefix: str) -> str:
    """As B1: a fresh contract (2026-01-01 → 2027-12-31) with lot 1; returns its title."""
    enter_buyer(page)
    reference = unique(prefix)
    title = f"Marché d'essai {reference}"
    create_contract(page, reference=reference, title=title)
    add_fixed_lot(page, title="Lot unique")
    return title


def open_contract(page: Page, title: str) -> None:
    menu(page, "Marchés et clauses")
    page.get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()


def open_ledger(page: Page, title: str) -> None:
    open_contract(page, title)
    page.get_by_role("link", name="Registre des heures").click()
    expect(page.get_by_role("heading", level=1, name=f"Registre des heures — {title}")).to_be_visible()


def ledger_rows(page: Page):
    """Rows of the ledger table, header excluded."""
    return page.get_by_role("table").get_by_role("row").filter(has=page.get_by_role("cell"))


def live_hours(page: Page):
    """The paragraph under « Calculer les heures » that gives the required hours."""
    return page.get_by_text(re.compile(r"^Heures d'insertion requises"))


def upload_ledger(page: Page, path: Path) -> None:
    page.get_by_label("Fichier CSV").set_input_files(path)
    page.get_by_role("button", name="Vérifier le fichier").click()


def fact(page: Page, term: str):
    """The value (dd) of a term (dt) of the « Synthèse du marché » list."""
    synthesis = page.get_by_role("region", name="Synthèse du marché")
    return synthesis.get_by_role("term").filter(has_text=term).locator("xpath=following-sibling::dd[1]")


# -- 1 ---------------------------------------------------------------------------
def test_buyer_registers_a_contract_and_a_lot_with_computed_hours(page: Page):
    enter_buyer(page)
    expect(page.get_by_role("heading", level=1, name="Marchés et clauses d'insertion")).to_be_visible()
    expect(page.get_by_role("banner")).to_contain_text("Marc (Ville de Montreuil) · Ville de Montreuil")

    reference = unique("E2E-MTR")
    title = f"Rénovation de l'école {reference}"
    create_contract(page, reference=reference, title=title)
    expect(page.get_by_text("Aucun lot : ajoutez-en un pour fixer la clause.")).to_be_visible()

    page.get_by_role("link", name="Ajouter un lot").click()
    expect(page.get_by_role("heading", level=1, name=f"Ajouter un lot — {title}")).to_be_visible()
    expect(page.get_by_label("Numéro de lot")).to_have_value("1")
    page.get_by_label("Intitulé du lot").fill("Peinture des salles de classe")
    page.get_by_label("Titulaire").fill("Atelier Rénov'Est")
    expect(page.get_by_label("Heures calculées")).to_be_checked()

    # The preset fills the labour share; the hours follow as figures are typed.
    page.get_by_label("Type de travaux").select_option(label=PAINTING_PRESET)
    expect(page.get_by_label("Part de main-d'œuvre (%)")).to_have_value("70")
    page.get_by_label("Montant du lot (€ HT)").fill("1000000")
    page.get_by_label("Taux d'insertion (%)").fill("5")
    page.get_by_label("Coût horaire chargé (€/h)").fill("30")
    # 1 000 000 € × 70 % × 5 % ÷ 30 €/h = 1 166.67 h
    expect(live_hours(page)).to_have_text("Heures d'insertion requises : 1167 h (calcul indicatif)")
    form_url = page.url

    page.get_by_role("button", name="Calculer les heures").click()
    expect(live_hours(page)).to_have_text("Heures d'insertion requises : 1167 h")
    expect(page.get_by_role("alert")).to_have_count(0)
    assert page.url == form_url
    # What was typed is kept by the server.
    expect(page.get_by_label("Type de travaux")).to_have_value("peinture_interieure")
    expect(page.get_by_label("Montant du lot (€ HT)")).to_have_value("1000000")
    expect(page.get_by_label("Intitulé du lot")).to_have_value("Peinture des salles de classe")

    # Without the preset, a typed 50 % gives the 833 hours of the textbook example.
    page.get_by_label("Type de travaux").select_option(label="— autre —")
    page.get_by_label("Part de main-d'œuvre (%)").fill("50")
    expect(live_hours(page)).to_have_text("Heures d'insertion requises : 833 h (calcul indicatif)")
    page.get_by_role("button", name="Calculer les heures").click()
    expect(live_hours(page)).to_have_text("Heures d'insertion requises : 833 h")
    expect(page.get_by_label("Part de main-d'œuvre (%)")).to_have_value("50")

    # Back to the preset, and save.
    page.get_by_label("Type de travaux").select_option(label=PAINTING_PRESET)
    expect(page.get_by_label("Part de main-d'œuvre (%)")).to_have_value("70")
    expect(live_hours(page)).to_have_text("Heures d'insertion requises : 1167 h (calcul indicatif)")
    page.get_by_role("button", name="Enregistrer le lot").click()

    expect(page.get_by_role("status")).to_have_text("Lot enregistré : 1167 heures d'insertion requises.")
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
    lots = page.get_by_role("region", name="Par lot")
    row = lots.get_by_role("row").filter(has=page.get_by_role("link", name="Peinture des salles de classe"))
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell").nth(1)).to_have_text("Atelier Rénov'Est")
    expect(row.get_by_role("cell").nth(2)).to_have_text("1 167 h")
    expect(row.get_by_role("cell").nth(3)).to_have_text("0 h")
    # The formula as typed, with French numbers (thousands may be separated by a narrow no-break space).
    expect(row.get_by_role("cell").first).to_contain_text(re.compile(r"1\s?000\s?000 € × 70 % × 5 % ÷ 30 €/h"))
    expect(fact(page, "Heures requises")).to_have_text("1 167 h")

    # The new contract is in the buyer's list with its required hours.
    menu(page, "Marchés et clauses")
    listed = page.get_by_role("row").filter(has=page.get_by_role("link", name=title, exact=True))
    expect(listed).to_contain_text(reference)
    expect(listed.get_by_role("cell").nth(2)).to_have_text("1 167 h")


# -- 2 ---------------------------------------------------------------------------
def test_ledger_import_reports_the_bad_line_then_imports_without_duplicates(page: Page, tmp_path):
    title = new_contract_with_lot(page, "E2E-IMP")
    tag = uuid.uuid4().hex[:6].upper()
    first, second = f"P-{tag}-1", f"P-{tag}-2"
    good_lines = (f"1;{first};2026-03;120;mad_ai;RSA;attestation CAF;2026-02-01\n"
                  f"1;{second};2026-03;80;embauche_cdd;DELD;attestation France Travail;2026-01-15\n")
    bad = tmp_path / "registre.csv"
    bad.write_text(LEDGER_HEADER + good_lines
                   + f"1;{second};2026-04;80;interim;DELD;attestation France Travail;2026-01-15\n", encoding="utf-8")
    good = tmp_path / "registre_corrige.csv"
    good.write_text(bad.read_text(encoding="utf-8").replace(";interim;", ";mad_etti;"), encoding="utf-8")

    open_ledger(page, title)
    expect(page.get_by_role("cell", name="Aucune heure déclarée.")).to_be_visible()
    page.get_by_role("link", name="Importer le fichier du titulaire (CSV)").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("registre du titulaire")

    upload_ledger(page, bad)
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("rien n'a été importé")
    expect(alert.get_by_role("listitem")).to_have_count(1)
    expect(alert.get_by_role("listitem")).to_have_text(re.compile(r"^Ligne 4 : Modalité : valeur inconnue « interim »"))
    expect(page.get_by_role("button", name=re.compile("^Importer"))).to_have_count(0)
    open_ledger(page, title)
    expect(ledger_rows(page)).to_have_count(1)
    expect(page.get_by_role("cell", name="Aucune heure déclarée.")).to_be_visible()

    for done in ("3 ligne(s) créée(s), 0 corrigée(s), 0 inchangée(s)",
                 "0 ligne(s) créée(s), 0 corrigée(s), 3 inchangée(s)"):
        page.get_by_role("link", name="Importer le fichier du titulaire (CSV)").click()
        upload_ledger(page, good)
        preview = page.get_by_role("region", name="Aperçu : 3 ligne(s) prête(s)")
        expect(preview.get_by_role("row").filter(has_text="2026-04")).to_contain_text("mad_etti")
        page.get_by_role("button", name="Importer ces 3 ligne(s)").click()
        expect(page.get_by_role("status")).to_have_text(f"Import terminé : {done}.")
        expect(page.get_by_role("heading", level=1, name=f"Registre des heures — {title}")).to_be_visible()
        rows = ledger_rows(page)
        expect(rows).to_have_count(3)
        expect(rows.filter(has=page.get_by_role("cell", name=first, exact=True))).to_have_count(1)
        expect(rows.filter(has=page.get_by_role("cell", name=second, exact=True))).to_have_count(2)
        march = rows.filter(has=page.get_by_role("cell", name=first, exact=True))
        expect(march).to_contain_text("Mise à disposition par une AI")
        expect(march.get_by_role("cell").nth(5)).to_have_text("120 h")
        expect(march.get_by_role("cell").nth(6)).to_have_text("120 h")

    open_contract(page, title)
    expect(fact(page, "Heures déclarées")).to_have_text("280 h")


# -- 3 ---------------------------------------------------------------------------
def test_fulfilment_page_of_a_contract_behind_its_clause(page: Page, artifacts_dir):
    enter_buyer(page)
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=CLEANING, exact=True))
    expect(row).to_contain_text("2026-MTR-031")
    expect(row).to_contain_text("clause non tenue au rythme actuel")
    row.get_by_role("link", name=CLEANING, exact=True).click()
    expect(page.get_by_role("heading", level=1, name=CLEANING)).to_be_visible()

    # 900 000 € × 80 % × 5 % ÷ 25 €/h; counted: CL-0006 8 × 60 h + CL-0007 3 × 50 h.
    expect(fact(page, "Heures requises")).to_have_text("1 440 h")
    expect(fact(page, "Heures réalisées et comptées")).to_contain_text(re.compile(r"630 h \(43[,.]8 %\)"))
    # A native progress bar (no inline style: the CSP forbids them), announced as « 44 % réalisé ».
    progress = fact(page, "Heures réalisées et comptées").get_by_role("progressbar", name="44 % réalisé")
    expect(progress).to_be_visible()
    expect(progress).to_have_attribute("value", "44")
    expect(fact(page, "Heures déclarées")).to_have_text("720 h")
    expect(fact(page, "Participants")).to_have_text("2")
    alert = page.get_by_role("alert")
    expect(alert).to_have_count(1)
    expect(alert).to_contain_text("Au rythme déclaré, la clause ne sera pas tenue")
    expect(alert).to_contain_text(re.compile(r"il manquerait [\d  ]+ h"))

    chart = page.get_by_role("figure").filter(has=page.get_by_role("img", name="Heures comptées par mois"))
    expect(chart).to_have_count(1)
    expect(chart.locator("svg[role=img]")).to_be_visible()
    expect(chart.locator("figcaption")).to_contain_text("Heures comptées par mois")

    modalities = page.get_by_role("region", name="Par modalité").get_by_role("listitem")
    expect(modalities.filter(has_text="Sous-traitance ou co-traitance avec une SIAE")).to_have_text(
        "Sous-traitance ou co-traitance avec une SIAE : 480 h")
    expect(modalities.filter(has_text="Mise à disposition par une AI")).to_have_text(
        "Mise à disposition par une AI : 150 h")
    expect(modalities).to_have_count(2)

    # CL-0007's CDD hours of May and June were already declared by the AI.
    not_counted = page.get_by_role("region", name="Heures déclarées non comptées").get_by_role("listitem")
    expect(not_counted).to_have_count(1)
    expect(not_counted).to_have_text("Déjà comptées pour ce mois par une autre modalité : 90 h")

    page.screenshot(path=str(artifacts_dir / "clause_fulfilment.png"), full_page=True)

    page.get_by_role("link", name="Rapport imprimable").click()
    report_title = "Rapport de réalisation de la clause sociale d'insertion"
    expect(page.get_by_role("heading", level=1, name=report_title)).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Rapport — "))
    expect(page.get_by_text(re.compile(f"^{CLEANING} — marché 2026-MTR-031"))).to_be_visible()
    expect(page.get_by_role("link", name="Registre des heures")).to_have_count(0)
    expect(page.get_by_role("region", name="Synthèse")).to_contain_text("manque")
    navigation = page.get_by_role("navigation", name="Navigation principale")
    expect(page.locator("header.site")).to_be_visible()  # on screen, the menu is there
    expect(navigation).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator("header.site")).not_to_be_visible()
    expect(navigation).not_to_be_visible()
    expect(page.get_by_role("button", name="Se déconnecter")).not_to_be_visible()
    expect(page.get_by_role("heading", level=1, name=report_title)).to_be_visible()
    expect(page.get_by_role("figure").first).to_be_visible()


# -- 4 ---------------------------------------------------------------------------
def test_a_correction_keeps_the_history(page: Page):
    title = new_contract_with_lot(page, "E2E-HIS")
    participant = unique("P")
    open_ledger(page, title)
    form = page.get_by_role("region", name="Déclarer des heures")
    form.get_by_label("Participant (référence)").fill(participant)
    form.get_by_label("Mois (AAAA-MM)").fill("2026-03")
    form.get_by_label("Heures réalisées").fill("120")
    form.get_by_label("Modalité").select_option(label="Mise à disposition par une AI")
    form.get_by_label("Catégorie d'éligibilité").select_option(label="Bénéficiaire du RSA")
    form.get_by_label("Justificatif", exact=True).fill("attestation CAF")
    form.get_by_label("Date du justificatif").fill("2026-02-01")
    form.get_by_role("button", name="Enregistrer la ligne").click()
    expect(page.get_by_role("status")).to_have_text("Heures enregistrées.")
    line = ledger_rows(page).filter(has=page.get_by_role("cell", name=participant, exact=True))
    expect(line).to_have_count(1)
    expect(line.get_by_role("cell").nth(6)).to_have_text("120 h")

    line.get_by_role("link", name="2026-03").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Ligne du registre — {participant}, 2026-03")
    expect(page.get_by_label("Heures réalisées")).to_have_value(re.compile(r"^120(\.0)?$"))
    entry_url = page.url
    page.get_by_label("Heures réalisées").fill("95")
    page.get_by_role("button", name="Enregistrer la correction").click()
    expect(page.get_by_role("status")).to_have_text("Correction enregistrée.")
    assert page.url == entry_url

    history = page.get_by_role("region", name="Historique des modifications")
    versions = history.get_by_role("row").filter(has=page.get_by_role("cell"))
    expect(versions).to_have_count(2)
    expect(versions.nth(0).get_by_role("cell").nth(0)).to_have_text("1")
    expect(versions.nth(0).get_by_role("cell").nth(1)).to_have_text(re.compile(r"^(création|import)$"))
    expect(versions.nth(0).get_by_role("cell").nth(4)).to_contain_text(re.compile(r"· 120(\.0)? h ·"))
    expect(versions.nth(1).get_by_role("cell").nth(0)).to_have_text("2")
    expect(versions.nth(1).get_by_role("cell").nth(1)).to_have_text("correction")
    expect(versions.nth(1).get_by_role("cell").nth(2)).to_have_text(B1_NAME)
    expect(versions.nth(1).get_by_role("cell").nth(4)).to_contain_text(re.compile(r"· 95(\.0)? h ·"))

    page.get_by_role("link", name="← Registre des heures").click()
    line = ledger_rows(page).filter(has=page.get_by_role("cell", name=participant, exact=True))
    expect(line.get_by_role("cell").nth(5)).to_have_text("95 h")

    line.get_by_role("link", name="2026-03").click()
    page.get_by_role("button", name="Retirer cette ligne").click()
    expect(page.get_by_role("status")).to_have_text("Ligne retirée du registre (elle reste dans l'historique).")
    expect(page.get_by_role("heading", level=1, name=f"Registre des heures — {title}")).to_be_visible()
    expect(page.get_by_role("cell", name=participant, exact=True)).to_have_count(0)
    expect(page.get_by_role("cell", name="Aucune heure déclarée.")).to_be_visible()

    page.goto(entry_url)
    versions = page.get_by_role("region", name="Historique des modifications").get_by_role("row").filter(
        has=page.get_by_role("cell"))
    expect(versions).to_have_count(3)
    expect(versions.nth(2).get_by_role("cell").nth(0)).to_have_text("3")
    expect(versions.nth(2).get_by_role("cell").nth(1)).to_have_text("suppression")
    expect(versions.nth(2).get_by_role("cell").nth(4)).to_contain_text("retirée")


# -- 5 ---------------------------------------------------------------------------
def test_a_buyer_does_not_see_the_contracts_of_another_buyer(page: Page, make_account):
    b2_buyer = make_account("buyer", B2, B2_PASSWORD, name="Inès (SSDH)")
    enter_buyer(page)
    page.get_by_role("link", name=CLEANING, exact=True).click()
    expect(page.get_by_role("heading", level=1, name=CLEANING)).to_be_visible()
    contract_url = page.url
    page.get_by_role("link", name="Registre des heures").click()
    ledger_url = page.url
    first_line = ledger_rows(page).first.get_by_role("link").first
    first_line.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ligne du registre")
    entry_url = page.url

    logout(page)
    enter_buyer(page, b2_buyer, password=B2_PASSWORD, role="buyer", name="Inès (SSDH)")
    expect(page.get_by_role("banner")).to_contain_text("Seine-Saint-Denis Habitat")
    contracts = page.get_by_role("table").first
    expect(contracts).to_contain_text("2025-SSDH-042")
    for reference in ("2026-MTR-031", "2026-MTR-017", "2026-MTR-044"):
        expect(contracts).not_to_contain_text(reference)
    expect(page.get_by_role("link", name=CLEANING)).to_have_count(0)

    for url in (contract_url, ledger_url, entry_url, contract_url + "/rapport", contract_url + "/heures/import"):
        response = page.goto(url)
        assert response is not None and response.status == 404, (url, response and response.status)
        expect(page.get_by_role("heading", level=1, name="Page introuvable")).to_be_visible()
        expect(page.get_by_text("Cette page n'existe pas ou plus.")).to_be_visible()
        expect(page.get_by_role("main")).not_to_contain_text(CLEANING)
    response = page.request.get(contract_url + "/registre.csv")
    assert response.status == 404, response.status
    assert "CL-0007" not in response.text()
