"""The index: fit once, query many times, add/remove without refitting, and agree with the scalar explanation."""
import random

import pytest

from matching import Location, MatchIndex, Need, NeedSkill, Profile
from matching.index import REFIT_RATIO

SKILLS = ["cablage", "couture", "soudure etain", "caces 3", "prepa de commandes", "mise en rayon", "repassage", ""]


def random_profiles(n, seed=1):
    rng = random.Random(seed)
    return [
        Profile(
            f"p{i}",
            skills=tuple(rng.sample(SKILLS, rng.randint(0, 3))),
            driving_licence=rng.choice([True, False, None]),
            french_level=rng.choice(["A1", "B1", "C2", None]),
            location=Location(48.8 + rng.random() / 5, 2.2 + rng.random() / 3),
            mobility_km=rng.choice([None, 5.0, 30.0]),
        )
        for i in range(n)
    ]


NEED = Need("N", title="Câbleur", skills=(NeedSkill("câblage"), NeedSkill("soudure étain", required=False)),
            driving_licence=True, french_level="B1", location=Location(48.86, 2.35), max_distance_km=15)


def test_vector_scores_equal_scalar_explanations(mini_mapper):
    index = MatchIndex.build(random_profiles(200), mini_mapper)
    for m in index.rank(NEED, top=200):
        again = index.explain(NEED, m.candidate)
        assert again.score == pytest.approx(m.score, abs=1e-5)
        assert again.blocking == m.blocking


def test_ranking_is_sorted_blocked_last(mini_mapper):
    ms = MatchIndex.build(random_profiles(300), mini_mapper).rank(NEED, top=300)
    keys = [(bool(m.blocking), -m.score) for m in ms]
    assert keys == sorted(keys)
    assert any(m.blocking for m in ms) and any(not m.blocking for m in ms)


def test_top_k_is_the_head_of_the_full_ranking(mini_mapper):
    index = MatchIndex.build(random_profiles(300), mini_mapper)
    full = [m.candidate for m in index.rank(NEED, top=300)]
    top = index.rank(NEED, top=7)
    assert [m.score for m in top] == pytest.approx([m.score for m in index.rank(NEED, top=300)[:7]])
    assert len(top) == 7 and set(m.candidate for m in top) <= set(full)


def test_add_and_remove_without_refit(mini_mapper):
    index = MatchIndex.build(random_profiles(50), mini_mapper)
    newcomer = Profile("new", skills=("cablage", "soudure etain"), driving_licence=True, french_level="C2",
                       location=Location(48.86, 2.35))
    index.add([newcomer])
    assert "new" in index and len(index) == 51 and index.fitted_size == 50
    assert index.rank(NEED, top=1)[0].candidate == "new"
    assert index.remove("new") and "new" not in index
    assert all(m.candidate != "new" for m in index.rank(NEED, top=60))
    assert index.remove("p0") and not index.remove("p0")
    assert all(m.candidate != "p0" for m in index.rank(NEED, top=60))


def test_changing_a_profile_replaces_its_row(mini_mapper):
    index = MatchIndex.build([Profile("a", skills=("caces 3",)), Profile("b", skills=("couture",))], mini_mapper)
    index.add([Profile("a", skills=("cablage", "soudure etain"))])
    assert len(index) == 2
    assert index.rank(NEED, top=1)[0].candidate == "a"
    index.add([Profile("a", skills=("caces 3",))])  # changed again, still one row
    assert len(index) == 2 and index.rank(NEED, top=1)[0].candidate == "b"


def test_refit_rule_and_refit_keeps_the_ranking(mini_mapper):
    index = MatchIndex.build(random_profiles(100), mini_mapper)
    threshold = int(REFIT_RATIO * 100)
    index.add(random_profiles(threshold, seed=2)[:threshold])  # ids p0..: replace existing rows
    assert index.pending_changes == 2 * threshold and index.needs_refit
    before = [(m.candidate, round(m.coverage, 6), m.blocking) for m in index.rank(NEED, top=100)]
    index.refit()
    assert index.pending_changes == 0 and not index.needs_refit and index.fitted_size == 100
    after = [(m.candidate, round(m.coverage, 6), m.blocking) for m in index.rank(NEED, top=100)]
    assert sorted(before) == sorted(after)


def test_small_changes_do_not_ask_for_refit(mini_mapper):
    index = MatchIndex.build(random_profiles(100), mini_mapper)
    index.add([Profile("x", skills=("couture",))])
    assert not index.needs_refit


def test_empty_index_and_zero_top(mini_mapper):
    assert MatchIndex.build([], mini_mapper).rank(NEED) == []
    assert MatchIndex.build(random_profiles(5), mini_mapper).rank(NEED, top=0) == []


def test_distance_filter_drops_far_candidates(mini_mapper):
    near = Profile("near", skills=("cablage",), location=Location(48.86, 2.36))
    far = Profile("far", skills=("cablage",), location=Location(49.44, 1.10))  # Rouen
    unknown = Profile("unknown", skills=("cablage",))
    n = Need("N", skills=(NeedSkill("cablage"),), location=Location(48.86, 2.35))
    ids = {m.candidate for m in MatchIndex.build([near, far, unknown], mini_mapper).rank(n, max_distance_km=20)}
    assert ids == {"near", "unknown"}


def test_rank_can_be_restricted_to_some_profiles(mini_mapper):
    index = MatchIndex.build(random_profiles(50), mini_mapper)
    index.add([Profile("late", skills=("cablage",))])
    ids = {m.candidate for m in index.rank(NEED, top=50, only=["p1", "p2", "late", "unknown"])}
    assert ids == {"p1", "p2", "late"}
