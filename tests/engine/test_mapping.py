"""Fuzzy mapping of field French onto the bundled taxonomy."""
import pytest


@pytest.mark.parametrize(
    "text, skill_id",
    [
        ("soudur a letain", "electronique.soudure_etain"),          # typos + glued article
        ("prepa de cde", "logistique.preparation_commandes"),        # abbreviations
        ("préparatrice de commandes", "logistique.preparation_commandes"),  # feminine form
        ("caces 3", "logistique.caces_r489_cat3"),
        ("CACES R489 cat. 3", "logistique.caces_r489_cat3"),
        ("caces 1", "logistique.caces_r489_cat1a"),
        ("netoyage bureaux", "proprete.nettoyage_bureaux"),          # common typo
        ("plongeuse", "restauration.plonge"),                        # feminine job noun
        ("HACCP", "restauration.haccp"),
        ("permis B", "transversal.permis_b"),
        ("permis C", "logistique.permis_c"),
        ("SST", "transversal.sst"),
        ("Port des EPI", "transversal.port_epi"),
        ("gestes et postures", "transversal.gestes_postures"),       # "et" inside a known expression
        ("bionetoyage", "proprete.bionettoyage"),                    # one-letter typo in a long word
        ("je repasse les chemises à la presse", "blanchisserie.repassage_chemises"),  # verb, first person
        ("j'ai mis des produits en boîte", "industrie.conditionnement_manuel"),
        ("contrôle des dates", "commerce.controle_dates"),           # label head without its details
        ("desinfecsion des surfaces", "proprete.desinfection"),
    ],
)
def test_field_french_maps_to_the_right_skill(mapper, text, skill_id):
    assert skill_id in [h.id for h in mapper.map(text).skills]


@pytest.mark.parametrize(
    "text",
    [
        "patience",                   # shares letters with "patine", not a skill
        "bonne condition physique",
        "expérience de 5 ans minimum",
        "motivation",
        "passage piéton",             # "passage" is not "repassage"
    ],
)
def test_qualities_and_noise_stay_unmatched(mapper, text):
    mapping = mapper.map(text)
    assert mapping.skills == ()
    assert mapping.unmatched == (text,)


def test_brasage_is_not_brassage(mapper):
    """A known word is never "corrected" into a neighbour with another meaning."""
    ids = [h.id for h in mapper.map("brasage").skills]
    assert "numerique.brassage_baie" not in ids


def test_ambiguous_fragment_returns_alternatives(mapper):
    [hit] = mapper.map("sertissage").skills
    ids = {hit.id, *(a.id for a in hit.alternatives)}
    assert {"electronique.sertissage", "btp_second_oeuvre.raccordement_plomberie"} <= ids


def test_second_skill_in_a_fragment_must_be_of_the_same_trade(mapper):
    ids = [h.id for h in mapper.map("rackage serveurs").skills]
    assert "restauration.service_salle" not in ids


@pytest.mark.parametrize(
    "title, metier_id",
    [
        ("2016-2022 employée de pressing, Nantes", "metier.employe_pressing"),
        ("couturière en atelier (8 ans, Turquie)", "metier.agent_atelier_couture"),
        ("agent d'entretien", "metier.agent_proprete"),
        ("plongeur", "metier.plongeur"),
    ],
)
def test_cv_lines_map_to_metiers(mapper, title, metier_id):
    assert mapper.map_title(title).id == metier_id


@pytest.mark.parametrize("title", ["2019-2023 monteur vidéo indépendant, Rouen", "poseur", "stage de 3 mois"])
def test_vague_or_foreign_titles_map_to_nothing(mapper, title):
    assert mapper.map_title(title) is None
