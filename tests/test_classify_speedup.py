"""The cue pre-filter (issue #19) never skips a cue that would have fired.

Every cue is run only where one of its *triggers* (literals its pattern cannot match without)
and the tokens it needs are present, and mentions are looked for only at words a term can
start with. These tests compare that with the full path — every cue over every sentence, the
mention pattern at every position — which is what the pre-filter replaces: monkeypatched
back in by the ``full_path`` fixture, it is the reference.
"""

from __future__ import annotations

import random
import re

import pytest

from livescreen.classify import CUES, classify, load_vocabulary
from livescreen.classify import cues as cues_module
from livescreen.classify import vocabulary as vocabulary_module
from livescreen.classify.cues import cues_that_may_fire, fold, trigger_lines
from livescreen.classify.text import normalise, read_record
from livescreen.classify.vocabulary import Vocabulary

ESSAY = "2021-09-03"


@pytest.fixture(scope="module")
def vocabulary():
    return load_vocabulary({})


@pytest.fixture
def full_path(monkeypatch):
    """Classify with the pre-filter off: every cue tried on every sentence, the mention
    pattern's own finditer, the mechanism index over every text."""

    def reference():
        monkeypatch.setattr(cues_module.Cue, "triggered", lambda self, folded: True)
        monkeypatch.setattr(cues_module.Cue, "lines", lambda self, found: None)
        monkeypatch.setattr(cues_module.Cue, "has_tokens", lambda self, tokens: True)
        monkeypatch.setattr(
            Vocabulary,
            "find_mentions",
            lambda self, text: list(self.mention_pattern.finditer(text)),
        )

    return reference


def _both(records, vocabulary, full_path, monkeypatch):
    fast = [classify(r, vocabulary, ESSAY) for r in records]
    full_path()
    slow = [classify(r, vocabulary, ESSAY) for r in records]
    monkeypatch.undo()
    return fast, slow


# Sentences around a phrase: where MDMA and a treatment sit, and a title, lead and later
# sentence, so comparison, combination, background and design cues all read it.
FRAMES = (
    "{x}",
    "MDMA-assisted therapy {x} prolonged exposure in veterans.",
    "Prolonged exposure {x} MDMA for PTSD: a randomised trial",
    "Participants were randomised to CPT {x} MDMA-assisted psychotherapy or waitlist.",
    "We conducted a study. Sertraline {x} MDMA (n = 40). {x} EMDR and MDMA were compared.",
    "BACKGROUND: {x} EMDR. METHODS: {x} cognitive processing therapy (CPT) and MDMA.",
    "MDMA {x} EMDR.",
)


def _phrases():
    """Every trigger of every cue, and the phrases the cue table quotes as examples."""
    found = set()
    for cue in CUES:
        found.update(cue.triggers or ())
        found.update(re.findall(r"'([^']{3,120})'", cue.meaning))
    return sorted(found)


def _variants(phrase: str) -> list[str]:
    """The phrase as written, in capitals, title case, with dashes for hyphens, plural, and
    with the letters case-insensitive matching reads as ASCII (long s, dotless i, Kelvin)."""
    return [
        phrase,
        phrase.upper(),
        phrase.title(),
        phrase.replace("-", "\u2013"),
        phrase.replace("-", " "),
        phrase + "s",
        phrase.replace("s", "\u017f", 1),
        phrase.replace("i", "\u0131", 1),
        phrase.replace("I", "\u0130", 1).replace("i", "\u0130", 1),
        phrase.replace("k", "\u212a", 1),
    ]


def test_every_trigger_in_every_frame_gives_the_full_paths_result(
    vocabulary, full_path, monkeypatch
):
    records = []
    for phrase in _phrases():
        # each spelling in one frame, the frames taking turns (every phrase meets all three)
        for i, variant in enumerate(_variants(phrase)[:6]):
            for frame in (FRAMES[1 + i % 3],):
                title, _, abstract = frame.format(x=variant).partition(": ")
                records.append({"title": title, "abstract": abstract, "pub_date": "2023"})
    fast, slow = _both(records, vocabulary, full_path, monkeypatch)
    assert fast == slow


def test_no_cue_matches_where_the_prefilter_says_it_cannot(vocabulary):
    """The property the pre-filter rests on, cue by cue: where a cue's pattern matches a
    sentence's tokens, its triggers are in the folded text and its tokens in the sentence."""
    checked = 0
    done: set[str] = set()  # a sentence read before (in another frame, or as the title)
    for phrase in _phrases():
        # each spelling in a frame with MDMA and treatment tokens around it, the frames
        # taking turns (every phrase meets all of them); the phrase as written also alone and
        # right after MDMA
        for i, variant in enumerate(_variants(phrase)):
            for frame in (FRAMES[1 + i % 6],) + ((FRAMES[0], FRAMES[6]) if i == 0 else ()):
                text = frame.format(x=variant)
                reading = read_record({"title": text, "abstract": text}, vocabulary)
                for sentence in reading.sentences:
                    # a sentence's triggers and tokens are in every record that holds it, so
                    # one check per distinct sentence has the power of checking every record
                    if sentence.tokens in done:
                        continue
                    done.add(sentence.tokens)
                    folded = fold(sentence.tokens)
                    for cue in CUES:
                        if cue.regex.search(sentence.tokens):
                            checked += 1
                            assert cue.triggered(folded), (cue.name, sentence.tokens)
                            assert cue.has_tokens(sentence.tokens), (cue.name, sentence.tokens)
                            assert reading.may_fire(cue), (cue.name, sentence.tokens)
    assert checked > 2000


