"""The bundled taxonomy: size, consistency, and the transfer links the product promises."""
import json
import shutil

import pytest

from matching import TaxonomyError, load_taxonomy
from matching.taxonomy import DEFAULT_TAXONOMY_DIR


def test_bundled_taxonomy_is_big_enough(taxonomy):
    stats = taxonomy.stats()
    assert stats["skills"] >= 400
    assert stats["metiers"] >= 80
    assert stats["sectors"] >= 15
    assert stats["cross_sector_transfers"] >= 200


def test_every_skill_has_synonyms_and_aptitudes(taxonomy):
    for skill in taxonomy.skills.values():
        assert skill.synonyms, skill.id
        assert skill.aptitudes, skill.id


def test_every_metier_has_core_skills(taxonomy):
    for metier in taxonomy.metiers.values():
        assert len(metier.skills) >= 3, metier.id


@pytest.mark.parametrize(
    "source, target",
    [
        ("textile.couture_machine_industrielle", "electronique.cablage_filaire"),   # seamstress -> wiring
        ("logistique.preparation_commandes", "commerce.mise_en_rayon"),             # warehouse -> shelves
        ("proprete.nettoyage_bureaux", "proprete.desinfection"),                    # cleaning -> disinfection
        ("restauration.plonge", "restauration.aide_cuisine"),                       # dish-washing -> kitchen
        ("recyclage.reparation_objets_ressourcerie", "mecanique.reparation_cycles"),  # ressourcerie -> bikes
    ],
)
def test_promised_transfer_links_exist_with_a_reason(taxonomy, source, target):
    [link] = [t for t in taxonomy.transfers_into(target) if t.source == source]
    assert 0.3 <= link.weight <= 0.9
    assert len(link.why) > 20


@pytest.fixture
def taxonomy_copy(tmp_path):
    root = tmp_path / "taxonomy"
    shutil.copytree(DEFAULT_TAXONOMY_DIR, root)
    return root


def _edit(path, change):
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["transfers"].append({"from": "textile.couture_main", "to": "nulle.part", "weight": 0.5, "why": "x"}),
         "compétence inconnue nulle.part"),
        (lambda d: d["transfers"].append({"from": "textile.couture_main", "to": "textile.retouche_vetements", "weight": 1.5, "why": "x"}),
         "poids 1.5 hors de"),
        (lambda d: d["skills"].append(dict(d["skills"][0])), "identifiant en double"),
        (lambda d: d["skills"][0].update(aptitudes=["apt.inconnue"]), "aptitude inconnue apt.inconnue"),
        (lambda d: d["metiers"][0].update(skills=["textile.rien"]), "compétence inconnue textile.rien"),
    ],
)
def test_inconsistent_taxonomy_is_refused_with_a_clear_message(taxonomy_copy, change, message):
    _edit(taxonomy_copy / "sectors" / "textile.json", change)
    with pytest.raises(TaxonomyError, match=message):
        load_taxonomy(taxonomy_copy)


def test_invalid_json_names_the_file_and_line(taxonomy_copy):
    (taxonomy_copy / "sectors" / "textile.json").write_text('{"sector": "textile",\n  oops}', encoding="utf-8")
    with pytest.raises(TaxonomyError, match=r"textile.json : JSON invalide \(ligne 2\)"):
        load_taxonomy(taxonomy_copy)


def test_missing_folder_is_refused(tmp_path):
    with pytest.raises(TaxonomyError, match="aptitudes.json introuvable"):
        load_taxonomy(tmp_path)
