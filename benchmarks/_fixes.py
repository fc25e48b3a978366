"""The fixes the profiles point to, applied as monkeypatches so their effect can be measured
before anyone edits livescreen/. Each must leave every output identical
(benchmarks/fix_experiments.py checks that on the evaluation set and on the benchmark
corpus). Nothing here is used by the workflow.

classify (livescreen/classify.py):
  speculative   _Sentence.speculative is a property that runs the "future-work" regex on
                every access; classify reads it ~18 times per sentence. Compute it once.
  mention-scan  Vocabulary.mention_pattern (one alternation of every vocabulary term) is
                tried at every character; a look-ahead on the terms' possible first
                characters lets the regex engine skip almost every position.
  explain-skip  _explain_treatments runs every background/combination/comparison cue on
                every sentence, but a cue match only matters when it holds a treatment
                token (its `indices` must be non-empty): skip sentences without "⟨E".
pubmed_xml (livescreen/pubmed_xml.py):
  flat-leaf     _flat walks the subtree even for a leaf element (most fields): a leaf's
                text is its whole text.
  author-once   _author_name makes three findtext calls per author: one pass over the
                author's children.
  placement     _check_placement builds an ElementTree object per article to find the
                root: the parent with no parent is the root.
"""

from __future__ import annotations

import functools
import inspect
import re

CLASSIFY = ("speculative", "mention-scan", "explain-skip")
PARSER = ("flat-leaf", "author-once", "placement")


def _speculative() -> None:
    from livescreen import classify as C

    def speculative(self) -> bool:
        return bool(C.CUE["future-work"].regex.search(self.tokens))

    prop = functools.cached_property(speculative)
    prop.__set_name__(C._Sentence, "speculative")
    C._Sentence.speculative = prop


def _first_characters(vocabulary) -> str:
    terms = list(vocabulary.mdma_terms)
    for treatment in vocabulary.treatments:
        terms += [*treatment.terms, *treatment.abbreviations, *treatment.ambiguous_abbreviations]
    chars = set()
    for term in terms:
        first = term.strip()[0]
        chars.update({first.lower(), first.upper()})
    return "[" + "".join(re.escape(c) for c in sorted(chars)) + "]"


def _mention_scan() -> None:
    from livescreen import classify as C

    original = C.Vocabulary.__post_init__
    if getattr(original, "_patched", False):
        return

    def __post_init__(self) -> None:
        original(self)
        lookbehind = "(?<![A-Za-z0-9])"
        pattern = self.mention_pattern.pattern
        assert pattern.startswith(lookbehind)
        ahead = f"(?={_first_characters(self)})"
        self.mention_pattern = re.compile(lookbehind + ahead + pattern[len(lookbehind) :])

    __post_init__._patched = True
    C.Vocabulary.__post_init__ = __post_init__


def _explain_skip() -> None:
    from livescreen import classify as C

    source = inspect.getsource(C._explain_treatments)
    anchor = '        # In a primary study "larger than prolonged exposure" is background'
    if anchor not in source:
        raise RuntimeError("livescreen.classify._explain_treatments changed: update _fixes.py")
    source = source.replace(
        anchor,
        '        if "⟨E" not in sentence.tokens:\n'
        "            continue  # the cues below act on treatment tokens only\n" + anchor,
    )
    exec(compile(source, C.__file__, "exec"), C.__dict__)


def _flat_leaf() -> None:
    from livescreen import pubmed_xml as P

    general = P._flat

    def _flat(elem):
        if elem is None:
            return ""
        if not len(elem):  # a leaf: no markup, entities or comments inside
            text = elem.text
            return " ".join(text.split()) if text else ""
        return general(elem)

    P._flat = _flat


def _author_once() -> None:
    from livescreen import pubmed_xml as P

    def _author_name(author):
        last = initials = fore = None
        for child in author:
            tag = child.tag
            if tag == "CollectiveName":
                return P._flat(child)
            if tag == "LastName" and last is None:
                last = child.text
            elif tag == "Initials" and initials is None:
                initials = child.text
            elif tag == "ForeName" and fore is None:
                fore = child.text
        given = P._clean(initials) or P._clean(fore)
        return f"{P._clean(last)} {given}".strip()

    P._author_name = _author_name


def _placement() -> None:
    from livescreen import pubmed_xml as P

    general = P._check_placement

    def _check_placement(elem):
        parent = elem.getparent()
        if parent is None or parent.tag != P.ROOT_TAG or parent.getparent() is not None:
            general(elem)  # the full check, and its error

    P._check_placement = _check_placement


PATCHES = {
    "speculative": _speculative,
    "mention-scan": _mention_scan,
    "explain-skip": _explain_skip,
    "flat-leaf": _flat_leaf,
    "author-once": _author_once,
    "placement": _placement,
}


def apply(names) -> list[str]:
    """Apply the named patches (call before building a Vocabulary); return their names."""
    applied = []
    for name in names:
        PATCHES[name]()
        applied.append(name)
    return applied
