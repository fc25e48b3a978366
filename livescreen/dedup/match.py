"""Match: compare two prepared records field by field and decide what they are to each other.

`compare(a, b)` returns a `Decision`: ``duplicate`` (the same work), ``possible`` (a close call
for a human: never merged), ``related`` (different works that belong together: preprint and
article, conference version and article, erratum/retraction notice/expression of concern/
comment and article, registration and publication) or ``distinct``; with the name of the
rule that decided and a reason a reviewer can read.

**Field evidence** (each compared on the `fields` keys):

* title: ``exact`` (same words), ``near`` (only spelling, spacing or punctuation differ:
  `randomised`/`randomized`, `haemolytic`/`hemolytic`, `environment`/`environments`),
  ``contained`` (one title is the other plus a subtitle, a translation or a lost first
  words; the shorter has at least 4 words), ``similar`` (rapidfuzz ratio >= 0.75 with other
  word differences), ``different``, ``missing``. A **title conflict** is a difference no
  typing error makes: other numbers (`part 1`/`part 2`, `phase 2`/`phase 3`, `2010`/`2012`),
  or a word on one side only from `CONTRAST_WORDS` (`women`/`men`, `children`, `rats`,
  `protocol`, `reply`, `interim`, …).
* authors: ``same`` (first author and >= 80% of the shorter list's surnames agree),
  ``compatible`` (first author, or half the surnames), ``different``, ``missing``.
* journal: ``same``, ``compatible`` (abbreviation word by word, one name inside the other,
  initials, near spelling), ``different``, ``missing``; MEDLINE's `A = B` alternatives count.
* volume, first page, last page: equal / conflict / missing; year: the difference.
* identifiers: a shared DOI, PMID, PMCID (or a registration's NCT id) is the same work; two
  records that both have PMIDs, none shared, are two PubMed records (two works); two DOIs,
  none shared, are evidence against.

**Decisions**, in order (the first that applies):

0. a registration and a publication citing its NCT id -> ``related`` ("registration of").
1. kinds differ (see `kinds`) and title, identifiers or locator link them -> ``related``
   (a conference paper and an abstract-like article — in a supplement, one page — in the
   same container and year are one work; so are two records at the very same place —
   journal, year, volume, issue, page range — by the same authors, whatever their kinds).
2. a shared identifier -> ``duplicate``, unless the titles are ``different`` -> ``possible``.
3. different PMIDs -> ``distinct``, or ``possible`` when everything else agrees;
   different DOIs -> ``possible`` at most.
4. a title conflict, a volume or page conflict, or years two or more apart -> ``possible``
   when titles and authors agree (and for years: ``duplicate`` when journal, volume and first
   page agree too), else ``distinct``.
5. ``exact``/``near`` title, authors ``same``/``compatible``, journal not ``different``,
   years at most one apart with a second field agreeing (same year, volume or first page)
   -> ``duplicate`` (two conference papers of one meeting series a year apart too: a
   December meeting's proceedings carry either year); a different journal name needs the
   same volume and page, page range, or volume and issue; a generic title (under 3 words:
   `Editorial`, `Reply`) needs volume and first page. Without authors: journal, year and
   volume or page must agree.
6. ``contained``/``similar`` title, authors ``same``, journal ``same``/``compatible``, year
   within one, volume and first page equal -> ``duplicate`` (a translated or re-punctuated
   title).
   One title being the other's main title (its subtitle dropped), with the same authors,
   year and container, is a ``duplicate`` too.
7. a different title at the very same place (journal, year, volume, first and last page) by
   the same authors -> ``duplicate`` (a translated title), or ``possible`` when the journal
   is missing; a record without a title is never merged on metadata alone. The rest is
   ``distinct``.

Pages are compared leniently where exports garble them: an article number (`e12724`,
`a1754`) beside print pages, a last page given alone (`569` / `567-569`), a mangled field
(`Suppl-29` / `S417-S429`), the same last page with a typo in the first, several ranges in
another order, and a range a spreadsheet turned into a date (`01-Jun`) are not conflicts.
Issue numbers above 60 are not compared (EndNote writes its record number there).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from rapidfuzz import fuzz

from livescreen.dedup.fields import Prepared
from livescreen.dedup.kinds import RELATION_NAMES

CONTRAST_WORDS = frozenset(
    """women men woman man male males female females boys girls children child adults adult
    adolescents adolescent infants infant neonates neonatal elderly older younger pediatric
    paediatric rats rat mice mouse dogs dog cats pigs rabbits monkeys primates vitro vivo
    protocol reply response comment commentary erratum correction retraction corrigendum
    interim final preliminary pilot update updated followup extension secondary posthoc
    review metaanalysis systematic withdrawn abstract editorial letter preprint
    acute chronic primary left right upper lower type""".split()
)
# Words that only say what kind of record it is (`Erratum: <title>`).
KIND_WORDS = frozenset("erratum correction corrigendum retraction comment reply response".split())
TITLE_LEVELS = ("exact", "near", "contained", "similar", "different", "missing")
AGREEING_TITLES = frozenset({"exact", "near"})
GENERIC_TITLE_WORDS = 3
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class Decision:
    """What two records are to each other, the rule that said so and why."""

    decision: str  # duplicate | possible | related | distinct
    rule: str
    reason: str
    relation: str = ""  # for related: "preprint of", "erratum for", ...
    strength: int = 0  # higher first when clustering


@dataclass(frozen=True, slots=True)
class TitleEvidence:
    level: str
    score: float
    conflict: str = ""
    subtitle: bool = False
    conflict_words: tuple[
        str, ...
    ] = ()  # one title is the other's main title (its subtitle dropped)


# -- titles ---------------------------------------------------------------------------------


def similar_words(x: str, y: str) -> bool:
    """Spelling variants of one word: `randomised`/`randomized`, `haemolytic`/`hemolytic`,
    `tumour`/`tumor`, `environment`/`environments`, `eur`/`european` (an abbreviation)."""
    if x == y:
        return True
    if x.isdigit() or y.isdigit():
        return False
    short, long_ = sorted((x, y), key=len)
    if len(short) >= 4 and long_.startswith(short) and len(long_) - len(short) <= 3:
        return True
    if len(short) >= 4 and fuzz.ratio(x, y) >= 80:
        return True
    return False


LEVEL_ORDER = {level: n for n, level in enumerate(TITLE_LEVELS)}


def compare_titles(a: Prepared, b: Prepared) -> TitleEvidence:
    """The best evidence over the titles and, for titles in two languages, their parts."""
    best = _compare_words(a.title_words, b.title_words, a, b)
    if best.level in AGREEING_TITLES or not (a.title_alternatives or b.title_alternatives):
        return best
    for left in (a.title_words, *a.title_alternatives):
        for right in (b.title_words, *b.title_alternatives):
            if left is a.title_words and right is b.title_words:
                continue
            found = _compare_words(left, right, a, b, numbers=False)
            if LEVEL_ORDER[found.level] < LEVEL_ORDER[best.level]:
                best = found
    return best


def _numbers(words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(n for w in words for n in _DIGITS.findall(w))


def _compare_words(
    wa: tuple[str, ...], wb: tuple[str, ...], a: Prepared, b: Prepared, numbers: bool = True
) -> TitleEvidence:
    if not wa or not wb:
        return TitleEvidence("missing", 0.0)
    if wa == wb or "".join(wa) == "".join(wb):
        return TitleEvidence("exact", 1.0)
    score = fuzz.ratio(" ".join(wa), " ".join(wb)) / 100
    subtitle = (a.title_main and a.title_main == wb) or (b.title_main and b.title_main == wa)
    if score < 0.5 and not _one_contains_other(wa, wb) and not subtitle:
        return TitleEvidence("different", score)
    substantive = False
    head_or_tail: list[str] = []
    only_one_side: list[str] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, wa, wb, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        left, right = wa[i1:i2], wb[j1:j2]
        if op == "replace":
            if "".join(left) == "".join(right):
                continue
            if len(left) == len(right) and all(map(similar_words, left, right)):
                continue
            substantive = True
            only_one_side.extend(left)
            only_one_side.extend(right)
            continue
        extra = left or right
        at_edge = (i1 == 0 and j1 == 0) or (i2 == len(wa) and j2 == len(wb))
        if at_edge:
            head_or_tail.extend(extra)
        else:
            substantive = True
        only_one_side.extend(extra)
    conflict = _title_conflict(
        a.title_numbers if numbers else _numbers(wa),
        b.title_numbers if numbers else _numbers(wb),
        only_one_side,
        head_or_tail,
    )
    if conflict:
        words = tuple(sorted({w for w in only_one_side if w in CONTRAST_WORDS}))
        level = "different" if score < 0.75 else "similar"
        return TitleEvidence(level, score, conflict, conflict_words=words)
    if subtitle:
        return TitleEvidence("contained", score, subtitle=True)
    if not substantive and not head_or_tail:
        return TitleEvidence("near", score)
    if not substantive and min(len(wa), len(wb)) >= 4:
        return TitleEvidence("contained", score)
    if score >= 0.75:
        return TitleEvidence("similar", score)
    return TitleEvidence("different", score)


def _one_contains_other(wa: tuple[str, ...], wb: tuple[str, ...]) -> bool:
    short, long_ = sorted((wa, wb), key=len)
    if len(short) < 4:
        return False
    n = len(short)
    return long_[:n] == short or long_[-n:] == short


def _title_conflict(
    na: tuple[str, ...], nb: tuple[str, ...], only_one_side: list[str], head_or_tail: list[str]
) -> str:
    if na != nb:
        extra_numbers = [w for w in head_or_tail if w.isdigit()]
        shorter, longer = sorted((na, nb), key=len)
        explained = (
            extra_numbers
            and len(longer) - len(shorter) == len(extra_numbers)
            and set(shorter) <= set(longer)
        )
        if not explained:
            return f"title numbers differ ({' '.join(na) or 'none'} vs {' '.join(nb) or 'none'})"
    contrast = sorted({w for w in only_one_side if w in CONTRAST_WORDS} - set(head_or_tail))
    if contrast:
        return f"title words on one side only: {', '.join(contrast)}"
    return ""


# -- authors, journals, locator ---------------------------------------------------------------


Author = tuple[str, str, str, str]


def _same_surname(x: Author, y: Author) -> bool:
    if x[0] == y[0] or x[1] == y[1] or x[0] == y[1] or x[1] == y[0]:
        return True
    if min(len(x[0]), len(y[0])) >= 5 and fuzz.ratio(x[0], y[0]) >= 85:
        return True
    return False


def _same_author(x: Author, y: Author) -> bool:
    """The same surname; or a compound surname written in part (`Jennings Anderson` /
    `Anderson`); or surname and given name swapped (`Andrea, C.` / `Carignani, Andrea`)."""
    if _same_surname(x, y):
        return True
    for p, q in ((x, y), (y, x)):
        if (
            len(q[1]) >= 5
            and len(p[1]) > len(q[1])
            and (p[1].endswith(q[1]) or p[1].startswith(q[1]))
        ):
            return True  # `Andres-Gamboa` / `Andres`, `Jennings Anderson` / `Anderson`
        if p[3] and len(p[3]) >= 3 and p[3] == q[0] and q[2] and p[0].startswith(q[2]):
            return True
    return False


def compare_authors(a: Prepared, b: Prepared) -> tuple[str, float]:
    if not a.authors or not b.authors:
        return "missing", 0.0
    first = _same_author(a.authors[0], b.authors[0])
    short, long_ = sorted((a.authors[:12], b.authors[:25]), key=len)
    keys = {y[0] for y in long_} | {y[1] for y in long_}
    found = sum(
        1 for x in short if x[0] in keys or x[1] in keys or any(_same_author(x, y) for y in long_)
    )
    overlap = found / len(short)
    if first and overlap >= 0.8:
        return "same", overlap
    if first or overlap >= 0.5:
        return "compatible", overlap
    return "different", overlap


def _abbreviates(short: str, word: str) -> bool:
    """`dtsch` abbreviates `deutsche`, `surg` `surgery`: same first letter, the rest in
    order."""
    if not short or not word or short[0] != word[0] or len(short) > len(word):
        return False
    position = 0
    for char in short:
        position = word.find(char, position)
        if position < 0:
            return False
        position += 1
    return True


def _journal_words_match(x: str, y: str) -> bool:
    left, right = x.split(), y.split()
    if not left or len(left) != len(right):
        return False
    return all(_abbreviates(p, q) or _abbreviates(q, p) for p, q in zip(left, right, strict=True))


def _compact_abbreviates(compact: str, words: list[str]) -> bool:
    """`jthoraccardiovascsurg` abbreviates `journal thoracic cardiovascular surgery`: the
    letters split into abbreviations of the words in order."""
    if len(words) < 2 or len(compact) < 4:
        return False

    failed: set[tuple[int, int]] = set()

    def fits(position: int, index: int) -> bool:
        if index == len(words):
            return position == len(compact)
        if position == len(compact) or (position, index) in failed:
            return False
        for end in range(len(compact), position, -1):
            if _abbreviates(compact[position:end], words[index]) and fits(end, index + 1):
                return True
        failed.add((position, index))
        return False

    return fits(0, 0)


def _initials(key: str) -> str:
    return "".join(w[0] for w in key.split())


def compare_journals(a: Prepared, b: Prepared) -> str:
    if not a.journal_parts or not b.journal_parts:
        return "missing"
    if set(a.journal_parts) & set(b.journal_parts):
        return "same"
    venues = a.kind == "conference" and b.kind == "conference"
    for x in a.journal_parts:
        for y in b.journal_parts:
            if _journal_words_match(x, y):
                return "compatible"
            xs, ys = x.replace(" ", ""), y.replace(" ", "")
            if xs == ys:
                return "same"
            short, long_ = sorted((x, y), key=len)
            if len(short) >= 8 and f" {short} " in f" {long_} ":
                return "compatible"
            if " " not in short and len(short) >= 3 and short == _initials(long_):
                return "compatible"
            if " " not in short and _compact_abbreviates(short, long_.split()):
                return "compatible"
            if fuzz.token_sort_ratio(x, y) >= 90:
                return "compatible"
            if venues and len(short.split()) >= 3 and set(short.split()) <= set(long_.split()):
                return "compatible"  # `Int. Conf. on e-Business` / `… Joint Conf. on e-Business …`
    return "different"


def _field(x: str | None, y: str | None) -> str:
    if x is None or y is None:
        return "missing"
    return "equal" if x == y else "conflict"


def _single_last(a: Prepared, b: Prepared) -> bool:
    """One record gives only the last page of the other's range (`569` / `567-569`)."""
    return (a.last_page is None and a.first_page == b.last_page) or (
        b.last_page is None and b.first_page == a.last_page
    )


