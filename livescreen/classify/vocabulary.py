"""The words the rules recognise: MDMA's names, the established PTSD treatments (with
synonyms, abbreviations and MeSH headings) and the active placebos.

There is one copy of them: the ``vocabulary:`` block of the shipped ``config.yaml`` (the
workflow's root, beside this package).
Reviewers edit it there. A config part that is present replaces the shipped part whole, so
an entry can be removed as well as added (``mdma`` key by key: a config giving only its
``mesh`` keeps the shipped terms); a part the config leaves out — or a config without the
block, as ``load_vocabulary({})`` in tests — takes the shipped config.yaml's part, read when
first needed, so a config that gives every part (and ``mechanism_instruments``) never reads
the shipped file.

Public API
----------
``load_vocabulary(config=None) -> Vocabulary``
    The compiled vocabulary from ``config["vocabulary"]``, shipped parts for absent ones.
    A part that is malformed, a treatment name used twice, or a part neither given nor
    shipped raises :class:`livescreen.errors.ConfigError` naming the key
    (``vocabulary.established_treatments[2].terms``).
``DEFAULT_VOCABULARY``
    The shipped block as a plain dict (a fresh copy on each access, read on the first).

The mechanism instruments (``mechanism_instruments:``, beside ``vocabulary:`` in config.yaml)
are loaded with the vocabulary: for each mechanism (a ``keywords:`` slug) the measures that
show it (validated instruments and paradigms: PTCI, WAI, skin conductance) and the construct
words that name it. A config that gives the block replaces it whole; one without it takes
the shipped block. Its slugs must be the config's keyword slugs (when the config has any).
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError

SHIPPED_CONFIG = Path(__file__).resolve().parents[2] / "config.yaml"
PARTS = ("mdma", "established_treatments", "active_placebos")


@dataclass(frozen=True)
class Treatment:
    """One established treatment: its canonical name and the words that name it."""

    name: str
    kind: str = "psychotherapy"
    terms: tuple[str, ...] = ()
    abbreviations: tuple[str, ...] = ()
    ambiguous_abbreviations: tuple[str, ...] = ()
    mesh: tuple[str, ...] = ()


@dataclass(frozen=True)
class Measure:
    """One validated instrument or measurement paradigm of a mechanism of change."""

    name: str
    terms: tuple[str, ...] = ()
    abbreviations: tuple[str, ...] = ()
    ambiguous_abbreviations: tuple[str, ...] = ()


@dataclass(frozen=True)
class Mechanism:
    """A mechanism of change (a keyword slug): the measures and words that show it."""

    slug: str
    measures: tuple[Measure, ...] = ()
    constructs: tuple[str, ...] = ()


@dataclass
class Vocabulary:
    """The vocabulary, compiled. Build it with :func:`load_vocabulary`."""

    mdma_terms: tuple[str, ...]
    mdma_mesh: tuple[str, ...]
    treatments: tuple[Treatment, ...]
    active_placebos: tuple[str, ...]
    mechanisms: tuple[Mechanism, ...] = ()
    mention_pattern: re.Pattern[str] = field(init=False, repr=False)
    active_placebo_pattern: re.Pattern[str] = field(init=False, repr=False)
    # group name in mention_pattern -> ("M" or "E", canonical name, ambiguous?, written out?)
    groups: dict[str, tuple[str, str, bool, bool]] = field(init=False, repr=False)
    # every measure term and construct word of the mechanisms (see mechanism_matches);
    # group -> ("I" instrument or "K" construct, slug, shown name, ambiguous?, written out?)
    mechanism_groups: dict[str, tuple[str, str, str, bool, bool]] = field(init=False, repr=False)
    _mechanism_index: dict[str, re.Pattern[str]] = field(init=False, repr=False)
    _mechanism_keys: frozenset[str] = field(init=False, repr=False)
    # the lower-cased words a mention can start with (see find_mentions); None: some term
    # does not start with a letter or digit, so every position must be tried
    _mention_keys: frozenset[str] | None = field(init=False, repr=False)

    def _all_terms(self) -> list[str]:
        terms = [t.strip() for t in self.mdma_terms]
        for treatment in self.treatments:
            names = [*treatment.terms, *treatment.abbreviations, *treatment.ambiguous_abbreviations]
            terms += [t.strip() for t in names]
        return [t for t in terms if t]

    def __post_init__(self) -> None:
        alternatives: list[tuple[int, str, str]] = []  # (length, group, pattern)
        terms: list[str] = []
        self.groups = {}

        def add(kind: str, name: str, text: str, case_sensitive: bool, ambiguous: bool) -> None:
            group = f"g{len(self.groups)}"
            self.groups[group] = (kind, name, ambiguous, not _is_abbreviation(text))
            alternatives.append((len(text), group, _term_pattern(text, case_sensitive)))
            terms.append(text)

        for term in self.mdma_terms:
            # Upper-case short words (MDMA) are abbreviations: case-sensitive.
            add("M", "MDMA", term, _is_abbreviation(term), False)
        for treatment in self.treatments:
            for term in treatment.terms:
                add("E", treatment.name, term, _is_abbreviation(term), False)
            for abbreviation in treatment.abbreviations:
                add("E", treatment.name, abbreviation, True, False)
            for abbreviation in treatment.ambiguous_abbreviations:
                add("E", treatment.name, abbreviation, True, True)
        # Longest first, so "trauma-focused cognitive behavioral therapy" wins over "CBT"
        # words inside it and "3,4-methylenedioxymethamphetamine" over its tail.
        alternatives.sort(key=lambda item: -item[0])
        body = "|".join(f"(?P<{group}>{pattern})" for _, group, pattern in alternatives)
        # The look-ahead on the terms' first characters lets the engine skip almost every
        # position without trying the whole alternation there (about 2x faster overall).
        firsts = {c for term in self._all_terms() for c in (term[0].lower(), term[0].upper())}
        ahead = "[" + "".join(re.escape(c) for c in sorted(firsts)) + "]" if firsts else "(?!)"
        self.mention_pattern = re.compile(rf"(?<![A-Za-z0-9])(?={ahead})(?:{body})(?![A-Za-z0-9])")
        self._mention_keys = _first_words(terms)
        drugs = "|".join(_term_pattern(term, False) for term in self.active_placebos) or "(?!)"
        self._compile_mechanisms()
        self.active_placebo_pattern = re.compile(
            r"(?i:\b(?:versus|vs\.?|compared (?:with|to)|against|or|and|with|,)\s+"
            rf"(?:[\w-]+\s+){{0,2}}?)(?<![A-Za-z0-9])(?:{drugs})(?![A-Za-z0-9])"
        )

    def _compile_mechanisms(self) -> None:
        """Index every measure term and construct word by its first word.

        One alternation of some 250 terms would be tried at every position of every
        sentence (most of the classifier's time); the index tries, at each word, only the
        terms that begin with it: one alternation of those (a group each), longest first.
        """
        self.mechanism_groups = {}
        index: dict[str, list[tuple[int, str, str]]] = {}

        def add(kind: str, slug: str, name: str, text: str, sensitive: bool, ambiguous: bool):
            text = text.strip()
            if not text:
                return
            group = f"k{len(self.mechanism_groups)}"
            written_out = not (sensitive and _is_abbreviation(text))
            self.mechanism_groups[group] = (kind, slug, name, ambiguous, written_out)
            first = _WORD.match(text)
            word = (first.group(0) if first else text).lower()
            pattern = rf"{_term_pattern(text, sensitive)}(?![A-Za-z0-9])"
            keys = {word}
            if first and first.end() == len(text):  # one word: its plural starts a match too
                keys |= {word + "s", word[:-1] + "ies" if word.endswith("y") else word + "es"}
            for key in keys:
                index.setdefault(key, []).append((len(text), group, pattern))

        for mechanism in self.mechanisms:
            for measure in mechanism.measures:
                for term in measure.terms:
                    add("I", mechanism.slug, measure.name, term, _is_abbreviation(term), False)
                for abbreviation in measure.abbreviations:
                    add("I", mechanism.slug, measure.name, abbreviation, True, False)
                for abbreviation in measure.ambiguous_abbreviations:
                    add("I", mechanism.slug, measure.name, abbreviation, True, True)
            for construct in mechanism.constructs:
                add("K", mechanism.slug, construct, construct, False, False)
        # longest first, so "Posttraumatic Cognitions Inventory" wins over a shorter term:
        # the first alternative that matches is the match, as with the terms tried in turn
        self._mechanism_index = {
            key: re.compile(
                "|".join(
                    f"(?P<{group}>{pattern})"
                    for _, group, pattern in sorted(entries, key=lambda e: -e[0])
                )
            )
            for key, entries in index.items()
        }
        self._mechanism_keys = frozenset(self._mechanism_index)

    def find_mentions(self, text: str) -> list[re.Match[str]]:
        """``list(self.mention_pattern.finditer(text))``, found faster.

        The pattern, one alternation of every term, is tried at every position that starts a
        word with one of the terms' first letters: most of the classifier's reading time. A
        match can only start at a word (a run of ASCII letters and digits after none) that is
        a term's first word, or its plural; so the pattern is tried only at such words, with
        ``match`` (whose look-behind sees the text before the position, as ``finditer``'s
        does). Text with a letter that case-insensitive matching or ``lower()`` would read as
        an ASCII letter (dotless i, long s, Kelvin sign) goes the plain way.
        """
        keys = self._mention_keys
        if keys is None or (not text.isascii() and _UNFOLDED.search(text)):
            return list(self.mention_pattern.finditer(text))
        # the same length: only U+0130 lower-cases to two characters
        lower, words = lower_words(text)
        hits = keys.intersection(words)
        if not hits:
            return []
        found: list[re.Match[str]] = []
        end = 0
        pattern = self.mention_pattern
        # the words of the text that start a term, left to right (each found with str.find,
        # not by walking every word of the text)
        for start in _word_starts(lower, hits):
            if start >= end:
                if match := pattern.match(text, start):
                    found.append(match)
                    end = match.end()
        return found

    def mechanism_matches(self, text: str) -> list[tuple[tuple[str, str, str, bool, bool], str]]:
        """The measure terms and construct words in ``text``, left to right and not
        overlapping: (their facts in ``mechanism_groups``, the phrase as written). A match
        starts at a word that follows no letter, digit or hyphen ("self-compassion" is not
        "compassion")."""
        found: list[tuple[tuple[str, str, str, bool, bool], str]] = []
        lower, words = lower_words(text)
        if self._mechanism_keys.isdisjoint(words):
            return found  # no word of the text starts a measure or a construct
        # the text's words (runs of ASCII letters and digits) that start a measure or a
        # construct: every other character read as "?" so that positions are kept and only
        # ASCII letters are lower-cased, as each word of the text is
        if not text.isascii():
            lower = text.encode("ascii", "replace").decode("ascii").lower()
            words = _WORD_LOWER.findall(lower)
        end = 0
        index = self._mechanism_index
        for start, key in _word_starts_keyed(lower, self._mechanism_keys.intersection(words)):
            if start < end or (start and (text[start - 1].isalnum() or text[start - 1] == "-")):
                continue
            if match := index[key].match(text, start):
                found.append((self.mechanism_groups[match.lastgroup], match.group(0)))
                end = match.end()
        return found


_WORD = re.compile(r"[A-Za-z0-9]+")
_WORD_LOWER = re.compile(r"[a-z0-9]+")
_ALNUM_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


@functools.lru_cache(maxsize=1024)
def lower_words(text: str) -> tuple[str, list[str]]:
    """``text`` lower-cased and its words (runs of a-z and 0-9 of that): each sentence is
    read by both :meth:`Vocabulary.find_mentions` and :meth:`Vocabulary.mechanism_matches`,
    so it is split once. Callers do not change the list."""
    lower = text.lower()
    return lower, _WORD_LOWER.findall(lower)


def _word_starts_keyed(lower: str, words) -> list[tuple[int, str]]:
    """(start, word) of every whole word of ``lower`` (a run of a-z and 0-9 with none of
    them on either side) that is one of ``words``, in text order."""
    found = []
    alnum = _ALNUM_LOWER
    size = len(lower)
    for word in words:
        length = len(word)
        at = lower.find(word)
        while at >= 0:
            after = at + length
            if (at == 0 or lower[at - 1] not in alnum) and (
                after == size or lower[after] not in alnum
            ):
                found.append((at, word))
            at = lower.find(word, after)
    found.sort()
    return found


def _word_starts(lower: str, words) -> list[int]:
    """The starts of :func:`_word_starts_keyed`."""
    return [at for at, _ in _word_starts_keyed(lower, words)]


# Letters other than A-Z that IGNORECASE matches with, or lower() turns into, an ASCII letter
# (found by trying every code point; tests/test_classify_speedup.py checks the list).
UNFOLDED = "\u0130\u0131\u017f\u212a"
_UNFOLDED = re.compile(f"[{UNFOLDED}]")


def _first_words(terms: list[str]) -> frozenset[str] | None:
    """The lower-cased words a match of :func:`_term_pattern` of any term can start with:
    its first run of letters and digits, and for a one-word term its plurals. None when a
    term starts with neither a letter nor a digit (no word to look for)."""
    keys: set[str] = set()
    for term in terms:
        words = re.split(r"[\s-]+", term.strip())
        first = re.match(r"[A-Za-z0-9]+", words[0])
        if first is None:
            return None
        key = first.group(0).lower()
        keys.add(key)
        if len(words) == 1 and first.end() == len(words[0]):  # the plural ends the word
            keys |= {key + "s", key[:-1] + "ies"}
    return frozenset(keys)


def load_vocabulary(config: Mapping[str, Any] | None = None) -> Vocabulary:
    """The vocabulary from ``config["vocabulary"]``; absent parts take the shipped ones."""
    vocabulary = (config or {}).get("vocabulary") or {}
    given = {key: value for key, value in vocabulary.items() if value is not None}
    _check(given, "config")
    parts = {key: copy.deepcopy(given[key]) if key in given else _shipped(key) for key in PARTS}
    # The mdma part merges key by key: a config giving only `mesh` keeps the shipped terms.
    mdma = parts["mdma"]
    if not {"terms", "mesh"} <= set(mdma):
        mdma = {**_shipped("mdma"), **mdma}
    treatments = tuple(
        Treatment(
            name=entry["name"],
            kind=entry.get("kind", "psychotherapy"),
            terms=tuple(entry.get("terms", ())),
            abbreviations=tuple(entry.get("abbreviations", ())),
            ambiguous_abbreviations=tuple(entry.get("ambiguous_abbreviations", ())),
            mesh=tuple(entry.get("mesh", ())),
        )
        for entry in parts["established_treatments"]
    )
    names = [t.name for t in treatments]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ConfigError(
            "vocabulary.established_treatments: treatment name(s) used more than once: "
            + ", ".join(repeated)
        )
    return Vocabulary(
        mdma_terms=tuple(mdma.get("terms", ())),
        mdma_mesh=tuple(mdma.get("mesh", ())),
        treatments=treatments,
        active_placebos=tuple(parts["active_placebos"]),
        mechanisms=load_mechanisms(config),
    )


def load_mechanisms(config: Mapping[str, Any] | None = None) -> tuple[Mechanism, ...]:
    """The mechanisms of ``config["mechanism_instruments"]``, else of the shipped config.

    A slug that is not one of the config's keyword slugs (when it names any) is a
    ConfigError naming the key, so that a renamed keyword cannot leave its measures behind.
    """
    config = config or {}
    block = config.get("mechanism_instruments")
    if block is None:
        try:
            block = _shipped_config().get("mechanism_instruments") or {}
        except OSError as exc:
            raise ConfigError(
                f"mechanism_instruments: not given, and the shipped {SHIPPED_CONFIG} to take "
                f"it from cannot be read ({exc.strerror}); write it in the config (it may be {{}})"
            ) from None
        source = str(SHIPPED_CONFIG)
    else:
        source = "config"
    problems = sorted(
        _mechanism_validator().iter_errors(block), key=lambda e: list(e.absolute_path)
    )
    if problems:
        lines = [
            f"- mechanism_instruments{_key_path(e.absolute_path)}: {_describe(e)}" for e in problems
        ]
        raise ConfigError(f"{source} is invalid:\n" + "\n".join(lines))
    slugs = [k.get("slug") for k in config.get("keywords") or [] if isinstance(k, Mapping)]
    unknown = [slug for slug in block if slugs and slug not in slugs]
    if unknown:
        raise ConfigError(
            f"mechanism_instruments.{unknown[0]}: not a keyword slug (keywords: "
            f"{', '.join(str(s) for s in slugs)})"
        )
    return tuple(
        Mechanism(
            slug=slug,
            measures=tuple(
                Measure(
                    name=m["name"],
                    terms=tuple(m.get("terms", ())),
                    abbreviations=tuple(m.get("abbreviations", ())),
                    ambiguous_abbreviations=tuple(m.get("ambiguous_abbreviations", ())),
                )
                for m in entry.get("measures") or ()
            ),
            constructs=tuple(entry.get("constructs") or ()),
        )
        for slug, entry in block.items()
    )


def __getattr__(name: str) -> Any:
    # DEFAULT_VOCABULARY is read from config.yaml when first asked for, not on import, so
    # that a caller who gives every part never needs the shipped file.
    if name == "DEFAULT_VOCABULARY":
        return {key: _shipped(key) for key in PARTS}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _shipped(key: str) -> Any:
    """The shipped config.yaml's part ``key`` (a copy), for a config that leaves it out."""
    try:
        block = _shipped_block()
    except OSError as exc:
        raise ConfigError(
            f"vocabulary.{key}: not given, and the shipped {SHIPPED_CONFIG} to take it from "
            f"cannot be read ({exc.strerror})"
        ) from None
    if key not in block:
        raise ConfigError(
            f"vocabulary.{key}: not given, and the shipped {SHIPPED_CONFIG} has none to take; "
            f"write it in the config (active_placebos may be an empty list)"
        )
    return copy.deepcopy(block[key])


# libyaml's parser where PyYAML has it (as livescreen.config reads the schema): the same
# safe types, ~10x faster; every classifying process reads the shipped config
_FAST_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.cache
def _shipped_config() -> dict[str, Any]:
    """The shipped config.yaml, parsed (read once)."""
    text = SHIPPED_CONFIG.read_text(encoding="utf-8")
    try:
        config = yaml.load(text, Loader=_FAST_SAFE_LOADER) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{SHIPPED_CONFIG} is not valid YAML: {exc}") from None
    return config if isinstance(config, dict) else {}


@functools.cache
def _shipped_block() -> dict[str, Any]:
    """The shipped config.yaml's ``vocabulary:`` block, checked as a config's would be."""
    config = _shipped_config()
    vocabulary = config.get("vocabulary") or {}
    block = {key: value for key, value in vocabulary.items() if value is not None}
    _check(block, str(SHIPPED_CONFIG))
    return block


@functools.cache
def _validator() -> Any:
    """The schema's vocabulary part (livescreen/data/config.schema.yaml), the one statement of its
    shape; imported when first needed (jsonschema is most of this package's import time)."""
    from jsonschema import Draft202012Validator

    from ..config import load_schema

    return Draft202012Validator(load_schema()["properties"]["vocabulary"])


@functools.cache
def _mechanism_validator() -> Any:
    """The schema's mechanism_instruments part."""
    from jsonschema import Draft202012Validator

    from ..config import load_schema

    return Draft202012Validator(load_schema()["properties"]["mechanism_instruments"])


def _check(block: Mapping[str, Any], source: str) -> None:
    """ConfigError naming each key of ``block`` that the schema's vocabulary part refuses."""
    problems = sorted(_validator().iter_errors(dict(block)), key=lambda e: list(e.absolute_path))
    if problems:
        lines = [f"- vocabulary{_key_path(e.absolute_path)}: {_describe(e)}" for e in problems]
        raise ConfigError(f"{source} is invalid:\n" + "\n".join(lines))


def _key_path(path: Any) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)


def _describe(error: Any) -> str:
    if error.validator == "additionalProperties":
        return f"unknown key(s) ({error.message.split('(')[-1].rstrip(')')})"
    return error.message


def _is_abbreviation(term: str) -> bool:
    letters = [c for c in term if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters) and len(term) <= 8


def _term_pattern(term: str, case_sensitive: bool) -> str:
    """A vocabulary term as a regex: hyphen and space interchangeable, plural allowed."""
    words = re.split(r"[\s-]+", term.strip())
    body = r"[\s-]+".join(re.escape(word) for word in words)
    if re.search(r"[^aeiou]y$", term, re.IGNORECASE):
        body = body[:-1] + "(?:y|ies)"
    else:
        body += "s?"
    return body if case_sensitive else f"(?i:{body})"
