"""PubMed queries in Europe PMC's search syntax, for the Europe PMC source.

``to_europepmc(query) -> EuropePmcQuery``: the query (text or a node parsed by
`livescreen.sources.query`) in Europe PMC syntax, with notes for the search log (PRISMA-S)
on every difference in meaning; a term with no faithful equivalent raises
`livescreen.errors.UntranslatableQuery` naming it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from livescreen import errors
from livescreen.sources.query import (
    BinaryOp,
    DateRange,
    Node,
    Term,
    _Date,
    _date_bounds,
    parse_query,
    translate,
)

# PubMed field -> Europe PMC search field (Europe PMC search syntax reference). Fields left out
# have no faithful equivalent and fail: [all]/[tw] (an unfielded Europe PMC search also reads
# full texts), [majr] and [sh] (no major-topic or subheading search checked), and [mh] is
# MESH_HEADING, which matches the named heading only (see EUROPEPMC_NOTES["mh"]).
EUROPEPMC_FIELDS: dict[str, str] = {
    "tiab": "TITLE_ABS",
    "ti": "TITLE",
    "ab": "ABSTRACT",
    "mh": "MESH_HEADING",
    "au": "AUTH",
    "pt": "PUB_TYPE",
    "ta": "JOURNAL",
    "la": "LANG",
}
EUROPEPMC_NOTES: dict[str, str] = {
    "order": (
        "every AND/OR/NOT group is parenthesised: PubMed applies operators left to right, "
        "Europe PMC gives AND precedence over OR"
    ),
    "preprints": (
        "no source filter: the search covers every Europe PMC source, preprints (SRC:PPR) included"
    ),
    "mh": (
        "[mh] -> MESH_HEADING: matches the named MeSH heading only; PubMed explodes [mh] to "
        "the narrower headings of the tree, Europe PMC does not, and preprints carry no MeSH "
        "(they are found through the [tiab] words)"
    ),
    "mh:noexp": "[mh:noexp] -> MESH_HEADING: the heading itself, as in PubMed",
    "pt": (
        "[pt] -> PUB_TYPE: Europe PMC types preprints as 'preprint', so a PUB_TYPE term never "
        "matches one; preprints are found through the other terms of its OR group"
    ),
    "au": (
        "[au] -> AUTH: PubMed truncates an author's initials automatically (smith j = Smith J*); "
        "Europe PMC matches the name as written"
    ),
    "dp": (
        "[dp] -> FIRST_PDATE: Europe PMC's first publication date (print or electronic, the "
        "earlier), PubMed's [dp] the journal issue date; records near a bound may differ"
    ),
    "ta": "[ta] -> JOURNAL: the journal's title or abbreviation",
    "la": "[la] -> LANG: the language code or name",
}
# A wildcard on a bare Europe PMC word: letters and digits only before the '*'.
_EPMC_WILDCARD_WORD = re.compile(r"[A-Za-z0-9]+")


@dataclass(frozen=True, slots=True)
class EuropePmcQuery:
    """A PubMed query in Europe PMC syntax, and what the search log (PRISMA-S) should say
    about the translation: which fields were mapped and where the meaning differs."""

    pubmed: str  # the PubMed query as given (or its canonical rendering, if a node was given)
    query: str  # the Europe PMC query string
    notes: tuple[str, ...]


def to_europepmc(query: str | Node) -> EuropePmcQuery:
    """Translate a PubMed query (parsed with :func:`parse_query`) to Europe PMC syntax.

    ``[tiab]`` -> ``TITLE_ABS:``, ``[ti]`` -> ``TITLE:``, ``[ab]`` -> ``ABSTRACT:``, ``[mh]``
    (and ``[mh:noexp]``) -> ``MESH_HEADING:``, ``[au]`` -> ``AUTH:``, ``[pt]`` -> ``PUB_TYPE:``,
    ``[ta]`` -> ``JOURNAL:``, ``[la]`` -> ``LANG:``, dates and ranges -> ``FIRST_PDATE:[a TO
    b]`` (bounds widened to whole days). Terms are quoted, truncation ``*`` kept on single
    words, and every nested group parenthesised. A term with no faithful equivalent (untagged
    or ``[all]``, ``[tw]``, ``[majr]``, ``[sh]``, a truncated phrase) raises
    :class:`livescreen.errors.UntranslatableQuery` naming it; nothing is silently widened.
    """
    node = parse_query(query) if isinstance(query, str) else query
    notes: dict[str, None] = {}
    text = _epmc(node, notes)
    all_notes = [EUROPEPMC_NOTES["preprints"]]
    if _has_mixed_ops(node):
        all_notes.append(EUROPEPMC_NOTES["order"])
    all_notes += list(notes)
    pubmed = query if isinstance(query, str) else translate(node)
    return EuropePmcQuery(pubmed=pubmed, query=text, notes=tuple(all_notes))


def _has_mixed_ops(node: Node) -> bool:
    ops: set[str] = set()

    def walk(n: Node) -> None:
        if isinstance(n, BinaryOp):
            ops.add(n.op)
            walk(n.left)
            walk(n.right)

    walk(node)
    return len(ops) > 1


def _epmc(node: Node, notes: dict[str, None]) -> str:
    if isinstance(node, Term):
        return _epmc_term(node, notes)
    if isinstance(node, DateRange):
        notes[EUROPEPMC_NOTES["dp"]] = None
        start, end = _date_bounds(node.start)[0], _date_bounds(node.end)[1]
        return f"FIRST_PDATE:[{_iso_day(start)} TO {_iso_day(end)}]"
    left = _epmc(node.left, notes)
    # A left operand with the same AND/OR needs no parentheses (the operator is associative
    # in both languages); every other nested group gets them.
    if isinstance(node.left, BinaryOp) and not (node.left.op == node.op != "NOT"):
        left = f"({left})"
    right = _epmc(node.right, notes)
    if isinstance(node.right, BinaryOp):
        right = f"({right})"
    return f"{left} {node.op} {right}"


def _iso_day(day: _Date) -> str:
    return f"{day[0]:04d}-{day[1]:02d}-{day[2]:02d}"


def _epmc_term(term: Term, notes: dict[str, None]) -> str:
    shown = f"{term.text}{'*' if term.truncated else ''}[{term.field}]"
    field = EUROPEPMC_FIELDS.get(term.field)
    if field is None:
        reasons = {
            "all": "an untagged term searches all fields in PubMed, and in Europe PMC it would "
            "also search full texts; tag it (e.g. [tiab])",
            "tw": "[tw] has no Europe PMC equivalent; use [tiab] and [mh]",
            "majr": "[majr] (MeSH major topic) has no checked Europe PMC equivalent; use [mh]",
            "sh": "[sh] (MeSH subheading) has no checked Europe PMC equivalent",
        }
        raise errors.UntranslatableQuery(
            f"cannot translate {shown!r} to Europe PMC: {reasons.get(term.field, 'unknown field')}",
            shown,
        )
    if term.field == "mh":
        notes[EUROPEPMC_NOTES["mh:noexp" if term.noexp else "mh"]] = None
    elif term.field in EUROPEPMC_NOTES:
        notes[EUROPEPMC_NOTES[term.field]] = None
    text = " ".join(term.text.split())
    if term.truncated:
        if not _EPMC_WILDCARD_WORD.fullmatch(text):
            raise errors.UntranslatableQuery(
                f"cannot translate {shown!r} to Europe PMC: a wildcard works on a single word "
                "of letters and digits only, not inside a phrase or after a hyphen",
                shown,
            )
        return f"{field}:{text}*"
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'{field}:"{escaped}"'
