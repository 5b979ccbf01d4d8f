"""Steps shared by the browser tests: logging in and out through the pages, as a person would.

(A module of its own: test modules cannot import conftest.py by name.) The demo
accounts and their password come from ``web/demo.py``, loaded by ``load-demo``.
"""
from __future__ import annotations

try:
    from playwright.sync_api import Page, expect
except ImportError:  # conftest.py then skips every browser test, saying why
    Page = expect = None

from web.demo import DEMO_ACCOUNTS, DEMO_PASSWORD

CRE_S1 = "cre@demo.passerelle.fr"               # Nadia, Le Grenier des Murs-à-Pêches (S1)
CRE_S4 = "cre.insertion@demo.passerelle.fr"     # Karim, S4
EMPLOYER_E14 = "employeur@demo.passerelle.fr"   # Claire, Filéa Câblage (E14)
BUYER_B1 = "acheteur@demo.passerelle.fr"        # Marc, Ville de Montreuil (B1)
ADMIN = "admin@demo.passerelle.fr"

ACCOUNTS = {email: (name, role) for email, name, role, _ in DEMO_ACCOUNTS}
# The first page of each role after logging in (its level-1 heading).
HOME_HEADINGS = {"cre": "Tableau de bord", "direction": "Diagnostic territorial", "employer": "Mes besoins de recrutement",
                 "buyer": "Marchés et clauses d'insertion", "admin": "Comptes"}
LOGIN_HEADING = "Connexion à Passerelle"


def fill_login_form(page: Page, email: str, password: str) -> None:
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_role("button", name="Se connecter").click()


def login(page: Page, email: str, password: str = DEMO_PASSWORD, *, role: str | None = None,
          name: str | None = None) -> None:
    """Log in through the login form (the page must be logged out); ends on the role's home page.

    ``role`` and ``name`` are only needed for an account that is not a demo account.
    """
    demo_name, demo_role = ACCOUNTS.get(email, (None, None))
    role, name = role or demo_role, name or demo_name
    assert role, f"rôle inconnu pour {email} : passez role="
    page.goto("/connexion")
    expect(page.get_by_role("heading", level=1, name=LOGIN_HEADING)).to_be_visible()
    fill_login_form(page, email, password)
    expect(page.get_by_role("heading", level=1, name=HOME_HEADINGS[role])).to_be_visible()
    banner = page.get_by_role("banner")
    expect(banner.get_by_role("button", name="Se déconnecter")).to_be_visible()
    if name:
        expect(banner.get_by_role("link", name=name)).to_be_visible()


def logout(page: Page) -> None:
    page.get_by_role("banner").get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", level=1, name=LOGIN_HEADING)).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Vous êtes déconnecté(e).")
    expect(page.get_by_role("button", name="Se déconnecter")).to_have_count(0)


def switch_account(page: Page, email: str, password: str = DEMO_PASSWORD, **kwargs) -> None:
    """Change of space: log out, then log in as another account."""
    logout(page)
    login(page, email, password, **kwargs)
