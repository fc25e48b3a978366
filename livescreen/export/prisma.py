"""PRISMA 2020 counts of a living review: this update, and the review so far.

The counts fill the fields of the PRISMA2020 tool's template (`PRISMA.csv` of the
PRISMA2020 R package and Shiny app, github.com/prisma-flowdiagram/PRISMA2020; the `data`
names are the template's) that livescreen can know; `livescreen.export.prisma_diagram` draws them.
Everything is counted from one input, `results/screening/screening.json`, which the
`screening_tables` job writes every run: the rows of `to_screen.csv`, `registered_trials.csv`
and `essay_matches.csv` as that run built them, whose decisions are the decision store's
current decisions (blank while a decision conflict is open). The reviewer-edited CSVs are
never read here: a decision counts once it is in the store. Whenever decisions change,
screening.json changes, and Snakemake redraws the diagrams.

Each run (one `screening_tables` job, named by screening.json's `run`) searches PubMed with
every keyword and ClinicalTrials.gov once, in full (the searches are not date-limited). A
record is *shown* by a run when it is in its screening tables; it is *new* in the run that
first showed it (`first_seen` == `run`). Two sets of counts are made:

**This update** (`update_counts`: `update_counts.csv`, `update_flow.svg`; the PRISMA 2020
diagram for updated reviews). With U the distinct PMIDs the keyword searches returned, E
those of them the essay cites (`essay_matches`), F the publications found by this run
(`still_found` true), R the registrations the registry search returned:

* `database_results` = |U| (a record found by several keyword searches counts once; the
  hits summed over keywords are `livescreen_keyword_hits`, per keyword in
  counts_by_keyword.csv); `register_results` = |R|;
* `duplicates` = the records of F and R an earlier run already showed, found again
  (`livescreen_found_again`);
* `excluded_automatic` = 0 (livescreen's classification orders and highlights, it removes
  nothing); `excluded_other` = |E|, records already cited by the essay (removed by every run
  that finds them: they never reach screening);
* `records_screened` = the publications and registrations new in this run.

So for every update, **identified - duplicates - essay matches = screened**, because U is
split exactly into E, the new publications and those found again (checked: the searches
must match screening.json, or PrismaCountError names the ids that do not fit). Across
updates every record is screened once, by the run that first showed it.

**The review so far** (`review_counts`: `counts.csv`, `flow.svg`; the PRISMA 2020 diagram
for new reviews, covering every run): every record any run showed, found again or not
(`still_found` false), each counted once however many keyword searches and runs found it:
`database_results` = the publications shown plus the essay matches not shown,
`register_results` = the registrations shown, `duplicates` = 0, `excluded_other` = the
essay matches not shown, `records_screened` = every publication and registration shown
(`livescreen_first_shown_earlier` + `livescreen_first_shown_now`). The same identity holds.
Essay matches are those the latest searches find (one a search no longer finds drops out of
both `database_results` and `excluded_other`).

**Decisions**, in both: of the records screened, `exclude` -> `records_excluded` (the
`exclusion_reason`s counted in `livescreen_exclusion_reasons`, case and spacing ignored),
`include` -> passed screening (`livescreen_passed_screening`), `maybe`, blank, or an open
decision conflict -> `livescreen_awaiting_decision` (conflicts also in
`livescreen_conflicts`); records_screened = excluded + passed + awaiting, checked. While any
record screened awaits a decision, `dbr_sought_reports` and everything after it are not
known yet (n empty, drawn `–`): the reports sought are the records that passed screening,
once screening is finished. Then `dbr_sought_reports` = passed screening; when it is 0,
nothing is retrieved, assessed or included (those fields are 0).

**Previous studies** (the update's left column) are studies included in the review as it
stood before this run: 0 when no earlier run showed a record or every record earlier runs
showed is excluded, not known otherwise. The column also shows the records first shown by
earlier runs and their decisions (`livescreen_earlier_*`). The review so far starts with
livescreen's first run: its `previous_*` are 0 and its totals equal its `new_*`.

**Not known to livescreen** (n empty; reviewers fill them in, in a copy of counts.csv, and
redraw with `livescreen prisma counts.csv flow.svg flow.png`): reports not
retrieved, reports assessed and excluded with reasons, studies and reports included —
retrieval and full-text assessment happen outside livescreen. Websites, organisations and
citation searching are not part of livescreen's search (n empty).

Rows named `livescreen_*` are not PRISMA2020 fields: they break the numbers down and are
drawn as indented lines; `livescreen_view` says which set a file holds (`update` or
`review so far`) and so which template the diagram uses.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from livescreen.errors import LivescreenError
from livescreen.files import LIST_SEPARATOR, atomic_path, read_json, write_csv

COUNT_COLUMNS = ["data", "node", "box", "boxtext", "n", "note"]
KEYWORD_COLUMNS = [
    "keyword",
    "database",
    "count",
    "retrieved",
    "unique_to_keyword",
    "run_date",
    "query",
]

# PRISMA2020's PRISMA.csv: data name -> (node, box, boxtext), in the template's order.
TEMPLATE: dict[str, tuple[str, str, str]] = {
    "previous_studies": ("node5", "box1", "Studies included in previous version of review"),
    "previous_reports": (
        "NA",
        "box1",
        "Reports of studies included in previous version of review",
    ),
    "database_results": ("node7", "box2", "Databases"),
    "database_specific_results": ("NA", "box2", "Specific Databases"),
    "register_results": ("NA", "box2", "Registers"),
    "register_specific_results": ("NA", "box2", "Specific Registers"),
    "website_results": ("node17", "box11", "Websites"),
    "organisation_results": ("", "box11", "Organisations"),
    "citations_results": ("NA", "box11", "Citation searching"),
    "duplicates": ("node8", "box3", "Duplicate records"),
    "excluded_automatic": ("NA", "box3", "Records marked as ineligible by automation tools"),
    "excluded_other": ("NA", "box3", "Records removed for other reasons"),
    "records_screened": ("node9", "box4", "Records screened"),
    "records_excluded": ("node10", "box5", "Records excluded"),
    "dbr_sought_reports": ("node11", "box6", "Reports sought for retrieval"),
    "dbr_notretrieved_reports": ("node12", "box7", "Reports not retrieved"),
    "other_sought_reports": ("node18", "box12", "Reports sought for retrieval"),
    "other_notretrieved_reports": ("node19", "box13", "Reports not retrieved"),
    "dbr_assessed": ("node13", "box8", "Reports assessed for eligibility"),
    "dbr_excluded": ("node14", "box9", "Reports excluded"),
    "other_assessed": ("node20", "box14", "Reports assessed for eligibility"),
    "other_excluded": ("node21", "box15", "Reports excluded"),
    "new_studies": ("node15", "box10", "New studies included in review"),
    "new_reports": ("NA", "box10", "Reports of new included studies"),
    "total_studies": ("node22", "box16", "Total studies included in review"),
    "total_reports": ("NA", "box16", "Reports of total included studies"),
}

# livescreen's own rows (not PRISMA2020 fields): the breakdowns the diagram shows indented.
DETAIL: dict[str, str] = {
    "livescreen_view": "which counts: this update, or the review so far",
    "livescreen_run": "the run (UTC)",
    "livescreen_first_run": "the first run that showed a record (UTC)",
    "livescreen_keyword_hits": "keyword search hits, summed",
    "livescreen_found_again": "already shown by an earlier run",
    "livescreen_cross_source_duplicates": "copies across sources (PubMed, database exports)",
    "livescreen_database_exports": "records per database export",
    "livescreen_not_found_publications": "no longer found by the searches",
    "livescreen_not_found_registrations": "no longer found by the search",
    "livescreen_screened_publications": "publications (PubMed)",
    "livescreen_screened_registrations": "registrations (ClinicalTrials.gov)",
    "livescreen_first_shown_earlier": "first shown by an earlier run",
    "livescreen_first_shown_now": "first shown by this run",
    "livescreen_passed_screening": "passed screening so far",
    "livescreen_awaiting_decision": "awaiting a decision",
    "livescreen_conflicts": "of which in a decision conflict",
    "livescreen_exclusion_reasons": "reasons given",
    "livescreen_earlier_screened": "Records shown by earlier runs",
    "livescreen_earlier_include": "passed screening",
    "livescreen_earlier_exclude": "excluded",
    "livescreen_earlier_awaiting": "awaiting a decision",
}

UPDATE = "update"
REVIEW = "review so far"
FILL_IN = "not recorded by livescreen: reviewers fill it in"
NO_REASON = "no reason given"
DECISIONS = ("include", "exclude", "maybe")
# the fields that follow from screening: not known while records await a decision
AFTER_SCREENING = (
    "dbr_sought_reports",
    "dbr_notretrieved_reports",
    "dbr_assessed",
    "dbr_excluded",
    "new_studies",
    "new_reports",
)


class PrismaCountError(LivescreenError, ValueError):
    """The searches and screening.json disagree, so the counts would not add up."""


Value = tuple[int | str | None, str]  # (n, note)


# -- screening.json --------------------------------------------------------------------------


@dataclass(frozen=True)
class Screening:
    """`results/screening/screening.json`: the run and its tables' rows (text by column),
    decisions as the decision store holds them."""

    run: str
    run_folder: str
    publications: list[dict]
    registrations: list[dict]
    essay_matches: list[dict]
    # database exports (name, files, searched, query, records) and the cross-source
    # deduplication of this run (records, works, duplicates); empty without exports
    imports: tuple[dict, ...] = ()
    # other methods than databases and registers (PRISMA 2020): citation searching
    other_methods: tuple[dict, ...] = ()
    deduplication: Mapping = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping) -> Screening:
        keys = ("run", "run_folder", "publications", "registrations", "essay_matches")
        missing = [key for key in keys if key not in data]
        if missing:
            raise PrismaCountError(
                f"screening.json has no {', '.join(missing)}; it is not from this version of "
                "livescreen: run the workflow again (snakemake --forcerun screening_tables)"
            )
        for key, id_column in [
            ("publications", "pmid"),
            ("registrations", "nct_id"),
            ("essay_matches", "pmid"),
        ]:
            ids = [str(row.get("record_id") or row.get(id_column) or "") for row in data[key]]
            if "" in ids:
                raise PrismaCountError(f"screening.json: a row of {key} has no {id_column}")
            if repeated := sorted(i for i, k in Counter(ids).items() if k > 1):
                raise PrismaCountError(
                    f"screening.json: {key} lists {', '.join(repeated[:10])} more than once"
                )
        return cls(
            *(data[key] for key in keys),
            imports=tuple(data.get("imports") or ()),
            other_methods=tuple(data.get("other_methods") or ()),
            deduplication=dict(data.get("deduplication") or {}),
        )


def read_screening(path: str | Path) -> Screening:
    return Screening.from_json(read_json(path))


# -- decisions -------------------------------------------------------------------------------


def screening_decision(row: Mapping) -> str:
    """`include`, `exclude`, or `awaiting` (maybe, blank, or an open decision conflict)."""
    decision = str(row.get("decision") or "").strip().lower()
    if decision not in ("", *DECISIONS):
        record = row.get("pmid") or row.get("nct_id")
        raise PrismaCountError(
            f"screening.json: {record} has decision {decision!r}, not one of "
            f"{', '.join(DECISIONS)} or blank"
        )
    if str(row.get("conflict") or "").strip():
        return "awaiting"
    return decision if decision in ("include", "exclude") else "awaiting"


def reason_counts(rows: Iterable[Mapping]) -> dict[str, int]:
    """Exclusion reasons counted, ignoring case and spacing; each shown in its most common
    spelling (the first met, on a tie); most frequent first."""
    spellings: dict[str, Counter[str]] = {}
    for row in rows:
        text = " ".join(str(row.get("exclusion_reason") or "").split()) or NO_REASON
        spellings.setdefault(text.casefold(), Counter())[text] += 1
    counted = {max(s, key=s.__getitem__): s.total() for s in spellings.values()}
    return dict(sorted(counted.items(), key=lambda item: (-item[1], item[0].casefold())))


@dataclass(frozen=True)
class Decided:
    """Screening decisions over some records."""

    include: int
    exclude: int
    awaiting: int
    conflicts: int
    reasons: dict[str, int]

    @classmethod
    def of(cls, rows: Sequence[Mapping]) -> Decided:
        states = Counter(screening_decision(row) for row in rows)
        return cls(
            include=states["include"],
            exclude=states["exclude"],
            awaiting=states["awaiting"],
            conflicts=sum(bool(str(row.get("conflict") or "").strip()) for row in rows),
            reasons=reason_counts(r for r in rows if screening_decision(r) == "exclude"),
        )


def after_screening(decided: Decided, whose: str) -> dict[str, Value]:
    """The fields from `dbr_sought_reports` on: not known while records await a decision,
    0 when none passed screening, the reviewers' to fill in otherwise (but reports sought)."""
    if decided.awaiting:
        why = (
            f"not known yet: {decided.awaiting} of {whose} records screened await a decision "
            f"(maybe, blank or in conflict); {decided.include} passed screening so far"
        )
        return dict.fromkeys(AFTER_SCREENING, (None, why))
    if not decided.include:
        nothing = (0, "0: no record passed screening, so no report is sought")
        return dict.fromkeys(AFTER_SCREENING, nothing)
    values = dict.fromkeys(AFTER_SCREENING, (None, FILL_IN))
    values["dbr_sought_reports"] = (
        decided.include,
        f"decision include (passed title/abstract screening), among {whose} records "
        "screened, every one of them decided: their full texts are sought",
    )
    values["dbr_excluded"] = (None, f"{FILL_IN}, as 'Reason, n; Reason, n' (full-text exclusions)")
    return values


