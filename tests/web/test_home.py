"""The page that tries the engine on the demo profiles."""


def test_form_is_shown(client):
    page = client.get("/").get_data(as_text=True)
    assert 'name="skills"' in page and "<label" in page


def test_typed_need_ranks_demo_profiles_with_explanations(client):
    page = client.post("/", data={"title": "Câbleur", "skills": "câblage filaire, soudure à l'étain"}).get_data(as_text=True)
    assert "Compétences comprises" in page
    assert "Câblage filaire" in page
    assert "Profils classés" in page and "score" in page


def test_empty_need_is_refused_in_french(client):
    page = client.post("/", data={"title": "", "skills": ""}).get_data(as_text=True)
    assert "Indiquez au moins un intitulé de poste ou une compétence." in page
    assert "Profils classés" not in page


def test_unknown_page_is_a_french_404(client):
    response = client.get("/nulle-part")
    assert response.status_code == 404 and "Page introuvable" in response.get_data(as_text=True)
