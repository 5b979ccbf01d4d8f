"""Synthetic profiles and needs drawn from the taxonomy, with the noise of real notes.

Used by the speed benchmark only: the words come from the taxonomy itself, so
these profiles say nothing about matching quality (see eval_matching.py).
"""
from __future__ import annotations

import random
import unicodedata

from matching import Location, Need, NeedSkill, Profile, Taxonomy

# Île-de-France bounding box: distances of a few km to ~100 km, as in the field.
LAT_RANGE = (48.55, 49.10)
LON_RANGE = (1.80, 2.90)

# Probability that a typed word gets one typo / loses its accents.
TYPO_RATE = 0.15
ACCENT_LOSS_RATE = 0.5

FRENCH = ["A1", "A2", "B1", "B2", "C1", "C2", None]
FILLER = ["motivé", "disponible", "sérieuse", "cherche un emploi stable", "a fait un chantier d'insertion",
          "souhaite se former", "à l'aise en équipe", "parcours en ACI", "ponctuel"]


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def noisy(text: str, rng: random.Random) -> str:
    """Lose accents, drop/double/swap a letter now and then, change case."""
    if rng.random() < ACCENT_LOSS_RATE:
        text = _strip_accents(text)
    words = []
    for word in text.split():
        if len(word) > 4 and rng.random() < TYPO_RATE:
            i = rng.randrange(1, len(word) - 1)
            kind = rng.random()
            if kind < 0.4:
                word = word[:i] + word[i + 1:]
            elif kind < 0.7:
                word = word[:i] + word[i] + word[i:]
            else:
                word = word[:i - 1] + word[i] + word[i - 1] + word[i + 1:]
        words.append(word)
    text = " ".join(words)
    return text.lower() if rng.random() < 0.6 else text


def _surface(taxonomy: Taxonomy, skill_id: str, rng: random.Random) -> str:
    skill = taxonomy.skills[skill_id]
    return rng.choice((skill.label, *skill.synonyms))


def _place(rng: random.Random) -> Location:
    return Location(round(rng.uniform(*LAT_RANGE), 4), round(rng.uniform(*LON_RANGE), 4))


def profiles(taxonomy: Taxonomy, n: int, *, seed: int = 7) -> list[Profile]:
    rng = random.Random(seed)
    metiers = list(taxonomy.metiers.values())
    all_skills = list(taxonomy.skills)
    result = []
    for i in range(n):
        metier = rng.choice(metiers)
        held = rng.sample(metier.skills, min(len(metier.skills), rng.randint(2, 5)))
        held += rng.sample(all_skills, rng.randint(0, 2))
        title = rng.choice((metier.label, *metier.titles))
        result.append(Profile(
            id=f"p{i}",
            description=" ".join(rng.sample(FILLER, 2)),
            skills=tuple(noisy(_surface(taxonomy, s, rng), rng) for s in held),
            experiences=(noisy(title, rng),),
            driving_licence=rng.random() < 0.65,
            french_level=rng.choice(FRENCH),
            location=_place(rng),
            mobility_km=rng.choice([None, 10.0, 20.0, 30.0, 50.0]),
        ))
    return result


def needs(taxonomy: Taxonomy, n: int, *, seed: int = 11) -> list[Need]:
    rng = random.Random(seed)
    metiers = list(taxonomy.metiers.values())
    result = []
    for i in range(n):
        metier = rng.choice(metiers)
        wanted = rng.sample(metier.skills, min(len(metier.skills), rng.randint(3, 6)))
        result.append(Need(
            id=f"n{i}",
            title=metier.label,
            description=f"Nous recherchons un(e) {metier.label.lower()} pour renforcer l'équipe.",
            skills=tuple(NeedSkill(_surface(taxonomy, s, rng), rng.random() < 0.7) for s in wanted),
            driving_licence=rng.random() < 0.3,
            french_level=rng.choice(["A2", "B1", None]),
            location=_place(rng),
            max_distance_km=rng.choice([None, 20.0, 40.0]),
        ))
    return result


def fragments(taxonomy: Taxonomy, n: int, *, seed: int = 13) -> list[str]:
    rng = random.Random(seed)
    ids = list(taxonomy.skills)
    return [noisy(_surface(taxonomy, rng.choice(ids), rng), rng) for _ in range(n)]
