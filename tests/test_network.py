"""The employer network's formats and rules (network.py): NAF codes, SIRET, spreadsheet cells."""
from __future__ import annotations

import pytest

import network
from matching import load_taxonomy


@pytest.mark.parametrize("typed, code", [
    ("81.21Z", "81.21Z"), ("8121z", "81.21Z"), ("81.21 Z", "81.21Z"), (" 68.20a ", "68.20A"), ("", None), (None, None),
])
def test_naf_codes_are_read_in_every_usual_form(typed, code):
    assert network.normalise_naf(typed) == code


@pytest.mark.parametrize("typed", ["81", "81.2", "8121", "81.21ZZ", "AB.CDZ", "812.1Z"])
def test_a_naf_code_that_is_not_one_is_refused_in_french(typed):
    with pytest.raises(network.NafError, match="forme 81.21Z attendue"):
        network.normalise_naf(typed)


@pytest.mark.parametrize("code, label_part, sectors", [
    ("81.21Z", "Nettoyage", ("proprete",)),                   # class 81.2 wins over division 81
    ("81.30Z", "paysager", ("espaces_verts",)),
    ("81.99Z", "Services aux bâtiments", ("proprete", "espaces_verts", "accueil_securite")),  # division only
    ("43.34Z", "Finition", ("btp_second_oeuvre",)),
    ("96.01B", "Blanchisserie", ("blanchisserie",)),           # four-digit class
    ("68.20A", "immobilières", ("accueil_securite", "proprete")),
])
def test_the_longest_known_prefix_gives_the_sectors_an_activity_hires_in(code, label_part, sectors):
    label, found = network.naf_activity(code)
    assert label_part in label and found == sectors


def test_an_unknown_activity_has_no_sector():
    assert network.naf_activity("99.00Z") is None and network.naf_activity(None) is None


def test_every_bundled_naf_sector_exists_in_the_taxonomy():
    taxonomy = load_taxonomy()
    table = network._naf_table()
    assert {s for v in table.values() for s in v["sectors"]} <= set(taxonomy.sectors)


@pytest.mark.parametrize("siret, ok", [
    ("73282932000074", True),        # valid check digit
    ("732 829 320 00074", True),     # spaces as printed
    ("73282932000075", False),       # one digit off
    ("7328293200007", False),        # 13 digits
    ("35600000000047", True),        # La Poste: digit sum divisible by 5 (no Luhn)
    ("35600000000048", False),
    ("", True),                      # optional
])
def test_siret_check_digit(siret, ok):
    assert (network.siret_error(siret) is None) is ok


def test_contacts_cell_round_trip():
    contacts = [{"name": "Paul Ferrand", "role": "gérant", "phone": "01 48 00 00 01", "email": "p@f.example"},
                {"name": "Accueil", "role": None, "phone": None, "email": None}]
    cell = network.format_contacts(contacts)
    assert cell == "Paul Ferrand ; gérant ; 01 48 00 00 01 ; p@f.example\nAccueil"
    assert network.parse_contacts(cell) == (contacts, [])


def test_potentials_cell_round_trip():
    potentials = [{"metier": "Livreur", "count": 2, "expected": "2027-03", "notes": "tournées du matin"},
                  {"metier": "Cariste", "count": None, "expected": None, "notes": None}]
    cell = network.format_potentials(potentials)
    assert cell == "Livreur ; 2 ; 2027-03 ; tournées du matin\nCariste"
    assert network.parse_potentials(cell) == (potentials, [])


@pytest.mark.parametrize("cell, message", [
    ("; gérant", "le nom est obligatoire"),
    ("Paul ; gérant ; 01 ; pas-une-adresse", "invalide"),
    ("a ; b ; c ; d ; e", "4 éléments au plus"),
])
def test_bad_contacts_are_named_by_their_rank(cell, message):
    contacts, errors = network.parse_contacts("Bon Contact\n" + cell)
    assert errors and errors[0].startswith("Contact n° 2") and message in errors[0]


@pytest.mark.parametrize("cell, message", [
    ("Livreur ; deux", "entier de 1 à 999"),
    ("Livreur ; 0", "entier de 1 à 999"),
    ("Livreur ; 2 ; mars 2027", "AAAA-MM"),
    ("Livreur ; 2 ; 2027-13", "AAAA-MM"),
    ("; 2", "le métier est obligatoire"),
])
def test_bad_potentials_are_refused_in_french(cell, message):
    potentials, errors = network.parse_potentials(cell)
    assert potentials == [] and message in errors[0]


