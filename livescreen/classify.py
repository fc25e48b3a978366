"""Classify each record: what it is, how it relates to established PTSD treatments, and
whether it is highlighted (a newer trial or meta-analysis that compares or combines MDMA
therapy with an established treatment).

Public API
----------
``load_vocabulary(config) -> Vocabulary``
    The words the rules recognise, from ``config["vocabulary"]`` (config.yaml); every part
    that config leaves out takes the built-in :data:`DEFAULT_VOCABULARY`.
``classify(record, vocabulary, essay_date) -> dict``
    One record (the parser's record dict, keys in ``livescreen.pubmed_xml.RECORD_KEYS``;
    missing keys are read as empty) -> exactly the :data:`CLASSIFICATION_COLUMNS`.
``CLASSIFICATION_COLUMNS``
    ``design, involves_mdma, comparator, established_treatments, relation_to_established,
    new_since_essay, retracted, highlight, highlight_reason``.
``CUES``
    The table of named regular-expression cues every rule uses (below, one place).

How a record is read
--------------------
1. *Mentions.* MDMA and every established treatment of the vocabulary are found in the
   title and abstract and replaced by tokens (``⟨M0⟩``, ``⟨E3⟩``), so the cues are written
   over "MDMA" and "an established treatment" instead of over every synonym. Terms match
   case-insensitively on word boundaries, with hyphen and space interchangeable and a
   plural allowed; abbreviations match case-sensitively as whole words.
   *Ambiguous abbreviations* (PE = pulmonary embolism or physical exercise, CPT =
   continuous performance test, NET = norepinephrine transporter, CBCT = cone-beam CT,
   WET, PCT) count only when the same record also writes the treatment out in full (as an
   abstract does when it defines the abbreviation), or where only the therapy fits
   ("MDMA-assisted CPT", "MDMA PE", "PE + MDMA", "CPT alone", "PE sessions"). Trade-off: a
   bare abbreviation elsewhere in an undefined record ("compared with PE" in a title with
   no abstract) is missed; counting every "PE" and "NET" would make MDMA pharmacology
   papers (norepinephrine transporter) and safety reports (pulmonary embolism) look
   comparative.
2. *Sentences.* Cues are applied per sentence (the title is one sentence). Per sentence,
   in this order: **background** cues turn a treatment mention that is only prior,
   existing, excluded or modelled treatment ("had not responded to prolonged exposure",
   "tapered off SSRIs", "the approved SSRIs", "a laboratory analogue of exposure therapy")
   into a background mention; **combination** cues mark a treatment combined with MDMA
   ("MDMA-assisted cognitive processing therapy", "combines MDMA with prolonged exposure");
   **comparison** cues mark a treatment set against MDMA ("versus CBCT", "compared with
   prolonged exposure", "CPT alone"), in a sentence that also names MDMA (a registry arm
   "Active comparator arm: CPT" needs MDMA only somewhere in the record). A *benchmark*
   ("effects larger than those of PE") is background in a primary study and an indirect
   comparison in a meta-analysis or review. Sentences that speculate or call for future
   work ("future trials should compare MDMA with PE", "MDMA could augment CPT") add no
   evidence, and an MDMA mention only there does not make the record involve MDMA.
3. *Design* is the first rule of :data:`DESIGN_RULES` that fires, from publication types,
   MeSH and self-describing text (the title, the abstract's first sentence, the first
   sentence of a DESIGN/METHODS section, and sentences such as "We conducted ..."), so
   records PubMed has not indexed yet (no publication types, no MeSH) are still typed.
4. *Relation*: no MDMA -> none; MDMA compared with a treatment -> head-to-head (also when
   it is combined with it in one arm and compared with the treatment alone); combined only
   -> add-on-or-combined; placebo or active placebo -> placebo-only; a randomised study
   whose subject is MDMA (MDMA in the title or a self-describing sentence) and that names
   no comparator -> placebo-only, presumed (every randomised MDMA trial that does not name
   its control has so far been placebo- or low-dose-controlled; the reason says
   "presumed"); otherwise none. *Comparator* follows the same evidence; when MDMA is not
   the record's subject, a comparison of two established treatments (PE versus CPT) makes
   it established-treatment.
5. *new_since_essay* (strictly after ``essay_date``). The date is the record's first
   public appearance: the earlier of the electronic (``epub_date``) and issue
   (``pub_date``) dates. A paper published online before the essay and in print after it
   was available when the essay was written, so it is not new. Partial dates (``2021``,
   ``2021-09``) are periods: wholly after the essay -> new, wholly before -> not; a period
   that contains the essay date is settled by the PubMed entry date (``entrez_date``).
   With no publication date (in-process and publisher records) the entry date is used;
   records from a trial registry may carry ``registration_date`` (or ``first_posted``) and
   ``start_date``, used in that order when nothing else is known. With no date at all the
   record counts as new, so that it is screened rather than silently dropped.
6. *retracted*: publication type "Retracted Publication", a retraction notice, the
   parser's ``retracted`` flag, or a title beginning "RETRACTED". Never highlighted.
7. *highlight*: design is a trial (rct, controlled-nonrandomised, single-arm, its
   protocol — not a review protocol — its registration, or a secondary analysis of it) or
   a meta-analysis; involves MDMA; relation head-to-head or add-on-or-combined; new since
   the essay; not retracted. A record of design ``other`` counts as a trial when it has a
   trial publication type, calls itself a trial or pilot, or carries no design cue at all
   (a new record with neither publication types nor design words is kept as a possible
   trial rather than missed); commentaries (Comment, Editorial, ...) and observational
   studies never do. ``highlight_reason`` states each condition with its evidence:
   publication types and the phrases that matched, each with its cue's name, then the
   treatment mentions set aside as background.

The cue table is data: each :class:`Cue` has a name, a pattern and a sentence saying what
it is for. A reviewer who disagrees with a result reads the cue names in
``highlight_reason``, finds them in :data:`CUES`, and changes the vocabulary in
config.yaml (or the cue) instead of guessing.
"""

from __future__ import annotations

import calendar
import copy
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .columns import CLASSIFICATION_COLUMNS

__all__ = [
    "CLASSIFICATION_COLUMNS",
    "COMPARATORS",
    "CUES",
    "DEFAULT_VOCABULARY",
    "DESIGNS",
    "DESIGN_RULES",
    "HIGHLIGHT_DESIGNS",
    "RELATIONS",
    "Cue",
    "Treatment",
    "Vocabulary",
    "classify",
    "cue_matches",
    "load_vocabulary",
    "record_from_registration",
]

DESIGNS = (
    "rct",
    "controlled-nonrandomised",
    "single-arm",
    "secondary-analysis",
    "protocol",
    "systematic-review",
    "meta-analysis",
    "review",
    "preclinical",
    "healthy-volunteers",
    "case-report",
    "qualitative",
    "other",
)
COMPARATORS = ("placebo", "active-placebo", "established-treatment", "waitlist", "other", "none")
RELATIONS = ("head-to-head", "add-on-or-combined", "placebo-only", "none")

# Designs whose records can be highlighted: trials (results, protocols, registrations,
# secondary analyses of a trial's data) and meta-analyses of trials.
HIGHLIGHT_DESIGNS = frozenset(
    {
        "rct",
        "controlled-nonrandomised",
        "single-arm",
        "protocol",
        "secondary-analysis",
        "meta-analysis",
    }
)
TRIAL_PUBLICATION_TYPES = ("Clinical Trial", "Trial Registration", "Randomized Controlled Trial")
# Publication types of records that discuss a study without reporting one: design other.
COMMENTARY_TYPES = (
    "Comment",
    "Editorial",
    "News",
    "Newspaper Article",
    "Interview",
    "Retraction of Publication",
    "Published Erratum",
    "Expression of Concern",
    "Biography",
    "Historical Article",
    "Obituary",
    "Portrait",
)

# --------------------------------------------------------------------------- vocabulary

