"""Matching quality on the team's scenario suite, beside a plain TF-IDF baseline.

    python bench/eval_matching.py [--scenarios tests/scenarios/scenarios.json] [--details]

For every scenario the engine (``MatchIndex``) and the baseline rank the same
pool. The baseline is what a keyword search would do: character n-gram TF-IDF
over the concatenated texts, cosine similarity, no taxonomy, no constraints.
Each expectation is checked on both rankings: "top3"/"top5" (must be in the
first 3/5), "not_top3" (must not be in the first 3) and "blocked" (must be
ranked after every unblocked candidate: the baseline knows no constraints, so
those checks are reported apart). A scenario passes when all its checks pass.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matching import MatchIndex, SkillMapper, load_taxonomy, need_from_dict, profile_from_dict  # noqa: E402

DEFAULT_SCENARIOS = ROOT / "tests" / "scenarios" / "scenarios.json"
RANKING_CHECKS = ("top3", "top5", "not_top3")


def need_text(need: dict) -> str:
    skills = [s if isinstance(s, str) else s.get("text", "") for s in need.get("skills", [])]
    return " ".join([need.get("title", ""), need.get("description", ""), *skills])


def candidate_text(c: dict) -> str:
    return " ".join([c.get("description", ""), *c.get("skills", []), *c.get("experiences", [])])


def baseline_ranking(scenario: dict) -> list[str]:
    """Plain TF-IDF: character n-grams over the concatenated texts, cosine similarity."""
    candidates = scenario["candidates"]
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), lowercase=True, sublinear_tf=True)
    matrix = vectorizer.fit_transform([candidate_text(c) for c in candidates] + [need_text(scenario["need"])])
    scores = (matrix[:-1] @ matrix[-1].T).toarray().ravel()
    order = np.argsort(-scores, kind="stable")
    return [candidates[i]["id"] for i in order]


def engine_ranking(scenario: dict, mapper: SkillMapper) -> tuple[list[str], set[str]]:
    profiles = [profile_from_dict(c) for c in scenario["candidates"]]
    matches = MatchIndex.build(profiles, mapper).rank(need_from_dict(scenario["need"]), top=len(profiles))
    return [m.candidate for m in matches], {m.candidate for m in matches if m.blocking}


def checks(scenario: dict, ranking: list[str], blocked: set[str] | None) -> dict[str, list[bool]]:
    """Outcome of every expectation, by kind. ``blocked=None``: ranker without constraints."""
    expect = scenario.get("expect", {})
    position = {cid: i for i, cid in enumerate(ranking)}
    out: dict[str, list[bool]] = defaultdict(list)
    for cid in expect.get("top3", []):
        out["top3"].append(position.get(cid, 99) < 3)
    for cid in expect.get("top5", []):
        out["top5"].append(position.get(cid, 99) < 5)
    for cid in expect.get("not_top3", []):
        out["not_top3"].append(position.get(cid, 99) >= 3)
    expected_blocked = set(expect.get("blocked", []))
    for cid in expected_blocked:
        if blocked is None:
            out["blocked"].append(False)
        else:
            unblocked_positions = [position[c] for c in ranking if c not in blocked]
            out["blocked"].append(cid in blocked and all(position[cid] > p for p in unblocked_positions))
    return out


def rate(values: list[bool]) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenarios", default=str(DEFAULT_SCENARIOS))
    parser.add_argument("--details", action="store_true", help="une ligne par scénario")
    args = parser.parse_args()
    scenarios = json.loads(Path(args.scenarios).read_text(encoding="utf-8"))
    mapper = SkillMapper(load_taxonomy())

    summary: dict[str, dict[str, list[bool]]] = {"engine": defaultdict(list), "baseline": defaultdict(list)}
    for scenario in scenarios:
        engine_rank, engine_blocked = engine_ranking(scenario, mapper)
        base_rank = baseline_ranking(scenario)
        group = "words_differ" if scenario.get("words_differ") else "same_words"
        for name, ranking, blocked in (("engine", engine_rank, engine_blocked), ("baseline", base_rank, None)):
            outcome = checks(scenario, ranking, blocked)
            ranking_ok = all(all(outcome[k]) for k in RANKING_CHECKS)
            all_ok = ranking_ok and all(outcome["blocked"])
            s = summary[name]
            s["scenarios"].append(all_ok)
            s["scenarios_ranking_checks"].append(ranking_ok)
            s[f"scenarios_ranking_checks_{group}"].append(ranking_ok)
            for kind, values in outcome.items():
                s[f"checks_{kind}"].extend(values)
            if args.details and name == "engine":
                failed = [k for k, v in outcome.items() if not all(v)]
                print(f"{'OK ' if all_ok else 'KO '} {scenario['id']:<40} engine={engine_rank[:5]} "
                      f"baseline={base_rank[:5]} {'échecs: ' + ','.join(failed) if failed else ''}", file=sys.stderr)

    report = {
        "scenarios": len(scenarios),
        "words_differ": sum(1 for s in scenarios if s.get("words_differ")),
        **{name: {key: rate(values) for key, values in sorted(s.items())} for name, s in summary.items()},
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
