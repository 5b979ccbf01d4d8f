"""Passerelle's matching engine: taxonomy, fuzzy skill mapping, scoring, explanations.

Typical use::

    taxonomy = load_taxonomy()
    mapper = SkillMapper(taxonomy)
    index = MatchIndex.build(profiles, mapper)        # fit once
    for match in index.rank(need, top=10):            # query many times
        print(match.candidate, match.score, match.transferable)
"""
from .index import DEFAULT_TOP, REFIT_RATIO, MatchIndex
from .mapping import MATCH_THRESHOLD, Mapping, MetierHit, SkillHit, SkillMapper
from .model import FRENCH_LEVELS, InputError, Location, Need, NeedSkill, Profile, need_from_dict, profile_from_dict
from .sectors import dominant_sector, metier_sectors, need_sector, profile_metier, profile_sector
from .scoring import Credit, Match, PreparedNeed, PreparedProfile, blocking_reasons, haversine_km, prepare_need
from .taxonomy import Taxonomy, TaxonomyError, load_taxonomy
from .text import normalise, split_fragments

__all__ = [
    "DEFAULT_TOP",
    "FRENCH_LEVELS",
    "MATCH_THRESHOLD",
    "REFIT_RATIO",
    "Credit",
    "InputError",
    "Location",
    "Mapping",
    "Match",
    "MatchIndex",
    "MetierHit",
    "Need",
    "NeedSkill",
    "PreparedNeed",
    "PreparedProfile",
    "Profile",
    "SkillHit",
    "SkillMapper",
    "Taxonomy",
    "TaxonomyError",
    "blocking_reasons",
    "dominant_sector",
    "haversine_km",
    "load_taxonomy",
    "metier_sectors",
    "need_sector",
    "need_from_dict",
    "normalise",
    "prepare_need",
    "profile_from_dict",
    "profile_metier",
    "profile_sector",
    "split_fragments",
]