# The built-in vocabulary; config.yaml's `vocabulary:` block carries the same lists for
# reviewers to edit. A config part that is present replaces the built-in part whole (so an
# entry can be removed as well as added); a part that is absent keeps the built-in one.
DEFAULT_VOCABULARY: dict[str, Any] = {
    "mdma": {
        "terms": [
            "MDMA",
            "midomafetamine",
            "methylenedioxymethamphetamine",
            "3,4-methylenedioxymethamphetamine",
            "3,4-methylenedioxy-N-methylamphetamine",
            "N-methyl-3,4-methylenedioxyamphetamine",
            "ecstasy",
        ],
        "mesh": ["N-Methyl-3,4-methylenedioxyamphetamine"],
    },
    "established_treatments": [
        {
            "name": "prolonged exposure",
            "kind": "psychotherapy",
            "terms": ["prolonged exposure", "prolonged exposure therapy"],
            "ambiguous_abbreviations": ["PE"],
        },
        {
            "name": "cognitive processing therapy",
            "kind": "psychotherapy",
            "terms": ["cognitive processing therapy"],
            "ambiguous_abbreviations": ["CPT"],
        },
        {
            "name": "EMDR",
            "kind": "psychotherapy",
            "terms": [
                "eye movement desensitization and reprocessing",
                "eye movement desensitisation and reprocessing",
                "eye movement desensitization",
                "eye movement desensitisation",
            ],
            "abbreviations": ["EMDR"],
            "mesh": ["Eye Movement Desensitization Reprocessing"],
        },
        {
            "name": "narrative exposure therapy",
            "kind": "psychotherapy",
            "terms": ["narrative exposure therapy", "narrative exposure"],
            "abbreviations": ["KIDNET"],
            "ambiguous_abbreviations": ["NET"],
        },
        {
            "name": "trauma-focused CBT",
            "kind": "psychotherapy",
            "terms": [
                "trauma-focused cognitive behavioral therapy",
                "trauma-focused cognitive behavioural therapy",
                "trauma-focused cognitive behavior therapy",
                "trauma-focused cognitive behaviour therapy",
                "trauma-focused CBT",
                "trauma-focused psychotherapy",
                "trauma-focused psychological therapy",
                "trauma-focused therapy",
            ],
            "abbreviations": ["TF-CBT", "TFCBT"],
        },
        {
            "name": "cognitive-behavioural conjoint therapy",
            "kind": "psychotherapy",
            "terms": [
                "cognitive-behavioral conjoint therapy",
                "cognitive-behavioural conjoint therapy",
                "conjoint therapy",
            ],
            "ambiguous_abbreviations": ["CBCT"],
        },
        {
            "name": "written exposure therapy",
            "kind": "psychotherapy",
            "terms": ["written exposure therapy", "written exposure"],
            "ambiguous_abbreviations": ["WET"],
        },
        {
            "name": "cognitive therapy for PTSD",
            "kind": "psychotherapy",
            "terms": ["cognitive therapy for PTSD", "cognitive therapy"],
            "abbreviations": ["CT-PTSD"],
        },
        {
            "name": "cognitive behavioural therapy",
            "kind": "psychotherapy",
            "terms": [
                "cognitive behavioral therapy",
                "cognitive behavioural therapy",
                "cognitive behavior therapy",
                "cognitive behaviour therapy",
            ],
            "abbreviations": ["CBT"],
            "mesh": ["Cognitive Behavioral Therapy"],
        },
        {
            "name": "exposure therapy",
            "kind": "psychotherapy",
            "terms": ["exposure therapy", "exposure-based therapy", "exposure-based psychotherapy"],
            "mesh": ["Implosive Therapy"],
        },
        {
            "name": "present-centred therapy",
            "kind": "psychotherapy",
            "terms": ["present-centered therapy", "present-centred therapy"],
            "ambiguous_abbreviations": ["PCT"],
        },
        {
            "name": "SSRI",
            "kind": "medication",
            "terms": [
                "selective serotonin reuptake inhibitor",
                "selective serotonin re-uptake inhibitor",
            ],
            "abbreviations": ["SSRI"],
            "mesh": ["Selective Serotonin Reuptake Inhibitors"],
        },
        {
            "name": "sertraline",
            "kind": "medication",
            "terms": ["sertraline"],
            "mesh": ["Sertraline"],
        },
        {
            "name": "paroxetine",
            "kind": "medication",
            "terms": ["paroxetine"],
            "mesh": ["Paroxetine"],
        },
        {
            "name": "fluoxetine",
            "kind": "medication",
            "terms": ["fluoxetine"],
            "mesh": ["Fluoxetine"],
        },
        {"name": "escitalopram", "kind": "medication", "terms": ["escitalopram"]},
        {"name": "citalopram", "kind": "medication", "terms": ["citalopram"]},
        {
            "name": "SNRI",
            "kind": "medication",
            "terms": [
                "serotonin-norepinephrine reuptake inhibitor",
                "serotonin and norepinephrine reuptake inhibitor",
                "serotonin-noradrenaline reuptake inhibitor",
            ],
            "abbreviations": ["SNRI"],
        },
        {
            "name": "venlafaxine",
            "kind": "medication",
            "terms": ["venlafaxine"],
            "mesh": ["Venlafaxine Hydrochloride"],
        },
        {"name": "prazosin", "kind": "medication", "terms": ["prazosin"], "mesh": ["Prazosin"]},
    ],
    "active_placebos": [
        "methylphenidate",
        "amphetamine",
        "dextroamphetamine",
        "d-amphetamine",
        "niacin",
        "diphenhydramine",
    ],
}


@dataclass(frozen=True)
class Treatment:
    """One established treatment: its canonical name and the words that name it."""

    name: str
    kind: str = "psychotherapy"
    terms: tuple[str, ...] = ()
    abbreviations: tuple[str, ...] = ()
    ambiguous_abbreviations: tuple[str, ...] = ()
    mesh: tuple[str, ...] = ()


@dataclass
class Vocabulary:
    """The vocabulary, compiled. Build it with :func:`load_vocabulary`."""

    mdma_terms: tuple[str, ...]
    mdma_mesh: tuple[str, ...]
    treatments: tuple[Treatment, ...]
    active_placebos: tuple[str, ...]
    mention_pattern: re.Pattern[str] = field(init=False, repr=False)
    active_placebo_pattern: re.Pattern[str] = field(init=False, repr=False)
    # group name in mention_pattern -> ("M" or "E", canonical name, ambiguous?, written out?)
    groups: dict[str, tuple[str, str, bool, bool]] = field(init=False, repr=False)

    def _all_terms(self) -> list[str]:
        terms = [t.strip() for t in self.mdma_terms]
        for treatment in self.treatments:
            names = [*treatment.terms, *treatment.abbreviations, *treatment.ambiguous_abbreviations]
            terms += [t.strip() for t in names]
        return [t for t in terms if t]

    def __post_init__(self) -> None:
        alternatives: list[tuple[int, str, str]] = []  # (length, group, pattern)
        self.groups = {}

        def add(kind: str, name: str, text: str, case_sensitive: bool, ambiguous: bool) -> None:
            group = f"g{len(self.groups)}"
            self.groups[group] = (kind, name, ambiguous, not _is_abbreviation(text))
            alternatives.append((len(text), group, _term_pattern(text, case_sensitive)))

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
        drugs = "|".join(_term_pattern(term, False) for term in self.active_placebos) or "(?!)"
        self.active_placebo_pattern = re.compile(
            r"(?i:\b(?:versus|vs\.?|compared (?:with|to)|against|or|and|with|,)\s+"
            rf"(?:[\w-]+\s+){{0,2}}?)(?<![A-Za-z0-9])(?:{drugs})(?![A-Za-z0-9])"
        )

    def treatment(self, name: str) -> Treatment:
        return next(t for t in self.treatments if t.name == name)


