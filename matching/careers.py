"""Career suggestions over the bundled métiers of the taxonomy (no ROME folder needed).

Each métier is read as a need made of its core skills; the person's profile
is scored against it with the same coverage rules as the matching (direct,
transferred, missing), so the explanation is the engine's own.
"""
from __future__ import annotations

from .index import MatchIndex
from .mapping import SkillMapper
from .model import Need, Profile
from .rome import Suggestion


def suggest_bundled(profile: Profile, mapper: SkillMapper, *, top: int = 10) -> list[Suggestion]:
    """The ``top`` bundled métiers for a person (their past métiers left out), best first."""
    taxonomy = mapper.taxonomy
    index = MatchIndex.build([profile], mapper)
    own = {hit.id for hit in mapper.map_titles(profile.experiences) if hit}
    results = []
    for metier in taxonomy.metiers.values():
        if metier.id in own:
            continue
        match = index.explain(Need(id=metier.id, title="", skill_ids=metier.skills), profile.id)
        d = match.to_dict()
        results.append(Suggestion(metier.rome or metier.id, metier.label, match.score, tuple(d["direct"]),
                                  tuple({"skill": t["skill"], "from": t["from"], "why": t["why"]} for t in d["transferable"]),
                                  tuple(d["missing"])))
    results.sort(key=lambda s: (-s.score, s.code))
    return results[:top]
