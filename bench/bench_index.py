"""Speed and memory of the matching index. Prints one JSON object.

    python bench/bench_index.py --n 100000

Figures: index build seconds from profiles whose skills are already mapped
(what the web app does: the mapping is stored when a profile is saved), the
same build from raw free text (mapping included, cold cache), top-20 query p50/p95 in ms,
the floor (a bare sparse matrix-vector product plus arg-partition over the
same TF-IDF matrix, measured in the same run) and the ratio of the two,
skill-mapping fragments per second on a cold cache, and peak memory (RSS).
Targets at N = 100,000: query p50 within 2x the floor, build under 60 s,
peak memory under 1.5 GB.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from matching import MatchIndex, SkillMapper, load_taxonomy  # noqa: E402
import synthetic  # noqa: E402

TOP = 20


def peak_rss_mb() -> float:
    # Linux reports ru_maxrss in kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile_ms(samples: list[float], q: float) -> float:
    return round(float(np.percentile(samples, q)) * 1000, 3)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000, help="profils synthétiques")
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--fragments", type=int, default=5_000)
    args = parser.parse_args()

    taxonomy = load_taxonomy()
    rss_start = peak_rss_mb()
    profiles = synthetic.profiles(taxonomy, args.n)
    needs = synthetic.needs(taxonomy, args.queries)

    # Mapping throughput on a cold cache: fresh mapper, fragments never seen.
    frags = synthetic.fragments(taxonomy, args.fragments)
    cold = SkillMapper(taxonomy)
    t0 = time.perf_counter()
    cold.map_many(frags)
    fragments_per_second = len(frags) / (time.perf_counter() - t0)

    mapper = SkillMapper(taxonomy)
    t0 = time.perf_counter()
    MatchIndex.build(profiles, mapper)
    raw_build_seconds = time.perf_counter() - t0

    # As stored by the app: confirmed skill ids, free text kept for TF-IDF only.
    stored = [replace(p, skill_ids=tuple(m.skill_ids), auto_map=False)
              for p, m in zip(profiles, mapper.map_many("\n".join(p.skills) for p in profiles))]
    mapper = SkillMapper(taxonomy)
    t0 = time.perf_counter()
    index = MatchIndex.build(stored, mapper)
    build_seconds = time.perf_counter() - t0
    del stored

    prepared = [index.prepare(n) for n in needs]
    index.rank(prepared[0], top=TOP)  # warm-up
    engine, floor = [], []
    text = index._main.text
    for need in prepared:
        t0 = time.perf_counter()
        index.rank(need, top=TOP)
        engine.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        q = index.text_vector(need.text)
        scores = np.asarray((text @ q.T).todense()).ravel()
        top = np.argpartition(-scores, TOP - 1)[:TOP]
        top[np.argsort(-scores[top])]
        floor.append(time.perf_counter() - t0)

    # Full query including the mapping of the need's text (cache warm, as in the app).
    full = []
    for need in needs:
        t0 = time.perf_counter()
        index.rank(need, top=TOP)
        full.append(time.perf_counter() - t0)

    result = {
        "n_profiles": args.n,
        "n_queries": args.queries,
        "taxonomy_skills": len(taxonomy.skills),
        "index_build_s": round(build_seconds, 2),
        "map_and_build_from_raw_text_s": round(raw_build_seconds, 2),
        "query_p50_ms": percentile_ms(engine, 50),
        "query_p95_ms": percentile_ms(engine, 95),
        "floor_p50_ms": percentile_ms(floor, 50),
        "floor_p95_ms": percentile_ms(floor, 95),
        "ratio_p50": round(float(np.median(engine) / np.median(floor)), 2),
        "query_with_need_mapping_p50_ms": percentile_ms(full, 50),
        "mapping_fragments_per_s": round(fragments_per_second),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "rss_before_profiles_mb": round(rss_start, 1),
        "text_matrix_nnz": int(text.nnz),
        "skill_matrix_nnz": int(index._main.skills.nnz),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
