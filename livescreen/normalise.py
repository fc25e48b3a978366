"""Normalisation for matching: one folding of names, titles, journals, DOIs and dates.

Values are kept as written for display; these keys exist only to compare them. Reference
parsing, reference resolution, the snapshot's citation matching and deduplication all use
these functions, so both sides of every comparison are folded the same way.
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz, process

# Hyphens and dashes (U+2010 hyphen ... U+2212 minus, small and full-width hyphen-minus).
DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
# Apostrophes and look-alikes: ' ‘ ’ ʼ ʹ ′ ` ´
APOSTROPHES = "'\u2018\u2019\u02bc\u02b9\u2032`\u00b4"
DASH_RE = re.compile(f"[{re.escape(DASHES)}]")
APOSTROPHE_RE = re.compile(f"[{re.escape(APOSTROPHES)}]")
SPACE_RE = re.compile(r"\s+")
# Letters NFKD does not decompose into an ASCII base letter.
FOLD = str.maketrans(
    {**dict(zip("øØłŁđĐðı", "oOlLdDdi", strict=True)), "æ": "ae", "Æ": "AE", "œ": "oe", "þ": "th"}
)
# Initials of a `Surname Initials` author: `A`, `RA`, `G-J`, `G.`
INITIALS = re.compile(r"[A-Z]\.?(?:-?[A-Z]\.?){0,3}")
# Lower-case name particles that may follow the initials (`Kleine RA de`, `Minnen A van`).
PARTICLES = frozenset(
    "da das de del della den der des di do dos du el la le ten ter van von zu".split()
)
# Words that make an author a group, never a person (`... Study Group UK`).
CORPORATE_WORDS = frozenset(
    """academy agency association board center centre collaboration collaborative college
    committee consortium council department foundation group institute investigators
    network organisation organization panel society study team trust university""".split()
)
# Words dropped from journal names for matching.
JOURNAL_STOP_WORDS = frozenset("the of and in for on".split())


def collapse_whitespace(text: str) -> str:
    """Runs of whitespace (any Unicode space) as one space, ends stripped."""
    return SPACE_RE.sub(" ", text).strip()


def ascii_dashes(text: str) -> str:
    """Every hyphen or dash (‐ – — − ...) as an ASCII hyphen-minus."""
    return DASH_RE.sub("-", text)


def ascii_fold(text: str) -> str:
    """Accents, dashes, apostrophes and compatibility forms folded to ASCII."""
    if text.isascii():  # of all the folds, only the ASCII look-alike apostrophe applies
        return text.replace("`", "'")
    text = APOSTROPHE_RE.sub("'", ascii_dashes(text.translate(FOLD)))
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return kept.encode("ascii", "ignore").decode()


def split_author(name: str) -> tuple[str, str]:
    """(surname, initials) of a `Surname Initials` author; (name, "") for a corporate author.

    The trailing all-capitals tokens are the initials; lower-case particles written after
    them move to the front of the surname: `Kleine RA de` -> ("de Kleine", "RA"),
    `Ot’alora G M` -> ("Ot’alora", "G M"), `Hendriks G-J` -> ("Hendriks", "G-J").
    """
    tokens = collapse_whitespace(name).split(" ")
    particles: list[str] = []
    while len(tokens) > 2 and tokens[-1] in PARTICLES:
        particles.insert(0, tokens.pop())
    initials: list[str] = []
    while len(tokens) > 1 and INITIALS.fullmatch(tokens[-1]):
        initials.insert(0, tokens.pop())
    is_group = any(token.casefold() in CORPORATE_WORDS for token in tokens)
    if not initials or is_group:
        return collapse_whitespace(name), ""
    return " ".join(particles + tokens), " ".join(initials)


def surname_key(author: str) -> str:
    """Matching key of an author's surname: 'Ot’alora G M' -> 'otalora', 'Kleine RA de' ->
    'dekleine', 'van Woudenberg C' -> 'vanwoudenberg'; "" for a corporate author."""
    surname, initials = split_author(author)
    if not initials:
        return ""
    return "".join(c for c in ascii_fold(surname).casefold() if c.isalnum())


def first_author_key(item: dict) -> str:
    """surname_key of the first of a record's or reference's `authors`."""
    return surname_key((item.get("authors") or [""])[0])


def normalise_title(text: str) -> str:
    """Matching form of a title: accents folded, casefolded, dashes and apostrophes deleted
    (post-traumatic = posttraumatic), other punctuation a space."""
    text = APOSTROPHE_RE.sub("", ascii_fold(text).replace("-", "")).casefold()
    return " ".join(re.findall(r"[a-z0-9]+", text))


def normalise_journal(text: str) -> str:
    """Matching form of a journal name: `The Lancet Psychiatry` -> `lancet psychiatry`.

    The title rule, after dropping a trailing parenthesised qualifier (`Psychopharmacology
    (Berl)`), then without the words of/and/the/in/for/on and with `&` read as `and`.
    """
    text = re.sub(r"\s*\([^)]*\)\s*$", "", text).replace("&", " and ")
    return " ".join(w for w in normalise_title(text).split() if w not in JOURNAL_STOP_WORDS)


def journal_abbreviation_matches(written: str, other: str) -> bool:
    """True when two journal names agree word by word, each word a prefix of the other's:
    `European Journal of Psychotraumatology` ~ `Eur J Psychotraumatol`."""
    left, right = normalise_journal(written).split(), normalise_journal(other).split()
    if not left or len(left) != len(right):
        return False
    return all(a.startswith(b) or b.startswith(a) for a, b in zip(left, right, strict=True))


def normalise_number(value: str | None) -> str | None:
    """A volume/issue/page number for comparison: leading zeros dropped (`04` -> `4`)."""
    if value is None:
        return None
    return re.sub(r"(?<!\d)0+(?=\d)", "", ascii_dashes(value.strip()))


def normalise_doi(doi: str) -> str:
    return re.sub(r"^(https?://(dx\.)?doi\.org/|doi:)", "", doi.strip().lower())


def year_of(date: str | None) -> int | None:
    """The year of an ISO partial date ('2021-05' -> 2021)."""
    return int(date[:4]) if date and date[:4].isdigit() else None


def record_years(record: dict) -> set[int]:
    """Years a record may be cited under: its publication year and its e-publication year."""
    return {record.get("year"), year_of(record.get("epub_date"))} - {None}


# -- identifiers and names as database exports write them (imports, duplicates) --------------

DOI_RE = re.compile(r"10\.\d{4,9}/\S+", re.IGNORECASE)
PMCID_RE = re.compile(r"\bPMC\s?(\d{1,9})\b", re.IGNORECASE)
NCT_RE = re.compile(r"\bNCT\s?(\d{8})\b", re.IGNORECASE)


def extract_doi(text: str | None) -> str | None:
    """The DOI written in `text` (bare, `doi:`, a doi.org or publisher URL, `%2F`-escaped),
    lower-cased with trailing punctuation and a trailing `[doi]` tag removed; None if none.

    `https://doi.org/10.1037/A0039713.` -> `10.1037/a0039713`.
    """
    if not text:
        return None
    text = text.replace("%2F", "/").replace("%2f", "/")
    found = DOI_RE.search(text)
    if found is None:
        return None
    doi = re.sub(r"\[doi\]$", "", found.group(0), flags=re.IGNORECASE)
    doi = doi.rstrip(".,;:)]}>'\"")
    # an unbalanced opening bracket means the closing one was part of the DOI
    if doi.count("(") > doi.count(")"):
        doi += ")"
    return doi.lower()


def normalise_pmcid(text: str | None) -> str | None:
    """`PMC4348420` from `Pmc4348420`, `PMC 4348420` or a URL naming it; None if none."""
    found = PMCID_RE.search(text or "")
    return f"PMC{found.group(1)}" if found else None


def nct_ids_in(text: str | None) -> list[str]:
    """ClinicalTrials.gov ids written in `text` (`NCT01234567`), upper-cased, in order, once."""
    found = [f"NCT{digits}" for digits in NCT_RE.findall(text or "")]
    return list(dict.fromkeys(found))


def author_parts(name: str) -> tuple[str, str]:
    """(surname, initials) of an author however a database writes it; (name, "") for a
    corporate author or a name that cannot be split.

    `Mitchell JM` and `Mitchell, J. M.` and `Mitchell, Jennifer M.` and `J. M. Mitchell` ->
    ("Mitchell", "JM"); `Kleine RA de` -> ("de Kleine", "RA"); `De Botton, S.` ->
    ("De Botton", "S"); `Smith, J. W., 2nd` -> ("Smith", "JW").
    """
    name = collapse_whitespace(name.replace("\u00a0", " ")).strip(" .;,")
    if not name:
        return "", ""
    if any(word.casefold().strip(".,") in CORPORATE_WORDS for word in name.split()):
        return name, ""
    if "," in name:
        surname, _, given = name.partition(",")
        given = re.sub(r",?\s*\b(?:jr|sr|2nd|3rd|ii|iii|iv)\b\.?", "", given, flags=re.IGNORECASE)
        initials = _initials_of(given)
        return surname.strip(), initials
    surname, initials = split_author(name)
    if initials:
        return surname, initials.replace(" ", "").replace(".", "").replace("-", "")
    tokens = name.split(" ")
    if len(tokens) > 1 and all(_GIVEN_NAME.fullmatch(t) for t in tokens[:-1]):
        # `J. M. Mitchell`, `Jennifer M. Mitchell`: given names first
        return tokens[-1], _initials_of(" ".join(tokens[:-1]))
    return name, ""


_GIVEN_NAME = re.compile(r"[A-Z][a-z]*\.?|[A-Z]\.?-[A-Z]\.?")


def _initials_of(given: str) -> str:
    """`Jennifer M.` -> `JM`; `R. E.` -> `RE`; `G.-J.` -> `GJ`; `RE` -> `RE`."""
    given = given.strip()
    if re.fullmatch(r"[A-Z]{1,4}", given):
        return given
    return "".join(part[0].upper() for part in re.split(r"[\s.\-]+", given) if part[:1].isalpha())


def title_similarity(a: str, b: str) -> float:
    """0-100: the better of plain and word-order-insensitive similarity of normalised titles
    (plain ratio tolerates a lost first word, token_sort_ratio reordered subtitles)."""
    return max(fuzz.ratio(a, b), fuzz.token_sort_ratio(a, b))


def title_similarity_rows(
    titles: list[str], others: list[str], cutoff: float
) -> list[dict[int, float]]:
    """For each of ``titles``, ``title_similarity`` to ``others[i]`` by index ``i``, where
    at ``cutoff`` or above: each scorer run over every pair at once (rapidfuzz's
    ``process.cdist``, in C, skipping a pair that cannot reach the cutoff)."""
    if not titles or not others:
        return [{} for _ in titles]
    import numpy as np  # rapidfuzz's cdist answers with an array

    best = np.maximum(
        *(
            process.cdist(titles, others, scorer=scorer, score_cutoff=cutoff, dtype=np.float64)
            for scorer in (fuzz.ratio, fuzz.token_sort_ratio)
        )
    )
    rows = []
    for scores in best:
        (kept,) = np.nonzero(scores >= cutoff)
        rows.append(dict(zip(kept.tolist(), scores[kept].tolist(), strict=True)))
    return rows
