"""End-to-end flows in Chromium: what a CRE and an employer see and do.

Locators are the accessible ones (label, role, text) so that a broken label or
role breaks a test. The demo data (``data/demo``) provides S1 (the Montreuil
ressourcerie, with Irina, a seamstress), E14 (Filéa Câblage) and its need
N028 « Câbleur / câbleuse filaire H/F ». Each test creates what it changes,
with unique references, so tests can run alone or in any order.
"""
from __future__ import annotations

import re
import uuid

import pytest

try:
    from playwright.sync_api import Page, expect
except ImportError:  # conftest.py then skips every test here, saying why
    Page = expect = None

pytestmark = pytest.mark.browser

S1 = "S1"    # Le Grenier des Murs-à-Pêches — ressourcerie solidaire (Montreuil)
E14 = "E14"  # Filéa Câblage (Les Ulis)
CABLEUR = "Câbleur / câbleuse filaire H/F"  # need N028 of E14
SKILLS_LABEL = "Compétences (séparées par des virgules"
PHONE = {"width": 390, "height": 844}
# What an employer must never read about a proposed person.
ELIGIBILITY_WORDS = ("RSA", "RQTH", "AAH", "éligibilité", "Éligibilité")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6].upper()}"


# -- steps a user takes ---------------------------------------------------------
def enter_cre(page: Page, org_id: str = S1) -> None:
    page.goto("/")
    page.get_by_label("Votre structure").select_option(org_id)
    page.get_by_role("button", name="Entrer dans l'espace CRE").click()
    expect(page.get_by_role("heading", level=1, name="Tableau de bord")).to_be_visible()


def enter_employer(page: Page, org_id: str = E14) -> None:
    page.goto("/")
    page.get_by_label("Votre entreprise").select_option(org_id)
    page.get_by_role("button", name="Entrer dans l'espace employeur").click()
    expect(page.get_by_role("heading", level=1, name="Mes besoins de recrutement")).to_be_visible()


def change_space(page: Page) -> None:
    page.get_by_role("button", name="Changer d'espace").click()
    expect(page.get_by_role("heading", level=1, name="Passerelle")).to_be_visible()


def menu(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name=name, exact=True).click()


def create_profile(page: Page, *, reference: str, first_name: str, skills: str, postcode: str = "93100",
                   french_level: str = "B1", eligibility: tuple[str, ...] = (), notes: str = "") -> None:
    """Through the form, from the CRE space; ends on the new profile's page."""
    menu(page, "Personnes")
    page.get_by_role("link", name="Nouveau profil").click()
    page.get_by_label("Référence").fill(reference)
    page.get_by_label("Prénom").fill(first_name)
    page.get_by_label(SKILLS_LABEL).fill(skills)
    page.get_by_label("Code postal").fill(postcode)
    page.get_by_label("Niveau de français").select_option(french_level)
    for label in eligibility:
        page.get_by_label(label).check()
    if notes:
        page.get_by_label("Notes de la CRE").fill(notes)
    page.get_by_role("button", name="Enregistrer le profil").click()
    expect(page.get_by_role("status")).to_have_text("Profil enregistré.")
    expect(page.get_by_role("heading", level=1)).to_contain_text(first_name)


def open_cableur_need(page: Page) -> None:
    menu(page, "Besoins")
    page.get_by_role("link", name=CABLEUR, exact=True).click()
    expect(page.get_by_role("heading", level=1, name=CABLEUR)).to_be_visible()


def candidate(page: Page, first_name: str):
    """The ranked candidate's item on a need page (the item holding a link to the person)."""
    return page.get_by_role("listitem").filter(has=page.get_by_role("link", name=first_name, exact=True))


def propose(page: Page, first_name: str, message: str) -> None:
    """On a need page: open « Proposer … » under the candidate, write the message, send."""
    item = candidate(page, first_name)
    item.get_by_text(f"Proposer {first_name}", exact=True).click()
    item.get_by_label("Message à l'employeur").fill(message)
    item.get_by_role("button", name="Proposer la candidature").click()
    expect(page.get_by_role("status")).to_have_text("Candidature proposée à l'employeur.")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{first_name} → {CABLEUR}")


def profile_rows(page: Page):
    """Rows of the « Personnes accompagnées » table, header excluded."""
    return page.get_by_role("table").get_by_role("row").filter(has=page.get_by_role("cell"))


