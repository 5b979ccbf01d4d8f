"""Pages open without logging in: the accessibility statement and the favicon."""


def test_accessibility_statement_is_public_and_in_rgaa_format(client):
    response = client.get("/accessibilite")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for section in ("État de conformité", "Résultats des tests", "Contenus non accessibles",
                    "Dérogations pour charge disproportionnée", "Établissement de cette déclaration",
                    "Retour d'information et contact", "Voies de recours"):
        assert section.replace("'", "&#39;") in page or section in page, section
    assert "RGAA 4.1" in page and "non conforme" in page
    assert 'href="mailto:accessibilite@passerelle.fr"' in page


def test_accessibility_contact_comes_from_the_configuration(app):
    app.config["ACCESSIBILITY_CONTACT"] = "a11y@structure.fr"
    assert 'mailto:a11y@structure.fr' in app.test_client().get("/accessibilite").get_data(as_text=True)


def test_every_page_links_to_the_statement(app, cre):
    assert 'href="/accessibilite"' in app.test_client().get("/connexion").get_data(as_text=True)
    assert 'href="/accessibilite"' in cre.get("/cre/").get_data(as_text=True)


def test_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon"
    assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO header, not an HTML error page
