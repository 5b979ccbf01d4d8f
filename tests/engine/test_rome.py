"""ROME: loading the CSV folder, job titles → ROME, career suggestions, the CLI.

Most tests use a tiny fictional folder in the ROME layout (tests/fixtures/mini_rome);
those on France Travail's real files read them from $PASSERELLE_REFERENTIALS and are
skipped, with the reason, when it is not set.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from matching import Profile
from matching.rome import CareerSuggester, RomeError, TitleMapper, load_referential, title_variants

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "fixtures" / "mini_rome"
SHARED = os.environ.get("PASSERELLE_REFERENTIALS")
real_rome = pytest.mark.skipif(not SHARED or not (Path(SHARED) / "rome_v460").is_dir(),
                               reason="référentiel ROME absent : définir PASSERELLE_REFERENTIALS (fait par .ci/run)")


@pytest.fixture(scope="module")
def mini():
    return load_referential(MINI)


def test_mini_referential_loads(mini):
    assert mini.version == "v999"
    assert mini.stats() == {"metiers": 4, "appellations": 5, "items": 6, "metier_items": 7, "mobility_links": 2,
                            "naf_links": 5}
    assert mini.metier_items["X1001"] == {"80001": True, "80006": False}   # cœur de métier flag
    assert mini.metiers["X1002"].domain == "X20"


def test_naf_sector_tables_give_the_metiers_of_each_division(mini):
    """The "sector ↔ métier" table the employer network reads: two-digit divisions, each métier once."""
    assert mini.naf_sectors["47"] == "Commerce de détail (secteur de test)"
    assert mini.naf_metiers == {"13": ["X1001"], "26": ["X1002"], "47": ["X1004", "X1003"], "52": ["X1003"]}


def test_naf_tables_are_optional(tmp_path):
    import shutil

    folder = tmp_path / "rome"
    shutil.copytree(MINI, folder)
    for f in folder.glob("*secteur_naf*"):
        f.unlink()
    ref = load_referential(folder)
    assert ref.naf_sectors == {} and ref.naf_metiers == {} and len(ref.metiers) == 4


def test_missing_folder_and_files_are_named(tmp_path):
    with pytest.raises(RomeError, match="dossier introuvable"):
        load_referential(tmp_path / "nulle-part")
    copy = tmp_path / "rome"
    shutil.copytree(MINI, copy)
    (copy / "unix_item_v999_utf8.csv").unlink()
    with pytest.raises(RomeError, match=r"fichiers manquants : unix_item_v…_utf8.csv"):
        load_referential(copy)


def test_wrong_columns_are_named(tmp_path):
    copy = tmp_path / "rome"
    shutil.copytree(MINI, copy)
    (copy / "unix_rubrique_mobilite_v999_utf8.csv").write_text('"source","cible"\n"X1001","X1002"\n', encoding="utf-8")
    with pytest.raises(RomeError, match="colonnes absentes : code_rome, code_rome_cible, numero_ordre"):
        load_referential(copy)


def test_gender_variants_of_titles():
    assert title_variants("Agent / Agente d'entretien") == ["Agent d'entretien", "Agente d'entretien"]
    assert title_variants("Cariste") == ["Cariste"]


@pytest.mark.parametrize(
    "typed, code",
    [("couturiere", "X1001"), ("retoucheuse", "X1001"), ("cableuse", "X1002"), ("prepa de cde", "X1003"),
     ("employee libre service", "X1004"), ("astronaute", None)],
)
def test_titles_map_to_rome(mini, mapper, typed, code):
    assert TitleMapper(mini, mapper).map(typed).code == code


def test_seamstress_is_pointed_to_wiring_through_transferable_skills(mini, mapper):
    suggester = CareerSuggester(mini, mapper)
    results = suggester.suggest(Profile("amina", skills=("couture",), experiences=("couturière",)), top=3)
    assert "X1001" not in [r.code for r in results]                      # her own métier is not a "move"
    wiring = next(r for r in results if r.code == "X1002")
    assert any("couture" in t["from"].lower() and "câblage" in t["skill"].lower() for t in wiring.transferable)


def test_mobility_links_lift_a_metier_and_can_be_held_out(mini, mapper):
    suggester = CareerSuggester(mini, mapper)
    picker = Profile("p", skills=("préparer des commandes",), experiences=("préparateur de commandes",))
    with_link = suggester.suggest(picker, top=3)
    held_out = suggester.suggest(picker, top=3, exclude_links_of=["X1003"])
    score = {r.code: r.score for r in with_link}
    assert with_link[0].code == "X1004" and score["X1004"] > {r.code: r.score for r in held_out}["X1004"]


def run(*args):
    return subprocess.run([sys.executable, "-m", "matching", *args], capture_output=True, text=True, cwd=ROOT)


def test_cli_job_prints_one_json_line_per_input_line(tmp_path):
    titles = tmp_path / "t.txt"
    titles.write_text("couturiere\n\nastronaute\n", encoding="utf-8")
    out = run("job", str(titles), "--referential", str(MINI))
    assert out.returncode == 0, out.stderr
    lines = [json.loads(x) for x in out.stdout.splitlines()]
    assert [(x["text"], x["code"], x["appellation"]) for x in lines] == [
        ("couturiere", "X1001", "90001"), ("", None, None), ("astronaute", None, None)]
    assert set(lines[0]) == {"text", "code", "appellation", "label", "score"}


def test_cli_suggest_with_and_without_referential(tmp_path):
    profiles = tmp_path / "p.jsonl"
    profiles.write_text(json.dumps({"id": "amina", "skills": ["couture"], "experiences": ["couturière"]}) + "\n"
                        + json.dumps({"id": "rachid", "skills": ["prépa de commandes"]}) + "\n", encoding="utf-8")
    out = run("suggest", str(profiles), "--top", "2", "--referential", str(MINI))
    lines = [json.loads(x) for x in out.stdout.splitlines()]
    assert [x["profile"] for x in lines] == ["amina", "rachid"] and all(len(x["results"]) == 2 for x in lines)
    assert set(lines[0]["results"][0]) == {"code", "label", "score", "direct", "transferable", "missing"}
    bundled = [json.loads(x) for x in run("suggest", str(profiles), "--top", "3").stdout.splitlines()]
    assert len(bundled) == 2 and all(len(x["results"]) == 3 for x in bundled)


def test_cli_reports_bad_input(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a"}\n{oops\n', encoding="utf-8")
    out = run("suggest", str(bad))
    assert out.returncode == 2 and "bad.jsonl:2 : JSON invalide" in out.stderr
    out = run("job", str(tmp_path / "none.txt"))
    assert out.returncode == 2 and "lecture impossible" in out.stderr
    out = run("job", str(bad), "--referential", str(tmp_path / "nope"))
    assert out.returncode == 2 and "dossier introuvable" in out.stderr


@real_rome
@pytest.mark.parametrize("typed, code", [("prepa commande caces", "N1103"), ("cariste", "N1101"),
                                         ("aide a domicile", "K1304"), ("agt de securite", "K2503")])
def test_real_titles(mapper, typed, code):
    ref = load_referential(Path(SHARED) / "rome_v460")
    assert TitleMapper(ref, mapper).map(typed).code == code


@real_rome
def test_real_referential_loads_in_full():
    stats = load_referential(Path(SHARED) / "rome_v460").stats()
    assert stats["metiers"] == 1584 and stats["appellations"] == 13120 and stats["mobility_links"] == 7446


def test_a_rome_metier_brings_its_core_skills_to_matching(mini, mapper):
    from matching import MatchIndex, Need, NeedSkill

    suggester = CareerSuggester(mini, mapper)
    skills = suggester.core_skills("X1002")
    assert "electronique.cablage_filaire" in skills and "electronique.soudure_etain" in skills
    need = Need("n", skills=(NeedSkill("câblage filaire"),))
    coded = Profile("coded", implied_skill_ids=skills)
    index = MatchIndex.build([coded, Profile("blank")], mapper)
    [best, _] = index.rank(need, top=2)
    assert best.candidate == "coded" and best.direct[0].credit == pytest.approx(0.8)   # experience strength