def search_profiles(page: Page, text: str) -> None:
    page.get_by_label("Rechercher").fill(text)
    page.get_by_role("button", name="Filtrer").click()


def focus_outline(page: Page) -> dict:
    return page.evaluate("""() => {
        const e = document.activeElement, s = getComputedStyle(e);
        return {tag: e.tagName, text: (e.innerText || e.value || '').trim().slice(0, 60),
                style: s.outlineStyle, width: parseFloat(s.outlineWidth) || 0};
    }""")


# -- 1 ---------------------------------------------------------------------------
def test_cre_creates_a_profile_and_sees_how_skills_are_read(page: Page):
    enter_cre(page)
    page.get_by_role("link", name="Nouveau profil").click()
    expect(page.get_by_role("heading", level=1, name="Nouveau profil")).to_be_visible()
    reference = unique("ACI-E2E")
    page.get_by_label("Référence").fill(reference)
    page.get_by_label("Prénom").fill("Samira")
    page.get_by_label("Code postal").fill("93100")
    form_url = page.url
    page.get_by_label(SKILLS_LABEL).press_sequentially("soudur a letain, couture, prepa de cde, bonne humeur")

    # Live feedback while typing, without any click.
    live = page.get_by_role("list").filter(has_text="bonne humeur : non reconnu")
    expect(live).to_be_visible()
    expect(live).to_contain_text("soudur a letain → Soudure à l'étain")
    expect(page.get_by_text("bonne humeur : non reconnu", exact=True)).to_be_visible()
    assert page.url == form_url

    # The review table: each fragment and how it was understood.
    page.get_by_role("button", name="Vérifier la lecture des compétences").click()
    review = page.get_by_role("region", name="Lecture des compétences")
    understood = {"soudur a letain": "Soudure à l'étain", "couture": "Couture",
                  "prepa de cde": "Préparation de commandes", "bonne humeur": "non reconnu"}
    for fragment, label in understood.items():
        row = review.get_by_role("row").filter(has=page.get_by_role("cell", name=fragment, exact=True))
        expect(row).to_have_count(1)
        expect(row.get_by_role("cell").nth(1)).to_contain_text(label)
    expect(page.get_by_label(SKILLS_LABEL)).to_have_value("soudur a letain, couture, prepa de cde, bonne humeur")

    # Correct one entry: « bonne humeur » is not a skill.
    page.get_by_label("Choix pour « bonne humeur »").select_option(label="Ignorer ce texte")
    page.get_by_role("button", name="Vérifier la lecture des compétences").click()
    ignored = review.get_by_role("row").filter(has=page.get_by_role("cell", name="bonne humeur", exact=True))
    expect(ignored.get_by_role("cell").nth(1)).to_have_text("ignoré")
    expect(page.get_by_label("Choix pour « bonne humeur »")).to_have_value("__ignore__")

    page.get_by_role("button", name="Enregistrer le profil").click()
    expect(page.get_by_role("status")).to_have_text("Profil enregistré.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Samira")
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)

    skills = page.get_by_role("region", name="Compétences", exact=True)
    for label in ("Soudure à l'étain", "Préparation de commandes (picking)"):
        expect(skills.get_by_role("listitem").filter(has_text=label)).to_be_visible()
    expect(skills.get_by_role("listitem").filter(has_text="Couture")).to_be_visible()
    expect(skills).not_to_contain_text("bonne humeur")

    offers = page.get_by_role("region", name="Les offres pour cette personne")
    offer_items = offers.get_by_role("listitem").filter(has=page.get_by_role("link"))
    expect(offer_items.first).to_be_visible()
    assert offer_items.count() >= 1
    expect(offer_items.first).to_contain_text(re.compile(r"\d+ %"))
    expect(offer_items.first).to_contain_text(re.compile(r"Compétences (acquises|transférables)"))
    # Tin soldering is asked for by the wiring job: it is said so.
    cableur = offer_items.filter(has=page.get_by_role("link", name=CABLEUR, exact=True))
    expect(cableur).to_contain_text(re.compile(r"Compétences acquises\s*: [^\n]*Soudure à l'étain"))