def _mangled_pages(a: Prepared, b: Prepared) -> str:
    """A mangled page field (`Suppl-29`) agrees with `S417-S429` when its last number ends the
    other's last page: not evidence either way ("missing"); else a conflict."""
    for p, q in ((a, b), (b, a)):
        if p.page_tail and not q.page_tail:
            ends = [n for n in (q.last_page, q.first_page) if n]
            return "missing" if any(n.endswith(p.page_tail) for n in ends) else "conflict"
    return "missing"


def _issue(x: str | None, y: str | None) -> str:
    """Issues are compared only when both look like issue numbers (up to 60): exports put
    other numbers there (EndNote's record number)."""
    if x is None or y is None or not (x.isdigit() and y.isdigit()):
        return "missing"
    if int(x) > 60 or int(y) > 60:
        return "missing"
    return "equal" if x == y else "conflict"


# -- the decision -----------------------------------------------------------------------------


def _shared_ids(a: Prepared, b: Prepared) -> str:
    for name, left, right in (
        ("PMID", a.pmids, b.pmids),
        ("DOI", a.dois, b.dois),
        ("PMCID", a.pmcids, b.pmcids),
        ("NCT id", a.own_nct, b.own_nct),
    ):
        shared = left & right
        if shared:
            return f"same {name} {min(shared)}"
    return ""


