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