def load_vocabulary(config: Mapping[str, Any] | None = None) -> Vocabulary:
    """The vocabulary from ``config["vocabulary"]``; absent parts take the built-in default."""
    given = dict((config or {}).get("vocabulary") or {})
    merged = copy.deepcopy(DEFAULT_VOCABULARY)
    for key in ("mdma", "established_treatments", "active_placebos"):
        if key in given and given[key] is not None:
            merged[key] = copy.deepcopy(given[key])
    unknown = sorted(set(given) - set(merged))
    if unknown:
        raise ValueError(f"vocabulary: unknown key(s): {', '.join(unknown)}")
    mdma = {**DEFAULT_VOCABULARY["mdma"], **merged["mdma"]}
    treatments = tuple(
        Treatment(
            name=entry["name"],
            kind=entry.get("kind", "psychotherapy"),
            terms=tuple(entry.get("terms", ())),
            abbreviations=tuple(entry.get("abbreviations", ())),
            ambiguous_abbreviations=tuple(entry.get("ambiguous_abbreviations", ())),
            mesh=tuple(entry.get("mesh", ())),
        )
        for entry in merged["established_treatments"]
    )
    names = [t.name for t in treatments]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"vocabulary: treatment name(s) used more than once: {repeated}")
    return Vocabulary(
        mdma_terms=tuple(mdma.get("terms", ())),
        mdma_mesh=tuple(mdma.get("mesh", ())),
        treatments=treatments,
        active_placebos=tuple(merged["active_placebos"]),
    )


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


# --------------------------------------------------------------------------- cue table

# Placeholders usable in cue patterns (expanded when the table is built):
#   <M>  an MDMA mention            <E>  an established-treatment mention not yet explained
#   <C>  a treatment combined with MDMA (set by combination cues)
#   <w>  one word and the space after it (never a mention token, never . ; :)
_PLACEHOLDERS = {
    "<M>": r"⟨M\d+⟩",
    "<E>": r"⟨E\d+⟩",
    "<C>": r"⟨C\d+⟩",
    "<w>": r"[^\s.;:⟨⟩]+\s+",
}


@dataclass(frozen=True)
class Cue:
    """A named pattern. ``group`` says which rule reads it; ``meaning`` says why.

    ``unless``: a pattern that, when the sentence contains it, switches the cue off there.
    """

    name: str
    group: str
    pattern: str
    meaning: str
    unless: str = ""

    @property
    def regex(self) -> re.Pattern[str]:
        return _compiled(self.pattern)

    def finditer(self, text: str) -> list[re.Match[str]]:
        if self.unless and _compiled(self.unless).search(text):
            return []
        return list(self.regex.finditer(text))


_CACHE: dict[str, re.Pattern[str]] = {}


def _compiled(pattern: str) -> re.Pattern[str]:
    if pattern not in _CACHE:
        expanded = pattern
        for placeholder, regex in _PLACEHOLDERS.items():
            expanded = expanded.replace(placeholder, regex)
        _CACHE[pattern] = re.compile(expanded, re.IGNORECASE)
    return _CACHE[pattern]


_GAP_STOP = r"(?!(?:or|and|versus|vs|with|than|to|plus|psychotherapy|therapy|treatment)\b)"
_BACKGROUND_LIST = r"(?:\s*(?:,|or|and|and/or|nor)\s+(?:<w>){0,2}?<E>)*"

