"""French free-text normalisation: the one place every component goes through.

CRE notes, employers' offers and the taxonomy's own labels are all turned
into the same canonical token string here, so that "Couturière", "couturiere",
"COUTURIERES" and "couturier" compare equal everywhere in the engine.
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable
from pathlib import Path

__all__ = ["Lexicon", "fold", "normalise", "tokens", "split_fragments", "split_list", "stem"]

# Tokens shorter than this are never stemmed: "bus", "gaz", "epi" must stay whole.
MIN_STEM_LENGTH = 4

# Feminine and plural endings, tried in order; the first that fits wins.
# Both sides of every comparison go through the same rules, so a stem only has
# to be consistent, not a dictionary word ("couturiere" and "couturier" both
# become "couturier", "vendeuse" becomes "vendeur").
_SUFFIX_RULES: tuple[tuple[str, str], ...] = (
    ("euses", "eur"),
    ("euse", "eur"),
    ("trices", "teur"),
    ("trice", "teur"),
    ("ieres", "ier"),
    ("iere", "ier"),
    ("iennes", "ien"),
    ("ienne", "ien"),
    ("eures", "eur"),
    ("eure", "eur"),
    ("eaux", "eau"),
    ("ives", "if"),
    ("ive", "if"),
    ("elles", "el"),
    ("elle", "el"),
    ("ennes", "en"),
    ("enne", "en"),
    ("eres", "er"),
    ("ere", "er"),
    ("ees", "e"),
    ("ee", "e"),
    ("aux", "al"),
)

# Inclusive and parenthesised feminine marks: "agent(e)", "vendeur·euse",
# "gardien-nes", "employé.e.s". They are removed before tokenising because the
# masculine stem is what the stemmer produces anyway.
_INCLUSIVE_MARKS = re.compile(
    r"(?<=[a-z])(?:\((?:e|es|ne|nes|euse|euses|rice|rices|ere|eres|iere|ieres|s)\)"
    r"|[.·•-](?:e|es|ne|nes|euse|euses|rice|rices|trice|trices|ere|eres|iere|ieres)(?:[.·•-]?s)?)(?![a-z])"
)
_ELISION = re.compile(r"\b([a-z]{1,2})['’`´]")
_NON_ALNUM = re.compile(r"[^a-z0-9+]+")
# "r 489", "R.489" -> "r489"; "caces r 489 cat 3" reads the same with or without the gap.
_LETTER_NUMBER = re.compile(r"\b([a-z])\s+(\d{2,3})\b")
# Separators between skills in a list typed by a person. Hard ones always
# split; the words "et"/"ou" split only when the whole piece is not a known
# expression ("gestes et postures", "hygiène et sécurité").
_HARD_SPLIT = re.compile(r"[,;\n\r\t•|/]+|\s+-\s+|\.\s+(?!\d)|\.$")
_SOFT_SPLIT = re.compile(r"\s+(?:et|ou|puis|ainsi que)\s+", re.IGNORECASE)
# A piece that is only a category ("3", "1A", "B") continues the previous one:
# "CACES 1/3/5" means "CACES 1", "CACES 3", "CACES 5".
_CATEGORY_ONLY = re.compile(r"^\s*(?:cat(?:egorie)?\.?\s*)?[0-9]{1,2}[a-z]?\s*$|^\s*[a-z][0-9]?\s*$", re.IGNORECASE)

_DEFAULT_LEXICON_PATH = Path(__file__).resolve().parent.parent / "data" / "taxonomy" / "lexicon.json"


def fold(text: str) -> str:
    """Lower-case and strip accents and ligatures ("Œuvre" -> "oeuvre")."""
    text = text.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


@dataclass(frozen=True)
class Lexicon:
    """Word lists that drive normalisation: stop words, abbreviations, typos."""

    stop_words: frozenset[str] = frozenset()
    abbreviations: dict[str, str] = field(default_factory=dict)
    typos: dict[str, str] = field(default_factory=dict)
    stem_exceptions: dict[str, str] = field(default_factory=dict)
    verb_nouns: dict[str, str] = field(default_factory=dict)
    verb_endings: tuple[str, ...] = ()
    irregular_verbs: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | str | None = None) -> "Lexicon":
        """Read a lexicon JSON file (the bundled one by default)."""
        data = json.loads(Path(path or _DEFAULT_LEXICON_PATH).read_text(encoding="utf-8"))

        def clean(mapping: dict[str, str]) -> dict[str, str]:
            return {fold(k).strip(): fold(v).strip() for k, v in mapping.items() if not k.startswith("_")}

        return cls(
            stop_words=frozenset(fold(w) for w in data.get("stop_words", [])),
            abbreviations=clean(data.get("abbreviations", {})),
            typos=clean(data.get("typos", {})),
            stem_exceptions=clean(data.get("stem_exceptions", {})),
            verb_nouns=clean(data.get("verb_nouns", {})),
            verb_endings=tuple(sorted({fold(e) for e in data.get("verb_endings", [])}, key=len, reverse=True)),
            irregular_verbs=clean(data.get("irregular_verbs", {})),
        )

    def noun_for_verb(self, word: str) -> str | None:
        """The taxonomy's noun for a verb form ("nettoyais" -> "nettoyage"), or None."""
        if word in self.irregular_verbs:
            return self.irregular_verbs[word]
        for ending in self.verb_endings:
            if word.endswith(ending) and len(word) > len(ending):
                noun = self.verb_nouns.get(word[: -len(ending)])
                if noun is not None:
                    return noun
        return None


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    """The bundled lexicon, read once per process."""
    return Lexicon.load()


