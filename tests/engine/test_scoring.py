"""Scores, transfers, constraints and explanations on the mini taxonomy (hand-checkable)."""
import math

import pytest

from matching import Location, MatchIndex, Need, NeedSkill, Profile
from matching.scoring import APTITUDE_TRANSFER_PER_SHARED, COVERAGE_WEIGHT, EXPERIENCE_STRENGTH, TEXT_WEIGHT

PARIS_11 = Location(48.857, 2.380, "75011")
MONTREUIL = Location(48.861, 2.443, "93100")   # ~4.6 km from Paris 11e
LYON = Location(45.764, 4.836, "69001")        # ~390 km


def need(**kw):
    base = dict(id="N1", title="Opérateur câblage", skills=(NeedSkill("câblage"), NeedSkill("soudure à l'étain")),
                location=PARIS_11)
    base.update(kw)
    return Need(**base)


def rank(mapper, profiles, n, **kw):
    return MatchIndex.build(profiles, mapper).rank(n, **kw)


def by_id(matches):
    return {m.candidate: m for m in matches}


def test_direct_skills_are_listed_and_score_is_the_documented_mix(mini_mapper):
    [m] = rank(mini_mapper, [Profile("p", skills=("cablage", "soudure etain"))], need())
    assert [c.skill for c in m.direct] == ["electronique.cablage", "electronique.soudure_etain"]
    assert m.transferable == [] and m.missing == []
    assert m.coverage == pytest.approx(1.0)
    assert m.score == pytest.approx(COVERAGE_WEIGHT * 1.0 + TEXT_WEIGHT * m.text_similarity)


def test_seamstress_reaches_wiring_through_the_transfer_link(mini_mapper):
    [m] = rank(mini_mapper, [Profile("amina", skills=("couture",))], need(skills=(NeedSkill("câblage"),)))
    [t] = m.transferable
    assert (t.skill, t.source, t.kind) == ("electronique.cablage", "textile.couture", "transfer")
    assert t.credit == pytest.approx(0.7)
    assert "précision du geste" in t.why
    assert m.to_dict()["transferable"][0] == {
        "skill": "Câblage filaire", "from": "Couture sur machine industrielle",
        "why": "la couture exige la même précision du geste que le câblage", "weight": 0.7, "kind": "transfer",
    }


def test_shared_aptitude_is_a_weaker_transfer_with_its_reason(mini_mapper):
    [m] = rank(mini_mapper, [Profile("p", skills=("couture",))], need(skills=(NeedSkill("soudure étain"),)))
    [t] = m.transferable
    assert t.kind == "aptitude" and t.source == "textile.couture"
    assert t.credit == pytest.approx(APTITUDE_TRANSFER_PER_SHARED)  # one aptitude shared
    assert t.why == "aptitude commune : dextérité fine"


def test_missing_skills_are_listed(mini_mapper):
    [m] = rank(mini_mapper, [Profile("p", skills=("caces 3",))], need())
    assert m.direct == [] and m.transferable == []
    assert [c.skill for c in m.missing] == ["electronique.cablage", "electronique.soudure_etain"]
    assert m.coverage == 0


def test_past_job_brings_its_core_skills_at_experience_strength(mini_mapper):
    [m] = rank(mini_mapper, [Profile("p", experiences=("câbleuse électronique",))], need())
    credits = {c.skill: c.credit for c in m.direct}
    # "câbleuse" is itself a synonym of câblage (held for sure); soldering is
    # only implied by the past job, so it counts at the experience strength.
    assert credits == {"electronique.cablage": 1.0, "electronique.soudure_etain": pytest.approx(EXPERIENCE_STRENGTH)}


def test_required_skills_weigh_more_than_wanted_ones(mini_mapper):
    n = need(skills=(NeedSkill("câblage", required=True), NeedSkill("caces 3", required=False)))
    ms = by_id(rank(mini_mapper, [Profile("wires", skills=("cablage",)), Profile("drives", skills=("caces 3",))], n))
    assert ms["wires"].coverage == pytest.approx(1 / 1.5)
    assert ms["drives"].coverage == pytest.approx(0.5 / 1.5)
    assert ms["wires"].score > ms["drives"].score