# fmt: off
CUES: tuple[Cue, ...] = (
    # --- MDMA mentions that are not the drug
    Cue("ecstasy-not-drug", "mdma",
        r"\b(?:religious|mystical|spiritual|divine|ecstatic|sexual|emotional)\s+ecstas(?:y|ies)\b",
        "'ecstasy' in its religious or emotional sense is not MDMA"),

    # --- background: a treatment named as prior, failed or excluded treatment
    Cue("prior-treatment", "background",
        r"\b(?:prior|previous(?:ly)?|earlier|past|failed|failure (?:of|to respond to)"
        r"|(?:not|non-?|in(?:adequate(?:ly)?)?|partial(?:ly)?|poor(?:ly)?)\s*respon\w*(?:\s+to)?"
        r"|resistant to|refractory to|despite|history of|had (?:received|tried|completed|undergone)"
        r"|treatment-resistant|unresponsive to|unsuccessful)\s+(?:<w>){0,6}?<E>" + _BACKGROUND_LIST,
        "the treatment is what participants had before (or failed), not an arm"),
    Cue("existing-treatment", "background",
        r"\b(?:currently\s+)?(?:approved|existing|available|licensed|FDA-approved"
        r"|standard)\s+(?:<w>){0,4}?<E>" + _BACKGROUND_LIST,
        "the treatment is named as what already exists ('the two approved SSRIs, sertraline and "
        "paroxetine'), not as an arm"),
    Cue("treatment-failed", "background",
        r"<E>\s+(?:<w>){0,3}?(?:had failed|failed|(?:was|were) (?:tapered|discontinued|stopped"
        r"|withdrawn|not (?:effective|tolerated))|exclu\w*)",
        "the treatment failed, was stopped or excluded"),
    Cue("tapered-off", "background",
        r"\b(?:taper\w*|discontinu\w*|wash\w*[\s-]?out|stopp?(?:ed|ing)|withdr[ae]w\w*"
        r"|abstain\w*)\s+(?:off\s+|from\s+|of\s+|their\s+|all\s+)?(?:<w>){0,4}?<E>"
        + _BACKGROUND_LIST,
        "participants stopped the medication before the study (an MDMA trial requirement)"),
    Cue("exclusion-criterion", "background",
        r"\b(?:exclusion criteri\w*|excluded|exclude|not eligible)\b[^.;]{0,80}?<E>",
        "the treatment is an exclusion criterion"),
    Cue("laboratory-model", "background",
        r"\b(?:model|analogue|analog|proxy) (?:of|for)\s+(?:<w>){0,2}?(?:<M>[\w-]*\s+)?"
        r"(?:<w>){0,2}?<E>",
        "an animal or laboratory model of the treatment ('extinction training, a laboratory "
        "analogue of exposure therapy'), not the treatment"),
    Cue("benchmark", "benchmark",
        r"\b(?:than|comparable (?:to|with)|similar to|in line with|consistent with"
        r"|compar\w+ favou?rably (?:with|to))\s+(?:<w>){0,5}?<E>",
        "a primary study's results set beside published results of the treatment (background); "
        "in a meta-analysis or review this is an indirect comparison and counts"),

    # --- speculation: sentences that only call for future work add no evidence
    Cue("future-work", "speculation",
        r"\b(?:future (?:research|studies|trials|work)|should|could|might|warrant\w*"
        r"|remains? to be|further (?:research|studies|trials)|calls? for|(?:is|are) needed"
        r"|implications? for|rationale for|(?:findings|results|data) (?:support|suggest))\b",
        "the sentence speculates or asks for future work; what it names is not this study's "
        "design, and an MDMA mention only there does not make the record involve MDMA"),

    # --- combination: MDMA given together with the treatment
    Cue("mdma-assisted-established", "combination",
        r"<M>(?:-[A-Z]{2,3})?[\s-]+(?:assisted|facilitated|enhanced|augmented|supported)\s+"
        rf"(?:{_GAP_STOP}<w>){{0,2}}<E>",
        "'MDMA-assisted cognitive processing therapy': the treatment given with MDMA"),
    Cue("established-with-mdma", "combination",
        r"<E>\s+(?:<w>){0,3}?(?:with|under|alongside)\s+(?:(?:a|an|one|two|three|single"
        r"|adjunctive|low-dose|\d+)\s+)*<M>",
        "'written exposure therapy was delivered with MDMA', 'EMDR under MDMA'",
        unless=r"\b(?:compar\w*|versus|vs\.?|head-to-head|than)\b"),
    Cue("established-plus-mdma", "combination",
        r"<E>(?:\s*\+\s*|\s+(?:plus|augmented (?:with|by)|enhanced (?:with|by)|combined with"
        r"|together with|facilitated by|assisted by|supplemented (?:with|by))\s+)"
        r"(?:adjunctive\s+|adjunct\s+|a single dose of\s+|single[\s-]dose\s+)?<M>",
        "'prolonged exposure augmented with MDMA', 'CPT + MDMA'"),
    Cue("mdma-plus-established", "combination",
        r"<M>(?:[\s-]+(?:assisted|facilitated)\s+(?:psycho)?therapy)?(?:\s*\+\s*|\s+(?:plus"
        r"|combined with|in combination with|as an? (?:adjunct|add-on) to|added to|adjunctive to"
        r"|integrated (?:with|into)|together with)\s+)"
        r"(?:(?!(?:or|versus|vs|than|placebo)\b)<w>){0,3}<E>",
        "'MDMA + CPT', 'MDMA as an adjunct to prolonged exposure'"),
    Cue("adjunct-to-established", "combination",
        r"\b(?:adjunct|add-on|augmentation|adjunctive treatment)\s+(?:to|of|for)\s+"
        r"(?:<w>){0,3}?<E>",
        "'MDMA versus placebo as an adjunct to prolonged exposure' (the sentence names MDMA)"),
    Cue("receiving-established-randomised-to-mdma", "combination",
        r"\b(?:receiving|undergoing|during|in)\s+(?:<w>){0,2}?<E>\s+(?:<w>){0,4}?"
        r"(?:randomi[sz]ed|assigned|allocated)\s+to\s+(?:<w>){0,3}?<M>",
        "'adults receiving prolonged exposure were randomized to MDMA or placebo'"),
    Cue("combine-mdma-with-established", "combination",
        r"\b(?:combin\w*|pair(?:s|ed|ing)?|integrat\w*|add(?:s|ed|ing)?)\s+(?:<w>){0,4}?<M>[\w-]*"
        r"\s+(?:<w>){0,3}?(?:with|to|into|and)\s+(?:<w>){0,4}?<E>",
        "'combines MDMA with prolonged exposure', 'combining MDMA-assisted therapy with CBCT', "
        "'the combination of MDMA and CPT'"),
    Cue("combine-established-with-mdma", "combination",
        r"\b(?:combin\w*|pair(?:s|ed|ing)?|integrat\w*)\s+(?:<w>){0,4}?<E>\s+(?:<w>){0,4}?"
        r"(?:with|and|into)\s+(?:<w>){0,3}?<M>",
        "'Combining cognitive-behavioral conjoint therapy for PTSD with MDMA'"),
    Cue("established-integrated-with-mdma", "combination",
        r"<E>\s+(?:<w>){0,5}?(?:integrated|combined|paired|augmented|enhanced|supplemented)\s+"
        r"(?:with|by|into)\s+(?:<w>){0,2}?<M>",
        "'CBCT for PTSD can be integrated with MDMA-assisted psychotherapy'"),
    Cue("mdma-dose-within-established", "combination",
        r"<M>\s+(?:<w>){0,2}?(?:dose|doses|dosing|session|sessions)\s+(?:<w>){0,4}?"
        r"(?:within|during|of|into|in)\s+(?:<w>){0,4}?<E>",
        "'a single MDMA dose on day two of a ten-day massed PE program'"),

    # --- comparison: the treatment set against MDMA (sentence must name MDMA)
    Cue("versus-established", "comparison",
        r"\b(?:versus|vs\.?|v\.|compared (?:with|to|against)|comparison (?:with|to|against)"
        r"|against|relative to)\s+(?:(?!(?:in|among|for|who|which|that|after|before|during)\b)"
        r"<w>){0,4}?<E>",
        "'versus prolonged exposure', 'compared with CPT', 'comparison to prolonged exposure'"),
    Cue("established-versus", "comparison",
        r"<E>\s+(?:\((?:<w>){0,2}[^)]*\)\s+)?(?:versus|vs\.?|v\.|compared (?:with|to)|against)\b",
        "'CBCT versus ...', 'sertraline vs ...'"),
    Cue("comparing-mdma-and-established", "comparison",
        r"\b(?:compar(?:e|es|ed|ing|ison|ative)|head-to-head)\b[^.;]{0,160}?<M>[^.;]{0,120}?"
        r"(?:\b(?:with|to|and|versus|vs\.?|or)|,)\s+(?:<w>){0,6}?<E>",
        "'comparing MDMA-assisted therapy, prolonged exposure and SSRIs' (network meta-analyses, "
        "indirect comparisons)"),
    Cue("network-meta-analysis-of-mdma-and-established", "comparison",
        r"\b(?:network meta-analy\w*|indirect comparisons?|mixed[\s-]treatment comparisons?)\b"
        r"[^.;]{0,200}?(?:<M>[^.;]{0,200}?<E>|<E>[^.;]{0,200}?<M>)",
        "a network meta-analysis (or indirect comparison) that includes MDMA and the treatment"),
    Cue("established-were-compared", "comparison",
        r"<E>\s+(?:<w>){0,2}?(?:were|was|are|is|will be)\s+compared\b",
        "'MDMA-assisted therapy, prolonged exposure and sertraline were compared'"),
    Cue("established-as-control-arm", "comparison",
        r"\b(?:active comparator|comparator arm|control arm|comparison arm|control group"
        r"|comparison group|control condition)\b[^.;]{0,60}?<E>",
        "'Active Comparator: CPT' (registry arms), 'the control group received prolonged "
        "exposure'"),
    Cue("established-alone", "comparison",
        r"<E>\s+(?:therapy\s+|treatment\s+|psychotherapy\s+)?alone\b",
        "'CBCT alone': an arm of the treatment without MDMA"),
    Cue("randomised-or-established", "comparison",
        r"\b(?:randomi[sz]\w*|assigned|allocated)\b[^.;]{0,120}?\bor\s+(?:<w>){0,3}?<E>",
        "'randomised to MDMA-assisted therapy or CPT'"),
    Cue("comparing-established", "comparison-no-mdma",
        r"\b(?:compar(?:e|es|ed|ing|ison)|head-to-head|non-?inferiority)\b[^.;]{0,160}?"
        r"(?:\b(?:with|to|and|versus|vs\.?|between|or)|,)\s+(?:<w>){0,6}?<E>",
        "a study without MDMA that compares treatments (sets the comparator column only)"),

    # --- comparators
    Cue("active-placebo", "comparator",
        r"\bactive[\s-](?:placebo|control)s?\b",
        "an explicit active placebo or active control"),
    Cue("low-dose-mdma", "comparator",
        r"\b(?:low|lower|very low|sub-?therapeutic|inactive low|comparison|control|threshold)"
        r"[\s-]+dos(?:e|es|ing)\b",
        "a low comparison dose of MDMA (an active placebo when no inert placebo is named)"),
    Cue("placebo", "comparator",
        r"\b(?:placebo\w*|saline|vehicle|sham)\b",
        "an inert placebo (saline or vehicle in animal studies)"),
    Cue("waitlist", "comparator",
        r"\b(?:wait[\s-]?list\w*|waiting[\s-]list|delayed[\s-](?:treatment|start))\b",
        "a waitlist or delayed-treatment control"),
    Cue("other-comparator", "comparator",
        r"\b(?:treatment as usual|usual care|supportive (?:psycho)?therapy|attention control"
        r"|control group|control condition|non-trauma-focused)\b",
        "another control: usual care, supportive therapy, an unnamed control group"),

    # --- design: self-description in the title or a lead sentence
    Cue("trial-self", "design-lead",
        r"\b(?:trial|pilot|feasibility study|clinical study)\b",
        "the record calls itself a trial; with no other design cue it can still be highlighted"),
    Cue("protocol-self", "design-lead",
        r"(?:^\W*(?:(?:study|trial|review)\s+)?protocol\b|\b(?:study|trial) protocol\b"
        r"|\bprotocol (?:of|for) (?:a|an|the)\b|\bthis protocol\b|\bwe describe the protocol\b)",
        "the record is a protocol"),
    Cue("review-protocol", "design-lead",
        r"\bprotocol\b[^.;]{0,80}\b(?:review|meta-analys[ie]s)\b",
        "the protocol is of a review, not of a trial"),
    Cue("overview-of-reviews", "design-lead",
        r"\b(?:overview|umbrella review|review) of (?:systematic )?reviews\b",
        "an overview (umbrella review) of reviews"),
    Cue("meta-analysis-self", "design-lead",
        r"(?:^\W*(?:(?:a|an|this|the present|updated|preliminary|systematic review (?:and|with)"
        r"|bayesian|network|individual[\s-](?:patient|participant)[\s-]data|pairwise)\W+){0,4}"
        r"meta-analy[st]\w*+(?!\s+(?:have|has|show|shows|showed|suggest|indicate|found|report))"
        r"|\b(?:we|this study|this article|here we)\s+(?:\w+\s+){0,2}"
        r"(?:conducted|performed|present|report|carried out|undertook)\s+(?:\w+\s+){0,4}?"
        r"meta-analy[st]\w*)",
        "the record describes itself as a meta-analysis"),
    Cue("meta-analysis-title", "design-title",
        r"\bmeta-analy[st]\w*",
        "the title says meta-analysis"),
    Cue("systematic-review-self", "design-lead",
        r"(?:^\W*(?:a|an|this|updated)?\W*(?:systematic|scoping|rapid) review\b"
        r"|\bwe (?:conducted|performed) a (?:systematic|scoping) review\b)",
        "the record describes itself as a systematic or scoping review"),
    Cue("review-self", "design-lead",
        r"(?:^\W*(?:a |an |this )?(?:(?:narrative|literature|critical|state-of-the-art"
        r"|comprehensive|brief|clinical|historical|selective|policy|mini)[\s-]+)*review\b"
        r"|\breview (?:chapter|article|paper)\b|\bwe review\b|\bthis (?:article|paper|chapter) "
        r"reviews\b)",
        "the record describes itself as a review"),
    Cue("animal-species", "design-lead",
        r"\b(?:rats?|mice|mouse|murine|rodents?|zebrafish|non-human primates?|monkeys?|macaques?"
        r"|long-evans|sprague-dawley|wistar|c57bl\w*|in vitro)\b",
        "laboratory animals or cells"),
    Cue("case-report", "design-lead",
        r"\b(?:case report|case example|case study|case vignette|case presentation"
        r"|\d+-year-old (?:man|woman|male|female|patient|veteran))\b",
        "a single case"),
    Cue("healthy-volunteers", "design-any",
        r"\bhealthy\s+(?:adult\s+|young\s+|human\s+)?(?:volunteers?|participants?|subjects?"
        r"|adults?|humans?|men|women|individuals|people)\b|\b(?:recreational|experienced)"
        r"\s+(?:ecstasy|⟨M\d+⟩|MDMA)\s+users\b",
        "participants are healthy volunteers (not patients)"),
    Cue("patient-sample", "design-any",
        r"\b(?:patients|participants|veterans|adults|people|individuals|women|men|survivors"
        r"|dyads|clients|responders)\s+with\s+(?:\w+\s+){0,2}?(?:PTSD|posttraumatic|post-traumatic"
        r"|stress disorder)|\bPTSD patients\b",
        "participants are patients (so a 'healthy volunteers' phrase elsewhere is background)"),
    Cue("secondary-analysis", "design-lead",
        r"(?:^\W*(?:[\w-]+\W+){0,3}?(?:secondary|post[\s-]?hoc|exploratory|ancillary|pooled"
        r"|follow-up|longitudinal|mediation|moderation)\s+(?:\w+\s+){0,1}?(?:analys[ie]s|study)"
        r"\s+(?:of|from|within|using)\b|\b(?:sub-?study|sub-?analysis|secondary analys[ie]s)\b"
        r"|^\W*(?:[\w-]+\W+){0,2}?analys[ie]s of\b|\bfollow-up (?:study )?of (?:a|an|the)\s+"
        r"(?:[\w,-]+\s+){0,4}?trials?\b|\b(?:data|sessions|recordings|transcripts|interviews"
        r"|samples?|participants|patients|subjects|subsample|subset)\b[^.;]{0,80}?\bfrom"
        r" (?:a|an|the|two|three|four|five|six|\d+|several|previous|earlier|completed)\s+"
        r"(?:[\w,-]+\s+){0,5}?(?:trials?|studies)\b)",
        "an analysis of data from an earlier trial or study"),
    Cue("mechanistic-substudy", "design-lead",
        r"^\W*(?:[\w-]+\W+){0,2}?(?:neuroimaging|imaging|fMRI|MRI|EEG|biomarker|epigenetic"
        r"|genetic|physiological|psychophysiological)\s+(?:sub-?)?stud(?:y|ies)\s+(?:of|in)\b",
        "a mechanism study of patients treated in a trial (imaging, biomarkers)"),
    Cue("qualitative", "design-lead",
        r"\b(?:qualitative|interpretative phenomenological|thematic analysis"
        r"|semi-structured interviews|focus groups?|grounded theory)\b",
        "qualitative methods"),
    Cue("observational", "design-lead",
        r"^\W*(?:[\w-]+\W+){0,2}?(?:survey|cross-sectional|cohort study|case-control"
        r"|observational|retrospective|registry-based|chart review|epidemiological|naturalistic)\b",
        "an observational study or survey"),
    Cue("non-randomised-controlled", "design-any",
        r"\b(?:non-?randomi[sz]ed|quasi-(?:experimental|randomi[sz]ed)|nonrandomi[sz]ed)\b",
        "a controlled study without randomisation"),
    Cue("randomised", "design-any",
        r"(?<!non-)(?<!non)(?<!quasi-)\brandomi[sz](?:ed|ation|ing)\b|\brandomly (?:assigned"
        r"|allocated)\b|\brandom (?:assignment|allocation)\b|(?-i:\bRCTs?\b)",
        "participants were randomised"),
    Cue("blinded-placebo-controlled", "design-any",
        r"\bdouble-blind\w*\b[^.;]{0,80}\bplacebo|\bplacebo[^.;]{0,80}\bdouble-blind",
        "double-blind and placebo-controlled (randomisation implied)"),
    Cue("single-arm", "design-any",
        r"\b(?:open-label|single-arm|single[\s-]group|uncontrolled|non-?controlled"
        r"|pre-post|pilot study|feasibility (?:study|trial)|proof-of-concept)\b",
        "one group, no control"),
    Cue("retracted-title", "retraction",
        r"^\W*retracted\b",
        "the title is marked RETRACTED"),
)
# fmt: on