# -- counts ----------------------------------------------------------------------------------


def database_name(source: str) -> str:
    return "PubMed (offline snapshot)" if source == "snapshot" else "PubMed"


def register_name(source: str) -> str:
    return "ClinicalTrials.gov (offline snapshot)" if source == "snapshot" else "ClinicalTrials.gov"


def study_id(study: Mapping) -> str:
    """The NCT id of a study as ClinicalTrials.gov API v2 returns it."""
    return study["protocolSection"]["identificationModule"]["nctId"]


def specific(counts: Mapping[str, int]) -> str:
    """The template's list format: `Name, n; Name, n` (`;` inside a name becomes `/`)."""
    return "; ".join(f"{name.replace(';', '/')}, {n}" for name, n in counts.items())


def parse_specific(value: str) -> list[tuple[str, str]]:
    """`Name, n; Name, n` -> [(name, n)]; a part without a comma is a name without n."""
    pairs = []
    for part in value.split(";"):
        if part.strip():
            name, _, n = part.rpartition(",")
            pairs.append((name.strip(), n.strip()) if name else (n.strip(), ""))
    return pairs


@dataclass(frozen=True)
class _Searched:
    """What this run's searches returned, checked against screening.json."""

    hits: int
    by_database: dict[str, set[str]]
    studies: set[str]
    register: str
    exports: dict[str, int] = field(default_factory=dict)  # database export -> its records
    cross_source_duplicates: int = 0  # records merged into another source's copy this run
    citations: int | None = None  # works only citation searching found (None: not chased)

    @property
    def unique(self) -> set[str]:
        return set().union(*self.by_database.values())

    @property
    def identified(self) -> int:
        """Records the databases gave: distinct PMIDs, plus every export's records."""
        return len(self.unique) + sum(self.exports.values())

    def specific(self) -> dict[str, int]:
        return {**{n: len(ids) for n, ids in self.by_database.items()}, **self.exports}


