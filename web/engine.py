"""The matching engine as the web app holds it: loaded once per process."""
from __future__ import annotations

import json
from pathlib import Path

from flask import Flask, current_app

from matching import MatchIndex, SkillMapper, load_taxonomy, profile_from_dict

EXTENSION = "passerelle_engine"


class EngineState:
    """Taxonomy, mapper and the profile index, fitted once."""

    def __init__(self, profiles_path: str) -> None:
        self.taxonomy = load_taxonomy()
        self.mapper = SkillMapper(self.taxonomy)
        path = Path(profiles_path)
        lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
        self.profiles = {p.id: p for p in (profile_from_dict(json.loads(l)) for l in lines if l.strip())}
        self.index = MatchIndex.build(self.profiles.values(), self.mapper)


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = None


def state() -> EngineState:
    if current_app.extensions.get(EXTENSION) is None:
        current_app.extensions[EXTENSION] = EngineState(current_app.config["DEMO_PROFILES"])
    return current_app.extensions[EXTENSION]
