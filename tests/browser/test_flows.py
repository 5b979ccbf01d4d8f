"""End-to-end flows in Chromium: what a CRE and an employer see and do.

Locators are the accessible ones (label, role, text) so that a broken label or
role breaks a test. The demo data (``data/demo``) provides S1 (the Montreuil
ressourcerie, with Irina, a seamstress), E14 (Filéa Câblage) and its need
N028 « Câbleur / câbleuse filaire H/F », and one account for each (Nadia, CRE
of S1; Claire, employer E14): users log in through the login form, and change
space by logging out and in as another account. Each test creates what it
changes, with unique references, so tests can run alone or in any order.
"""
from __future__ import annotations

import re
import uuid

import pytest
from browser_helpers import CRE_S1, DEMO_PASSWORD, EMPLOYER_E14, login, logout

try:
    from playwright.sync_api import Page, expect
except ImportError:  # conftest.py then skips every test here, saying why
    Page = expect = None

pytestmark = pytest.mark.browser

S1_NAME = "Le Grenier des Murs-à-Pêches — ressourcerie solidaire"  # S1, Montreuil
CABLEUR = "Câbleur / câbleuse filaire H/F"  # need N028 of E14
SKILLS_LABEL = "Compétences (séparées par des virgules"
CONSENT_LABEL = "La personne accepte que son profil soit proposé à des employeurs"
PHONE = {"width": 390, "height": 844}
# What an employer must never read about a proposed person.
ELIGIBILITY_WORDS = ("RSA", "RQTH", "AAH", "éligibilité", "Éligibilité")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6].upper()}"


# -- steps a user takes ---------------------------------------------------------
def enter_cre(page: Page, email: str = CRE_S1) -> None:
    """Log in as the CRE of S1 (Nadia): ends on the dashboard."""
    login(page, email)
    expect(page.get_by_role("banner")).to_contain_text("Le Grenier des Murs-à-Pêches")


def enter_employer(page: Page, email: str = EMPLOYER_E14) -> None:
    """Log in as the employer E14 (Claire, Filéa Câblage): ends on « Mes besoins de recrutement »."""
    login(page, email)
    expect(page.get_by_role("banner")).to_contain_text("Filéa Câblage")


def menu(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name=name, exact=True).click()


