"""France Travail's ROME 4.0: loading the CSV folder, job titles → ROME, and career suggestions.

The files are read from a folder the user points at (France Travail's
open-data download, Licence Ouverte 2.0); nothing of them is bundled.

* ``load_referential(DIR)`` reads métiers, appellations (job titles), skill
  items with the *cœur de métier* flag, domains, definitions and mobility
  links; a missing folder or file raises ``RomeError`` with a French message.
* ``TitleMapper`` maps a job title as typed ("agent d entretien",
  "couturiere retoucheuse") to its ROME métier and appellation: the same
  normalisation and fuzzy index as the skills, fitted on ~13,000 titles.
* ``CareerSuggester`` ranks the métiers a person could move to, with the
  explanation: skills held, transferable (through the taxonomy's transfer
  links), missing.
"""
from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from .fuzzy import FuzzyIndex
from .mapping import SkillMapper
from .model import Profile
from .scoring import SkillSources, _analyzer
from .text import normalise

__all__ = ["RomeError", "RomeMetier", "Appellation", "Referential", "load_referential", "TitleMapper",
           "TitleMatch", "CareerSuggester", "Suggestion", "ROME_FILES"]

# The files of the ROME 4.0 CSV download that Passerelle reads (any release: the
# version number in the name is matched by the pattern).
ROME_FILES = {
    "metiers": "unix_referentiel_code_rome_v*_utf8.csv",
    "appellations": "unix_referentiel_appellation_v*_utf8.csv",
    "items": "unix_item_v*_utf8.csv",
    "coherence": "unix_coherence_item_v*_utf8.csv",
    "mobility": "unix_rubrique_mobilite_v*_utf8.csv",
    "domains": "unix_cr_gd_dp_v*_utf8.csv",
    "texts": "unix_texte_v*_utf8.csv",
    "naf": "unix_secteur_naf_v*_utf8.csv",
    "naf_metiers": "unix_arborescence_secteur_naf_v*_utf8.csv",
}
OPTIONAL_FILES = {"texts", "domains", "naf", "naf_metiers"}
RUBRIQUES = {"1": "savoir-faire", "2": "savoir-être", "3": "savoir"}

# A typed title maps to an appellation at this score (0–100) or above.
TITLE_THRESHOLD = 72.0
# A word used in the titles of this many métiers says little alone ("agent",
# "technicien", "chef"); "couturier" or "plongeur" (a few métiers) still do.
GENERIC_TITLE_WORD_METIERS = 12
# One-word titles cover most of a short appellation ("couturier" for "Couturier / Couturière").
TITLE_PARTIAL_FLOOR = 0.7

# Career suggestions add up several signals. The weights were set by a grid
# search on the mobility links present in ../shared (leave-one-out, 300
# métiers); bench/eval_rome.py measures them. Skills in common carry the
# explanation; the links of similar métiers, the links into the person's
# métier and co-cited targets bring the real career moves skills alone miss.
SKILL_WEIGHT = 1.0            # the person's text against each métier's skills
SIMILAR_METIER_WEIGHT = 1.0   # skill similarity of each métier to the person's past métier
NEIGHBOUR_LINK_WEIGHT = 0.6   # targets of similar métiers, weighted by similarity
REVERSE_LINK_WEIGHT = 0.2     # métiers that lead to the person's métier
SAME_DOMAIN_BONUS = 0.1       # same domaine professionnel
POPULARITY_WEIGHT = 0.05      # log of how often a métier is a target
COCITATION_WEIGHT = 0.1       # targets shared with the métiers that lead to the person's métier
OWN_LINK_WEIGHT = 1.0         # the person's métier's own links, when known
# Métiers most similar to the person's own (by skills) whose links are followed.
NEIGHBOURS = 40
_VERSION = re.compile(r"_v(\d+)_")


class RomeError(ValueError):
    """The ROME folder is missing, incomplete or unreadable; the message is in French."""