def _searched(searches: Sequence[Mapping], registry: Mapping, screening: Screening) -> _Searched:
    by_database: dict[str, set[str]] = {}
    for search in searches:
        by_database.setdefault(database_name(search["source"]), set()).update(search["pmids"])
    exports: dict[str, int] = {}
    for export in screening.imports:
        exports[export["name"]] = exports.get(export["name"], 0) + int(export["records"])
    essay = {row["pmid"] for row in screening.essay_matches}
    # the PubMed records shown: the rows a keyword search found (a row only database exports
    # found has no `mechanisms`, even when it carries a PMID)
    found = {
        row["pmid"]
        for row in screening.publications
        if _still_found(row) and row.get("pmid") and str(row.get("mechanisms") or "").strip()
    }
    only_chased = [row for row in screening.publications if _citation_only(row)]
    works = len(essay) + sum(
        _still_found(row) and not _citation_only(row) for row in screening.publications
    )
    hits = len(set().union(*by_database.values())) if by_database else 0
    duplicates = hits + sum(exports.values()) - works
    searched = _Searched(
        hits=sum(len(search["pmids"]) for search in searches),
        by_database=by_database,
        studies={study_id(study) for study in registry["studies"]},
        register=register_name(registry["source"]),
        exports=exports,
        cross_source_duplicates=duplicates,
        citations=sum(map(_still_found, only_chased)) if screening.other_methods else None,
    )
    found_regs = {row["nct_id"] for row in screening.registrations if _still_found(row)}
    _check_partition("publications", searched.unique, essay, found)
    _check_partition("registrations", searched.studies, set(), found_regs)
    lost = [
        row.get("record_id") or row.get("pmid") or row.get("nct_id")
        for row in [*screening.publications, *screening.registrations]
        if row.get("first_seen") == screening.run and not _still_found(row)
    ]
    if lost:
        raise PrismaCountError(
            f"screening.json: {', '.join(lost[:10])} first shown by this run but not found by it"
        )
    if duplicates < 0 or (not exports and duplicates):
        raise PrismaCountError(
            f"screening.json: {works} works shown or set aside from {hits} PMIDs and "
            f"{sum(exports.values())} exported records; run the workflow again "
            "(snakemake --forcerun screening_tables)"
        )
    return searched


