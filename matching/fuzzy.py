"""Fuzzy lookup of short normalised texts among many known forms.

Three steps, fitted once on the known forms:

1. *Token correction*: a query word unknown to the forms' vocabulary is
   replaced by its closest vocabulary word (rapidfuzz ``ratio``), so that
   "bionetoyage" reads "bionettoyage" before anything else happens.
2. *Shortlist*: a character n-gram TF-IDF nearest-neighbour search (one
   sparse product, batched, as in string_grouper) plus the forms sharing a
   word with the query pick a few dozen candidate forms.
3. *Scoring*: each candidate gets the better of a whole-string similarity
   (typos, word order) and a containment score (every word of the form
   appears in the query; the more of the query it explains, the higher).

A form found *inside* a longer fragment therefore scores high only when all
its words are there, which keeps "nettoyage" from matching "aquanettoyage"
and "minutie" from matching anything that merely shares letters.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA
from sklearn.feature_extraction.text import TfidfVectorizer

__all__ = ["Candidate", "FuzzyIndex"]

# How many forms the n-gram stage hands to the scorer. Large enough that a
# typo-ridden fragment still has its true form in the list (checked by the
# mapping tests), small enough to keep the scoring work per fragment tiny.
SHORTLIST_SIZE = 30

# Character n-grams of 3 to 4 letters, within word boundaries: robust to one
# or two typos, to missing letters and to word order (2-grams are shared by
# nearly every form and only slow the product down).
NGRAM_RANGE = (3, 4)

# Words shorter than this are never corrected (too many near neighbours:
# "pose"/"rose"), and must match exactly.
MIN_CORRECTABLE_LENGTH = 5

# A query word is corrected to a vocabulary word at most this many edits
# away (optimal string alignment: a swap of two letters is one edit); long
# words may carry two typos. A prefix never counts as a typo: "passage" is
# two edits from "repassage" and stays itself.
MAX_EDITS_SHORT_WORD = 1
MAX_EDITS_LONG_WORD = 2
LONG_WORD_LENGTH = 10

# Forms sharing a word with the query join the shortlist, unless the word is
# in more forms than this (then it says little: "nettoyage", "conduite").
SHARED_WORD_MAX_FORMS = 60

# A form whose words are all in the query scores this much at least; the
# rest of the 100 is earned by the share of the query the form explains.
CONTAINMENT_FLOOR = 0.8

# A query whose words are all in a longer form ("montage de roues" in
# "montage de roues de vélo") names the skill less precisely: it scores this
# much at least, the rest earned by the share of the form it covers, so that
# a short generic query ("accueil client" against "accueil et renseignement
# des clients en magasin") stays below the mapping threshold.
PARTIAL_FLOOR = 0.5

# Words glued or split differently ("autolaveuse" / "auto laveuse") are the
# one thing token correction cannot mend: the two strings without spaces are
# compared, and count from this score. Anything looser matches strings that
# merely share letters ("patience" / "patine", "découpe laser" / "découpe viande").
GLUED_WORDS_MIN = 95.0

# A word found in the forms of at least this many different ids is generic
# ("monteur", "poseur", "agent"). With ``strict_generic_words``, a one-word
# form made of it matches a query that is exactly that word, never a longer
# query that merely contains it ("monteur vidéo"), and a one-word query made
# of it does not stand for a longer form ("poseur" for "poseur de sols").
GENERIC_WORD_MIN_IDS = 4

# Queries are scored in batches of this many rows to bound the size of the
# dense candidate matrices.
BATCH_SIZE = 2048


@dataclass(frozen=True)
class Candidate:
    """A known form close to a query, with the id it stands for."""

    id: str
    form: str
    score: float


# Codes and categories ("3", "1a", "r489") decide between sibling skills
# (CACES catégorie 1 or 3): they weigh like a word of this length at least.
MIN_CODE_WEIGHT = 4


def _weights(words: Iterable[str]) -> dict[str, int]:
    # Longer words carry more meaning than short ones.
    return {w: len(w) if w.isalpha() else max(len(w), MIN_CODE_WEIGHT) for w in words}


class _Query:
    """A query's words, weighed once for all its candidates."""

    __slots__ = ("words", "total", "has_unknown_word")

    def __init__(self, text: str, vocabulary: frozenset[str]) -> None:
        self.words = _weights(text.split())
        self.total = sum(self.words.values())
        self.has_unknown_word = any(w not in vocabulary for w in self.words)