@dataclass(frozen=True)
class RomeMetier:
    code: str
    label: str
    domain: str = ""
    grand_domain: str = ""
    text: str = ""


@dataclass(frozen=True)
class Appellation:
    code: str
    label: str
    rome: str


@dataclass
class Referential:
    version: str
    metiers: dict[str, RomeMetier]
    appellations: list[Appellation]
    items: dict[str, tuple[str, str]]  # code_ogr -> (label, rubrique)
    metier_items: dict[str, dict[str, bool]]  # code_rome -> {code_ogr: cœur de métier}
    mobility: dict[str, list[str]] = field(default_factory=dict)  # code_rome -> targets, closest first
    # NAF sector groups: two-digit division ("81") -> label, and -> the métiers its employers hire.
    naf_sectors: dict[str, str] = field(default_factory=dict)
    naf_metiers: dict[str, list[str]] = field(default_factory=dict)

    def stats(self) -> dict[str, int]:
        return {"metiers": len(self.metiers), "appellations": len(self.appellations), "items": len(self.items),
                "metier_items": sum(len(v) for v in self.metier_items.values()),
                "mobility_links": sum(len(v) for v in self.mobility.values()),
                "naf_links": sum(len(v) for v in self.naf_metiers.values())}


def _find(directory: Path, key: str) -> Path | None:
    matches = sorted(directory.glob(ROME_FILES[key]))
    return matches[-1] if matches else None


def _read(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))
    except UnicodeDecodeError as exc:
        raise RomeError(f"{path.name} : le fichier n'est pas en UTF-8") from exc
    except csv.Error as exc:
        raise RomeError(f"{path.name} : CSV illisible ({exc})") from exc


def _columns(rows: list[dict[str, str]], path: Path, needed: Sequence[str]) -> None:
    if not rows:
        raise RomeError(f"{path.name} : fichier vide")
    missing = [c for c in needed if c not in rows[0]]
    if missing:
        raise RomeError(f"{path.name} : colonnes absentes : {', '.join(missing)}")


def load_referential(directory: Path | str) -> Referential:
    """Read a ROME 4.0 CSV folder; raise ``RomeError`` naming what is wrong."""
    root = Path(directory)
    if not root.is_dir():
        raise RomeError(f"{root} : dossier introuvable (le dossier du ROME 4.0 au format CSV est attendu)")
    paths = {key: _find(root, key) for key in ROME_FILES}
    missing = [ROME_FILES[k].replace("v*", "v…") for k, p in paths.items() if p is None and k not in OPTIONAL_FILES]
    if missing:
        raise RomeError(f"{root} : fichiers manquants : {', '.join(missing)}")
    version_match = _VERSION.search(paths["metiers"].name)
    version = f"v{version_match.group(1)}" if version_match else "?"

    domains: dict[str, tuple[str, str]] = {}
    if paths["domains"]:
        rows = _read(paths["domains"])
        _columns(rows, paths["domains"], ("code_rome", "code_domaine_professionel", "code_grand_domaine"))
        domains = {r["code_rome"]: (r["code_domaine_professionel"], r["code_grand_domaine"]) for r in rows}
    texts: dict[str, list[str]] = defaultdict(list)
    if paths["texts"]:
        for r in _read(paths["texts"]):
            if r.get("libelle_type_texte") == "definition":
                texts[r["code_rome"]].append(r.get("libelle_texte", "").replace("''", "'"))

    rows = _read(paths["metiers"])
    _columns(rows, paths["metiers"], ("code_rome", "libelle_rome"))
    metiers = {r["code_rome"]: RomeMetier(r["code_rome"], r["libelle_rome"], *domains.get(r["code_rome"], ("", "")),
                                          text=" ".join(texts.get(r["code_rome"], ())))
               for r in rows}

    rows = _read(paths["appellations"])
    _columns(rows, paths["appellations"], ("code_ogr", "libelle_appellation_long", "code_rome"))
    appellations = [Appellation(r["code_ogr"], r["libelle_appellation_long"], r["code_rome"])
                    for r in rows if r["code_rome"] in metiers]

    rows = _read(paths["items"])
    _columns(rows, paths["items"], ("code_ogr", "libelle", "code_rubrique"))
    items = {r["code_ogr"]: (r["libelle"], RUBRIQUES[r["code_rubrique"]]) for r in rows if r["code_rubrique"] in RUBRIQUES}

    rows = _read(paths["coherence"])
    _columns(rows, paths["coherence"], ("code_rome", "code_ogr", "coeur_metier"))
    metier_items: dict[str, dict[str, bool]] = defaultdict(dict)
    for r in rows:
        if r["code_ogr"] in items and r["code_rome"] in metiers:
            metier_items[r["code_rome"]][r["code_ogr"]] = r["coeur_metier"] == "Principale"

    rows = _read(paths["mobility"])
    _columns(rows, paths["mobility"], ("code_rome", "code_rome_cible", "numero_ordre"))
    mobility: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for r in rows:
        if r["code_rome"] in metiers and r["code_rome_cible"] in metiers:
            mobility[r["code_rome"]].append((int(r["numero_ordre"] or 99), r["code_rome_cible"]))
    naf_sectors, naf_metiers = _naf(paths, metiers)
    return Referential(version, metiers, appellations, items, dict(metier_items),
                       {k: [t for _, t in sorted(v)] for k, v in mobility.items()}, naf_sectors, naf_metiers)