# -- 2 ---------------------------------------------------------------------------
def test_cre_finds_the_need_and_proposes_a_candidate(page: Page, browser, artifacts_dir):
    enter_cre(page)
    open_cableur_need(page)
    expect(page.get_by_role("heading", level=2, name="Candidats de votre structure")).to_be_visible()

    # Irina, a seamstress, is ranked with the reason why sewing transfers to wiring.
    irina = candidate(page, "Irina")
    expect(irina).to_have_count(1)
    expect(irina).to_contain_text(re.compile(r"\d+ %"))
    expect(irina).to_contain_text("Compétences transférables")
    transfer = irina.get_by_role("listitem").filter(has_text="→").filter(has_text=re.compile("couture", re.I))
    expect(transfer.first).to_be_visible()

    # Ranked: the scores of the unblocked candidates never go up.
    items = page.get_by_role("listitem").filter(has=page.get_by_role("link")).filter(has_text=" %")
    scores = [int(re.search(r"(\d+) %", text).group(1)) for text in items.all_inner_texts()
              if "Bloquant" not in text]
    assert len(scores) >= 3 and scores == sorted(scores, reverse=True), scores

    # Filter by distance: the people living further away leave the list.
    def distances() -> dict[str, int]:
        found = {}
        for text in items.all_inner_texts():
            km = re.search(r"Distance : (\d+) km", text)
            found[text.split(" ", 1)[0].strip()] = int(km.group(1)) if km else None
        return found

    everyone = distances()
    far = {name for name, km in everyone.items() if km is not None and km > 30}
    assert far, everyone  # the demo data has people beyond 30 km from Les Ulis
    page.get_by_label("Distance max (km)").fill("30")
    page.get_by_role("button", name="Filtrer").click()
    expect(page).to_have_url(re.compile(r"km=30"))
    expect(page.get_by_label("Distance max (km)")).to_have_value("30")
    expect(candidate(page, "Irina")).to_be_visible()
    near = distances()
    assert near and all(km is not None and km <= 30 for km in near.values()), near
    assert not far & set(near), (far, near)

    # Fewer candidates, to keep the screenshots readable.
    page.get_by_label("Nombre").fill("6")
    page.get_by_role("button", name="Filtrer").click()
    expect(items).to_have_count(6)
    expect(candidate(page, "Irina")).to_be_visible()

    page.screenshot(path=str(artifacts_dir / "match_explanation.png"), full_page=True)
    phone = browser.new_context(storage_state=page.context.storage_state(), base_url=page.url, viewport=PHONE,
                                device_scale_factor=2, is_mobile=True, has_touch=True, locale="fr-FR")
    try:
        mobile = phone.new_page()
        mobile.goto(page.url)
        expect(candidate(mobile, "Irina")).to_contain_text("→")
        width = mobile.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"la page défile horizontalement sur téléphone ({width}px)"
        mobile.screenshot(path=str(artifacts_dir / "match_explanation_mobile.png"), full_page=True)
    finally:
        phone.close()

    message = "Irina a 15 ans de couture industrielle : gestes précis, travail assis. Formation interne à prévoir."
    propose(page, "Irina", message)
    expect(page.get_by_text("état : Proposée")).to_be_visible()
    saved = page.get_by_role("region", name=re.compile("Explication au moment de la proposition"))
    expect(saved).to_contain_text(re.compile(r"\d+ %"))
    expect(saved.get_by_role("listitem").filter(has_text="→").filter(has_text=re.compile("couture", re.I)).first
           ).to_be_visible()
    expect(saved).to_contain_text(f"Message de la CRE : {message}")

    open_cableur_need(page)
    expect(candidate(page, "Irina")).to_contain_text("Déjà proposé(e)")


