"""The command line keeps its documented formats and exits 2 with one line on bad input."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MINI = str(ROOT / "tests" / "fixtures" / "mini_taxonomy")


def run(*args):
    return subprocess.run([sys.executable, "-m", "matching", "--taxonomy", MINI, *args],
                          capture_output=True, text=True, cwd=ROOT)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


NEED = {"id": "N1", "title": "Câbleur", "description": "", "skills": ["câblage"],
        "requirements": {"driving_licence": True, "french_level": "A2"},
        "location": {"postcode": "75011", "lat": 48.857, "lon": 2.38}, "max_distance_km": 30}
CANDIDATES = [
    {"id": "c1", "skills": ["couture"], "experiences": ["couturière"], "driving_licence": True, "french_level": "B1",
     "location": {"postcode": "93100", "lat": 48.861, "lon": 2.443}, "mobility_km": 20},
    {"id": "c2", "skills": ["cablage"], "driving_licence": False},
    {"id": "c3", "skills": ["caces 3"]},
]


def test_map_prints_the_documented_json():
    out = run("map", "soudur a letain, couture, jardinage")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["input"] == "soudur a letain, couture, jardinage"
    assert [(s["id"], s["fragment"]) for s in data["skills"]] == [
        ("electronique.soudure_etain", "soudur a letain"), ("textile.couture", "couture")]
    assert all(set(s) >= {"id", "label", "score", "fragment"} for s in data["skills"])
    assert data["unmatched"] == ["jardinage"]


def test_rank_prints_sorted_explained_results(tmp_path):
    need = write(tmp_path, "need.json", json.dumps(NEED))
    cands = write(tmp_path, "c.jsonl", "\n".join(json.dumps(c) for c in CANDIDATES) + "\n\n")
    out = run("rank", need, cands, "--top", "3")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["need"] == "N1"
    results = data["results"]
    assert [r["candidate"] for r in results] == ["c1", "c3", "c2"]  # c2 blocked: no licence
    for r in results:
        assert set(r) >= {"candidate", "score", "direct", "transferable", "missing", "blocking"}
        assert 0.0 <= r["score"] <= 1.0
    assert results[0]["transferable"][0]["from"] == "Couture sur machine industrielle"
    assert results[2]["blocking"] == ["Permis B exigé, non détenu"]
    assert len(json.loads(run("rank", need, cands, "--top", "1").stdout)["results"]) == 1


def test_rank_defaults_to_top_10(tmp_path):
    need = write(tmp_path, "need.json", json.dumps(NEED))
    cands = write(tmp_path, "c.jsonl", "\n".join(json.dumps({"id": f"x{i}", "skills": ["cablage"]}) for i in range(15)))
    assert len(json.loads(run("rank", need, cands).stdout)["results"]) == 10


@pytest.mark.parametrize(
    "need_text, cand_lines, message",
    [
        ("{not json", [json.dumps(CANDIDATES[0])], "need.json:1 : JSON invalide"),
        (json.dumps({"title": "sans id"}), [json.dumps(CANDIDATES[0])], "need.json : « id » manquant"),
        (json.dumps(NEED | {"requirements": {"french_level": "Z9"}}), [], "niveau A1, A2, B1, B2, C1 ou C2"),
        (json.dumps(NEED), [json.dumps(CANDIDATES[0]), "{oops"], "c.jsonl:2 : JSON invalide"),
        (json.dumps(NEED), [json.dumps(CANDIDATES[0]), json.dumps(CANDIDATES[0])], "c.jsonl:2 : identifiant « c1 » déjà vu ligne 1"),
        (json.dumps(NEED), ['{"id": "a", "mobility_km": "loin"}'], "c.jsonl:1 : « mobility_km » doit être un nombre"),
        (json.dumps(NEED), ['{"id": "a", "location": {"lat": 120, "lon": 2}}'], "c.jsonl:1 : « location.lat » doit être compris"),
        (json.dumps(NEED), ['[1, 2]'], "c.jsonl:1 : le profil doit être un objet JSON"),
    ],
)
def test_bad_input_exits_2_with_one_line_naming_file_and_line(tmp_path, need_text, cand_lines, message):
    need = write(tmp_path, "need.json", need_text)
    cands = write(tmp_path, "c.jsonl", "\n".join(cand_lines))
    out = run("rank", need, cands)
    assert out.returncode == 2
    assert out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1
    assert message in out.stderr


def test_missing_file_exits_2(tmp_path):
    out = run("rank", str(tmp_path / "nope.json"), str(tmp_path / "nope.jsonl"))
    assert out.returncode == 2 and "nope.json : lecture impossible" in out.stderr


def test_bad_top_exits_2(tmp_path):
    need = write(tmp_path, "need.json", json.dumps(NEED))
    cands = write(tmp_path, "c.jsonl", json.dumps(CANDIDATES[0]))
    assert run("rank", need, cands, "--top", "0").returncode == 2


def test_ranking_does_not_depend_on_hash_seed(tmp_path):
    """Set iteration order changes with PYTHONHASHSEED; results must not."""
    import os
    need = write(tmp_path, "need.json", json.dumps(NEED | {"skills": ["câblage", "soudure", "couture main"]}))
    cands = write(tmp_path, "c.jsonl", "\n".join(json.dumps(c) for c in CANDIDATES))
    outputs = set()
    for seed in ("1", "2", "3"):
        out = subprocess.run([sys.executable, "-m", "matching", "rank", need, cands], capture_output=True, text=True,
                             cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": seed})
        outputs.add(out.stdout)
    assert len(outputs) == 1


@pytest.mark.parametrize("where", ["need", "candidates", "candidate_value"])
def test_deeply_nested_json_exits_2_with_one_french_line(tmp_path, where):
    deep = "[" * 200_000 + "]" * 200_000
    need = json.dumps(NEED)
    lines = "\n".join(json.dumps(c) for c in CANDIDATES)
    if where == "need":
        need = '{"id": "N1", "skills": ' + deep + "}"
    elif where == "candidates":
        lines = deep
    else:
        lines = '{"id": "c9", "skills": ' + "[" * 100_000 + "]" * 100_000 + "}"
    out = run("rank", write(tmp_path, "need.json", need), write(tmp_path, "c.jsonl", lines))
    assert out.returncode == 2 and out.stdout == ""
    [line] = out.stderr.strip().splitlines()
    assert "trop imbriqué" in line and "Traceback" not in out.stderr