def stem(token: str, lexicon: Lexicon | None = None) -> str:
    """Reduce a folded token to its masculine singular stem."""
    lexicon = lexicon or default_lexicon()
    if token in lexicon.stem_exceptions:
        return lexicon.stem_exceptions[token]
    if len(token) < MIN_STEM_LENGTH or token.isdigit():
        return token
    for suffix, replacement in _SUFFIX_RULES:
        if token.endswith(suffix) and len(token) - len(suffix) >= 2:
            return token[: -len(suffix)] + replacement
    if token[-1] in "sx" and token[-2] not in "s":
        return token[:-1]
    return token


def tokens(text: str, *, lexicon: Lexicon | None = None, keep_stop_words: bool = False) -> list[str]:
    """Split text into canonical tokens: folded, expanded, corrected, stemmed."""
    lexicon = lexicon or default_lexicon()
    folded = _INCLUSIVE_MARKS.sub("", fold(text or ""))
    folded = _ELISION.sub(r"\1 ", folded)
    folded = _NON_ALNUM.sub(" ", folded)
    folded = _LETTER_NUMBER.sub(r"\1\2", folded)
    result: list[str] = []
    for raw in folded.split():
        raw = raw.strip("+")
        if not raw:
            continue
        replacement = lexicon.typos.get(raw) or lexicon.abbreviations.get(raw) or raw
        for word in replacement.split():
            if not keep_stop_words and word in lexicon.stop_words:
                continue
            result.append(lexicon.noun_for_verb(word) or stem(word, lexicon))
    return result


def normalise(text: str, *, lexicon: Lexicon | None = None) -> str:
    """Canonical form of a text: its tokens joined by single spaces.

    >>> normalise("Préparatrice de commandes (CACES R 489)")
    'preparateur commande caces r489'
    """
    return " ".join(tokens(text, lexicon=lexicon))


def split_list(text: str) -> list[str]:
    """Split a typed list on commas, semicolons, slashes, bullets and line breaks
    (not on "et"/"ou", not inside brackets): the items a person wrote."""
    return [p.strip(" .:-") for p in _split_outside_brackets(text or "") if p.strip(" .:-")]


def _split_outside_brackets(text: str) -> list[str]:
    """Hard-split ``text``, except inside brackets: "outillage (visseuse, scie)" is one piece."""
    pieces: list[str] = []
    depth, start, protected = 0, 0, []
    for i, char in enumerate(text):
        if char in "([":
            depth += 1
        elif char in ")]" and depth:
            depth -= 1
        protected.append(depth > 0)
    for match in _HARD_SPLIT.finditer(text):
        if protected[match.start()]:
            continue
        pieces.append(text[start : match.start()])
        start = match.end()
    pieces.append(text[start:])
    return pieces


def split_fragments(text: str, *, keep_whole: Callable[[str], bool] | None = None) -> list[str]:
    """Split a typed list of skills into its fragments, keeping their original spelling.

    Commas, semicolons, slashes, bullets, line breaks, " - " and full stops
    always separate fragments; "et"/"ou" separate them unless ``keep_whole``
    says the piece is a known expression. Empty pieces are dropped.
    """
    fragments: list[str] = []
    for hard in _split_outside_brackets(text or ""):
        hard = (hard or "").strip(" .:-")
        if not hard:
            continue
        pieces = _SOFT_SPLIT.split(hard)
        if len(pieces) > 1 and keep_whole is not None and keep_whole(hard):
            pieces = [hard]
        for piece in pieces:
            piece = piece.strip(" .:-")
            if not piece:
                continue
            if fragments and _CATEGORY_ONLY.match(piece) and " " in fragments[-1]:
                piece = f"{fragments[-1].rsplit(' ', 1)[0]} {piece}"
            fragments.append(piece)
    return fragments