def test_random_text_never_matches_without_a_trigger():
    """Fuzz: strings built from pieces of triggers, tokens, punctuation and letters that
    case-insensitive matching treats specially."""
    rng = random.Random(19)
    pieces = [t for cue in CUES for t in (cue.triggers or ())]
    pieces += ["⟨M0⟩", "⟨E1⟩", "⟨C2⟩", " ", "-", "\u2013", ",", ".", "(", ")", "\u017f", "\u0131"]
    pieces += ["\u0130", "\u212a", "s", "es", "ies", "MDMA", "PE", "versus", "with", "\n"]
    for _ in range(6000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        text = rng.choice([text, text.upper(), text.title()])
        folded = fold(text)
        for cue in CUES:
            if cue.regex.search(text):
                assert cue.triggered(folded), (cue.name, text)
                assert cue.has_tokens(text), (cue.name, text)


def test_one_pass_finds_every_trigger_a_search_per_trigger_finds():
    """trigger_lines (Aho-Corasick over the whole table) gives, for every trigger, exactly
    the lines that hold it, overlapping and nested occurrences included, and
    cues_that_may_fire names exactly the cues with a trigger there or none at all."""
    rng = random.Random(7)
    triggers = sorted({t for cue in CUES for t in (cue.triggers or ())})
    pieces = triggers + [" ", "-", "⟨m0⟩", "s", "e", "ing", ".", "\u00e9", "\u03b2"]
    for _ in range(2000):
        lines = [
            fold("".join(rng.choice(pieces) for _ in range(rng.randint(0, 8))))
            for _ in range(rng.randint(1, 5))
        ]
        found = trigger_lines(lines)
        expected = {
            t: {i for i, line in enumerate(lines) if t in line}
            for t in triggers
            if any(t in line for line in lines)
        }
        assert found == expected, lines
        may_fire = cues_that_may_fire(found)
        for cue in CUES:
            holds = cue.triggers is None or any(t in line for t in cue.triggers for line in lines)
            assert (cue.name in may_fire) == holds, (cue.name, lines)
            if cue.triggers is not None:
                assert cue.lines(found) == {
                    i for i, line in enumerate(lines) if any(t in line for t in cue.triggers)
                }


def test_the_first_character_gate_changes_no_match(vocabulary):
    """Each cue's regex, behind its look-ahead for the characters a match can start with,
    finds exactly the matches of the pattern alone: in the evaluation records' sentences
    (tokens and text) and in random strings of trigger pieces, tokens, capitals and the
    letters case-insensitive matching treats specially."""
    from livescreen.classify.cues import _PLACEHOLDERS
    from livescreen.classify.evaluation import load_items, record_from_labelled

    def plain(pattern):
        for placeholder, regex in _PLACEHOLDERS.items():
            pattern = pattern.replace(placeholder, regex)
        return re.compile(pattern, re.IGNORECASE)

    texts = []
    for item in load_items():
        for sentence in read_record(record_from_labelled(item, {}), vocabulary).sentences:
            texts += [sentence.tokens, sentence.raw]
    rng = random.Random(23)
    pieces = [t for cue in CUES for t in (cue.triggers or ())]
    pieces += ["⟨M0⟩", "⟨E1⟩", "⟨C2⟩", " ", "-", "(", "vs.", "\u017f", "\u0131", "\u0130", "\u212a"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 10)))
        texts.append(rng.choice([text, text.upper(), text.title()]))
    gated = [cue for cue in CUES if cue.regex.pattern.startswith("(?=[")]
    assert len(gated) > len(CUES) // 2  # the gate applies to most cues
    # the cues whose alternatives anchored at the start are tried there only (Cue.search)
    split = {cue.name for cue in CUES if cue.unanchored is not None}
    assert {"secondary-analysis", "review-self", "retracted-title"} <= split
    # matches at, just after and well after the start
    texts += [f"{text} {other}" for text in texts[:300] for other in ("Secondary", "retracted")]
    texts += [f"{first}{text}" for text in texts[:600] for first in (" ", "(", "a ")]
    for cue in CUES:
        reference = plain(cue.pattern)
        unless = plain(cue.unless) if cue.unless else None
        for text in texts:
            assert [m.span() for m in cue.regex.finditer(text)] == [
                m.span() for m in reference.finditer(text)
            ], (cue.name, text)
            first = None if unless and unless.search(text) else reference.search(text)
            found = cue.search(text)
            assert (found and found.span()) == (first and first.span()), (cue.name, text)