def _citation_only(row: Mapping) -> bool:
    """A work only citation chasing found (its found_by names no database): PRISMA counts it
    under other methods, not as a database record."""
    found_by = [part.strip() for part in str(row.get("found_by") or "").split(";")]
    return bool(found_by[0]) and all(part.startswith("citation:") for part in found_by)


def citation_value(n: int | None, note: str) -> dict[str, Value]:
    """citations_results, when citation chasing ran (else the template says not searched)."""
    return {} if n is None else {"citations_results": (n, note)}


def _still_found(row: Mapping) -> bool:
    return str(row.get("still_found", "true")).strip().lower() != "false"


def _check_partition(kind: str, searched: set[str], removed: set[str], shown: set[str]) -> None:
    """The searched ids must be exactly the removed ones and the ones the tables show."""
    problems = []
    if both := sorted(removed & shown):
        problems.append(f"both removed and shown for screening: {', '.join(both[:10])}")
    if unshown := sorted(searched - removed - shown):
        problems.append(f"found by the search but in no table: {', '.join(unshown[:10])}")
    if unsearched := sorted((removed | shown) - searched):
        problems.append(f"in the tables as found but not searched: {', '.join(unsearched[:10])}")
    if problems:
        raise PrismaCountError(
            f"{kind}: {'; '.join(problems)}. The searches and screening.json are from "
            "different runs; run the workflow again (snakemake --forcerun screening_tables)"
        )


