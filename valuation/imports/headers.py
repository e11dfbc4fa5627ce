"""Read a header as words and score it against every canonical column.

``concepts("Val. utilis. libre (EUR)")`` gives ``("VALUE", "UNRESTRICTED")``: the header is
normalised (case, accents, punctuation), its units and currencies dropped ("(EUR)", "/ kg",
"Qty (PCS)"), technical names split ("InventLocationId", "AS_QteSto", German compounds) and each
word or phrase looked up in ``vocabulary``; Chinese, written without spaces, is cut into the
longest known terms. ``scores(header)`` then gives, per canonical column, how well the header's
concepts fit one of the column's patterns (0 to about 1): the weight of the best pattern found,
times the share of the header's concepts it explains, a little more for each qualifier it also
explains, times the period modifiers (closing figures beat opening ones).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache

from .vocabulary import (
    ALONE_NOISE,
    CHINESE,
    ENGLISH,
    ERP_FIELDS,
    FRENCH,
    GERMAN,
    ITALIAN,
    MODIFIERS,
    NOISE_WORDS,
    PATTERNS,
    QUALIFIERS,
    SPANISH,
    STOP_WORDS,
    VETOES,
    Concepts,
)

# A score at or above ACCEPT lets a header feed a column; STRONG is a header that content
# evidence does not overturn, and whose losing a column to another header is worth a warning.
ACCEPT = 0.55
STRONG = 0.8
QUALIFIER_BONUS = 0.01  # per qualifier explained: "Valeur stock" is a little surer than "Valeur"
MAX_PHRASE = 4
MIN_COMPOUND_PART = 3

_PUNCTUATION = re.compile(r"[^\w]+")
_BRACKETS = re.compile(r"[(\[（【{]([^)\]）】}]*)[)\]）】}]")
_UOM = re.compile(r"(?i)\bu\s*/\s*m\b")
_TABLE_PREFIX = re.compile(r"^([A-Z]{1,3})_(?=[A-Za-z])")  # upper case: "AR_Ref", not "in_date"
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_PIECES = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+(?:\.)?")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_DIGITS = re.compile(r"\d+")


def normalise(text: str) -> str:
    """Reduce a header or code to a matching key: 'Qté.' -> 'qte', 'PU HT (€)' -> 'pu ht'.

    Accents are removed, case folded, punctuation turned into single spaces; CJK characters
    are kept as they are (they carry no case or accents).
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _PUNCTUATION.sub(" ", stripped.casefold()).replace("_", " ").strip()


def _build_index(tables: Iterable[Mapping[str, Concepts]]) -> dict[tuple[str, ...], tuple[str, ...]]:
    """Normalised word or phrase (as a tuple of words) -> concepts; a word meaning two things
    in two tables is refused, so the dictionaries stay unambiguous."""
    index: dict[tuple[str, ...], tuple[str, ...]] = {}
    for table in tables:
        for words, meaning in table.items():
            key = tuple(normalise(words).split())
            value = (meaning,) if isinstance(meaning, str) else tuple(meaning)
            if index.setdefault(key, value) != value:
                raise ValueError(f"Header word “{words}” means both {index[key]} and {value}.")
    return index


WORDS = _build_index([ENGLISH, FRENCH, GERMAN, SPANISH, ITALIAN, ERP_FIELDS])
CJK_TERMS = {normalise(term): (c,) if isinstance(c, str) else tuple(c) for term, c in CHINESE.items()}
_CJK_LONGEST = max(map(len, CJK_TERMS))
_SINGLE = {key[0]: value for key, value in WORDS.items() if len(key) == 1}
_STOP = frozenset(map(normalise, STOP_WORDS))
_NOISE = frozenset(map(normalise, NOISE_WORDS))
_ALONE_NOISE = frozenset(map(normalise, ALONE_NOISE))


def _is_noise(text: str) -> bool:
    """True for bracket or after-slash text made only of units, currencies and figures."""
    words = normalise(text).split()
    return all(w in _NOISE or w.isdigit() for w in words)


def _strip_units(text: str) -> str:
    """Drop units and currencies in brackets or after the last slash ("Qty (PCS)", "Prix / kg")."""
    text = _UOM.sub(" uom ", text)
    text = _BRACKETS.sub(lambda m: " " if _is_noise(m.group(1)) else f" {m.group(1)} ", text)
    parts = re.split(r"[/／]", text)
    if len(parts) > 1 and _is_noise(parts[-1]) and normalise(" ".join(parts[:-1])):
        text = "/".join(parts[:-1])
    prefix = _TABLE_PREFIX.match(text)
    if prefix and (normalise(prefix.group(1)),) not in WORDS:
        text = text[prefix.end() :]  # "AR_Ref", "GA_LIBELLE": a table's prefix, not a word
    return text


def _split_cjk(run: str) -> list[tuple[str, ...] | str]:
    """Cut a run of Chinese characters into the longest known terms; unknown characters next
    to each other stay together as one unknown word."""
    out: list[tuple[str, ...] | str] = []
    unknown = ""
    i = 0
    while i < len(run):
        for size in range(min(_CJK_LONGEST, len(run) - i), 0, -1):
            found = CJK_TERMS.get(run[i : i + size])
            if found is not None:
                break
        else:
            unknown += run[i]
            i += 1
            continue
        if unknown:
            out.append(unknown)
            unknown = ""
        out.append(found)
        i += size
    if unknown:
        out.append(unknown)
    return out


