"""Mechanism evidence: which mechanism of change a record *measures* or *analyses*, and
whether it reports a mediation, moderation or mechanism-of-change analysis.

The essay ends by asking that "future trials would do well to include explicit analyses of
psychological mechanisms of change ..., using existing, validated measures". This module
reads, in the title, the abstract and the keywords:

* **measures** — the validated instruments and measurement paradigms of each mechanism, from
  ``mechanism_instruments:`` in config.yaml (by keyword slug: PTCI -> trauma_beliefs, WAI ->
  alliance_empathy, skin conductance -> fear_extinction, ...). An ambiguous abbreviation
  (PIQ = performance IQ, MEQ = Morningness-Eveningness Questionnaire, BFI = Brief Fatigue
  Inventory) counts only when the record writes one of the measure's terms out;
* **constructs** — the words that name a mechanism ("trauma-related guilt", "therapeutic
  alliance", "fear extinction"), counted only in a sentence that measures or analyses
  something (cue ``mechanism-measured``), or in the keywords;
* **analyses** — cues ``mediation-analysis``, ``moderation-analysis`` and
  ``mechanism-of-change-analysis`` (explicit wording: "mechanisms of change", "cross-lagged",
  "preceded symptom change"), and a measured mechanism that *predicts* outcome in the same
  sentence (a process-outcome analysis, also ``mechanism-of-change``).

Nothing counts in a sentence that calls for future work (``mechanism-future``: "future
trials should include the PTCI") or reports other studies (``mechanism-background``:
"earlier studies reported increased openness"), nor in a review, a systematic review or a
commentary: they discuss measures, they do not take them.

Public API
----------
``mechanism_evidence(record, reading, vocabulary, design) -> MechanismEvidence``
    The two columns and the phrases behind them (used by :func:`classify`).
``mechanism_slugs(value) -> list[str]``
    The slugs of a ``mechanism_measures`` cell.
``mechanism_evidence_rows(rows) -> list[dict]``
    One row per record and mechanism (``MECHANISM_EVIDENCE_COLUMNS``) for every classified
    row with mechanism evidence: the table ``results/screening/mechanism_evidence.csv``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .cues import CUE, fold, trigger_lines
from .text import Reading, normalise
from .vocabulary import Vocabulary, lower_words

__all__ = [
    "ANALYSES",
    "MECHANISM_EVIDENCE_COLUMNS",
    "MechanismEvidence",
    "mechanism_evidence",
    "mechanism_evidence_rows",
    "mechanism_slugs",
]

# The values of mechanism_analysis, in the order they are joined ("mediation; moderation").
# mechanism-of-change is given only when neither of the others is.
ANALYSES = ("mediation", "moderation", "mechanism-of-change")
_ANALYSIS_CUES = (
    ("mediation", "mediation-analysis"),
    ("moderation", "moderation-analysis"),
    ("mechanism-of-change", "mechanism-of-change-analysis"),
)
# Designs that discuss measures without taking them.
NO_MEASUREMENT_DESIGNS = frozenset({"review", "systematic-review"})
COMMENTARY = frozenset({"Comment", "Editorial", "News", "Newspaper Article", "Interview", "Letter"})

MECHANISM_EVIDENCE_COLUMNS = [
    "record_id",
    "title",
    "year",
    "design",
    "relation_to_established",
    "highlight",
    "new_since_essay",
    "mechanism",
    "measures",
    "mechanism_analysis",
]

_PREDICTS_OUTCOME = re.compile(
    r"\bpredict(?:s|ed|ing|ors?)?\b[^.;]{0,80}?\b(?:outcomes?|severity|symptoms?|CAPS|PCL"
    r"|response|improvement|remission|reduction|recovery)",
    re.IGNORECASE,
)


@dataclass
class MechanismEvidence:
    """What a record measures and analyses, with the phrases that showed it."""

    measures: dict[str, list[str]] = field(default_factory=dict)  # slug -> shown names
    analyses: dict[str, str] = field(default_factory=dict)  # analysis -> phrase

    @property
    def measures_column(self) -> str:
        return "; ".join(f"{slug}: {', '.join(names)}" for slug, names in self.measures.items())

    @property
    def analysis_column(self) -> str:
        return "; ".join(a for a in ANALYSES if a in self.analyses)

    def reason(self) -> str:
        """The part of highlight_reason that reports mechanism evidence ('' when none)."""
        parts = []
        if self.measures:
            parts.append(f"mechanism measures: {self.measures_column}")
        for analysis in ANALYSES:
            if analysis in self.analyses:
                parts.append(f"{analysis} analysis ('{self.analyses[analysis]}')")
        return "; ".join(parts)


def mechanism_evidence(
    record: Mapping[str, Any], reading: Reading, vocabulary: Vocabulary, design: str
) -> MechanismEvidence:
    """The mechanisms ``record`` measures (by slug, in config order) and its analyses."""
    evidence = MechanismEvidence()
    types = set(record.get("publication_types") or [])
    if design in NO_MEASUREMENT_DESIGNS or types & COMMENTARY:
        return evidence
    keywords = [normalise(k) for k in record.get("keywords") or [] if k]
    texts = [(s.raw, s.is_title) for s in reading.sentences] + [(k, None) for k in keywords]
    # The pre-filter: the cues below are searched only in the texts that hold one of their
    # triggers (searching others would find nothing), found by the record's one trigger
    # scan; and a text is scanned for measures only where it holds a word that starts one
    # (mechanism_matches looks at the text's words first).
    search = _Searches(reading, keywords)
    # one pass of the index over each text: (text, is_title, [(group facts, phrase)])
    scanned = [(t, is_title, vocabulary.mechanism_matches(t)) for t, is_title in texts]
    if not any(hits for _, _, hits in scanned) and not any(
        search.anywhere(name) for _, name in _ANALYSIS_CUES
    ):
        return evidence
    # (slug, measure) pairs whose terms the record writes out: their ambiguous
    # abbreviations count.
    written = {
        (facts[1], facts[2])
        for _, _, hits in scanned
        for facts, _ in hits
        if facts[0] == "I" and facts[4]
    }
    found: dict[str, dict[str, bool]] = {}  # slug -> shown name -> is an instrument
    for index, (text, is_title, hits) in enumerate(scanned):
        keyword = is_title is None
        if not hits and not _may_analyse(text):
            continue
        if not keyword and (
            search("mechanism-future", index) or search("mechanism-background", index)
        ):
            continue
        measured = keyword or bool(search("mechanism-measured", index))
        in_sentence = False
        for (kind, slug, name, ambiguous, _), _phrase in hits:
            if kind == "I":
                if ambiguous and (slug, name) not in written:
                    continue
                found.setdefault(slug, {})[name] = True
                in_sentence = True
            elif measured:
                found.setdefault(slug, {}).setdefault(f"'{name}'", False)
                in_sentence = True
        if keyword:
            continue
        for analysis, cue_name in _ANALYSIS_CUES:
            if analysis not in evidence.analyses:
                if hit := search(cue_name, index):
                    evidence.analyses[analysis] = hit.group(0)
        if in_sentence and "mechanism-of-change" not in evidence.analyses:
            if hit := _PREDICTS_OUTCOME.search(text):
                evidence.analyses["mechanism-of-change"] = hit.group(0)
    for index in range(len(reading.sentences), len(texts)):  # the keywords
        for analysis, cue_name in _ANALYSIS_CUES[:2]:
            if analysis not in evidence.analyses:
                if hit := search(cue_name, index):
                    evidence.analyses[analysis] = hit.group(0)
    if {"mediation", "moderation"} & set(evidence.analyses):
        evidence.analyses.pop("mechanism-of-change", None)
    for mechanism in vocabulary.mechanisms:
        names = found.get(mechanism.slug)
        if names:
            instruments = [n for n, is_instrument in names.items() if is_instrument]
            # an instrument says it best; construct words are shown when none was named
            evidence.measures[mechanism.slug] = instruments or list(names)
    return evidence


class _Searches:
    """A cue's search over one text of the record (by its index in ``texts``: the
    sentences' raw text, then the keywords), run only where that text holds one of the
    cue's triggers: elsewhere it would find nothing. The sentences' triggers are the
    reading's (:meth:`Reading.trigger_lines`); the keywords are scanned when first asked."""

    def __init__(self, reading: Reading, keywords: list[str]) -> None:
        self._reading = reading
        self._texts = [s.raw for s in reading.sentences] + keywords
        self._keywords = keywords
        self._found: dict[str, set[int]] | None = None  # trigger -> the texts holding it
        self._where: dict[str, set[int] | None] = {}  # cue -> its texts (None: all)

    def __call__(self, name: str, index: int) -> re.Match[str] | None:
        where = self._lines(name)
        if where is not None and index not in where:
            return None
        return CUE[name].regex.search(self._texts[index])

    def anywhere(self, name: str) -> bool:
        """Whether the cue matches one of the texts: only those with its triggers are read."""
        where = self._lines(name)
        regex = CUE[name].regex
        indices = range(len(self._texts)) if where is None else where
        return any(regex.search(self._texts[index]) for index in indices)

    def _lines(self, name: str) -> set[int] | None:
        """The texts that hold one of the cue's triggers (None: every text may match)."""
        if name not in self._where:
            if self._found is None:
                self._found = self._triggers()
            self._where[name] = CUE[name].lines(self._found)
        return self._where[name]

    def _triggers(self) -> dict[str, set[int]]:
        found = {t: set(lines) for t, lines in self._reading.trigger_lines().items()}
        if self._keywords:
            offset = len(self._reading.sentences)
            for trigger, lines in trigger_lines([fold(k) for k in self._keywords]).items():
                found.setdefault(trigger, set()).update(i + offset for i in lines)
        return found