# -- 3 ---------------------------------------------------------------------------
def test_employer_sees_the_proposal_and_marks_the_hire(page: Page):
    secret_note = f"Note interne {uuid.uuid4().hex[:8]} : suivi médical, dette de loyer"
    message = "Solveig coud depuis vingt ans ; très minutieuse, elle est prête pour la formation interne."
    reference = unique("ACI-E2E")
    enter_cre(page)
    create_profile(page, reference=reference, first_name="Solveig",
                   skills="couture, soudure à l'étain, travail minutieux",
                   eligibility=("Bénéficiaire du RSA", "Reconnaissance de la qualité de travailleur handicapé",
                                "Bénéficiaire de l'AAH"), notes=secret_note)
    # The CRE sees them on the person's page (so their absence below means something).
    expect(page.get_by_text("Bénéficiaire du RSA", exact=False)).to_be_visible()
    expect(page.get_by_text(secret_note)).to_be_visible()
    open_cableur_need(page)
    propose(page, "Solveig", message)

    change_space(page)
    enter_employer(page)
    menu(page, "Candidatures reçues")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Solveig", exact=True))
    expect(row).to_contain_text(CABLEUR)
    expect(row).to_contain_text("Proposée")
    row.get_by_role("link", name="Solveig", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Candidature de Solveig — {CABLEUR}")
    expect(page.get_by_text("état : Vue par l'employeur")).to_be_visible()
    expect(page.get_by_role("region", name=re.compile("Message de la"))).to_contain_text(message)
    why = page.get_by_role("region", name=re.compile("Pourquoi cette candidature"))
    expect(why).to_contain_text("Compétences")
    expect(why.get_by_role("listitem").filter(has_text="→").first).to_be_visible()
    text = page.locator("body").inner_text()
    for word in ELIGIBILITY_WORDS + (secret_note, "suivi médical", "Bénéficiaire", "handicap", reference):
        assert word not in text, f"l'employeur voit « {word} »"

    for answer in ("Entretien", "Embauchée"):
        page.get_by_label("Votre réponse").select_option(label=answer)
        page.get_by_role("button", name="Envoyer la réponse").click()
        expect(page.get_by_role("status")).to_have_text("Réponse enregistrée : la CRE est informée.")
        expect(page.get_by_text(f"état : {answer}")).to_be_visible()
    expect(page.get_by_role("heading", name="Répondre")).to_have_count(0)  # nothing left to answer
    history = page.get_by_role("region", name="Historique")
    expect(history.get_by_role("listitem").last).to_contain_text("Filéa Câblage : Embauchée")

    change_space(page)
    enter_cre(page)
    menu(page, "Propositions")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Solveig", exact=True))
    expect(row).to_contain_text("Embauchée")
    row.get_by_role("link", name="Solveig", exact=True).click()
    expect(page.get_by_text("état : Embauchée")).to_be_visible()
    events = page.get_by_role("region", name="Historique").get_by_role("listitem")
    expect(events.filter(has_text="Embauchée")).to_have_count(1)
    expect(events.filter(has_text="Embauchée")).to_contain_text("Filéa Câblage")
    expect(events.filter(has_text="Entretien")).to_have_count(1)
    expect(events.filter(has_text="Vue par l'employeur")).to_have_count(1)


# -- 4 ---------------------------------------------------------------------------
def test_bad_input_keeps_what_was_typed(page: Page):
    enter_cre(page)
    menu(page, "Personnes")
    rows_before = profile_rows(page).count()
    page.get_by_role("link", name="Nouveau profil").click()
    reference = unique("ACI-E2E")
    skills = "couture, repassage,\nmise en rayon"
    page.get_by_label("Référence").fill(reference)
    page.get_by_label("Prénom").fill("Ludivine")
    page.get_by_label(SKILLS_LABEL).fill(skills)
    page.get_by_label("Code postal").fill("931")
    page.get_by_label("Début de parcours").fill("2026-05-04")
    page.get_by_label("Fin de parcours").fill("2026-01-15")
    page.get_by_role("button", name="Enregistrer le profil").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Le profil n'a pas été enregistré")
    messages = {"Code postal": "Code postal : 5 chiffres attendus.",
                "Fin de parcours": "Fin de parcours : elle doit être postérieure au début."}
    for field, message in messages.items():
        expect(summary).to_contain_text(message)
        # The message is also written right under its field.
        shown = page.get_by_text(message, exact=True)
        expect(shown).to_have_count(2)
        box, error = page.get_by_label(field).bounding_box(), shown.last.bounding_box()
        gap = error["y"] - (box["y"] + box["height"])
        assert 0 <= gap < 24 and abs(error["x"] - box["x"]) < 24, (field, box, error)
    expect(page.get_by_text("Début de parcours :")).to_have_count(0)

    expect(page.get_by_label(SKILLS_LABEL)).to_have_value(skills)
    expect(page.get_by_label("Référence")).to_have_value(reference)
    expect(page.get_by_label("Prénom")).to_have_value("Ludivine")
    expect(page.get_by_label("Code postal")).to_have_value("931")
    expect(page.get_by_label("Début de parcours")).to_have_value("2026-05-04")
    expect(page.get_by_label("Fin de parcours")).to_have_value("2026-01-15")

    menu(page, "Personnes")
    expect(profile_rows(page)).to_have_count(rows_before)
    search_profiles(page, reference)
    expect(page.get_by_role("cell", name="Aucun profil.")).to_be_visible()


# -- 5 ---------------------------------------------------------------------------
def test_home_page_works_with_the_keyboard_and_shows_focus(page: Page):
    page.goto("/")
    structure = page.get_by_label("Votre structure")
    seen = []
    for _ in range(10):
        page.keyboard.press("Tab")
        focused = focus_outline(page)
        seen.append(focused)
        if focused["tag"] in ("A", "BUTTON", "SELECT"):
            assert focused["style"] != "none" and focused["width"] > 0, f"focus invisible : {focused}"
        if structure.evaluate("e => e === document.activeElement"):
            break
    expect(structure).to_be_focused()
    assert [f["text"] for f in seen[:2]] == ["Aller au contenu", "Passerelle"], seen
    page.keyboard.type("Le Grenier")  # type-ahead on the closed select
    expect(structure).to_have_value(S1)
    page.keyboard.press("Tab")
    enter = page.get_by_role("button", name="Entrer dans l'espace CRE")
    expect(enter).to_be_focused()
    assert focus_outline(page)["style"] != "none"
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Tableau de bord")).to_be_visible()
    expect(page.get_by_role("banner")).to_contain_text("Le Grenier des Murs-à-Pêches")

    # Skip link first, visible when focused; then every header link and button shows its focus.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    nav_links = ["Passerelle", "Tableau de bord", "Personnes", "Besoins", "Propositions", "Essai", "Changer d'espace"]
    for name in nav_links:
        page.keyboard.press("Tab")
        focused = focus_outline(page)
        assert focused["text"] == name, (name, focused)
        assert focused["style"] != "none" and focused["width"] > 0, f"focus invisible : {focused}"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")  # « Essai »
    expect(page).to_have_url(re.compile(r"/cre/essai$"))


# -- 6 ---------------------------------------------------------------------------
def test_csv_import_reports_the_bad_line_then_imports_without_duplicates(page: Page, tmp_path):
    tag = uuid.uuid4().hex[:6].upper()
    header = "reference;first_name;skills;french_level;postcode\n"
    bad = tmp_path / "profils.csv"
    bad.write_text(header + f"CSV-{tag}-1;Ambroisine;couture, repassage;A2;93100\n"
                   f"CSV-{tag}-2;Barnabé;mise en rayon;Z9;93100\n", encoding="utf-8")
    good = tmp_path / "profils_corriges.csv"
    good.write_text(bad.read_text(encoding="utf-8").replace(";Z9;", ";B1;"), encoding="utf-8")

    enter_cre(page)
    menu(page, "Personnes")
    rows_before = profile_rows(page).count()
    page.get_by_role("link", name="Importer un CSV").click()
    expect(page.get_by_role("heading", level=1, name="Importer des profils (CSV)")).to_be_visible()

    page.get_by_label("Fichier CSV").set_input_files(bad)
    page.get_by_role("button", name="Vérifier le fichier").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("rien n'a été importé")
    expect(alert.get_by_role("listitem")).to_have_count(1)
    expect(alert.get_by_role("listitem")).to_have_text(
        re.compile(r"^Ligne 3 : Niveau de français : valeur inconnue « Z9 »"))
    expect(page.get_by_role("button", name=re.compile("^Importer"))).to_have_count(0)
    menu(page, "Personnes")
    expect(profile_rows(page)).to_have_count(rows_before)

    for done in ("2 créé(s), 0 mis à jour, 0 inchangé(s)", "0 créé(s), 0 mis à jour, 2 inchangé(s)"):
        page.get_by_role("link", name="Importer un CSV").click()
        page.get_by_label("Fichier CSV").set_input_files(good)
        page.get_by_role("button", name="Vérifier le fichier").click()
        preview = page.get_by_role("region", name="Aperçu : 2 ligne(s) prête(s)")
        expect(preview.get_by_role("row").filter(has_text="Barnabé")).to_contain_text("B1")
        page.get_by_role("button", name="Importer ces 2 ligne(s)").click()
        expect(page.get_by_role("status")).to_have_text(f"Import terminé : {done}.")
        expect(page.get_by_role("heading", level=1, name="Personnes accompagnées")).to_be_visible()
        expect(profile_rows(page)).to_have_count(rows_before + 2)
        expect(page.get_by_role("link", name="Ambroisine", exact=True)).to_have_count(1)
        expect(page.get_by_role("link", name="Barnabé", exact=True)).to_have_count(1)

    search_profiles(page, f"CSV-{tag}")
    expect(profile_rows(page)).to_have_count(2)