CUE = {cue.name: cue for cue in CUES}
if len(CUE) != len(CUES):  # pragma: no cover - a guard for whoever edits the table
    raise RuntimeError("cue names must be unique")


@dataclass(frozen=True)
class DesignRule:
    """Design ``design`` when any listed publication type, MeSH heading or cue is present.

    ``lead_cues`` are read in the record's self-describing sentences, ``title_cues`` in the
    title, ``any_cues`` anywhere in title and abstract.
    """

    design: str
    publication_types: tuple[str, ...] = ()
    mesh: tuple[str, ...] = ()
    lead_cues: tuple[str, ...] = ()
    title_cues: tuple[str, ...] = ()
    any_cues: tuple[str, ...] = ()


# First rule that fires wins. Order matters: a protocol is a protocol whatever it plans; an
# overview of reviews is a review even when typed Meta-Analysis; a secondary analysis of an
# RCT is a secondary analysis although PubMed types it Randomized Controlled Trial; studies
# in healthy volunteers and animals are typed so before any trial rule.
# fmt: off
DESIGN_RULES: tuple[DesignRule, ...] = (
    DesignRule("other", publication_types=COMMENTARY_TYPES),
    DesignRule("protocol", publication_types=("Clinical Trial Protocol",),
               lead_cues=("protocol-self",)),
    DesignRule("review", lead_cues=("overview-of-reviews",)),
    DesignRule("meta-analysis", publication_types=("Meta-Analysis", "Network Meta-Analysis"),
               mesh=("Network Meta-Analysis",), lead_cues=("meta-analysis-self",),
               title_cues=("meta-analysis-title",)),
    DesignRule("systematic-review", publication_types=("Systematic Review",),
               lead_cues=("systematic-review-self",)),
    DesignRule("review", publication_types=("Review", "Scoping Review", "Practice Guideline",
                                            "Guideline", "Consensus Development Conference"),
               lead_cues=("review-self",)),
    DesignRule("preclinical", lead_cues=("animal-species",)),
    DesignRule("case-report", publication_types=("Case Reports",), lead_cues=("case-report",)),
    DesignRule("healthy-volunteers", mesh=("Healthy Volunteers",),
               any_cues=("healthy-volunteers",)),
    DesignRule("secondary-analysis", lead_cues=("secondary-analysis", "mechanistic-substudy")),
    DesignRule("qualitative", mesh=("Qualitative Research",), lead_cues=("qualitative",)),
    DesignRule("other", publication_types=("Observational Study",), lead_cues=("observational",)),
    DesignRule("controlled-nonrandomised", publication_types=("Controlled Clinical Trial",),
               any_cues=("non-randomised-controlled",)),
    DesignRule("rct", publication_types=("Randomized Controlled Trial", "Equivalence Trial"),
               any_cues=("randomised", "blinded-placebo-controlled")),
    DesignRule("single-arm", any_cues=("single-arm",)),
)
# fmt: on

