"""Reading a record's text: dashes normalised, section labels set aside, sentences split,
and every MDMA and established-treatment mention replaced by a token.

Mentions are found by the vocabulary's one pattern and replaced by tokens (``⟨M0⟩``,
``⟨E3⟩``), so the cues (:mod:`livescreen.classify.cues`) are written over "MDMA" and "an
established treatment" instead of over every synonym. Terms match case-insensitively on
word boundaries, with hyphen and space interchangeable and a plural allowed; abbreviations
match case-sensitively as whole words. *Ambiguous abbreviations* (PE = pulmonary embolism
or physical exercise, CPT = continuous performance test, NET = norepinephrine transporter,
CBCT = cone-beam CT, WET, PCT) count only when the same record also writes the treatment out
in full (as an abstract does when it defines the abbreviation), or where only the therapy
fits ("MDMA-assisted CPT", "MDMA PE", "PE + MDMA", "CPT alone", "PE sessions"). Trade-off: a
bare abbreviation elsewhere in an undefined record ("compared with PE" in a title with no
abstract) is missed; counting every "PE" and "NET" would make MDMA pharmacology papers
(norepinephrine transporter) and safety reports (pulmonary embolism) look comparative.

The title is one sentence. A sentence is *lead* (self-describing) when it is the title, the
abstract's first sentence (unless under a BACKGROUND-type label), the first sentence of a
DESIGN/METHODS-type section, or reads "We conducted ...", "This study ...".

Public API (within the package)
-------------------------------
``read_record(record, vocabulary) -> Reading``
    The record's title and abstract as tokenised sentences and the mentions found.
``cue_phrases(reading, cue_name, where="any") -> list[str]``
    The phrases a cue matches, as written; ``where`` is any, lead or title.
``normalise(text)``, ``untokenise(text, mentions)``
    Dash-normalised text; tokens put back as the words they replaced.
``cue_matches(cue_name, text, vocabulary) -> list[str]`` (public)
    The phrases of one text that a cue matches, for a reviewer asking why it fired.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .cues import CUE, Cue, cues_that_may_fire, fold, trigger_lines
from .vocabulary import Vocabulary

__all__ = [
    "Mention",
    "Reading",
    "Sentence",
    "cue_matches",
    "cue_phrases",
    "first_phrase",
    "normalise",
    "read_record",
    "untokenise",
]

# A section label: PubMed's (upper case) or a usual label written in any case ("Methods:").
_LABEL = re.compile(
    r"^([A-Z][A-Z0-9 ,/&-]*[A-Z](?: \([^)]*\))?"
    r"|(?i:background|introduction|context|objectives?|aims?|purpose|methods?(?: and \w+)?"
    r"|materials and methods|design|study design|setting|participants|interventions|results"
    r"|findings|conclusions?|discussion|limitations|trial registration|summary)):\s+"
)
_LEAD_LABELS = re.compile(
    r"^(?:DESIGN|STUDY DESIGN|METHODS?|MATERIALS AND METHODS|PARTICIPANTS|SETTING|OBJECTIVES?"
    r"|AIMS?|PURPOSE|SUMMARY)\b",
    re.IGNORECASE,
)
_SELF_DESCRIPTION = re.compile(
    r"^\W*(?:in\s+)?(?:this|the present|the current|here,?\s+we|we)\s+(?:\w+\s+){0,2}?"
    r"(?:study|trial|analysis|paper|article|review|report|conducted|performed|present|report"
    r"|describe|carried out|undertook|analy[sz]ed)\b",
    re.IGNORECASE,
)
_NO_SPLIT_BEFORE = re.compile(r"(?:\bvs|\be\.g|\bi\.e|\bet al|\bapprox|\bcf|\bno|\bfig)\.$", re.I)
_NO_SPLIT_LONGEST = len("approx.")  # the longest text _NO_SPLIT_BEFORE matches


_SENTENCE_END = re.compile(r"[.!?](?=\s+[A-Z(\[\"'])")
_TOKEN = re.compile(r"⟨[MECBXU](\d+)⟩")
_PARENTHESISED_MENTION = re.compile(r"⟨([ME])(\d+)⟩\s*\(⟨([ME])(\d+)⟩\)")
_ECSTASY_USE = re.compile(r"\)?\s*(?:use|using)\b", re.IGNORECASE)


def _sentences(text: str) -> list[str]:
    """Split abstract text into sentences (not after 'vs.', 'e.g.', 'et al.')."""
    out: list[str] = []
    for paragraph in text.split("\n"):
        start = 0
        for match in _SENTENCE_END.finditer(paragraph):
            piece = paragraph[start : match.end()]
            # the abbreviation must end the piece: looked for in its last characters only
            # (the search sees the characters before them, so a word boundary reads the same)
            if _NO_SPLIT_BEFORE.search(piece, max(0, len(piece) - _NO_SPLIT_LONGEST)):
                continue
            out.append(piece.strip())
            start = match.end()
        tail = paragraph[start:].strip()
        if tail:
            out.append(tail)
    return [s for s in out if s]


@dataclass
class Mention:
    kind: str  # "M" or "E"
    name: str  # canonical name
    text: str  # as written


@dataclass
class Sentence:
    raw: str  # label-free, dash-normalised text
    tokens: str  # the same with mentions replaced by tokens
    lead: bool  # a self-describing sentence (title, first sentence, ...)
    is_title: bool = False

    @functools.cached_property  # read many times per sentence; computed once
    def speculative(self) -> bool:
        return bool(CUE["future-work"].regex.search(self.tokens))


@dataclass
class Reading:
    """Everything the rules found in one record, for the columns and the reason."""

    sentences: list[Sentence]
    mentions: list[Mention]
    evidence: list[tuple[str, str]] = field(default_factory=list)  # (cue name, phrase)
    roles: dict[int, str] = field(default_factory=dict)  # E mention index -> role
    cue_roles: dict[str, str] = field(default_factory=dict)  # cue name -> role it gave
    # the pre-filter: the sentences each trigger is in (found once, for every cue), and each
    # cue's candidate sentences by scope
    _trigger_lines: dict[str, set[int]] | None = field(default=None, repr=False)
    _may_fire: frozenset[str] = field(default=frozenset(), repr=False)  # cue names
    _candidates: dict[tuple[str, str], tuple[int, ...]] = field(default_factory=dict, repr=False)
    _have: frozenset[str] | None = field(default=None, repr=False)

    def may_fire(self, cue: Cue, where: str = "any") -> bool:
        """False when none of the cue's triggers is in the sentences it reads (``where``: any,
        lead or title), so that it cannot match one of them (running it would find nothing).
        Asked after the record is read: token letters change later (E -> B, C, X), the words
        around them do not."""
        return bool(self.candidates(cue, where))

    def may_hold(self, cue: Cue) -> bool:
        """False when no sentence holds one of the cue's triggers (one set look-up: most
        cues asked of a record are such; :meth:`candidates` gives the sentences)."""
        if self._trigger_lines is None:
            self._scan()
        return cue.name in self._may_fire or not cue.indexed

    def may_hold_any(self, names: frozenset[str]) -> bool:
        """False when no cue of ``names`` (cues of the table, :data:`CUE`) has a trigger in
        any sentence: none of them can fire."""
        if self._trigger_lines is None:
            self._scan()
        return not names.isdisjoint(self._may_fire)

    def trigger_lines(self) -> dict[str, set[int]]:
        """The sentences (by index) that hold each trigger, in their text as written
        (``raw``): one scan serves every cue, every scope and the mechanism cues, which
        read that text. A trigger in a sentence's tokens is in its raw text too (a token
        replaces a mention, and no trigger holds a token's characters), so the token cues
        are searched in every sentence where they can match."""
        if self._trigger_lines is None:
            self._scan()
        return self._trigger_lines

    def _scan(self) -> None:
        self._trigger_lines = trigger_lines([fold(s.raw) for s in self.sentences])
        self._may_fire = cues_that_may_fire(self._trigger_lines)

    def candidates(self, cue: Cue, where: str = "any") -> tuple[int, ...]:
        """The indices (in ``sentences``, ascending) of the sentences of ``where`` (any, lead
        or title) that hold one of the cue's triggers: it cannot match any other sentence
        there, so only these are searched."""
        scope = where if where in ("lead", "title") else "any"
        key = (cue.name, scope)
        known = self._candidates.get(key)
        if known is not None:
            return known
        if cue.tokens_needed is not None:
            have = self._tokens_possible()
            if not any(have.issuperset(needed) for needed in cue.tokens_needed):
                known = self._candidates[key] = ()
                return known
        if self._trigger_lines is None:
            self._scan()
        lines = cue.lines(self._trigger_lines)
        indices = range(len(self.sentences)) if lines is None else sorted(lines)
        sentences = self.sentences
        if scope == "lead":
            known = tuple(i for i in indices if sentences[i].lead)
        elif scope == "title":
            known = tuple(i for i in indices if sentences[i].is_title)
        else:
            known = tuple(indices)
        self._candidates[key] = known
        return known

    def _tokens_possible(self) -> frozenset[str]:
        """The tokens the record's sentences can hold: ⟨M from MDMA's mentions, ⟨E (later
        ⟨B, ⟨C, ⟨X) from a treatment's; a cue needing another token cannot match. Found once
        (the mentions are all known when the record has been read)."""
        if self._have is None:
            kinds = {m.kind for m in self.mentions}
            have = {"⟨M"} if "M" in kinds else set()
            have |= {"⟨E", "⟨C"} if "E" in kinds else set()
            self._have = frozenset(have)
        return self._have

    def evidence_for(self, role: str) -> list[tuple[str, str]]:
        return [(n, p) for n, p in self.evidence if self.cue_roles.get(n) == role]

    def phrase(self, match: re.Match[str]) -> str:
        return untokenise(match.group(0), self.mentions).strip(" ,;")


def untokenise(text: str, mentions: list[Mention]) -> str:
    if "⟨" not in text:
        return text
    return _TOKEN.sub(lambda m: mentions[int(m.group(1))].text, text)


_DASH_CHARACTERS = "\u2010\u2011\u2012\u2013\u2212\ufe63\uff0d"


def normalise(text: str | None) -> str:
    if not text or text.isascii():  # nothing to replace (most text): no pass over it
        return text or ""
    # str.replace per character present, not str.translate: translate with a table walks
    # the text in Python-object steps (~100 ns a character), a search for each dash is C
    for dash in _DASH_CHARACTERS:
        if dash in text:
            text = text.replace(dash, "-")
    return text.replace("⟨", "(").replace("⟩", ")")


def _tokenise(
    text: str,
    vocabulary: Vocabulary,
    defined: set[str] | _Defined,
    mentions: list[Mention],
    ecstasy_is_drug: bool = True,
) -> str:
    """Replace every MDMA and treatment mention in ``text`` by a token."""
    pieces: list[str] = []
    last = 0
    for match in vocabulary.find_mentions(text):
        group = match.lastgroup
        assert group is not None
        kind, name, ambiguous, _ = vocabulary.groups[group]
        if ambiguous and name not in defined and not _therapy_context(text, match):
            continue
        if kind == "M" and _mdma_not_drug(text, match, ecstasy_is_drug):
            continue
        if kind == "M" and _recreational_use(text, match):
            kind = "U"  # the drug as people use it, an exposure: never a trial's arm
        pieces.append(text[last : match.start()])
        pieces.append(f"⟨{kind}{len(mentions)}⟩")
        mentions.append(Mention(kind, name, match.group(0)))
        last = match.end()
    pieces.append(text[last:])
    tokens = "".join(pieces)

    # "cognitive processing therapy (CPT)" and "3,4-methylenedioxymethamphetamine (MDMA)"
    # are one mention each.
    def collapse(match: re.Match[str]) -> str:
        first, second = mentions[int(match.group(2))], mentions[int(match.group(4))]
        if (match.group(1), first.name) == (match.group(3), second.name):
            first.text = f"{first.text} ({second.text})"
            return f"⟨{match.group(1)}{match.group(2)}⟩"
        return match.group(0)

    if "(⟨" not in tokens:
        return tokens
    return _PARENTHESISED_MENTION.sub(collapse, tokens)


_THERAPY_BEFORE = re.compile(
    r"\bMDMA(?:[\s-]+(?:assisted|facilitated|enhanced|augmented))?[\s-]*(?:\+|plus)?\s*"
    r"(?:massed\s+|group\s+|conjoint\s+)?$",
    re.IGNORECASE,
)
_THERAPY_AFTER = re.compile(
    r"^(?:\s*(?:\+|plus)\s*MDMA\b|\s+(?:alone|therapy|sessions?|therapists?|arms?|protocol"
    r"|programs?|programmes?)\b)",
    re.IGNORECASE,
)


# MDMA as a recreational exposure, not a treatment: "lifetime ecstasy use", "ecstasy users",
# "illicit MDMA". Such a mention (token ⟨U⟩) makes a record involve MDMA but is never the MDMA
# side of a comparison or combination ("veterans with lifetime ecstasy use ... CPT versus
# present-centred therapy" is not MDMA versus a treatment).
_USE_BEFORE = re.compile(
    r"\b(?:recreational|illicit|lifetime|past-year|past-month|past year|street|regular|heavy"
    r"|chronic|naturalistic|polydrug|non-medical|nonmedical)\s+(?:[\w-]+\s+)?$",
    re.IGNORECASE,
)
_USE_AFTER = re.compile(
    r"^\)?\s*(?:users?|use disorders?|consumption|tablets?|pills?|polydrug)\b|^-using\b",
    re.IGNORECASE,
)


def _recreational_use(text: str, match: re.Match[str]) -> bool:
    after = text[match.end() : match.end() + 24]
    if _USE_AFTER.match(after):
        return True
    if match.group(0).lower().startswith("ecstas") and _ECSTASY_USE.match(after):
        return True
    return bool(_USE_BEFORE.search(text[max(0, match.start() - 40) : match.start()]))


def _therapy_context(text: str, match: re.Match[str]) -> bool:
    """An undefined ambiguous abbreviation still counts where only the therapy fits:
    "MDMA-assisted CPT", "MDMA PE", "PE + MDMA", "CPT alone", "PE sessions"."""
    before = text[max(0, match.start() - 40) : match.start()]
    return bool(_THERAPY_BEFORE.search(before) or _THERAPY_AFTER.match(text[match.end() :]))


def _mdma_not_drug(text: str, match: re.Match[str], ecstasy_is_drug: bool) -> bool:
    """'ecstasy' that is not the drug: in a non-drug phrase, or in a record that uses the
    word only that way (and names MDMA by no other term)."""
    if not match.group(0).lower().startswith("ecstas"):
        return False
    window = text[max(0, match.start() - 30) : match.end()]
    return not ecstasy_is_drug or bool(CUE["ecstasy-not-drug"].regex.search(window))


def _ecstasy_is_drug(text: str, vocabulary: Vocabulary) -> bool:
    cue = CUE["ecstasy-not-drug"]
    if not cue.triggered(fold(text)) or not cue.regex.search(text):
        return True
    return any(
        vocabulary.groups[m.lastgroup or ""][0] == "M"
        and not m.group(0).lower().startswith("ecstas")
        for m in vocabulary.find_mentions(text)
    )


def _defined_treatments(text: str, vocabulary: Vocabulary) -> set[str]:
    """Treatments the record names with a term (not an abbreviation)."""
    found: set[str] = set()
    for match in vocabulary.find_mentions(text):
        kind, name, _, written_out = vocabulary.groups[match.lastgroup or ""]
        if kind == "E" and written_out:
            found.add(name)
    return found


class _Defined:
    """The treatments a record writes out, found only when an ambiguous abbreviation asks
    (most records have none, and the scan reads the whole record)."""

    def __init__(self, text: str, vocabulary: Vocabulary) -> None:
        self._text, self._vocabulary = text, vocabulary
        self._names: set[str] | None = None

    def __contains__(self, name: object) -> bool:
        if self._names is None:
            self._names = _defined_treatments(self._text, self._vocabulary)
        return name in self._names


# An abbreviation the record defines for a mention: "trauma-focused psychotherapy (TFP)",
# "MDMA-assisted therapy (MAT)" (the mention, up to three words of its own phrase, then the
# abbreviation in parentheses).
_DEFINITION = re.compile(
    r"⟨([ME])(\d+)⟩(?:[\s-]+(?:assisted|facilitated|enhanced|augmented|supported|aided|therapy"
    r"|therapies|psychotherapy|psychotherapies|treatment|treatments|intervention)){0,3}"
    r"\s*\(([A-Z][A-Za-z0-9+-]{1,9})\)"
)
_ABBREVIATION = re.compile(r"(?<![\w⟨(-])([A-Z][A-Za-z0-9+-]{1,9})(?![\w⟩)])")
# Parenthesised abbreviations that name measures or designs, never an intervention.
_NOT_INTERVENTIONS = frozenset({"PTSD", "CAPS", "RCT", "RCTs", "ITT", "CI", "SD", "OR", "HR"})


def _record_abbreviations(sentences: list[Sentence], mentions: list[Mention]) -> None:
    """Abbreviations the record defines for MDMA or a treatment become mentions too, so
    "MAT versus TFP" reads as MDMA versus a treatment when the record wrote "MDMA-assisted
    therapy (MAT)" and "trauma-focused psychotherapy (TFP)". No pattern is compiled per
    record: the abbreviations are looked up in a dict."""
    aliases: dict[str, Mention] = {}
    for sentence in sentences:
        for match in _DEFINITION.finditer(sentence.tokens):
            abbreviation = match.group(3)
            capitals = sum(c.isupper() for c in abbreviation)
            if capitals >= 2 and abbreviation not in _NOT_INTERVENTIONS:
                aliases.setdefault(abbreviation, mentions[int(match.group(2))])
    if not aliases:
        return

    def replace(match: re.Match[str]) -> str:
        mention = aliases.get(match.group(1))
        if mention is None:
            return match.group(0)
        mentions.append(Mention(mention.kind, mention.name, match.group(1)))
        return f"⟨{mention.kind}{len(mentions) - 1}⟩"

    for sentence in sentences:
        sentence.tokens = _ABBREVIATION.sub(replace, sentence.tokens)


def read_record(record: Mapping[str, Any], vocabulary: Vocabulary) -> Reading:
    title = normalise(record.get("title"))
    abstract = normalise(record.get("abstract"))
    defined = _Defined(f"{title}\n{abstract}", vocabulary)
    drug = _ecstasy_is_drug(f"{title}\n{abstract}", vocabulary)
    mentions: list[Mention] = []
    sentences = [Sentence(title, _tokenise(title, vocabulary, defined, mentions, drug), True, True)]
    first = True
    for paragraph in abstract.split("\n"):
        label_match = _LABEL.match(paragraph)
        label = label_match.group(1) if label_match else ""
        body = paragraph[label_match.end() :] if label_match else paragraph
        for index, sentence in enumerate(_sentences(body)):
            # The abstract's first sentence describes the study unless it sits under a
            # BACKGROUND/INTRODUCTION-type label (context, "Meta-analyses have shown ...").
            lead = (
                (first and (not label or bool(_LEAD_LABELS.match(label))))
                or (index == 0 and bool(_LEAD_LABELS.match(label)))
                or bool(_SELF_DESCRIPTION.match(sentence))
            )
            tokens = _tokenise(sentence, vocabulary, defined, mentions, drug)
            sentences.append(Sentence(sentence, tokens, lead))
            first = False
    if "(" in abstract or "(" in title:
        _record_abbreviations(sentences, mentions)
    reading = Reading(sentences, mentions)
    may_speculate = set(reading.candidates(CUE["future-work"]))
    for index, sentence in enumerate(sentences):
        if index not in may_speculate:
            sentence.speculative = False  # what the cue would say of the sentence
    return reading


def sentences_read(reading: Reading, where: str = "any"):
    """The sentences a cue reads: ``where`` is any (not speculative ones, except the title:
    "a randomised trial is warranted" says nothing about this study), lead (self-describing
    sentences) or title."""
    for sentence in reading.sentences:
        if where == "lead" and not sentence.lead:
            continue
        if where == "title" and not sentence.is_title:
            continue
        if where == "any" and sentence.speculative and not sentence.is_title:
            continue
        yield sentence


def _candidates_read(reading: Reading, cue: Cue, where: str) -> list[Sentence]:
    """The sentences of :func:`sentences_read` that may hold a match of ``cue``."""
    indices = reading.candidates(cue, where)
    if not indices:
        return []
    sentences = reading.sentences
    chosen = [sentences[i] for i in indices]
    if where in ("lead", "title"):
        return chosen
    return [s for s in chosen if s.is_title or not s.speculative]


def cue_phrases(reading: Reading, cue_name: str, where: str = "any") -> list[str]:
    """Phrases matching a cue: ``where`` is any, lead (self-describing sentences) or title."""
    cue = CUE[cue_name]
    found: list[str] = []
    for sentence in _candidates_read(reading, cue, where):
        if cue.has_tokens(sentence.tokens):
            for match in cue.finditer(sentence.tokens):
                found.append(untokenise(match.group(0), reading.mentions).strip(" ,;"))
    return found


def first_phrase(reading: Reading, cue_name: str, where: str = "any") -> tuple[str, bool] | None:
    """The first phrase a cue matches (as :func:`cue_phrases` reads ``where``) and whether it
    is in the title; None when the cue does not fire. Stops at the first match."""
    cue = CUE[cue_name]
    if not reading.may_hold(cue):
        return None
    for sentence in _candidates_read(reading, cue, where):
        if cue.has_tokens(sentence.tokens) and (match := cue.search(sentence.tokens)):
            return untokenise(match.group(0), reading.mentions).strip(" ,;"), sentence.is_title
    return None


def cue_matches(cue_name: str, text: str, vocabulary: Vocabulary) -> list[str]:
    """The phrases of ``text`` (one abstract) that cue ``cue_name`` matches, as written.

    For a reviewer asking why a cue fired, and for tests. Mentions are found as in
    :func:`livescreen.classify.classify` (an ambiguous abbreviation counts when ``text``
    defines it), but no other cue runs first, so background mentions are not set aside.
    """
    cue = CUE[cue_name]
    title_only = cue.group in {"retraction", "design-title"}
    reading = read_record({"title": text if title_only else "", "abstract": text}, vocabulary)
    return [
        untokenise(match.group(0), reading.mentions).strip(" ,;")
        for sentence in reading.sentences
        for match in cue.finditer(sentence.tokens)
    ]