def create_profile(page: Page, *, reference: str, first_name: str, skills: str, postcode: str = "93100",
                   french_level: str = "B1", eligibility: tuple[str, ...] = (), notes: str = "",
                   consent: bool = True) -> None:
    """Through the form, from the CRE space; ends on the new profile's page.

    ``consent``: the person agreed to be proposed to employers (without it, they cannot be).
    """
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
    if consent:
        page.get_by_label(CONSENT_LABEL).check()
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
        return {tag: e.tagName, id: e.id, text: (e.innerText || e.value || '').trim().slice(0, 60),
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

    logout(page)
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

    logout(page)
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
def test_login_page_works_with_the_keyboard_and_shows_focus(page: Page):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/connexion$"))  # logged out: the home page is the login page
    email, password = page.get_by_label("Adresse électronique"), page.get_by_label("Mot de passe", exact=True)
    expected = [("A", "Aller au contenu"), ("A", "Passerelle"), ("INPUT", "email"), ("INPUT", "password"),
                ("BUTTON", "Se connecter")]
    for tag, name in expected:
        page.keyboard.press("Tab")
        focused = focus_outline(page)
        assert (focused["tag"], focused["id"] or focused["text"]) == (tag, name), (name, focused)
        assert focused["style"] != "none" and focused["width"] > 0, f"focus invisible : {focused}"
        if name == "email":
            expect(email).to_be_focused()
            page.keyboard.type(CRE_S1)
        elif name == "password":
            expect(password).to_be_focused()
            page.keyboard.type(DEMO_PASSWORD)
    expect(page.get_by_role("button", name="Se connecter")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Tableau de bord")).to_be_visible()
    expect(page.get_by_role("banner")).to_contain_text(S1_NAME)

    # Skip link first, visible when focused; then every header link and button shows its focus.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    header = ["Passerelle", "Tableau de bord", "Personnes", "Besoins", "Propositions", "Portefeuille", "Suivis",
              "Sorties", "Essai", "Clauses", "Réseau", "Territoire", re.compile(r"Notifications(\s+\d+)?"), f"Nadia (CRE) · {S1_NAME}",
              "Se déconnecter"]
    for name in header:
        page.keyboard.press("Tab")
        focused = focus_outline(page)
        if isinstance(name, re.Pattern):  # the unread count depends on what happened before
            assert name.fullmatch(focused["text"]), (name, focused)
        else:
            assert focused["text"] == name[:60], (name, focused)
        assert focused["style"] != "none" and focused["width"] > 0, f"focus invisible : {focused}"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")  # the user's name: « Mon compte »
    expect(page.get_by_role("heading", level=1, name="Mon compte")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/compte$"))

    # Logging out with the keyboard too.
    logout_button = page.get_by_role("button", name="Se déconnecter")
    logout_button.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Connexion à Passerelle")).to_be_visible()
    page.goto("/cre/")
    expect(page.get_by_role("heading", level=1, name="Connexion à Passerelle")).to_be_visible()


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


# -- 7 ---------------------------------------------------------------------------
def consent_fact(page: Page):
    """The « Consentement » value (dd) on a person's page."""
    return page.get_by_role("term").filter(has_text="Consentement").locator("xpath=following-sibling::dd[1]")


def test_without_consent_a_person_cannot_be_proposed_nor_seen_by_the_employer(page: Page):
    reference = unique("ACI-E2E")
    enter_cre(page)
    create_profile(page, reference=reference, first_name="Maëlys", consent=False,
                   skills="soudure à l'étain, couture, travail minutieux")
    expect(consent_fact(page)).to_have_text("non recueilli : la personne ne peut pas être proposée")

    # The form is offered under the candidate, but the proposal is refused, in French, and nothing is recorded.
    open_cableur_need(page)
    item = candidate(page, "Maëlys")
    item.get_by_text("Proposer Maëlys", exact=True).click()
    item.get_by_label("Message à l'employeur").fill("Maëlys est très minutieuse.")
    item.get_by_role("button", name="Proposer la candidature").click()
    expect(page.get_by_role("heading", level=1, name=CABLEUR)).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text(
        "Cette personne n'a pas donné son accord pour être proposée aux employeurs : "
        "recueillez son consentement d'abord")
    expect(candidate(page, "Maëlys")).not_to_contain_text("Déjà proposé(e)")
    menu(page, "Propositions")
    expect(page.get_by_role("link", name="Maëlys", exact=True)).to_have_count(0)

    # Consent recorded: the proposal goes through.
    menu(page, "Personnes")
    search_profiles(page, reference)
    page.get_by_role("link", name="Maëlys", exact=True).click()
    page.get_by_role("link", name="Modifier").click()
    expect(page.get_by_label(CONSENT_LABEL)).not_to_be_checked()
    page.get_by_label(CONSENT_LABEL).check()
    page.get_by_role("button", name="Enregistrer le profil").click()
    expect(page.get_by_role("status")).to_have_text("Profil enregistré.")
    expect(consent_fact(page)).to_have_text(re.compile(r"^recueilli le \d{2}/\d{2}/\d{4} par Nadia \(CRE\)$"))
    profile_url = page.url
    open_cableur_need(page)
    propose(page, "Maëlys", "Maëlys est très minutieuse.")
    cre_proposal_url = page.url

    # Consent withdrawn after the proposal: the employer no longer sees anything about the person.
    page.goto(profile_url)
    page.get_by_role("link", name="Modifier").click()
    page.get_by_label(CONSENT_LABEL).uncheck()
    page.get_by_role("button", name="Enregistrer le profil").click()
    expect(consent_fact(page)).to_contain_text("non recueilli")

    logout(page)
    enter_employer(page)
    menu(page, "Candidatures reçues")
    expect(page.get_by_role("main")).not_to_contain_text("Maëlys")
    withdrawn = page.get_by_role("row").filter(has=page.get_by_role("link", name="Candidature retirée"))
    expect(withdrawn.filter(has_text=CABLEUR).first).to_be_visible()
    menu(page, "Mes besoins")
    page.get_by_role("link", name=CABLEUR, exact=True).click()
    expect(page.get_by_role("main")).not_to_contain_text("Maëlys")
    export = page.request.get("/employeur/export/candidatures.csv")
    assert export.ok, export.status
    assert "Maëlys" not in export.text(), "l'export CSV de l'employeur montre une personne sans consentement"
    assert reference not in export.text()
    # The CRE's own page of the proposal is not the employer's: it answers 403.
    response = page.goto(cre_proposal_url)
    assert response is not None and response.status == 403, response and response.status
    expect(page.get_by_role("main")).not_to_contain_text("Maëlys")


# -- 8 ---------------------------------------------------------------------------
CSP_SCRIPT_CHECK = """() => new Promise(resolve => {
    const seen = [];
    document.addEventListener('securitypolicyviolation', e => seen.push(e.effectiveDirective));
    const script = document.createElement('script');
    script.textContent = 'window.__inlineScriptRan = true;';
    document.body.appendChild(script);
    const button = document.createElement('button');
    button.setAttribute('onclick', 'window.__inlineHandlerRan = true;');
    document.body.appendChild(button);
    button.click();
    setTimeout(() => resolve({script: window.__inlineScriptRan === true, handler: window.__inlineHandlerRan === true,
                              violations: seen}), 500);
})"""


def directives(policy: str) -> dict[str, list[str]]:
    found = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        found.setdefault(name.lower(), sources)
    return found


def test_employer_pages_show_no_eligibility_and_forbid_inline_scripts(page: Page):
    reference = unique("ACI-E2E")
    categories = ("Bénéficiaire du RSA", "Reconnaissance de la qualité de travailleur handicapé",
                  "Bénéficiaire de l'AAH", "Demandeur d'emploi de longue durée (12 mois et plus)")
    enter_cre(page)
    create_profile(page, reference=reference, first_name="Théodora", eligibility=categories,
                   skills="couture, soudure à l'étain, travail minutieux")
    open_cableur_need(page)
    propose(page, "Théodora", "Théodora coud depuis longtemps ; elle aime le travail précis.")
    logout(page)
    enter_employer(page)

    def check_page(what: str) -> None:
        text, html = page.locator("body").inner_text(), page.content()
        for word in ELIGIBILITY_WORDS + ("Bénéficiaire", "handicap", "longue durée", reference):
            assert word not in text, f"{what} : l'employeur voit « {word} »"
        for label in categories:
            assert label not in html, f"{what} : « {label} » est dans le code de la page"

    check_page("Mes besoins")
    page.get_by_role("link", name=CABLEUR, exact=True).click()
    expect(page.get_by_role("heading", level=1, name=CABLEUR)).to_be_visible()
    check_page("le besoin N028")
    menu(page, "Candidatures reçues")
    check_page("Candidatures reçues")
    page.get_by_role("row").filter(has=page.get_by_role("link", name="Théodora", exact=True)).get_by_role(
        "link", name="Théodora", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Candidature de Théodora — {CABLEUR}")
    check_page("la candidature")

    # The page's own response headers: a strict Content-Security-Policy, no caching of personal data.
    response = page.goto(page.url)
    assert response is not None and response.ok
    headers = response.headers
    policy = directives(headers["content-security-policy"])
    scripts = policy.get("script-src", policy.get("default-src"))
    assert scripts == ["'self'"], policy
    for name in ("script-src-elem", "script-src-attr"):
        assert name not in policy, policy  # nothing loosens script-src for elements or attributes
    assert policy.get("object-src") == ["'none'"] and policy.get("frame-ancestors") == ["'none'"], policy
    assert headers.get("x-content-type-options") == "nosniff"
    assert headers.get("cache-control") == "no-store"
    # And the browser applies it: neither an inline script nor an inline event handler runs.
    result = page.evaluate(CSP_SCRIPT_CHECK)
    assert result["script"] is False and result["handler"] is False, result
    assert {"script-src-elem", "script-src-attr"} <= set(result["violations"]), result