def test_letters_that_fold_to_ascii_are_all_known():
    """fold() and find_mentions() treat a few non-ASCII letters apart: those IGNORECASE
    matches with an ASCII letter (long s, dotless i, dotted capital I) and those lower()
    turns into one (dotted capital I, Kelvin sign). No other code point does either."""
    ascii_letter = re.compile("[a-z]", re.IGNORECASE)
    found = set()
    for code in range(0x80, 0x110000):
        char = chr(code)
        lower = char.lower()
        if any(c.isascii() and c.isalnum() for c in lower):
            found.add(char)
        elif ascii_letter.fullmatch(char):
            found.add(char)
    assert found == set(vocabulary_module.UNFOLDED)
    assert set(cues_module.CASE_FOLDS) | {ord("\u212a")} == {ord(c) for c in found}


@pytest.mark.parametrize(
    "text",
    [
        "MDMA-assisted therapy versus prolonged exposure (PE) and PE sessions.",
        "MDMAs, mdma, Mdma-assisted, 3,4-methylenedioxymethamphetamine (MDMA) use.",
        "EMDR\u2013CBT, TF-CBT, TF CBT, tf-cbt and cognitive-processing therapies.",
        "\u017fertraline, \u0130, ecstasy (ecstatic), ecstasies, EMDR's, xEMDR, EMDRx.",
        "Kelvin \u212aidNET and KIDNET; NET; narrative exposure therapy.",
        "(PE) [CPT] {EMDR} \u27e8E1\u27e9 SSRIs SSRI's.",
        "",
    ],
)
def test_find_mentions_is_the_patterns_finditer(vocabulary, text):
    text = normalise(text)
    expected = [(m.span(), m.lastgroup) for m in vocabulary.mention_pattern.finditer(text)]
    assert [(m.span(), m.lastgroup) for m in vocabulary.find_mentions(text)] == expected


def test_find_mentions_on_every_term_at_sentence_edges(vocabulary):
    """Every vocabulary term, at the start and end of a text, plural, capitalised, glued to
    punctuation or to letters (where it must not count)."""
    terms = [*vocabulary.mdma_terms]
    for treatment in vocabulary.treatments:
        terms += [*treatment.terms, *treatment.abbreviations, *treatment.ambiguous_abbreviations]
    for term in terms:
        for text in (
            term,
            f"{term}.",
            f"({term}s)",
            f"x{term} {term}x",
            f"{term.upper()}; {term.lower()}-based",
            f"A {term.replace(' ', '-')}: {term.replace('-', ' ')}",
        ):
            text = normalise(text)
            expected = [(m.span(), m.lastgroup) for m in vocabulary.mention_pattern.finditer(text)]
            got = [(m.span(), m.lastgroup) for m in vocabulary.find_mentions(text)]
            assert got == expected, text


def test_evaluation_records_give_the_full_paths_result(vocabulary, full_path, monkeypatch):
    from livescreen.classify import evaluation

    dates = evaluation.load_registry_dates()
    records = [evaluation.record_from_labelled(i, dates) for i in evaluation.load_items()]
    fast, slow = _both(records, vocabulary, full_path, monkeypatch)
    assert fast == slow


def test_records_at_the_edges(vocabulary, full_path, monkeypatch):
    """Empty, label-only, non-ASCII, keyword-only and mechanism records."""
    records = [
        {},
        {"title": "", "abstract": ""},
        {"title": "RETRACTED: MDMA versus PE", "abstract": "METHODS: x."},
        {"title": "Ecstatic ecstasy", "abstract": "Spiritual ecstasy and religious ecstasies."},
        {"title": "Mdma \u017fertraline", "abstract": "MDMA-a\u017f\u017fisted therapy vs CPT."},
        {"keywords": ["MDMA", "prolonged exposure", "mediation"], "title": "A trial"},
        {
            "title": "Therapeutic alliance and PTCI",
            "abstract": "Changes in the PTCI mediated the effect of MDMA on CAPS-5 scores. "
            "Future trials should include the WAI.",
        },
        {"title": "x", "abstract": "FUTURE RESEARCH SHOULD compare MDMA with EMDR."},
    ]
    fast, slow = _both(records, vocabulary, full_path, monkeypatch)
    assert fast == slow


def test_every_cue_has_a_prefilter_or_runs_always():
    """A cue is either gated (triggers or tokens) or always run; none is gated on a
    trigger shorter than three letters (such a trigger would select nothing)."""
    for cue in CUES:
        for trigger in cue.triggers or ():
            assert len(trigger) >= 3 and trigger == trigger.lower() and trigger.isascii()
    gated = [c for c in CUES if c.triggers is not None or c.tokens_needed is not None]
    assert len(gated) == len(CUES)