def update_counts(
    searches: Sequence[Mapping], registry: Mapping, screening: Screening
) -> list[dict]:
    """This update's PRISMA2020 rows (`COUNT_COLUMNS`): records first shown by this run, and
    the earlier runs as the previous version. The module docstring defines every number;
    raises PrismaCountError when screening.json does not match the searches."""
    searched = _searched(searches, registry, screening)
    run = screening.run
    new = [row for row in screening.publications if row.get("first_seen") == run]
    new_regs = [row for row in screening.registrations if row.get("first_seen") == run]
    shown = [*screening.publications, *screening.registrations]
    earlier = [row for row in shown if row.get("first_seen") != run]
    found_again = sum(_still_found(row) for row in earlier)
    across = searched.cross_source_duplicates
    screened = [*new, *new_regs]
    decided = Decided.of(screened)
    before = Decided.of(earlier)
    essay = len(screening.essay_matches)

    if not earlier:
        previous: Value = (0, "0: no earlier run showed a record")
    elif not before.include and not before.awaiting:
        previous = (0, "0: every record earlier runs showed is excluded at screening")
    else:
        previous = (None, f"included before this run (after full-text assessment); {FILL_IN}")
    values: dict[str, Value] = {
        "previous_studies": previous,
        "previous_reports": previous,
        **citation_value(
            searched.citations,
            "works only citation searching found (forward and backward citations of the "
            "essay's references and the highlighted records), found by this run; screened "
            "with the database records",
        ),
        "database_results": (
            searched.identified,
            "distinct PMIDs the keyword searches returned (a record found by several keyword "
            "searches counts once); hits per keyword in livescreen_keyword_hits and "
            "counts_by_keyword.csv"
            + ("; plus every record of each database export" if searched.exports else ""),
        ),
        "database_specific_results": (
            specific(searched.specific()),
            "database_results per database"
            + (" (each export with its own count)" if searched.exports else ""),
        ),
        "register_results": (
            len(searched.studies),
            "registrations the ClinicalTrials.gov search returned",
        ),
        "register_specific_results": (
            specific({searched.register: len(searched.studies)}),
            "register_results per register",
        ),
        "duplicates": (
            found_again + across,
            "records and registrations an earlier run already showed, found again "
            "(livescreen_found_again)"
            + (
                ", and records of one source that are copies of another's "
                "(livescreen_cross_source_duplicates)"
                if searched.exports
                else ""
            ),
        ),
        "excluded_automatic": (
            0,
            "livescreen's classification orders and highlights records; it removes none",
        ),
        "excluded_other": (
            essay,
            "records already cited by the essay (essay_matches), removed before screening by "
            "every run that finds them",
        ),
        "records_screened": (
            len(screened),
            f"records and registrations first shown by this run ({run}): database_results + "
            "register_results - duplicates - excluded_other",
        ),
        "records_excluded": (
            decided.exclude,
            "decision exclude, among this update's records screened; reasons in "
            "livescreen_exclusion_reasons",
        ),
        **after_screening(decided, "this update's"),
    }
    values |= _totals(values)
    details: dict[str, Value] = {
        "livescreen_view": (UPDATE, "records first shown by this run (first_seen = run)"),
        "livescreen_run": (run, "screening.json run"),
        "livescreen_keyword_hits": (
            searched.hits,
            "PMIDs the keyword searches returned, summed over keywords (a record found by k "
            "searches counts k times)",
        ),
        "livescreen_found_again": (
            found_again,
            "part of duplicates" if searched.exports else "= duplicates",
        ),
        **_cross_source_details(searched),
        "livescreen_screened_publications": (len(new), "part of records_screened"),
        "livescreen_screened_registrations": (len(new_regs), "part of records_screened"),
        **_decision_details(decided, "this update's"),
        "livescreen_earlier_screened": (
            len(earlier),
            "records and registrations first shown by earlier runs, found again or not",
        ),
        "livescreen_earlier_include": (before.include, "of them, decision include"),
        "livescreen_earlier_exclude": (before.exclude, "of them, decision exclude"),
        "livescreen_earlier_awaiting": (
            before.awaiting,
            "of them, decision maybe, blank or in conflict",
        ),
    }
    rows = _rows(values, details)
    check_identity(rows)
    return rows


