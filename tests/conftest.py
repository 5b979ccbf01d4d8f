"""Shared fixtures: the bundled taxonomy and a tiny one for precise engine tests."""
from __future__ import annotations

from pathlib import Path

import pytest

from matching import SkillMapper, load_taxonomy

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def taxonomy():
    """The bundled taxonomy (data/taxonomy)."""
    return load_taxonomy()


@pytest.fixture(scope="session")
def mapper(taxonomy):
    return SkillMapper(taxonomy)


@pytest.fixture(scope="session")
def mini_taxonomy():
    """Eight skills in three sectors: every number in a test can be checked by hand."""
    return load_taxonomy(FIXTURES / "mini_taxonomy")


@pytest.fixture(scope="session")
def mini_mapper(mini_taxonomy):
    return SkillMapper(mini_taxonomy)