def test_title_only_need_uses_the_metier_core_skills(mini_mapper):
    n = Need(id="N", title="Câbleuse (H/F)")
    [m] = rank(mini_mapper, [Profile("p", skills=("cablage",))], n)
    assert {c.skill for c in m.credits} == {"electronique.cablage", "electronique.soudure_etain", "electronique.lecture_schema"}
    assert [c.skill for c in m.direct] == ["electronique.cablage"]


def test_need_without_known_skills_ranks_on_text_alone(mini_mapper):
    n = Need(id="N", title="Poste atypique", description="fabrication de vitraux au plomb")
    ms = rank(mini_mapper, [Profile("a", description="vitraux au plomb, fabrication"), Profile("b", description="rien à voir")], n)
    assert [m.candidate for m in ms] == ["a", "b"]
    assert ms[0].credits == () and ms[0].score == pytest.approx(ms[0].text_similarity)


@pytest.mark.parametrize(
    "profile_kw, need_kw, reason",
    [
        (dict(driving_licence=False), dict(driving_licence=True), "Permis B exigé, non détenu"),
        (dict(french_level="A1"), dict(french_level="A2"), "Niveau de français A1, inférieur au niveau demandé A2"),
        (dict(location=LYON), dict(max_distance_km=30), "au-delà de la distance maximale de l'offre (30 km)"),
        (dict(location=MONTREUIL, mobility_km=3), dict(), "au-delà de la mobilité de la personne (3 km)"),
    ],
)
def test_constraint_blocks_with_its_reason(mini_mapper, profile_kw, need_kw, reason):
    [m] = rank(mini_mapper, [Profile("p", skills=("cablage",), **profile_kw)], need(**need_kw))
    assert len(m.blocking) == 1 and reason in m.blocking[0]


@pytest.mark.parametrize(
    "profile_kw, need_kw",
    [
        (dict(driving_licence=None), dict(driving_licence=True)),       # unknown licence
        (dict(french_level=None), dict(french_level="B2")),             # unknown level
        (dict(french_level="B2"), dict(french_level="B1")),             # above the need
        (dict(location=Location()), dict(max_distance_km=5)),           # unknown place
        (dict(location=MONTREUIL, mobility_km=10), dict(max_distance_km=10)),  # 4.6 km, within both
        (dict(location=LYON), dict(max_distance_km=None)),              # no limit given
    ],
)
def test_unknown_or_satisfied_constraints_do_not_block(mini_mapper, profile_kw, need_kw):
    [m] = rank(mini_mapper, [Profile("p", skills=("cablage",), **profile_kw)], need(**need_kw))
    assert m.blocking == ()


def test_unknown_facts_are_flagged_to_check(mini_mapper):
    [m] = rank(mini_mapper, [Profile("p", skills=("cablage",))], need(driving_licence=True, french_level="B1"))
    assert m.to_check == ("Permis B exigé : non renseigné", "Français B1 demandé : niveau non renseigné")


def test_blocked_candidates_come_after_every_unblocked_one(mini_mapper):
    profiles = [
        Profile("expert_no_licence", skills=("cablage", "soudure etain"), driving_licence=False),
        Profile("weak", skills=("caces 3",), driving_licence=True),
        Profile("seamstress", skills=("couture",), driving_licence=True),
    ]
    ms = rank(mini_mapper, profiles, need(driving_licence=True))
    assert [m.candidate for m in ms] == ["seamstress", "weak", "expert_no_licence"]
    assert ms[2].score > ms[0].score  # still the best skilled, but blocked
    assert rank(mini_mapper, profiles, need(driving_licence=True), include_blocked=False)[-1].candidate == "weak"


def test_distance_is_haversine(mini_mapper):
    [m] = rank(mini_mapper, [Profile("p", skills=("cablage",), location=LYON)], need())
    assert m.distance_km == pytest.approx(391.5, abs=1.0)


def test_score_is_between_zero_and_one(mini_mapper):
    ms = rank(mini_mapper, [Profile(str(i), skills=(s,)) for i, s in enumerate(["cablage", "couture", "", "caces 3"])], need())
    assert all(0.0 <= m.score <= 1.0 and not math.isnan(m.score) for m in ms)
