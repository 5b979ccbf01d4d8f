"""Normalisation: the one function every component compares texts through."""
import pytest

from matching.text import fold, normalise, split_fragments


@pytest.mark.parametrize(
    "a, b",
    [
        ("Couturière", "couturier"),             # feminine form
        ("COUTURIERES", "couturière"),           # case, plural, accents
        ("Préparatrice de commandes", "préparateur de commande"),
        ("vendeuse", "vendeur"),
        ("agent(e) d'entretien", "agent d’entretien"),  # inclusive writing, curly apostrophe
        ("employé.e.s polyvalent.e.s", "employé polyvalent"),
        ("gardien-nes d'immeuble", "gardien d'immeuble"),
        ("CACES R 489", "caces r489"),           # gap between letter and number
        ("prépa de cde", "préparateur de commande"),  # abbreviations: "prépa" is the job (préparateur)
        ("netoyage", "nettoyage"),               # common typo
        ("manutension", "manutention"),
        ("Maîtrise de l'œuvre", "maitrise oeuvre"),
        ("les travaux", "travail"),              # irregular plural
    ],
)
def test_variants_normalise_to_the_same_form(a, b):
    assert normalise(a) == normalise(b)


@pytest.mark.parametrize("text", ["", "   ", "de la, et les", "!!!"])
def test_empty_or_stop_words_only_gives_empty_string(text):
    assert normalise(text) == ""


def test_stop_words_are_dropped_but_meaningful_short_words_kept():
    assert normalise("j'ai le permis B et le CACES 3") == "permi b caces 3"
    assert normalise("port des EPI") == "port epi"


def test_fold_strips_accents_and_ligatures():
    assert fold("Œuvre Ça Été") == "oeuvre ca ete"


@pytest.mark.parametrize(
    "text, fragments",
    [
        ("soudur a letain, prepa de commande, caces 3", ["soudur a letain", "prepa de commande", "caces 3"]),
        ("ménage et repassage", ["ménage", "repassage"]),
        ("CACES 1/3/5", ["CACES 1", "CACES 3", "CACES 5"]),
        ("- tonte\n- débroussaillage\n", ["tonte", "débroussaillage"]),
        ("plonge; aide cuisine | service", ["plonge", "aide cuisine", "service"]),
        ("vendeur·euse", ["vendeur·euse"]),      # inclusive mark is not a separator
        ("", []),
    ],
)
def test_split_fragments(text, fragments):
    assert split_fragments(text) == fragments


def test_separators_inside_brackets_do_not_split():
    assert split_fragments("outillage électroportatif (visseuse, scie), peinture") == [
        "outillage électroportatif (visseuse, scie)", "peinture"]
    assert split_fragments("parenthèse (pas fermée, tant pis") == ["parenthèse (pas fermée, tant pis"]


def test_known_expression_with_et_is_kept_whole():
    known = {"gestes et postures"}
    assert split_fragments("gestes et postures, tri et pesée", keep_whole=lambda p: p in known) == [
        "gestes et postures", "tri", "pesée"]
