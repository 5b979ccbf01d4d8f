"""Fuzzy mapping on the mini taxonomy, where every expected id is known by heart."""
import pytest


@pytest.mark.parametrize(
    "text, skill_id",
    [
        ("couture", "textile.couture"),
        ("Couturière", "textile.couture"),            # feminine synonym, accents
        ("coutur", "textile.couture"),                # truncated typo
        ("machine a coudre", "textile.couture"),
        ("soudur a letain", "electronique.soudure_etain"),
        ("soudure a l etain", "electronique.soudure_etain"),
        ("prepa de commande", "logistique.preparation_commandes"),
        ("preparatrice de commandes", "logistique.preparation_commandes"),
        ("caces 3", "logistique.caces_r489_3"),
        ("CACES R489 cat. 3", "logistique.caces_r489_3"),
        ("cablage", "electronique.cablage"),
        ("cablâge filaire", "electronique.cablage"),
    ],
)
def test_fragment_maps_to_skill(mini_mapper, text, skill_id):
    mapping = mini_mapper.map(text)
    assert [h.id for h in mapping.skills] == [skill_id]
    assert mapping.unmatched == ()
    assert 0 <= mapping.skills[0].score <= 100


def test_each_fragment_keeps_its_original_spelling(mini_mapper):
    mapping = mini_mapper.map("soudur a letain, prepa de commande, caces 3")
    assert [(h.fragment, h.id) for h in mapping.skills] == [
        ("soudur a letain", "electronique.soudure_etain"),
        ("prepa de commande", "logistique.preparation_commandes"),
        ("caces 3", "logistique.caces_r489_3"),
    ]


def test_unknown_fragments_are_kept_not_dropped(mini_mapper):
    mapping = mini_mapper.map("couture, jardinage, permis de construire")
    assert [h.id for h in mapping.skills] == ["textile.couture"]
    assert mapping.unmatched == ("jardinage", "permis de construire")


def test_empty_text_maps_to_nothing(mini_mapper):
    mapping = mini_mapper.map("")
    assert mapping.skills == () and mapping.unmatched == ()


def test_long_fragment_can_hold_two_skills(mini_mapper):
    mapping = mini_mapper.map("soudure etain cablage")
    assert {h.id for h in mapping.skills} == {"electronique.soudure_etain", "electronique.cablage"}


def test_short_form_does_not_match_inside_a_longer_word(mini_mapper):
    # "repassage" is a synonym; "passage" must not be read as it.
    assert mini_mapper.map("passage piéton").skills == ()


def test_to_dict_has_the_cli_fields(mini_mapper):
    data = mini_mapper.map("couture, rien").to_dict()
    assert set(data) == {"input", "skills", "unmatched"}
    assert set(data["skills"][0]) >= {"id", "label", "score", "fragment"}
    assert data["unmatched"] == ["rien"]


def test_job_title_maps_to_metier(mini_mapper):
    assert mini_mapper.map_title("couturiere").id == "metier.couturier"
    assert mini_mapper.map_title("cableuse electronique").id == "metier.cableur"
    assert mini_mapper.map_title("boulanger") is None