# --------------------------------------------------------------------------- text handling

_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2212\ufe63\uff0d"})
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


def _sentences(text: str) -> list[str]:
    """Split abstract text into sentences (not after 'vs.', 'e.g.', 'et al.')."""
    out: list[str] = []
    for paragraph in text.split("\n"):
        start = 0
        for match in re.finditer(r"[.!?](?=\s+[A-Z(\[\"'])", paragraph):
            piece = paragraph[start : match.end()]
            if _NO_SPLIT_BEFORE.search(piece):
                continue
            out.append(piece.strip())
            start = match.end()
        tail = paragraph[start:].strip()
        if tail:
            out.append(tail)
    return [s for s in out if s]


@dataclass
class _Mention:
    kind: str  # "M" or "E"
    name: str  # canonical name
    text: str  # as written


@dataclass
class _Sentence:
    raw: str  # label-free, dash-normalised text
    tokens: str  # the same with mentions replaced by tokens
    lead: bool  # a self-describing sentence (title, first sentence, ...)
    is_title: bool = False

    @functools.cached_property  # read many times per sentence; computed once
    def speculative(self) -> bool:
        return bool(CUE["future-work"].regex.search(self.tokens))


@dataclass
class _Reading:
    """Everything the rules found in one record, for the columns and the reason."""

    sentences: list[_Sentence]
    mentions: list[_Mention]
    evidence: list[tuple[str, str]] = field(default_factory=list)  # (cue name, phrase)
    roles: dict[int, str] = field(default_factory=dict)  # E mention index -> role
    cue_roles: dict[str, str] = field(default_factory=dict)  # cue name -> role it gave

    def evidence_for(self, role: str) -> list[tuple[str, str]]:
        return [(n, p) for n, p in self.evidence if self.cue_roles.get(n) == role]

    def phrase(self, match: re.Match[str]) -> str:
        return _untokenise(match.group(0), self.mentions).strip(" ,;")


def _untokenise(text: str, mentions: list[_Mention]) -> str:
    return re.sub(r"⟨[MECBX](\d+)⟩", lambda m: mentions[int(m.group(1))].text, text)


def _normalise(text: str | None) -> str:
    return (text or "").translate(_DASHES).replace("⟨", "(").replace("⟩", ")")


def _tokenise(
    text: str,
    vocabulary: Vocabulary,
    defined: set[str],
    mentions: list[_Mention],
    ecstasy_is_drug: bool = True,
) -> str:
    """Replace every MDMA and treatment mention in ``text`` by a token."""
    pieces: list[str] = []
    last = 0
    for match in vocabulary.mention_pattern.finditer(text):
        group = match.lastgroup
        assert group is not None
        kind, name, ambiguous, _ = vocabulary.groups[group]
        if ambiguous and name not in defined and not _therapy_context(text, match):
            continue
        if kind == "M" and _mdma_not_drug(text, match, ecstasy_is_drug):
            continue
        pieces.append(text[last : match.start()])
        pieces.append(f"⟨{kind}{len(mentions)}⟩")
        mentions.append(_Mention(kind, name, match.group(0)))
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

    return re.sub(r"⟨([ME])(\d+)⟩\s*\(⟨([ME])(\d+)⟩\)", collapse, tokens)


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
    if not CUE["ecstasy-not-drug"].regex.search(text):
        return True
    return any(
        vocabulary.groups[m.lastgroup or ""][0] == "M"
        and not m.group(0).lower().startswith("ecstas")
        for m in vocabulary.mention_pattern.finditer(text)
    )


def _defined_treatments(text: str, vocabulary: Vocabulary) -> set[str]:
    """Treatments the record names with a term (not an abbreviation)."""
    found: set[str] = set()
    for match in vocabulary.mention_pattern.finditer(text):
        kind, name, _, written_out = vocabulary.groups[match.lastgroup or ""]
        if kind == "E" and written_out:
            found.add(name)
    return found


def _read(record: Mapping[str, Any], vocabulary: Vocabulary) -> _Reading:
    title = _normalise(record.get("title"))
    abstract = _normalise(record.get("abstract"))
    defined = _defined_treatments(f"{title}\n{abstract}", vocabulary)
    drug = _ecstasy_is_drug(f"{title}\n{abstract}", vocabulary)
    mentions: list[_Mention] = []
    sentences = [
        _Sentence(title, _tokenise(title, vocabulary, defined, mentions, drug), True, True)
    ]
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
            sentences.append(_Sentence(sentence, tokens, lead))
            first = False
    return _Reading(sentences, mentions)


# --------------------------------------------------------------------------- rules


def _matches(reading: _Reading, cue_name: str, where: str = "any") -> list[str]:
    """Phrases matching a cue: ``where`` is any, lead (self-describing sentences) or title."""
    found = []
    for sentence in reading.sentences:
        if where == "lead" and not sentence.lead:
            continue
        if where == "title" and not sentence.is_title:
            continue
        if where == "any" and sentence.speculative and not sentence.is_title:
            continue  # "a randomised trial is warranted" says nothing about this study
        for match in CUE[cue_name].finditer(sentence.tokens):
            found.append(_untokenise(match.group(0), reading.mentions).strip(" ,;"))
    return found


def _design(record: Mapping[str, Any], reading: _Reading) -> tuple[str, str]:
    """(design, evidence) from the first rule of DESIGN_RULES that fires."""
    types = set(record.get("publication_types") or [])
    mesh = set(record.get("mesh") or [])
    registration = "Trial Registration" in types
    patients = bool(_matches(reading, "patient-sample"))
    animals_only = "Animals" in mesh and "Humans" not in mesh
    for rule in DESIGN_RULES:
        if rule.design == "preclinical" and animals_only:
            return rule.design, "MeSH 'Animals' without 'Humans'"
        hit = sorted(types.intersection(rule.publication_types))
        if hit:
            return rule.design, f"publication type '{hit[0]}'"
        hit = sorted(mesh.intersection(rule.mesh))
        if hit:
            return rule.design, f"MeSH '{hit[0]}'"
        for cue_name, where in (
            [(c, "lead") for c in rule.lead_cues]
            + [(c, "title") for c in rule.title_cues]
            + [(c, "any") for c in rule.any_cues]
        ):
            if rule.design == "protocol" and registration:
                continue  # a registration's design is its trial's design
            if cue_name == "healthy-volunteers" and patients:
                phrases = _matches(reading, cue_name, "lead")
            else:
                phrases = _matches(reading, cue_name, where)
            if phrases:
                return rule.design, f"{cue_name}: '{phrases[0]}'"
    trial_types = sorted(t for t in types if t.startswith(TRIAL_PUBLICATION_TYPES))
    if trial_types:
        return "other", f"publication type '{trial_types[0]}' without randomisation or arm cues"
    return "other", "no design cue"


# Comparison cues that name an arm on their own ("Active Comparator: CPT" in a registration):
# they need MDMA somewhere in the record, not in the same sentence.
ARM_CUES = frozenset({"established-as-control-arm"})