def test_empty_cells_are_empty_lists():
    assert network.parse_contacts("") == ([], []) and network.parse_potentials(None) == ([], [])


def test_the_spreadsheet_headers_are_french_and_unique():
    assert len(set(network.HEADERS)) == len(network.HEADERS)
    assert "Entreprise" in network.HEADERS and "Code NAF" in network.HEADERS and "reference" not in network.HEADERS


def test_non_breaking_spaces_are_removed_too():
    assert network.normalise_naf("81.21\u00a0Z") == "81.21Z"
    assert network.siret_error("732\u00a0829\u00a0320\u00a000074") is None


@pytest.mark.parametrize("siret, message", [
    ("7328293200007A", "SIRET : 14 chiffres attendus."),
    ("732829320000741", "SIRET : 14 chiffres attendus."),
    ("73282932000075", "SIRET : numéro invalide (clé de contrôle)."),
    ("35600000000048", "SIRET : numéro invalide (clé de contrôle)."),
])
def test_siret_messages(siret, message):
    assert network.siret_error(siret) == message


@pytest.mark.parametrize("siret, ok", [
    ("00000000000000", True),          # sum 0
    ("00000000000018", True),          # 1×2 + 8 = 10
    ("00000000000091", True),          # 9×2 = 18 → 9, + 1 = 10 (digits doubled above 9 lose 9)
    ("00000000000059", True),          # 5×2 = 10 → 1, + 9 = 10
    ("00000000000051", False),         # 5×2 = 10 → 1, + 1 = 2
])
def test_luhn_doubles_every_second_digit_from_the_right(siret, ok):
    digits = [int(d) for d in reversed(siret)]
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits))
    assert (network.siret_error(siret) is None) is (total % 10 == 0)


def test_an_empty_name_is_never_written_as_a_placeholder():
    assert network.format_contacts([{"name": None, "role": "gérant"}]) == " ; gérant"
    assert network.format_potentials([{"metier": None, "count": 2}]) == " ; 2"


def test_every_bad_line_is_reported_not_only_the_first():
    contacts, errors = network.parse_contacts("a;b;c;d;e\n; sans nom\nBon ; x ; y ; mauvais\nBon Contact")
    assert [e.split(" :")[0] for e in errors] == ["Contact n° 1", "Contact n° 2", "Contact n° 3"]
    assert [c["name"] for c in contacts] == ["Bon Contact"]
    potentials, errors = network.parse_potentials("a;1;2027-01;n;x\n;2\nBon ; 2")
    assert [e.split(" :")[0] for e in errors] == ["Besoin pressenti n° 1", "Besoin pressenti n° 2"]
    assert errors[0].endswith("4 éléments au plus (métier ; nombre ; mois ; note).")
    assert potentials == [{"metier": "Bon", "count": 2, "expected": None, "notes": None}]


def test_four_fields_is_the_most_a_line_holds():
    assert network.parse_potentials("Cariste ; 1 ; 2027-01 ; note")[1] == []
    assert network.parse_contacts("Nom ; rôle ; tel ; a@b.fr")[1] == []


@pytest.mark.parametrize("length, ok", [(120, True), (121, False)])
def test_a_contact_field_is_120_characters_at_most(length, ok):
    contacts, errors = network.parse_contacts(f"{'x' * length} ; rôle")
    assert (errors == []) is ok
    if not ok:
        assert errors == ["Contact n° 1 : 120 caractères au plus par élément."]


@pytest.mark.parametrize("length, ok", [(120, True), (121, False)])
def test_a_metier_is_120_characters_at_most(length, ok):
    problem = network.potential_error("x" * length, None, None)
    assert (problem is None) is ok
    if not ok:
        assert problem == "métier : 120 caractères au plus."


@pytest.mark.parametrize("count, ok", [("1", True), ("999", True), ("1000", False), ("0", False), ("", True), (None, True)])
def test_potential_count_bounds(count, ok):
    assert (network.potential_error("Cariste", count, None) is None) is ok


def test_a_potential_without_metier_says_so():
    assert network.potential_error("  ", "2", None) == "le métier est obligatoire."