def review_counts(
    searches: Sequence[Mapping], registry: Mapping, screening: Screening
) -> list[dict]:
    """The review so far, as PRISMA2020 rows (`COUNT_COLUMNS`): every record any run showed,
    with its current decision. The module docstring defines every number; raises
    PrismaCountError when screening.json does not match the searches."""
    searched = _searched(searches, registry, screening)
    run = screening.run
    publications = {row.get("record_id") or row["pmid"] for row in screening.publications}
    essay_only = {row["pmid"] for row in screening.essay_matches} - publications
    shown = [*screening.publications, *screening.registrations]
    decided = Decided.of(shown)
    first = min((str(row.get("first_seen") or run) for row in shown), default=run)
    database = next(iter(searched.by_database), database_name("pubmed"))
    across = searched.cross_source_duplicates
    chased = sum(map(_citation_only, screening.publications))
    identified = len(publications) - chased + len(essay_only) + across
    pubmed_shown = sum(
        bool(row.get("pmid") and str(row.get("mechanisms") or "").strip())
        for row in screening.publications
    )
    by_database = {database: pubmed_shown + len(essay_only), **searched.exports}
    not_found = [
        sum(not _still_found(row) for row in rows)
        for rows in (screening.publications, screening.registrations)
    ]
    no_previous: Value = (
        0,
        f"0: the review so far starts with livescreen's first run ({first}), so there is no "
        "previous version",
    )
    values: dict[str, Value] = {
        "previous_studies": no_previous,
        "previous_reports": no_previous,
        **citation_value(
            chased if screening.other_methods else None,
            "works only citation searching found, any run, found again or not; screened "
            "with the database records",
        ),
        "database_results": (
            identified,
            "distinct PMIDs any run showed for screening, found again or not, plus the "
            "essay-cited records the searches find; each counted once however many keyword "
            "searches and runs found it",
        ),
        "database_specific_results": (
            specific(by_database),
            "database_results per database (PubMed: the rows a keyword search found and the "
            "essay matches; each export: its records, before duplicates across sources are "
            "removed)"
            if searched.exports
            else "database_results",
        ),
        "register_results": (
            len(screening.registrations),
            "distinct registrations any run showed, found again or not",
        ),
        "register_specific_results": (
            specific({searched.register: len(screening.registrations)}),
            "register_results per register",
        ),
        "duplicates": (
            across,
            "records of one source that are copies of another's in this run "
            "(livescreen_cross_source_duplicates)"
            if searched.exports
            else "0: database_results and register_results count each record once, however "
            "many keyword searches and runs found it",
        ),
        "excluded_automatic": (
            0,
            "livescreen's classification orders and highlights records; it removes none",
        ),
        "excluded_other": (
            len(essay_only),
            "records already cited by the essay (essay_matches) and never shown for screening",
        ),
        "records_screened": (
            len(shown),
            f"every record and registration the runs from {first} to {run} showed, found "
            "again or not: database_results + register_results - duplicates - excluded_other",
        ),
        "records_excluded": (
            decided.exclude,
            "decision exclude (the decision store's current decision), among every record "
            "screened; reasons in livescreen_exclusion_reasons",
        ),
        **after_screening(decided, "the review's"),
    }
    values |= _totals(values)
    details: dict[str, Value] = {
        "livescreen_view": (REVIEW, "every record any run showed, with its current decision"),
        "livescreen_run": (run, "screening.json run: decisions as of this run"),
        "livescreen_first_run": (first, "the earliest first_seen"),
        "livescreen_not_found_publications": (
            not_found[0],
            "part of database_results: shown by an earlier run, not found by this run's "
            "searches (still_found false)",
        ),
        "livescreen_not_found_registrations": (
            not_found[1],
            "part of register_results: shown by an earlier run, not found by this run's "
            "registry search (still_found false)",
        ),
        "livescreen_screened_publications": (len(publications), "part of records_screened"),
        "livescreen_screened_registrations": (
            len(screening.registrations),
            "part of records_screened",
        ),
        "livescreen_first_shown_earlier": (
            sum(row.get("first_seen") != run for row in shown),
            "part of records_screened: first shown by an earlier run",
        ),
        "livescreen_first_shown_now": (
            sum(row.get("first_seen") == run for row in shown),
            "part of records_screened: first shown by this run",
        ),
        **_decision_details(decided, "the review's"),
        **_cross_source_details(searched),
    }
    rows = _rows(values, details)
    check_identity(rows)
    return rows