def _explain_treatments(reading: _Reading, design: str, mdma: bool) -> None:
    """Give every treatment mention a role: background, combined, compared or named."""
    counts_benchmark = design in {"meta-analysis", "systematic-review", "review"}
    for sentence in reading.sentences:
        if sentence.speculative:
            if re.search(r"⟨[EM]\d+⟩", sentence.tokens):
                phrase = _untokenise(sentence.tokens, reading.mentions)
                reading.evidence.append(("future-work", phrase[:120]))
                reading.cue_roles["future-work"] = "background"
            continue
        if "⟨E" not in sentence.tokens:
            continue  # the cues below act on treatment tokens only
        # In a primary study "larger than prolonged exposure" is background; in a review or
        # meta-analysis it is an indirect comparison.
        benchmark = (
            ("benchmark", "compared", "X") if counts_benchmark else ("benchmark", "background", "B")
        )
        for group, role, new_kind in (
            ("background", "background", "B"),
            *([] if counts_benchmark else [benchmark]),
            ("combination", "combined", "C"),
            ("comparison", "compared", "X"),
            *([benchmark] if counts_benchmark else []),
        ):
            for cue in (c for c in CUES if c.group == group):
                # comparisons, and combination cues that do not name MDMA themselves, need
                # MDMA in the sentence
                needs_mdma = role == "compared" or (role == "combined" and "<M>" not in cue.pattern)
                if needs_mdma and not re.search(r"⟨[MC]\d+⟩", sentence.tokens):
                    if not (mdma and cue.name in ARM_CUES):
                        continue
                for match in cue.finditer(sentence.tokens):
                    indices = [int(i) for i in re.findall(r"⟨E(\d+)⟩", match.group(0))]
                    if role == "compared":
                        # only the compared treatment (the last one in the match) changes
                        indices = indices[-1:]
                    if not indices:
                        continue
                    for index in indices:
                        reading.roles[index] = role
                    reading.cue_roles[cue.name] = role
                    if (cue.name, reading.phrase(match)) not in reading.evidence:
                        reading.evidence.append((cue.name, reading.phrase(match)))
                    tokens = sentence.tokens
                    for index in indices:
                        tokens = tokens.replace(f"⟨E{index}⟩", f"⟨{new_kind}{index}⟩")
                    sentence.tokens = tokens


def _comparator(
    reading: _Reading, mdma: bool, central: bool, vocabulary: Vocabulary
) -> tuple[str, str]:
    """The comparator and its evidence; the first of these that is present wins.

    ``central``: MDMA is the record's subject. When it is not (no MDMA, or MDMA only in
    passing), a comparison of two established treatments sets the comparator.
    """
    if any(role == "compared" for role in reading.roles.values()):
        compared = reading.evidence_for("compared")
        return "established-treatment", f"{compared[0][0]}: '{compared[0][1]}'"
    if not central:
        # MDMA not the subject: comparison cues apply to any two treatments (this column only).
        for cue in CUES:
            if cue.group in {"comparison", "comparison-no-mdma"}:
                if phrases := _matches(reading, cue.name):
                    return "established-treatment", f"{cue.name}: '{phrases[0]}'"
    if phrases := _matches(reading, "active-placebo"):
        return "active-placebo", f"active-placebo: '{phrases[0]}'"
    if mdma:
        text = " ".join(s.raw for s in reading.sentences)
        if match := vocabulary.active_placebo_pattern.search(text):
            return "active-placebo", f"active placebo drug: '{match.group(0).strip(' ,')}'"
    for cue_name, comparator in (
        ("placebo", "placebo"),
        ("low-dose-mdma", "active-placebo"),
        ("waitlist", "waitlist"),
        ("other-comparator", "other"),
    ):
        if phrases := _matches(reading, cue_name):
            return comparator, f"{cue_name}: '{phrases[0]}'"
    return "none", "no comparator named"


def _relation(reading: _Reading, mdma: bool, comparator: str) -> tuple[str, str]:
    if not mdma:
        return "none", "MDMA not named"
    roles = reading.roles.values()
    if "compared" in roles:
        cues = reading.evidence_for("compared")
        return "head-to-head", "; ".join(f"{n}: '{p}'" for n, p in cues[:3])
    if "combined" in roles:
        cues = reading.evidence_for("combined")
        return "add-on-or-combined", "; ".join(f"{n}: '{p}'" for n, p in cues[:3])
    if comparator in {"placebo", "active-placebo"}:
        return "placebo-only", f"{comparator} comparator"
    if comparator == "placebo (presumed)":
        return "placebo-only", "randomised MDMA study naming no comparator: placebo presumed"
    return "none", "no comparator or combination with an established treatment"


# --------------------------------------------------------------------------- dates