def _naf(paths: dict[str, Path | None], metiers: dict[str, RomeMetier]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The NAF sector tables (optional): division labels, and the métiers of each division."""
    sectors: dict[str, str] = {}
    if paths["naf"]:
        rows = _read(paths["naf"])
        _columns(rows, paths["naf"], ("code_secteur_naf", "libelle_secteur_naf"))
        sectors = {r["code_secteur_naf"].zfill(2): r["libelle_secteur_naf"] for r in rows}
    links: dict[str, list[str]] = defaultdict(list)
    if paths["naf_metiers"]:
        rows = _read(paths["naf_metiers"])
        _columns(rows, paths["naf_metiers"], ("code_secteur_naf", "code_rome"))
        for r in rows:
            division = r["code_secteur_naf"].zfill(2)
            if r["code_rome"] in metiers and r["code_rome"] not in links[division]:
                links[division].append(r["code_rome"])
            if division not in sectors and r.get("libelle_secteur_naf"):
                sectors[division] = r["libelle_secteur_naf"]
    return sectors, dict(links)


# -- job titles ---------------------------------------------------------------------
_GENDER = re.compile(r"^(?P<male>.+?)\s*/\s*(?P<female>\S+)(?P<rest>.*)$")


def title_variants(label: str) -> list[str]:
    """"Agent / Agente d'entretien" -> ["Agent d'entretien", "Agente d'entretien"]; other labels as is."""
    match = _GENDER.match(label)
    if not match:
        return [label]
    rest = match.group("rest")
    return [f"{match.group('male')}{rest}", f"{match.group('female')}{rest}"]


@dataclass(frozen=True)
class TitleMatch:
    text: str
    code: str | None
    appellation: str | None
    label: str | None
    score: float

    def to_dict(self) -> dict:
        return {"text": self.text, "code": self.code, "appellation": self.appellation, "label": self.label,
                "score": round(self.score, 1)}


class TitleMapper:
    """Typed job titles → ROME appellation and métier; fit once on the referential."""

    def __init__(self, referential: Referential, mapper: SkillMapper, *, threshold: float = TITLE_THRESHOLD) -> None:
        self.referential = referential
        self.threshold = threshold
        self._normalise = mapper.normalise
        # The index's ids are métiers (a word is "generic" when many métiers use it,
        # not many titles of one métier); each form remembers its appellation.
        forms: list[tuple[str, str]] = []
        self._appellation: dict[tuple[str, str], Appellation] = {}
        for a in referential.appellations:
            for variant in title_variants(a.label):
                form = self._normalise(variant)
                forms.append((form, a.rome))
                self._appellation.setdefault((form, a.rome), a)
        for m in referential.metiers.values():
            for variant in title_variants(m.label):
                forms.append((self._normalise(variant), m.code))
        self._index = FuzzyIndex(forms, single_word_partial=True, partial_floor=TITLE_PARTIAL_FLOOR,
                                 strict_generic_words=True, generic_min_ids=GENERIC_TITLE_WORD_METIERS)

    def map_many(self, titles: Iterable[str]) -> list[TitleMatch]:
        titles = list(titles)
        norms = [self._normalise(t) for t in titles]
        results = []
        for title, candidates in zip(titles, self._index.query_many(norms, limit=1)):
            if not candidates or candidates[0].score < self.threshold:
                results.append(TitleMatch(title, None, None, None, candidates[0].score if candidates else 0.0))
                continue
            best = candidates[0]
            a = self._appellation.get((best.form, best.id))
            label = a.label if a else self.referential.metiers[best.id].label
            results.append(TitleMatch(title, best.id, a.code if a else None, label, best.score))
        return results

    def map(self, title: str) -> TitleMatch:
        return self.map_many([title])[0]


# -- career suggestions -----------------------------------------------------------
@dataclass(frozen=True)
class Suggestion:
    code: str
    label: str
    score: float
    direct: tuple[str, ...]
    transferable: tuple[dict, ...]
    missing: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"code": self.code, "label": self.label, "score": round(self.score, 4), "direct": list(self.direct),
                "transferable": list(self.transferable), "missing": list(self.missing)}


def _item_text(referential: Referential, code: str, *, core_weight: int = 2) -> str:
    parts = []
    for ogr, core in referential.metier_items.get(code, {}).items():
        parts += [referential.items[ogr][0]] * (core_weight if core else 1)
    return " ".join(parts)


class CareerSuggester:
    """Métiers a person could move to, ranked and explained; fit once on the referential."""

    def __init__(self, referential: Referential, mapper: SkillMapper, titles: TitleMapper | None = None) -> None:
        self.referential = referential
        self.mapper = mapper
        self.titles = titles or TitleMapper(referential, mapper)
        self.codes = sorted(referential.metiers)
        self._row = {c: i for i, c in enumerate(self.codes)}
        docs = [normalise(f"{referential.metiers[c].label} {_item_text(referential, c)}",
                          lexicon=mapper.taxonomy.lexicon) for c in self.codes]
        self._vectorizer = TfidfVectorizer(analyzer=_analyzer, sublinear_tf=True, dtype=np.float32)
        self._matrix = normalize(self._vectorizer.fit_transform(docs))
        self._similarity = (self._matrix @ self._matrix.T).toarray()
        np.fill_diagonal(self._similarity, 0.0)
        self._sources = SkillSources(mapper.taxonomy)
        self._item_skills: dict[str, tuple[str, ...]] = {}
        self._domain_masks: dict[str, np.ndarray] = {}
    # -- the taxonomy's view of ROME skills -------------------------------------
    def item_skills(self, ogr: str) -> tuple[str, ...]:
        """Taxonomy skills a ROME skill item reads as (fuzzy mapping of its label), cached."""
        if ogr not in self._item_skills:
            mapping = self.mapper.map(self.referential.items[ogr][0])
            self._item_skills[ogr] = tuple(h.id for h in mapping.skills if h.score >= 90)
        return self._item_skills[ogr]

    def core_skills(self, code: str) -> tuple[str, ...]:
        """Taxonomy skills the core ROME skills of a métier read as: what the métier brings to matching."""
        skills: dict[str, None] = {}
        for ogr, core in self.referential.metier_items.get(code, {}).items():
            if core:
                skills.update(dict.fromkeys(self.item_skills(ogr)))
        return tuple(skills)

    def source_metiers(self, profile: Profile) -> list[str]:
        """ROME métiers of the person's past jobs."""
        return list(dict.fromkeys(m.code for m in self.titles.map_many(profile.experiences) if m.code))

    def suggest(self, profile: Profile, *, top: int = 10, exclude_links_of: Iterable[str] = (),
                mobility: dict[str, list[str]] | None = None) -> list[Suggestion]:
        """The ``top`` métiers for a person, best first, each explained.

        ``exclude_links_of``: métiers whose own mobility links are ignored
        (the evaluation holds them out); ``mobility`` replaces the links used.
        """
        mobility = self.referential.mobility if mobility is None else mobility
        excluded = set(exclude_links_of)
        links = {code: targets for code, targets in mobility.items() if code not in excluded}
        sources = self.source_metiers(profile)
        lexicon = self.mapper.taxonomy.lexicon
        text = normalise(" ".join((profile.description, *profile.skills, *profile.experiences)), lexicon=lexicon)
        query = normalize(self._vectorizer.transform([text]))
        score = SKILL_WEIGHT * (self._matrix @ query.T).toarray().ravel()
        popularity = np.zeros(len(self.codes))
        for targets in links.values():
            for target in targets:
                popularity[self._row[target]] += 1
        score += POPULARITY_WEIGHT * np.log1p(popularity)
        for source in sources:
            s = self._row[source]
            similarity = self._similarity[s]
            score += SIMILAR_METIER_WEIGHT * similarity
            for rank, target in enumerate(links.get(source, ())):
                score[self._row[target]] += OWN_LINK_WEIGHT / (1 + 0.1 * rank)
            for n in np.argsort(-similarity)[:NEIGHBOURS]:
                for rank, target in enumerate(links.get(self.codes[n], ())):
                    score[self._row[target]] += NEIGHBOUR_LINK_WEIGHT * similarity[n] / (1 + 0.1 * rank)
            for code, targets in links.items():
                if source in targets:
                    score[self._row[code]] += REVERSE_LINK_WEIGHT
                    for target in targets:
                        score[self._row[target]] += COCITATION_WEIGHT
            domain = self.referential.metiers[source].domain
            if domain:
                score += SAME_DOMAIN_BONUS * self._domains_equal(domain)
        for source in sources:
            score[self._row[source]] = -np.inf
        order = np.argsort(-score)[:top]
        held_items = {ogr for s in sources for ogr in self.referential.metier_items.get(s, {})}
        held_skills = set(self._profile_skills(profile, sources))
        return [self._explain(self.codes[i], float(score[i]), held_items, held_skills) for i in order]

    def _domains_equal(self, domain: str) -> np.ndarray:
        if domain not in self._domain_masks:
            self._domain_masks[domain] = np.array([self.referential.metiers[c].domain == domain for c in self.codes],
                                                  dtype=np.float64)
        return self._domain_masks[domain]

    def _profile_skills(self, profile: Profile, sources: list[str]) -> list[str]:
        skills = [h.id for m in self.mapper.map_many(profile.skills) for h in m.skills]
        skills += list(profile.skill_ids)
        for source in sources:
            for ogr, core in self.referential.metier_items.get(source, {}).items():
                if core:
                    skills += self.item_skills(ogr)
        return skills

    def _explain(self, code: str, score: float, held_items: set[str], held_skills: set[str]) -> Suggestion:
        direct, transferable, missing = [], [], []
        taxonomy = self.mapper.taxonomy
        for ogr, core in self.referential.metier_items.get(code, {}).items():
            if not core:
                continue
            label = self.referential.items[ogr][0]
            skills = self.item_skills(ogr)
            if ogr in held_items or any(s in held_skills for s in skills):
                direct.append(label)
                continue
            bridge = None
            for skill in skills:
                for source, weight, kind, why in self._sources(skill):
                    if kind == "transfer" and source in held_skills:
                        bridge = {"skill": label, "from": taxonomy.label(source), "why": why}
                        break
                if bridge:
                    break
            (transferable.append(bridge) if bridge else missing.append(label))
        metier = self.referential.metiers[code]
        return Suggestion(code, metier.label, score, tuple(direct), tuple(transferable), tuple(missing))
