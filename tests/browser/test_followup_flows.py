"""End-to-end in Chromium, after the proposal: the employer's mail (opened in the browser, its link
followed), the interview, and the follow-up after the hire. Screenshots at desktop and phone size in
test-artifacts/ (mail_new_proposal*.png, followup*.png)."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from browser_helpers import CRE_S1, EMPLOYER_E14, login, logout
from test_flows import create_profile, open_cableur_need, propose, unique

try:
    from playwright.sync_api import Page, expect
except ImportError:  # conftest.py then skips every test here, saying why
    Page = expect = None

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
CABLEUR = "Câbleur / câbleuse filaire H/F"
SENSITIVE = ("RSA", "RQTH", "AAH", "éligibilité", "Éligibilité")


def menu(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name=name, exact=True).click()


def test_the_employer_gets_the_mail_follows_its_link_and_proposes_an_interview(page: Page, browser, live_server,
                                                                               deliver_mails, artifacts_dir):
    deliver_mails()  # what the demo queued leaves first
    login(page, CRE_S1)
    name = "Ysaline"
    create_profile(page, reference=unique("ACI-MAIL"), first_name=name, postcode="91940",
                   skills="soudure à l'étain, câblage filaire, couture", notes="Suivi psy en cours")
    open_cableur_need(page)
    propose(page, name, "Très minutieuse, disponible tout de suite.")
    logout(page)

    mails = [m for m in deliver_mails(EMPLOYER_E14, "nouvelle_candidature") if name in m["Subject"]]
    assert len(mails) == 1, [m["Subject"] for m in mails]
    html = mails[0].get_body(preferencelist=("html",)).get_content()
    for word in SENSITIVE + ("Suivi psy", "ACI-MAIL"):
        assert word not in html, word
    # The mail as the employer reads it, on a computer and on a phone.
    viewer = browser.new_context(viewport=DESKTOP, locale="fr-FR")
    try:
        mail_page = viewer.new_page()
        mail_page.set_content(html)
        expect(mail_page.get_by_text(f"vous propose la candidature de {name}")).to_be_visible()
        mail_page.screenshot(path=str(artifacts_dir / "mail_new_proposal.png"), full_page=True)
        mail_page.set_viewport_size(PHONE)
        mail_page.screenshot(path=str(artifacts_dir / "mail_new_proposal_mobile.png"), full_page=True)
        link = mail_page.get_by_role("link", name="Voir la candidature et répondre").get_attribute("href")
    finally:
        viewer.close()
    assert link.startswith(live_server + "/employeur/candidatures/"), link

    # The link leads to the login, then to the candidature, with the CRE's contact.
    page.goto(link)
    page.get_by_label("Adresse électronique").fill(EMPLOYER_E14)
    page.get_by_label("Mot de passe", exact=True).fill("demo-passerelle")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Candidature de {name}")
    contact = page.get_by_role("region", name="Votre contact")
    expect(contact).to_contain_text("Nadia (CRE)")
    expect(contact).to_contain_text("01 99 00 12 34")
    expect(contact.get_by_role("link", name="cre@demo.passerelle.fr")).to_be_visible()

    expect(page.get_by_text("Proposer un entretien", exact=True)).to_be_visible()  # open: no slot yet
    day = date.today() + timedelta(days=9)
    page.get_by_label("Date").fill(day.isoformat())
    page.get_by_label("Heure").fill("10:30")
    page.get_by_label("Modalité").select_option(label="Sur place")
    page.get_by_label("Adresse, numéro à appeler ou lien de la visio").fill("3 avenue des Tropiques, Les Ulis")
    page.get_by_label("Contact sur place", exact=True).fill("Claire")
    page.get_by_role("button", name="Proposer ce créneau").click()
    expect(page.get_by_role("status")).to_contain_text("Entretien proposé")
    interview = page.get_by_role("region", name="Entretien")
    expect(interview).to_contain_text("10 h 30")
    expect(interview).to_contain_text("Proposé, à confirmer")
    logout(page)

    [proposed] = [m for m in deliver_mails(CRE_S1, "entretien_propose") if name in m["Subject"]]
    assert [p.get_filename() for p in proposed.iter_attachments()] == ["entretien.ics"]
    login(page, CRE_S1)
    page.get_by_role("banner").get_by_role("link", name=re.compile("^Notifications")).click()
    page.get_by_role("link", name=re.compile(f"Entretien proposé pour {name}")).first.click()
    page.get_by_role("button", name="Confirmer l'entretien").click()
    expect(page.get_by_role("status")).to_contain_text("Entretien confirmé")
    expect(page.get_by_role("region", name="Entretien")).to_contain_text("Confirmé")
    assert len([m for m in deliver_mails(EMPLOYER_E14, "entretien_confirme") if name in m["Subject"]]) == 1


def test_the_cre_records_a_check_in_on_the_follow_up_page(page: Page, artifacts_dir):
    """The demo hire (Hélène, Hypermarché Bellevue): J+7 done, J+30 overdue, the tutor's assessment."""
    login(page, CRE_S1)
    overdue = page.get_by_role("region", name=re.compile("Points de suivi en retard"))
    expect(overdue).to_contain_text("Hélène")
    menu(page, "Suivis")
    expect(page.get_by_role("heading", level=1, name="Suivis après l'embauche")).to_be_visible()
    page.get_by_role("link", name="Hélène", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Suivi après l'embauche de Hélène")
    points = page.get_by_role("region", name="Points de suivi")
    expect(points.get_by_role("listitem").filter(has_text="J+30")).to_contain_text("en retard")
    expect(page.get_by_text("Bonne intégration dans l'équipe du rayon frais.")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "followup.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(artifacts_dir / "followup_mobile.png"), full_page=True)
    page.set_viewport_size(DESKTOP)

    j30 = points.get_by_role("listitem").filter(has_text="J+30").first
    j30.get_by_label("En poste, avec des difficultés").check()
    j30.get_by_label("Horaires").check()
    j30.get_by_label("Action menée").fill("Planning revu avec le tuteur : plus de fermeture le soir.")
    j30.get_by_role("button", name="Enregistrer le point J+30").click()
    expect(page.get_by_role("status")).to_have_text("Point de suivi enregistré.")
    done = page.get_by_role("region", name="Points de suivi").get_by_role("listitem").filter(has_text="J+30").first
    expect(done).to_contain_text("Planning revu avec le tuteur")
    expect(done).not_to_contain_text("en retard")
