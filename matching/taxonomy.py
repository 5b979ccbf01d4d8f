"""The skill taxonomy: aptitudes, skills, métiers and skill-to-skill transfer links.

The data lives in ``data/taxonomy/`` (format documented in ``data/README.md``):
``aptitudes.json`` lists the transversal aptitudes, and each file of
``sectors/`` holds one sector's skills, métiers and transfer links.
"""
from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .text import Lexicon, normalise

__all__ = [
    "Aptitude",
    "Skill",
    "Metier",
    "Transfer",
    "Taxonomy",
    "TaxonomyError",
    "load_taxonomy",
    "DEFAULT_TAXONOMY_DIR",
]

DEFAULT_TAXONOMY_DIR = Path(__file__).resolve().parent.parent / "data" / "taxonomy"

# Transfer weights outside this range are data errors: a weight of 1 would make
# a transfer worth as much as the skill itself, and one near 0 explains nothing.
MIN_TRANSFER_WEIGHT = 0.1
MAX_TRANSFER_WEIGHT = 0.95


class TaxonomyError(ValueError):
    """The taxonomy files are missing, malformed or inconsistent."""


@dataclass(frozen=True)
class Aptitude:
    id: str
    label: str
    description: str = ""
    bridge: bool = True
    """Whether sharing this aptitude makes two skills transferable (false for
    aptitudes so general, such as teamwork, that they bridge everything)."""


@dataclass(frozen=True)
class Skill:
    id: str
    label: str
    sector: str
    aptitudes: tuple[str, ...] = ()
    synonyms: tuple[str, ...] = ()
    rome: tuple[str, ...] = ()


@dataclass(frozen=True)
class Metier:
    id: str
    label: str
    sector: str
    skills: tuple[str, ...]
    titles: tuple[str, ...] = ()
    rome: str | None = None


@dataclass(frozen=True)
class Transfer:
    source: str
    target: str
    weight: float
    why: str


@dataclass
class Taxonomy:
    """In-memory taxonomy with the lookups the engine needs."""

    aptitudes: dict[str, Aptitude]
    skills: dict[str, Skill]
    metiers: dict[str, Metier]
    transfers: list[Transfer]
    sectors: dict[str, str]
    lexicon: Lexicon = field(default_factory=Lexicon.load)
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._into: dict[str, list[Transfer]] = defaultdict(list)
        for t in self.transfers:
            self._into[t.target].append(t)
        self._by_aptitude: dict[str, list[str]] = defaultdict(list)
        for s in self.skills.values():
            for a in s.aptitudes:
                self._by_aptitude[a].append(s.id)

    def transfers_into(self, skill_id: str) -> list[Transfer]:
        """Explicit transfer links whose target is ``skill_id``."""
        return self._into.get(skill_id, [])

    def skills_with_aptitude(self, aptitude_id: str) -> list[str]:
        return self._by_aptitude.get(aptitude_id, [])

    def label(self, skill_id: str) -> str:
        skill = self.skills.get(skill_id)
        return skill.label if skill else skill_id

    def skill_forms(self) -> list[tuple[str, str]]:
        """Every (normalised surface form, skill id): label and synonyms.

        A label's head without its details ("Contrôle des dates" for
        "Contrôle des dates (DLC, DDM)") is a form too: people type the head.
        """
        forms: list[tuple[str, str]] = []
        for skill in self.skills.values():
            texts = [skill.label, *skill.synonyms]
            head = _label_head(skill.label)
            if head != skill.label:
                texts.append(head)
            for text in texts:
                form = normalise(text, lexicon=self.lexicon)
                if form:
                    forms.append((form, skill.id))
        return forms

    def metier_forms(self) -> list[tuple[str, str]]:
        """Every (normalised title, métier id)."""
        forms: list[tuple[str, str]] = []
        for metier in self.metiers.values():
            for text in (metier.label, *metier.titles):
                form = normalise(text, lexicon=self.lexicon)
                if form:
                    forms.append((form, metier.id))
        return forms

    def stats(self) -> dict[str, int]:
        return {
            "sectors": len(self.sectors),
            "aptitudes": len(self.aptitudes),
            "skills": len(self.skills),
            "synonyms": sum(len(s.synonyms) for s in self.skills.values()),
            "metiers": len(self.metiers),
            "transfers": len(self.transfers),
            "cross_sector_transfers": sum(
                1 for t in self.transfers if self.skills[t.source].sector != self.skills[t.target].sector
            ),
        }


_DETAILS = re.compile(r"\s*\([^)]*\)|\s+[–—:-]\s+.*$")


def _label_head(label: str) -> str:
    """A label without its parenthesised details or its dash/colon tail."""
    return _DETAILS.sub("", label).strip() or label


def _require(entry: dict, key: str, where: str) -> object:
    if key not in entry or entry[key] in (None, ""):
        raise TaxonomyError(f"{where}: champ « {key} » manquant")
    return entry[key]