# Words without which no analysis cue can fire: a cheap test before the cues run.
_ANALYSIS_WORDS = (
    "mediat",
    "moderat",
    "mechanism",
    "process",
    "lagged",
    "preced",
    "session-by-session",
    "predict",
    "path ",
    "indirect",
)


def _may_analyse(text: str) -> bool:
    lower, _ = lower_words(text)  # lower-cased once for this and the measure index
    return any(word in lower for word in _ANALYSIS_WORDS)


def mechanism_slugs(value: str | None) -> list[str]:
    """The mechanism slugs of a ``mechanism_measures`` cell ("a: X, Y; b: 'z'" -> [a, b])."""
    return [part.split(":", 1)[0].strip() for part in (value or "").split(";") if part.strip()]


def _measures_by_slug(value: str | None) -> list[tuple[str, str]]:
    pairs = []
    for part in (value or "").split(";"):
        if part.strip():
            slug, _, names = part.partition(":")
            pairs.append((slug.strip(), names.strip()))
    return pairs


def _truthy(value: Any) -> bool:
    """A boolean column as classify() gives it, or as a CSV cell reads back ("True")."""
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes"}
    return bool(value)


def _record_id(row: Mapping[str, Any]) -> str:
    for key in ("trial_id", "pmid", "nct_id"):
        if row.get(key):
            return str(row[key])
    nct_ids = row.get("nct_ids") or []
    if isinstance(nct_ids, list) and nct_ids:
        return str(nct_ids[0])
    return str(row.get("doi") or "")