class FuzzyIndex:
    """Forms fitted once, queried many times."""

    def __init__(self, forms: Sequence[tuple[str, str]], *, single_word_partial: bool = False,
                 partial_floor: float = PARTIAL_FLOOR, strict_generic_words: bool = False,
                 generic_min_ids: int = GENERIC_WORD_MIN_IDS) -> None:
        """``forms``: (normalised form, id) pairs; an id may have many forms.

        ``single_word_partial`` lets a one-word query stand for a longer form
        (right for job titles, wrong for skills); ``partial_floor`` is the
        base score of a query all of whose words are in the form;
        ``strict_generic_words`` makes generic one-word forms match whole
        queries only (right for job titles, where "monteur" in "monteur
        vidéo" says nothing; wrong for skills, where "câblage" in "câblage
        aéronautique" is the skill).
        """
        self.single_word_partial = single_word_partial
        self.strict_generic = strict_generic_words
        self.partial_floor = partial_floor
        unique: dict[tuple[str, str], None] = dict.fromkeys((f, i) for f, i in forms if f)
        if not unique:
            raise ValueError("FuzzyIndex needs at least one non-empty form")
        self.forms: list[str] = [f for f, _ in unique]
        self.ids: list[str] = [i for _, i in unique]
        self.exact: dict[str, list[str]] = defaultdict(list)
        self._form_words: list[dict[str, int]] = []
        self._by_word: dict[str, list[int]] = defaultdict(list)
        for j, (form, ident) in enumerate(unique):
            self.exact[form].append(ident)
            words = _weights(form.split())
            self._form_words.append(words)
            for w in words:
                self._by_word[w].append(j)
        self.exact = dict(self.exact)
        ids_by_word: dict[str, set[str]] = defaultdict(set)
        for j, words in enumerate(self._form_words):
            for w in words:
                ids_by_word[w].add(self.ids[j])
        self._generic_words = frozenset(w for w, ids in ids_by_word.items() if len(ids) >= generic_min_ids)
        self._generic_form = [strict_generic_words and len(words) == 1 and next(iter(words)) in self._generic_words
                              for words in self._form_words]
        self.vocabulary: list[str] = sorted(self._by_word)
        self._vocabulary_set = frozenset(self.vocabulary)
        # Vocabulary words by length: a word at most k edits away is at most k letters longer or shorter.
        self._words_by_length: dict[int, list[str]] = defaultdict(list)
        for w in self.vocabulary:
            if len(w) >= MIN_CORRECTABLE_LENGTH - MAX_EDITS_LONG_WORD:
                self._words_by_length[len(w)].append(w)
        self._corrections: dict[str, str] = {}
        self._vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=NGRAM_RANGE, sublinear_tf=True, dtype=np.float32)
        self._matrix_t = self._vectorizer.fit_transform(self.forms).T.tocsr()

    def __len__(self) -> int:
        return len(self.forms)

    # -- step 1 -----------------------------------------------------------
    def correct(self, text: str) -> str:
        """Replace words unknown to the vocabulary by their closest known word."""
        return " ".join(self._correct_word(w) for w in text.split())

    def _correct_word(self, word: str) -> str:
        if word in self._vocabulary_set or len(word) < MIN_CORRECTABLE_LENGTH or word.isdigit():
            return word
        if word not in self._corrections:
            max_edits = MAX_EDITS_LONG_WORD if len(word) >= LONG_WORD_LENGTH else MAX_EDITS_SHORT_WORD
            pool = [w for n in range(len(word) - max_edits, len(word) + max_edits + 1) for w in self._words_by_length.get(n, ())]
            best = process.extractOne(word, pool, scorer=OSA.distance, score_cutoff=max_edits)
            self._corrections[word] = best[0] if best else word
        return self._corrections[word]

    # -- steps 2 and 3 ----------------------------------------------------
    def similarity(self, query: str, form: str) -> float:
        """Score 0–100 of a corrected, normalised query against a normalised form."""
        if not query or not form:
            return 0.0
        return self._score(query, _Query(query, self._vocabulary_set), form, _weights(form.split()))

    def _score(self, query: str, q: "_Query", form: str, form_words: dict[str, int], generic: bool = False) -> float:
        if query == form:
            return 100.0
        if generic:
            return 0.0
        shared = 0
        form_total = 0
        for w, n in form_words.items():
            form_total += n
            if w in q.words:
                shared += n
        whole = 0.0
        # Known words are not typos: "brasage" must not read as "brassage".
        if q.has_unknown_word:
            whole = fuzz.ratio(query.replace(" ", ""), form.replace(" ", ""), score_cutoff=GLUED_WORDS_MIN)
        if not shared:
            return whole
        form_cover = shared / form_total
        query_cover = shared / q.total
        contained = 100.0 * form_cover * (CONTAINMENT_FLOOR + (1 - CONTAINMENT_FLOOR) * query_cover)
        # A one-word skill is too vague to stand for a longer form
        # ("chargement", "montage"): unless allowed, it must match a form whole.
        partial = 0.0
        if len(q.words) > 1 or (self.single_word_partial and not (self.strict_generic and q.words.keys() <= self._generic_words)):
            partial = 100.0 * query_cover * (self.partial_floor + (1 - self.partial_floor) * form_cover)
        return max(whole, contained, partial)

    def query(self, text: str, *, limit: int = 5) -> list[Candidate]:
        """Best candidates for one normalised text, one per id, best first."""
        return self.query_many([text], limit=limit)[0]

    def query_many(self, texts: Iterable[str], *, limit: int = 5) -> list[list[Candidate]]:
        """Best candidates for each normalised text, one per id, best first."""
        corrected = [self.correct(t) if t else "" for t in texts]
        results: list[list[Candidate]] = [[] for _ in corrected]
        pending = [i for i, t in enumerate(corrected) if t]
        for start in range(0, len(pending), BATCH_SIZE):
            rows = pending[start : start + BATCH_SIZE]
            sims = (self._vectorizer.transform([corrected[i] for i in rows]) @ self._matrix_t).tocsr()
            for row, query_index in enumerate(rows):
                lo, hi = sims.indptr[row], sims.indptr[row + 1]
                columns, values = sims.indices[lo:hi], sims.data[lo:hi]
                if len(values) > SHORTLIST_SIZE:
                    columns = columns[np.argpartition(-values, SHORTLIST_SIZE - 1)[:SHORTLIST_SIZE]]
                results[query_index] = self._rescore(corrected[query_index], columns, limit)
        return results

    def _rescore(self, text: str, shortlist: np.ndarray, limit: int) -> list[Candidate]:
        best: dict[str, Candidate] = {ident: Candidate(ident, text, 100.0) for ident in self.exact.get(text, [])}
        q = _Query(text, self._vocabulary_set)
        candidates = set(shortlist.tolist())
        for word in set(text.split()):
            holders = self._by_word.get(word, ())
            if len(holders) <= SHARED_WORD_MAX_FORMS:
                candidates.update(holders)
        # Sorted: ties between two forms of one id must not depend on set order.
        for j in sorted(candidates):
            ident = self.ids[j]
            if ident in best and best[ident].score >= 100.0:
                continue
            score = self._score(text, q, self.forms[j], self._form_words[j], self._generic_form[j])
            if ident not in best or score > best[ident].score:
                best[ident] = Candidate(ident, self.forms[j], score)
        ranked = sorted(best.values(), key=lambda c: (-c.score, -len(c.form), c.id))
        return ranked[:limit]