def _kinds_compatible(a: Prepared, b: Prepared, journal: str, pages: bool) -> bool:
    """A conference paper and an article in the same container (or on the same pages of the
    same volume) and year: one work whose databases disagree on its type. In a journal, the
    "article" must be in a supplement, where meetings publish their abstracts."""
    if {a.kind, b.kind} != {"conference", "article"} or not a.years & b.years:
        return False
    if pages and a.volume is not None and a.volume == b.volume:
        return True
    article = a if a.kind == "article" else b
    conference = b if article is a else a
    if journal not in {"same", "compatible"}:
        return False
    one_page = article.first_page is not None and article.last_page in {None, article.first_page}
    return article.in_supplement or one_page or not (conference.volume or article.volume)


def compare(a: Prepared, b: Prepared) -> Decision:
    """What `a` and `b` are to each other (see the module doc)."""
    # 0. a trial registration and a publication that cites it
    for registration, other in ((a, b), (b, a)):
        if registration.own_nct and other.kind != "registration":
            trial = registration.own_nct & other.nct_ids
            if trial:
                reason = f"the publication cites the registration {min(trial)}"
                return Decision("related", "registration", reason, "registration of", 1)

    title = compare_titles(a, b)
    if (
        title.level == "different"
        and title.score < 0.5
        and not (a.volume and a.volume == b.volume and a.first_page == b.first_page)
        and not (a.dois & b.dois or a.pmids & b.pmids or a.pmcids & b.pmcids)
        and not (a.first_page and a.first_page == b.first_page and a.last_page == b.last_page)
    ):
        return Decision("distinct", "no-agreement", f"title different ({title.score:.2f})")
    authors, overlap = compare_authors(a, b)
    journal = compare_journals(a, b)
    volume = _field(a.volume, b.volume)
    first_page = _field(a.first_page, b.first_page)
    if first_page == "conflict" and (a.page_tail or b.page_tail):
        first_page = _mangled_pages(a, b)
    if first_page == "conflict" and (a.e_locator != b.e_locator or _single_last(a, b)):
        first_page = "missing"  # an article number beside print pages; `488` / `487-488`
    if first_page == "conflict" and a.last_page is not None and a.last_page == b.last_page:
        first_page = "missing"  # `2141-2147` / `2142-2147`, `2297-2108` / `2097-2108`
    if first_page == "conflict" and (len(a.page_starts) > 1 or len(b.page_starts) > 1):
        if a.page_starts & b.page_starts:  # `233-8, 230-5` / `230-235+233-238`
            first_page = "equal"
    last_page = _field(a.last_page, b.last_page)
    issue = _issue(a.issue, b.issue)
    years_apart = min(abs(x - y) for x in a.years for y in b.years) if a.years and b.years else None
    shared = _shared_ids(a, b)
    locator = volume == "equal" and first_page == "equal"
    # the same page range in the same year (proceedings have no volume)
    pages = first_page == "equal" and last_page == "equal" and volume != "conflict"
    titles_agree = title.level in AGREEING_TITLES
    authors_agree = authors in {"same", "compatible"}
    facts = (
        f"title {title.level} ({title.score:.2f}), authors {authors}, journal {journal}, "
        f"year {'?' if years_apart is None else f'±{years_apart}'}, volume {volume}, "
        f"issue {issue}, page {first_page}"
    )

    # 0. two PubMed records (different PMIDs) are two records, whatever else they share: a
    # DOI given to both (an erratum, a comment, an error) never merges them
    if a.pmids and b.pmids and not a.pmids & b.pmids:
        return _pmids_differ(title, authors, locator, years_apart, facts)

    # 1. related works of different kinds -- unless both are the same record at one place
    same_place = (
        locator
        and last_page == "equal"
        and issue != "conflict"
        and journal in {"same", "compatible"}
        and years_apart == 0
        and authors == "same"
        and (
            not title.conflict
            or (
                title.conflict_words
                and set(title.conflict_words) <= KIND_WORDS
                and not title.conflict.startswith("title numbers")
            )
        )
        and title.level != "missing"
    )
    if a.kind != b.kind and same_place:
        return Decision("duplicate", "same-place-kinds", f"{a.kind}/{b.kind}; {facts}", strength=3)
    if a.kind != b.kind and not _kinds_compatible(a, b, journal, pages):
        linked = (
            shared
            or (title.level in {"exact", "near", "contained"} and authors != "different")
            or (title.level == "similar" and authors_agree)
        )
        if linked:
            other = b.kind if a.kind == "article" else a.kind
            relation = RELATION_NAMES.get(other, f"{a.kind} / {b.kind}")
            return Decision(
                "related", "kinds", f"{a.kind} and {b.kind}; {shared or facts}", relation, 1
            )
        return Decision("distinct", "kinds", f"{a.kind} and {b.kind}")

    # 2. a shared identifier
    if shared:
        if title.level == "different" and not locator:
            return Decision("possible", "identifier-title", f"{shared} but {facts}")
        return Decision("duplicate", "identifier", shared, strength=9)

    # 3. conflicting identifiers
    if a.dois and b.dois:
        no_conflict = "conflict" not in {volume, first_page, issue} and (years_apart or 0) <= 1
        if titles_agree and authors_agree and no_conflict:
            return Decision("possible", "dois-differ", f"different DOIs; {facts}")
        return Decision("distinct", "dois-differ", f"different DOIs; {facts}")

    close = titles_agree and authors != "different"
    # 4. conflicts no typing error makes
    if title.conflict:
        if title.level in {"similar", "contained"} and authors_agree and journal != "different":
            return Decision("possible", "title-conflict", f"{title.conflict}; {facts}")
        return Decision("distinct", "title-conflict", title.conflict)
    if (
        volume == "conflict"
        or first_page == "conflict"
        or (issue == "conflict" and first_page != "equal")
    ):
        if close and (title.level == "exact" or authors == "same"):
            return Decision("possible", "locator-conflict", facts)
        return Decision("distinct", "locator-conflict", facts)
    if years_apart is not None and years_apart >= 2:
        if close and authors == "same" and journal in {"same", "compatible"} and locator:
            return Decision("duplicate", "year-typo", facts, strength=4)
        if close:
            return Decision("possible", "years-apart", facts)
        return Decision("distinct", "years-apart", facts)

    second = years_apart == 0 or volume == "equal" or first_page == "equal"
    generic = min(len(a.title_words), len(b.title_words)) < GENERIC_TITLE_WORDS
    # 5. the same title
    if titles_agree:
        if generic and not locator:
            if authors_agree or authors == "missing":
                return Decision("possible", "generic-title", facts)
            return Decision("distinct", "generic-title", facts)
        if authors_agree:
            if journal == "different":
                volume_issue = volume == "equal" and issue == "equal" and years_apart == 0
                if authors == "same" and (locator or (pages and years_apart == 0) or volume_issue):
                    return Decision("duplicate", "title-locator", facts, strength=6)
                return Decision("possible", "journal-differs", facts)
            if second:
                return Decision("duplicate", "title-authors", facts, strength=8)
            if (
                a.kind == b.kind == "conference"
                and authors == "same"
                and journal in {"same", "compatible"}
                and years_apart == 1
            ):
                # a December meeting's proceedings are dated either year
                return Decision("duplicate", "proceedings-year", facts, strength=5)
            return Decision("possible", "title-authors-only", facts)
        if authors == "missing":
            if (
                journal in {"same", "compatible"}
                and years_apart == 0
                and (volume == "equal" or first_page == "equal")
            ):
                return Decision("duplicate", "title-no-authors", facts, strength=5)
            return Decision("possible", "title-no-authors", facts)
        # authors different
        if locator and journal != "different":
            return Decision("possible", "authors-differ", facts)
        return Decision("distinct", "authors-differ", facts)

    # 6. a variant title with the same locator
    if title.level in {"contained", "similar"}:
        if (
            authors == "same"
            and journal in {"same", "compatible"}
            and years_apart is not None
            and years_apart <= 1
            and (locator or (pages and years_apart == 0))
        ):
            return Decision("duplicate", "variant-title-locator", facts, strength=6)
        if (
            title.subtitle
            and authors == "same"
            and years_apart == 0
            and journal in {"same", "compatible", "missing"}
            and "conflict" not in {volume, first_page, issue}
        ):
            return Decision("duplicate", "subtitle-dropped", facts, strength=5)
        if authors_agree and (locator or journal in {"same", "compatible"}):
            return Decision("possible", "variant-title", facts)
        return Decision("distinct", "variant-title", facts)

    # 7. what is left: a different (or missing) title at the same place, by the same authors
    full_locator = locator and last_page == "equal" and issue != "conflict"
    if full_locator and authors == "same" and overlap >= 0.8 and years_apart == 0:
        if journal in {"same", "compatible"} and title.level != "missing":
            return Decision("duplicate", "same-locator", facts, strength=3)
        if journal != "different":
            return Decision("possible", "locator-only", facts)
    return Decision("distinct", "no-agreement", facts)


def _pmids_differ(title, authors, locator, years_apart, facts) -> Decision:
    """Two records with different PMIDs: a possible pair when all else agrees, else distinct."""
    if title.level == "exact" and authors == "same" and locator and years_apart == 0:
        return Decision("possible", "pmids-differ", f"different PMIDs; {facts}")
    return Decision("distinct", "pmids-differ", "different PMIDs")