def _period(value: Any) -> tuple[date, date] | None:
    """An ISO partial date as the period it covers: '2021' -> 2021-01-01..2021-12-31."""
    if not value:
        return None
    match = re.match(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", str(value).strip())
    if not match:
        return None
    year = int(match.group(1))
    if match.group(3):
        day = date(year, int(match.group(2)), int(match.group(3)))
        return day, day
    if match.group(2):
        month = int(match.group(2))
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    return date(year, 1, 1), date(year, 12, 31)


# Registration statuses of trials still under way: such a trial is current whatever its dates.
ACTIVE_REGISTRATION = frozenset(
    {"NOT_YET_RECRUITING", "RECRUITING", "ENROLLING_BY_INVITATION", "ACTIVE_NOT_RECRUITING"}
)


def _new_since(record: Mapping[str, Any], essay: date) -> tuple[bool, str]:
    """Whether the record is new since the essay, and why; a registration of a trial that
    is still recruiting or active counts as new whatever its dates."""
    new, reason = _first_appeared_after(record, essay)
    status = str(record.get("registration_status") or "").upper()
    if not new and status in ACTIVE_REGISTRATION:
        return True, f"{reason}, but the trial is still {status}: counted as current"
    return new, reason


def _first_appeared_after(record: Mapping[str, Any], essay: date) -> tuple[bool, str]:
    """Whether the record first appeared after the essay, and the date that decided it."""
    after, before = f"after {essay.isoformat()}", f"not after {essay.isoformat()}"
    published = [
        (f"{label} {record.get(key)}", period)
        for label, key in (("published online", "epub_date"), ("published", "pub_date"))
        if (period := _period(record.get(key))) is not None
    ]
    label = ", ".join(text for text, _ in published)
    if published:
        first = min(start for _, (start, _) in published)
        last = min(end for _, (_, end) in published)
        if first > essay:
            return True, f"{label}, {after}"
        if last <= essay:
            return False, f"{label}, {before}"
    for name, key in (
        ("entered PubMed", "entrez_date"),
        ("registered", "registration_date"),
        ("registered", "first_posted"),
        ("trial start", "start_date"),
    ):
        period = _period(record.get(key))
        if period is None:
            continue
        start, end = period
        value = f"{name} {record.get(key)}"
        if published:
            value = f"{label} spans the essay date; {value}"
        if start > essay:
            return True, f"{value}, {after}"
        if end <= essay:
            return False, f"{value}, {before}"
        return True, f"{value} spans {essay.isoformat()}; counted as new"
    if published:
        return True, f"{label} spans {essay.isoformat()}; counted as new"
    return True, "no date; counted as new so that it is screened"


# --------------------------------------------------------------------------- classify


def classify(record: Mapping[str, Any], vocabulary: Vocabulary, essay_date: str) -> dict:
    """Classify one record; returns exactly :data:`CLASSIFICATION_COLUMNS`."""
    essay = date.fromisoformat(str(essay_date))
    types = list(record.get("publication_types") or [])
    mesh = list(record.get("mesh") or [])
    keywords = list(record.get("keywords") or [])
    reading = _read(record, vocabulary)

    # MDMA: named outside sentences that only speculate, or indexed (MeSH, keywords)
    mdma_text = [
        reading.mentions[int(i)].text
        for sentence in reading.sentences
        if not sentence.speculative
        for i in re.findall(r"⟨M(\d+)⟩", sentence.tokens)
    ]
    mdma_mesh = sorted(set(mesh).intersection(vocabulary.mdma_mesh))
    mdma_keywords = [
        k
        for k in keywords
        if any(
            vocabulary.groups[m.lastgroup or ""][0] == "M"
            for m in vocabulary.mention_pattern.finditer(_normalise(k))
        )
    ]
    involves_mdma = bool(mdma_text or mdma_mesh or mdma_keywords)
    # MDMA is the record's subject: in the title or a self-describing sentence, or indexed.
    mdma_central = bool(mdma_mesh) or any(
        re.search(r"⟨M\d+⟩", s.tokens) and s.lead and not s.speculative for s in reading.sentences
    )
    mdma_evidence = (
        f"'{mdma_text[0]}'"
        if mdma_text
        else f"MeSH '{mdma_mesh[0]}'"
        if mdma_mesh
        else f"keyword '{mdma_keywords[0]}'"
        if mdma_keywords
        else ""
    )

    # established treatments named (text, keywords, MeSH), in vocabulary order
    named = {m.name for m in reading.mentions if m.kind == "E"}
    for keyword in keywords:
        for match in vocabulary.mention_pattern.finditer(_normalise(keyword)):
            kind, name, ambiguous, _ = vocabulary.groups[match.lastgroup or ""]
            if kind == "E" and not ambiguous:
                named.add(name)
    named.update(t.name for t in vocabulary.treatments if set(t.mesh).intersection(mesh))
    established = [t.name for t in vocabulary.treatments if t.name in named]

    design, design_evidence = _design(record, reading)
    _explain_treatments(reading, design, involves_mdma)

    comparator, comparator_evidence = _comparator(reading, involves_mdma, mdma_central, vocabulary)
    presumed = (
        mdma_central
        and comparator == "none"
        and design in {"rct", "secondary-analysis", "meta-analysis"}
        and bool(_matches(reading, "randomised"))
    )
    relation, relation_evidence = _relation(
        reading, involves_mdma, "placebo (presumed)" if presumed else comparator
    )
    if presumed:
        comparator, comparator_evidence = "placebo", "randomised, no comparator named: presumed"

    new, date_evidence = _new_since(record, essay)

    notices = list(record.get("retraction_notices") or [])
    retraction_evidence = []
    if "Retracted Publication" in types:
        retraction_evidence.append("publication type 'Retracted Publication'")
    if notices:
        retraction_evidence.append(f"retraction notice {notices[0]}")
    if _matches(reading, "retracted-title", "title"):
        retraction_evidence.append("title marked RETRACTED")
    if record.get("retracted") and not retraction_evidence:
        retraction_evidence.append("marked retracted")
    retracted = bool(retraction_evidence)

    review_protocol = design == "protocol" and (
        "Systematic Review" in types or bool(_matches(reading, "review-protocol", "lead"))
    )
    trial_like = design in HIGHLIGHT_DESIGNS and not review_protocol
    commentary = bool(set(types).intersection(COMMENTARY_TYPES))
    if design == "other" and not commentary and not design_evidence.startswith("observational"):
        # A trial whose kind is not stated (no randomisation, arm or open-label cue).
        if any(t.startswith(TRIAL_PUBLICATION_TYPES) for t in types):
            trial_like = True
        elif trial_phrases := _matches(reading, "trial-self", "lead"):
            trial_like = True
            design_evidence += f"; a trial by its own description ('{trial_phrases[0]}')"
        elif design_evidence == "no design cue":
            # Nothing says what it is (typically a new record with neither publication types
            # nor a design word): kept as a possible trial so that it is not missed.
            trial_like = True
            design_evidence += "; counted as a possible trial"
    conditions = [
        (
            trial_like,
            f"design {design} ({design_evidence})",
            f"design {design} is not a trial or meta-analysis ({design_evidence})"
            + ("; a review protocol" if review_protocol else ""),
        ),
        (involves_mdma, f"MDMA ({mdma_evidence})", "MDMA not named"),
        (
            relation in {"head-to-head", "add-on-or-combined"},
            f"{relation} ({relation_evidence})",
            f"no comparison or combination with an established treatment "
            f"(relation {relation}: {relation_evidence})",
        ),
        (new, f"new since essay ({date_evidence})", f"not new since essay ({date_evidence})"),
        (not retracted, "not retracted", f"retracted ({'; '.join(retraction_evidence)})"),
    ]
    highlight = all(ok for ok, _, _ in conditions)
    background = reading.evidence_for("background")
    if highlight:
        reason = "highlighted: " + "; ".join(text for _, text, _ in conditions)
    else:
        failed = [bad for ok, _, bad in conditions if not ok]
        held = [good for ok, good, _ in conditions if ok]
        reason = "not highlighted: " + "; ".join(failed)
        if held:
            reason += " | also: " + "; ".join(held)
    if types:
        reason += f" | publication types: {', '.join(types)}"
    if background:
        reason += " | treatments as background: " + "; ".join(
            f"{n}: '{p}'" for n, p in background[:3]
        )
    if established:
        reason += f" | comparator {comparator} ({comparator_evidence})"
    if record.get("expression_of_concern"):
        reason += " | expression of concern: " + "; ".join(record["expression_of_concern"])

    return {
        "design": design,
        "involves_mdma": involves_mdma,
        "comparator": comparator,
        "established_treatments": established,
        "relation_to_established": relation,
        "new_since_essay": new,
        "retracted": retracted,
        "highlight": highlight,
        "highlight_reason": reason,
    }


def cue_matches(cue_name: str, text: str, vocabulary: Vocabulary) -> list[str]:
    """The phrases of ``text`` (one abstract) that cue ``cue_name`` matches, as written.

    For a reviewer asking why a cue fired, and for tests. Mentions are found as in
    :func:`classify` (an ambiguous abbreviation counts when ``text`` defines it), but no
    other cue runs first, so background mentions are not set aside.
    """
    cue = CUE[cue_name]
    title_only = cue.group in {"retraction", "design-title"}
    reading = _read({"title": text if title_only else "", "abstract": text}, vocabulary)
    return [
        _untokenise(match.group(0), reading.mentions).strip(" ,;")
        for sentence in reading.sentences
        for match in cue.finditer(sentence.tokens)
    ]


_ARM_TYPES = {
    "EXPERIMENTAL": "Experimental arm",
    "ACTIVE_COMPARATOR": "Active comparator arm",
    "PLACEBO_COMPARATOR": "Placebo comparator arm",
    "SHAM_COMPARATOR": "Sham comparator arm",
    "NO_INTERVENTION": "No-intervention control arm",
    "OTHER": "Arm",
}


def record_from_registration(registration: Mapping[str, Any]) -> dict[str, Any]:
    """A trial registration (livescreen.registry's dict, or a bundled registered_trials.json
    item) as a record :func:`classify` reads.

    The abstract is the brief summary followed by one sentence per arm ("Active comparator
    arm (CPT alone): ..."), so the arm types the registry states are read by the same cues
    as a published abstract. Publication type "Trial Registration"; dated by ``first_posted``
    (registration), else ``start_date``.
    """
    arms = [arm for arm in registration.get("arms") or [] if isinstance(arm, Mapping)]
    sentences = [str(registration.get("summary") or "").strip()]
    for arm in arms:
        kind = _ARM_TYPES.get(str(arm.get("type") or "OTHER").upper(), "Arm")
        label = str(arm.get("label") or "").strip()
        text = str(arm.get("description") or "").strip().rstrip(".")
        names = [str(n) for n in arm.get("interventions") or [] if n]
        sentence = f"{kind} ({label})" if label else kind
        sentence += f": {text}" if text else ""
        sentence += f"; interventions: {', '.join(names)}" if names else ""
        sentences.append(sentence + ".")
    if len(arms) == 1:
        sentences.append("Single-arm study (one arm registered).")
    title = (
        registration.get("official_title")
        or registration.get("title")
        or registration.get("brief_title")
        or ""
    )
    if not title and registration.get("acronym"):
        title = str(registration["acronym"])
    nct = registration.get("nct_id")
    return {
        **{key: None for key in ("pmid", "doi", "pmcid", "epub_date", "entrez_date")},
        "title": str(title),
        "abstract": "\n".join(s for s in sentences if s),
        "publication_types": ["Trial Registration"],
        "pub_date": "",
        "mesh": [],
        "keywords": list(registration.get("conditions") or []),
        "nct_ids": [nct] if nct else [],
        "retraction_notices": [],
        "retracted": False,
        "registration_date": registration.get("first_posted"),
        "start_date": registration.get("start_date"),
        "registration_status": registration.get("status") or registration.get("overall_status"),
    }


def classify_all(
    records: Iterable[Mapping[str, Any]], vocabulary: Vocabulary, essay_date: str
) -> list[dict]:
    """:func:`classify` over many records."""
    return [classify(record, vocabulary, essay_date) for record in records]