def _decompound(word: str) -> tuple[str, ...] | None:
    """Concepts of a word glued from known words ("codearticle", "bestandswert"), or None.

    The split with the fewest parts wins; a German linking "s" between parts is allowed.
    """
    n = len(word)
    best: list[list[str] | None] = [None] * (n + 1)
    best[0] = []
    for end in range(1, n + 1):
        for start in range(max(0, end - 24), end - MIN_COMPOUND_PART + 1):
            prefix = best[start]
            if prefix is None:
                continue
            part = word[start:end]
            linked = start > 0 and part.startswith("s") and part[1:] in _SINGLE and len(part) > MIN_COMPOUND_PART
            if part in _SINGLE or linked:
                candidate = [*prefix, part if part in _SINGLE else part[1:]]
                if best[end] is None or len(candidate) < len(best[end] or []):
                    best[end] = candidate
    parts = best[n]
    if not parts or len(parts) < 2:
        return None
    return tuple(c for part in parts for c in _SINGLE[part])


def _by_prefix(word: str) -> tuple[str, ...] | None:
    """An abbreviation cut short ("Quanti.", "Descrip"): the meaning shared by every known word
    it begins, if they all agree."""
    meanings = {value for key, value in _SINGLE.items() if key.startswith(word) and key != word}
    return meanings.pop() if len(meanings) == 1 else None


def _latin_words(piece: str) -> list[str]:
    """One run of letters and digits as words: known as it is, else split at case changes."""
    dotted = piece.endswith(".")
    raw = piece.rstrip(".")
    key = normalise(raw)
    if " " not in key and (key in _SINGLE or not any(ch.isupper() for ch in raw[1:])):
        return [key + ("." if dotted else "")]
    parts = [normalise(p) for p in _CAMEL.findall(raw)] or [key]
    if dotted:
        parts[-1] += "."
    return parts


def _meaning(word: str) -> tuple[str, ...] | str | None:
    """Concepts of one word, or the word itself when unknown, or None when it means nothing."""
    dotted = word.endswith(".")
    word = word.rstrip(".")
    if word in _SINGLE:
        return _SINGLE[word]
    if word in _STOP or word in _ALONE_NOISE or word.isdigit():
        return None
    bare = _DIGITS.sub("", word)
    if bare != word:
        return _meaning(bare) if bare else None  # "ITMDES1": a field number is no word
    if len(word) == 1:
        return None  # a lone letter: a Hungarian-notation prefix (cInvCode) or an initial
    found = _decompound(word) if len(word) >= 2 * MIN_COMPOUND_PART else None
    if found is None and (dotted and len(word) >= 3 or len(word) >= 5):
        found = _by_prefix(word)
    return found if found is not None else word


@lru_cache(maxsize=8192)
def concepts(header: str) -> tuple[str, ...]:
    """The header's concepts, in order, each once; an unknown word stays as ``"?word"``."""
    text = _strip_units(header)
    pieces: list[tuple[str, ...] | str] = []  # a known meaning, or a Latin word to look up
    for piece in _PIECES.findall(text):
        if re.match(rf"[{_CJK}]", piece):
            pieces.extend(_split_cjk(normalise(piece)))
        else:
            pieces.extend(_latin_words(piece))
    found: list[str] = []
    i = 0
    while i < len(pieces):
        # The longest phrase of Latin words starting here ("storage location", "on hand").
        for size in range(min(MAX_PHRASE, len(pieces) - i), 1, -1):
            window = pieces[i : i + size]
            if all(isinstance(p, str) and not _is_cjk_unknown(p) for p in window):
                phrase = WORDS.get(tuple(str(p).rstrip(".") for p in window))
                if phrase is not None:
                    found.extend(phrase)
                    i += size
                    break
        else:
            piece = pieces[i]
            i += 1
            if isinstance(piece, tuple):
                found.extend(piece)
                continue
            meaning = _meaning(piece) if not _is_cjk_unknown(piece) else piece
            if isinstance(meaning, tuple):
                found.extend(meaning)
            elif meaning:
                found.append("?" + meaning.rstrip("."))
    if "%" in header:
        found.append("PERCENT")  # "% of Tot Asset": a share, never an amount
    return tuple(dict.fromkeys(found))


def _is_cjk_unknown(piece: str) -> bool:
    return bool(re.match(rf"[{_CJK}]", piece))


def score(found: frozenset[str], column: str) -> float:
    """How well a header made of ``found`` concepts names ``column`` (0 when it cannot)."""
    if not found or found & VETOES[column]:
        return 0.0
    qualifiers = QUALIFIERS[column]
    best = 0.0
    for required, weight in PATTERNS[column]:
        if required <= found:
            explained = found & (required | qualifiers)
            value = weight * len(explained) / len(found) + QUALIFIER_BONUS * len(explained - required)
            best = max(best, value)
    if best:
        for concept, factor in MODIFIERS[column].items():
            if concept in found:
                best *= factor
    return best


@lru_cache(maxsize=8192)
def scores(header: str) -> dict[str, float]:
    """Canonical column -> score for this header, only the columns it may name (score > 0)."""
    found = frozenset(concepts(header))
    result = {column: score(found, column) for column in PATTERNS}
    return {column: value for column, value in result.items() if value > 0}


def best_column(header: str) -> tuple[str | None, float]:
    """The column this header names best on its own words, and its score (None, 0 if none)."""
    found = scores(header)
    if not found:
        return None, 0.0
    column = max(found, key=lambda c: found[c])
    return column, found[column]