def load_taxonomy(directory: Path | str | None = None, *, lexicon: Lexicon | None = None) -> Taxonomy:
    """Load and check a taxonomy folder (the bundled one by default).

    Raises ``TaxonomyError`` for anything that would make matching wrong:
    duplicated ids, references to unknown skills or aptitudes, bad weights.
    Softer problems (a synonym shared by two skills) land in ``warnings``.
    """
    root = Path(directory or DEFAULT_TAXONOMY_DIR)
    apt_path = root / "aptitudes.json"
    if not apt_path.is_file():
        raise TaxonomyError(f"{root} : fichier aptitudes.json introuvable")
    lexicon = lexicon or (Lexicon.load(root / "lexicon.json") if (root / "lexicon.json").is_file() else Lexicon())

    def read(path: Path) -> object:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise TaxonomyError(f"{path.name} : JSON invalide (ligne {exc.lineno}) : {exc.msg}") from exc

    aptitudes: dict[str, Aptitude] = {}
    for entry in read(apt_path):
        apt = Aptitude(str(_require(entry, "id", "aptitudes.json")), str(_require(entry, "label", "aptitudes.json")),
                       entry.get("description", ""), bool(entry.get("bridge", True)))
        if apt.id in aptitudes:
            raise TaxonomyError(f"aptitudes.json : identifiant en double {apt.id}")
        aptitudes[apt.id] = apt

    skills: dict[str, Skill] = {}
    metiers: dict[str, Metier] = {}
    raw_transfers: list[tuple[str, dict]] = []
    sectors: dict[str, str] = {}
    sector_files = sorted((root / "sectors").glob("*.json"))
    if not sector_files:
        raise TaxonomyError(f"{root / 'sectors'} : aucun fichier de secteur")
    for path in sector_files:
        data = read(path)
        sector = str(_require(data, "sector", path.name))
        if sector in sectors:
            raise TaxonomyError(f"{path.name} : secteur en double {sector}")
        sectors[sector] = str(data.get("label", sector))
        for entry in data.get("skills", []):
            where = f"{path.name} compétence {entry.get('id', '?')}"
            skill = Skill(
                id=str(_require(entry, "id", where)),
                label=str(_require(entry, "label", where)),
                sector=sector,
                aptitudes=tuple(entry.get("aptitudes", [])),
                synonyms=tuple(entry.get("synonyms", [])),
                rome=tuple(entry.get("rome", [])),
            )
            if skill.id in skills:
                raise TaxonomyError(f"{where} : identifiant en double")
            for a in skill.aptitudes:
                if a not in aptitudes:
                    raise TaxonomyError(f"{where} : aptitude inconnue {a}")
            skills[skill.id] = skill
        for entry in data.get("metiers", []):
            where = f"{path.name} métier {entry.get('id', '?')}"
            metier = Metier(
                id=str(_require(entry, "id", where)),
                label=str(_require(entry, "label", where)),
                sector=sector,
                skills=tuple(_require(entry, "skills", where)),
                titles=tuple(entry.get("titles", [])),
                rome=entry.get("rome"),
            )
            if metier.id in metiers:
                raise TaxonomyError(f"{where} : identifiant en double")
            metiers[metier.id] = metier
        raw_transfers.extend((path.name, t) for t in data.get("transfers", []))
    # Links between sectors written apart from any one sector's file.
    for path in sorted((root / "transfers").glob("*.json")):
        data = read(path)
        if not isinstance(data, list):
            raise TaxonomyError(f"{path.name} : une liste de transferts est attendue")
        raw_transfers.extend((path.name, t) for t in data)

    for metier in metiers.values():
        for s in metier.skills:
            if s not in skills:
                raise TaxonomyError(f"métier {metier.id} : compétence inconnue {s}")

    transfers: list[Transfer] = []
    seen: set[tuple[str, str]] = set()
    warnings: list[str] = []
    for filename, entry in raw_transfers:
        where = f"{filename} transfert {entry.get('from')}→{entry.get('to')}"
        source, target = str(_require(entry, "from", where)), str(_require(entry, "to", where))
        for s in (source, target):
            if s not in skills:
                raise TaxonomyError(f"{where} : compétence inconnue {s}")
        if source == target:
            raise TaxonomyError(f"{where} : transfert d'une compétence vers elle-même")
        weight = float(_require(entry, "weight", where))
        if not MIN_TRANSFER_WEIGHT <= weight <= MAX_TRANSFER_WEIGHT:
            raise TaxonomyError(f"{where} : poids {weight} hors de [{MIN_TRANSFER_WEIGHT}, {MAX_TRANSFER_WEIGHT}]")
        if (source, target) in seen:
            warnings.append(f"{where} : transfert en double (le premier est gardé)")
            continue
        seen.add((source, target))
        transfers.append(Transfer(source, target, weight, str(_require(entry, "why", where))))

    taxonomy = Taxonomy(aptitudes, skills, metiers, transfers, sectors, lexicon, warnings)
    owners: dict[str, set[str]] = defaultdict(set)
    for form, skill_id in taxonomy.skill_forms():
        owners[form].add(skill_id)
    for form, ids in sorted(owners.items()):
        if len(ids) > 1:
            warnings.append(f"forme « {form} » partagée par {', '.join(sorted(ids))}")
    return taxonomy