def _cross_source_details(searched: _Searched) -> dict[str, Value]:
    if not searched.exports:
        return {}
    return {
        "livescreen_cross_source_duplicates": (
            searched.cross_source_duplicates,
            "part of duplicates: records of this run's sources (PubMed and the database "
            "exports) merged into another copy of the same work (livescreen.dedup)",
        ),
        "livescreen_database_exports": (
            specific(searched.exports),
            "each database export's records, as 'Name, n; Name, n' (searched dates and "
            "queries in counts_by_keyword.csv)",
        ),
    }


def _decision_details(decided: Decided, whose: str) -> dict[str, Value]:
    return {
        "livescreen_passed_screening": (
            decided.include,
            f"decision include, among {whose} records screened",
        ),
        "livescreen_awaiting_decision": (
            decided.awaiting,
            f"decision maybe, blank or in conflict, among {whose} records screened "
            "(records_screened = records_excluded + livescreen_passed_screening + this)",
        ),
        "livescreen_conflicts": (
            decided.conflicts,
            "part of livescreen_awaiting_decision: an open decision conflict "
            "(decision_conflicts.csv)",
        ),
        "livescreen_exclusion_reasons": (
            specific(decided.reasons),
            "exclusion_reason of records_excluded, counted ignoring case and spacing "
            "('Reason, n; Reason, n')",
        ),
    }


def _totals(values: Mapping[str, Value]) -> dict[str, Value]:
    totals = {}
    for kind in ("studies", "reports"):
        previous, new = values[f"previous_{kind}"][0], values[f"new_{kind}"][0]
        if isinstance(previous, int) and isinstance(new, int):
            totals[f"total_{kind}"] = (previous + new, f"previous_{kind} + new_{kind}")
        else:
            totals[f"total_{kind}"] = (None, f"previous_{kind} + new_{kind}, once both are known")
    return totals


def _rows(values: dict[str, Value], details: dict[str, Value]) -> list[dict]:
    not_searched = (None, "not part of livescreen's search")
    no_other = (None, "no other methods")
    values = {
        "website_results": not_searched,
        "organisation_results": not_searched,
        "citations_results": not_searched,
        **dict.fromkeys(
            ["other_sought_reports", "other_notretrieved_reports", "other_assessed"], no_other
        ),
        "other_excluded": no_other,
        **values,
    }
    rows = [
        dict(zip(COUNT_COLUMNS, (data, node, box, text, *values[data]), strict=True))
        for data, (node, box, text) in TEMPLATE.items()
    ]
    rows += [
        {"data": data, "node": "", "box": "", "boxtext": DETAIL[data], "n": n, "note": note}
        for data, (n, note) in details.items()
    ]
    return rows


