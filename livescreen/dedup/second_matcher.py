"""A second matcher: bib-dedupe's duplicate calls, merged unless livescreen's rules forbid it.

Why: on bib-dedupe's labelled sets (`docs/benchmarks.md` §5) livescreen's deduplicator alone
makes no false merge but finds fewer duplicates than bib-dedupe on three of the six sets;
bib-dedupe alone makes a false merge (a record without a title). With
`deduplicate: {second_matcher: bib-dedupe}` in `config.yaml`, a pair bib-dedupe calls a
duplicate is merged unless one of the rules livescreen keeps whatever a matcher says forbids
it (`veto`):

* two PubMed records (different PMIDs) are two records;
* related works (an erratum and its article, a preprint, a conference version, a trial
  registration and its publication) are linked in `related`, never merged;
* a record without a title is never merged on metadata alone.

A vetoed pair stays what livescreen decided (a related pair is linked) or becomes a
``possible`` pair for a human: one matcher calling it a duplicate makes it a close call,
never a silent merge. Every merge bib-dedupe asked for carries the rule ``second-matcher``
and what livescreen alone had decided, in `merged_duplicates.csv`'s reason.

bib-dedupe (https://github.com/CoLRev-Environment/bib-dedupe) is an optional dependency:
`pip install "livescreen[bib-dedupe]"`. It reads records in its own BibTeX-like columns
(`as_bib_dedupe_rows`); it runs offline (its only network call fetches example data, which
livescreen never asks for).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from livescreen.dedup.fields import Prepared
from livescreen.dedup.match import Decision
from livescreen.errors import LivescreenError

BIB_DEDUPE = "bib-dedupe"
MATCHERS = (BIB_DEDUPE,)
RULE = "second-matcher"
VETOED_RULE = "second-matcher-vetoed"
STRENGTH = 2  # after every duplicate rule of livescreen's own (3-9) when clustering


def veto(a: Prepared, b: Prepared, own: Decision) -> str:
    """Why `a` and `b` may not be merged whatever another matcher says ("" when they may)."""
    if a.pmids and b.pmids and not a.pmids & b.pmids:
        return "two PubMed records (different PMIDs)"
    if own.decision == "related":
        return f"related works ({own.relation or own.rule}), linked instead"
    if not (a.title_words and b.title_words):
        return "a record without a title is never merged on metadata alone"
    return ""


def decide(a: Prepared, b: Prepared, own: Decision, matcher: str = BIB_DEDUPE) -> Decision:
    """The decision for a pair `matcher` calls a duplicate and livescreen alone decided `own`."""
    if own.decision == "duplicate":
        return own
    alone = f"livescreen alone: {own.decision} ({own.rule}: {own.reason})"
    reason = veto(a, b, own)
    if not reason:
        return Decision("duplicate", RULE, f"{matcher}: duplicate; {alone}", strength=STRENGTH)
    if own.decision == "related":
        return own
    return Decision("possible", VETOED_RULE, f"{matcher}: duplicate; not merged: {reason}; {alone}")


# -- bib-dedupe ------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return str(value[0]) if value else ""
    return str(value).strip()


def _entry_type(record: Mapping[str, Any], kind: str) -> str:
    """A BibTeX entry type: the record's own (a BibTeX export's) or one from its kind."""
    given = _text(record.get("entry_type")).casefold()
    if given:
        return given
    return "inproceedings" if kind == "conference" else "article"


def as_bib_dedupe_rows(records: Sequence[Mapping[str, Any]], id_field: str = "record_id") -> list:
    """livescreen records as rows in bib-dedupe's columns (its benchmark's format)."""
    from livescreen.dedup.kinds import kind_of

    rows = []
    for record in records:
        authors = record.get("authors") or []
        if isinstance(authors, str):
            authors = [authors]
        year = _text(record.get("year")) or _text(record.get("pub_date"))[:4]
        rows.append(
            {
                "ID": str(record[id_field]),
                "ENTRYTYPE": _entry_type(record, kind_of(record)),
                "title": _text(record.get("title")),
                "author": " and ".join(str(a) for a in authors),
                "year": year,
                "journal": _text(record.get("journal_title")) or _text(record.get("journal")),
                "booktitle": _text(record.get("booktitle")),
                "volume": _text(record.get("volume")),
                "number": _text(record.get("issue")),
                "pages": _text(record.get("pages")),
                "doi": _text(record.get("doi")),
                "abstract": _text(record.get("abstract")),
            }
        )
    return rows


def _not_installed(error: Exception) -> LivescreenError:
    return LivescreenError(
        f"deduplicate.second_matcher is {BIB_DEDUPE!r} but bib-dedupe is not installed "
        f'({error}): `pip install "livescreen[bib-dedupe]"`, or set '
        "deduplicate.second_matcher to none in config.yaml"
    )


def bib_dedupe_pairs(rows: Iterable[Mapping[str, str]] | Any, cpu: int = 1) -> list:
    """The (ID, ID) pairs bib-dedupe calls duplicates (not its "maybe" pairs), in ID order;
    `rows` in its columns (`as_bib_dedupe_rows`) or a pandas DataFrame of them."""
    try:
        import pandas as pd
        from bib_dedupe.bib_dedupe import block, match, prep
    except ImportError as error:
        raise _not_installed(error) from error
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    if len(frame) < 2:
        return []
    matched = match(
        block(prep(frame, verbosity_level=0, cpu=cpu), verbosity_level=0, cpu=cpu),
        verbosity_level=0,
        cpu=cpu,
    )
    if matched.empty:
        return []
    duplicates = matched[matched["duplicate_label"] == "duplicate"]
    columns = zip(duplicates["ID_1"], duplicates["ID_2"], strict=True)
    pairs = {tuple(sorted((str(x), str(y)))) for x, y in columns}
    return sorted(pair for pair in pairs if pair[0] != pair[1])


# -- the workflow step (rules/dedup.smk) -----------------------------------------------------


def write_second_opinion(
    pubmed_path: str, other_paths: Sequence[str], output: str, matcher: str, cpu: int = 1
) -> dict:
    """The step: the second matcher's duplicate pairs over the records the screening step
    deduplicates (`livescreen.dedup.works.dedup_inputs`), written to `output` as JSON
    (`matcher`, its `version`, `records`, `pairs` of record ids); returned too."""
    from importlib.metadata import PackageNotFoundError, version

    from livescreen.dedup.works import dedup_inputs
    from livescreen.files import read_jsonl, write_json

    if matcher not in MATCHERS:
        raise LivescreenError(f"deduplicate.second_matcher: unknown matcher {matcher!r}")
    try:
        matcher_version = version("bib-dedupe")
    except PackageNotFoundError as error:
        raise _not_installed(error) from error
    others = [record for path in other_paths for record in read_jsonl(path)]
    inputs = dedup_inputs(read_jsonl(pubmed_path), others)
    pairs = bib_dedupe_pairs(as_bib_dedupe_rows(inputs), cpu=cpu) if inputs else []
    found = {
        "matcher": matcher,
        "version": matcher_version,
        "records": len(inputs),
        "pairs": [list(pair) for pair in pairs],
    }
    write_json(output, found)
    return found


def read_second_opinion(path: str, matcher: str) -> dict:
    """`write_second_opinion`'s file, checked to be `matcher`'s, its pairs as tuples."""
    from livescreen.files import read_json

    found = read_json(path)
    if found.get("matcher") != matcher:
        raise LivescreenError(
            f"{path}: pairs of {found.get('matcher')!r}, but deduplicate.second_matcher is "
            f"{matcher!r}; rerun the second_matcher step"
        )
    return {**found, "pairs": [(a, b) for a, b in found["pairs"]]}