def mechanism_evidence_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The rows of ``mechanism_evidence.csv``: one per classified record and mechanism.

    ``rows`` are classified records (any mapping with the ``mechanism_measures`` and
    ``mechanism_analysis`` columns of :func:`classify`, and the record's ``pmid``/``nct_id``/
    ``trial_id``, ``title``, ``year``, ``design``, ...). Records with no mechanism evidence are
    left out; a record with an analysis but no recognised measure gets one row with an
    empty ``mechanism``. Each row has exactly ``MECHANISM_EVIDENCE_COLUMNS``, in input order
    (then config order of the mechanisms). Pure: nothing is read or written.
    """
    out = []
    for row in rows:
        pairs = _measures_by_slug(row.get("mechanism_measures"))
        analysis = row.get("mechanism_analysis") or ""
        if not pairs and not analysis:
            continue
        base = {
            "record_id": _record_id(row),
            "title": row.get("title") or "",
            "year": row.get("year") or str(row.get("pub_date") or "")[:4],
            "design": row.get("design") or "",
            "relation_to_established": row.get("relation_to_established") or "",
            "highlight": _truthy(row.get("highlight")),
            "new_since_essay": _truthy(row.get("new_since_essay")),
            "mechanism_analysis": analysis,
        }
        for slug, names in pairs or [("", "")]:
            out.append(
                {
                    column: {"mechanism": slug, "measures": names}.get(column, base.get(column))
                    for column in MECHANISM_EVIDENCE_COLUMNS
                }
            )
    return out