def check_identity(rows: Iterable[Mapping]) -> None:
    """identified - duplicates - removed for other reasons = screened = excluded + passed
    screening + awaiting; PrismaCountError otherwise."""
    n = {row["data"]: row["n"] for row in rows}
    identified = n["database_results"] + n["register_results"]
    if isinstance(n.get("citations_results"), int):  # citation searching, screened alike
        identified += n["citations_results"]
    removed = n["duplicates"] + n["excluded_automatic"] + n["excluded_other"]
    decided = (
        n["records_excluded"] + n["livescreen_passed_screening"] + n["livescreen_awaiting_decision"]
    )
    if not identified - removed == n["records_screened"] == decided:
        raise PrismaCountError(
            f"PRISMA counts ({n['livescreen_view']}) do not add up: identified {identified} - "
            f"removed {removed} = {identified - removed}, records screened "
            f"{n['records_screened']}, decided or awaiting {decided}"
        )


def keyword_counts(
    searches: Iterable[Mapping], registry: Mapping | None = None, imports: Iterable[Mapping] = ()
) -> list[dict]:
    """counts_by_keyword.csv: per keyword search (and the registry search), its Count, the
    PMIDs retrieved and how many of them no other keyword search found; then each database
    export (PRISMA-S): its records, the date it was searched and the query as run
    (`unique_to_keyword` blank: exports are deduplicated across sources, see counts.csv)."""
    searches = list(searches)
    found_by = Counter(pmid for search in searches for pmid in set(search["pmids"]))
    rows = [
        {
            "keyword": search["slug"],
            "database": database_name(search["source"]),
            "count": search["count"],
            "retrieved": len(search["pmids"]),
            "unique_to_keyword": sum(found_by[pmid] == 1 for pmid in set(search["pmids"])),
            "run_date": search["run_date"],
            "query": search["query"],
        }
        for search in searches
    ]
    if registry is not None:
        rows.append(
            {
                "keyword": "registry",
                "database": register_name(registry["source"]),
                "count": registry["total"],
                "retrieved": len(registry["studies"]),
                "unique_to_keyword": len(registry["studies"]),
                "run_date": registry.get("run_date", ""),
                "query": LIST_SEPARATOR.join(f"{k}={v}" for k, v in registry["query"].items()),
            }
        )
    rows += [
        {
            "keyword": "database export",
            "database": export["name"],
            "count": export["records"],
            "retrieved": export["records"],
            "unique_to_keyword": "",
            "run_date": export.get("searched", ""),
            "query": export.get("query", ""),
        }
        for export in imports
    ]
    return rows


# -- files -----------------------------------------------------------------------------------


def write_counts(path: str | Path, rows: Iterable[Mapping]) -> None:
    write_csv(path, rows, COUNT_COLUMNS)


def read_counts(path: str | Path) -> list[dict]:
    """counts.csv as written, or as reviewers completed it in a spreadsheet (UTF-8 with or
    without a byte-order mark, or Windows-1252; `,` or `;` between cells)."""
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [
        {
            (key or "").strip(): (value or "").strip().removeprefix("'")
            for key, value in row.items()
            if key is not None
        }
        for row in reader
    ]


def archive(run_folder: str | Path, paths: Iterable[str | Path]) -> Path:
    """Copy the PRISMA files into `<run_folder>/prisma/`, the run's own record of them (the
    next run's decisions change results/prisma/, not this archive); returns that folder."""
    if not str(run_folder).strip():
        raise PrismaCountError("screening.json names no run_folder to archive the counts in")
    folder = Path(run_folder) / "prisma"
    for path in paths:
        with atomic_path(folder / Path(path).name) as tmp:
            shutil.copyfile(path, tmp)
    return folder


def log_line(view: str, run: str, rows: Iterable[Mapping]) -> str:
    """One line for the rule's log: the figures a reviewer checks first."""
    n = {row["data"]: row["n"] for row in rows}
    return (
        f"{view} (run {run}): identified {n['database_results']} + {n['register_results']}, "
        f"duplicates {n['duplicates']}, essay matches {n['excluded_other']}, screened "
        f"{n['records_screened']}, excluded {n['records_excluded']}, passed screening "
        f"{n['livescreen_passed_screening']}, awaiting a decision "
        f"{n['livescreen_awaiting_decision']}"
    )
