"""The named cue table: every regular expression the rules use, each with a name, the rule
group that reads it, and a sentence saying what it means.

A reviewer who disagrees with a result reads the cue names in ``highlight_reason``, finds
them here in :data:`CUES`, and changes the vocabulary in config.yaml (or the cue) instead of
guessing. Cue patterns are written over tokens, not words: the mentions of MDMA and of the
established treatments are replaced by ``⟨M0⟩`` / ``⟨E3⟩`` tokens first
(:mod:`livescreen.classify.text`), so a cue says "MDMA" (``<M>``) and "an established
treatment" (``<E>``) instead of every synonym.

The comparison and combination cues are *families*, not phrases: each is built from a
connector list (``_VERSUS``, ``_COMPARING``, ``_COMBINED_E_FIRST``, ``_COMBINED_M_FIRST``,
``_COMBINING_VERB``) and read in both orders, MDMA first or the treatment first, so "EMDR or
MDMA", "sertraline as compared to MDMA" and "MDMA relative to venlafaxine" need no cue of their
own. To recognise a new way of comparing or combining, add its connector to the list.

Public API
----------
``Cue``
    A named pattern; ``cue.finditer(tokens)`` its matches in a tokenised sentence.
``CUES``
    The table, in the order the rules try it; ``CUE`` the same by name.
"""

from __future__ import annotations

import functools
import re
import re._constants as _sre_constants  # the pattern parser, for the pre-filter
import re._parser as _sre_parser
from dataclasses import dataclass

import ahocorasick  # pyahocorasick: every trigger found in one pass

__all__ = ["CUE", "CUES", "CUES_BY_GROUP", "Cue", "cues_that_may_fire", "fold", "trigger_lines"]


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
    ``title_only``: the cue reads the title only (a title names a trial's arms: "MDMA-assisted
    therapy or sertraline for PTSD: a randomised trial").
    """

    name: str
    group: str
    pattern: str
    meaning: str
    unless: str = ""
    title_only: bool = False

    @functools.cached_property  # compiled once per cue (the table is built at import)
    def regex(self) -> re.Pattern[str]:
        return _compiled(self.pattern)

    @functools.cached_property
    def names_mdma(self) -> bool:
        """The pattern can only match where the text has an MDMA token (every alternative
        names ``<M>``): a sentence without one need not be searched."""
        return _required_everywhere(self.pattern, "<M>")

    @functools.cached_property
    def unless_regex(self) -> re.Pattern[str] | None:
        return _compiled(self.unless) if self.unless else None

    @functools.cached_property
    def triggers(self) -> frozenset[str] | None:
        """Lower-case literals one of which is in every text the pattern matches (None: no
        such literal, the cue always runs). See :func:`_analyse`."""
        return _analyse(self.pattern, literal=True)

    @functools.cached_property
    def tokens_needed(self) -> tuple[tuple[str, ...], ...] | None:
        """The tokens a match holds: one of these tuples (``("⟨M", "⟨E")``) is all in any
        text the pattern matches (None: no token needed)."""
        marks = _analyse(self.pattern, literal=False)
        if marks is None:
            return None
        return tuple(sorted({tuple(sorted({_MARK_KIND[m] for m in run})) for run in marks}))

    @functools.cached_property
    def trigger_order(self) -> tuple[str, ...]:
        """The triggers, shortest first (the likeliest to be present end the look soonest)."""
        return tuple(sorted(self.triggers or (), key=lambda t: (len(t), t)))

    def triggered(self, folded: str) -> bool:
        """Whether one of the triggers is in ``folded`` (a text as :func:`fold` gives it):
        when not, the pattern cannot match the text, or any part of it."""
        return self.triggers is None or any(t in folded for t in self.trigger_order)

    def lines(self, found: dict[str, set[int]]) -> set[int] | None:
        """The lines of a text that hold one of the cue's triggers, read from ``found``
        (:func:`trigger_lines` of those lines): the pattern cannot match any other line.
        None: any line may match (the cue has no triggers, or triggers the table's index
        does not hold, as a cue built outside :data:`CUES` may)."""
        if self.triggers is None or not self.indexed:
            return None
        lines: set[int] = set()
        for trigger in self.triggers.intersection(found):
            lines |= found[trigger]
        return lines

    @functools.cached_property
    def indexed(self) -> bool:
        """Every trigger is in the table's trigger index (:func:`trigger_lines` finds it)."""
        return self.triggers is not None and self.triggers <= _trigger_index()[1]

    def has_tokens(self, tokens: str) -> bool:
        """Whether ``tokens`` holds the tokens a match needs (False: it cannot match)."""
        needed = self.tokens_needed
        return needed is None or any(all(k in tokens for k in kinds) for kinds in needed)

    def finditer(self, text: str) -> list[re.Match[str]]:
        if self.unless_regex is not None and self.unless_regex.search(text):
            return []
        return list(self.regex.finditer(text))

    def search(self, text: str) -> re.Match[str] | None:
        """The first match in ``text`` (None when the cue does not fire there)."""
        if self.unless_regex is not None and self.unless_regex.search(text):
            return None
        rest = self.unanchored
        if rest is None:
            return self.regex.search(text)
        # at the start every alternative is tried, in order, as the whole pattern's search
        # tries them there; past it only those that are not anchored to it can match
        return self.regex.match(text) or rest.search(text, 1)

    @functools.cached_property
    def unanchored(self) -> re.Pattern[str] | None:
        """The pattern without its top-level alternatives anchored to the text's start
        (``^...``), behind the first-character gate of what is left; None when it has no
        such alternative. An anchored alternative can match at the start only, and one
        that may start with any character keeps the gate off the whole pattern (the
        design cues read the study's own description: "^\\W*(?:[\\w-]+\\W+){0,3}?secondary
        ..."), so past the start the engine would try every alternative everywhere."""
        expanded = _expanded(self.pattern)
        if self.regex.flags & re.MULTILINE:
            return None  # an anchor could match after a line end: leave the pattern whole
        alternatives = _split_top_level(expanded)
        if len(alternatives) == 1 and expanded.startswith("(?:") and expanded.endswith(")"):
            if _depth_ok(inner := expanded[3:-1]):  # one group around the whole pattern
                alternatives = _split_top_level(inner)
        rest = [a for a in alternatives if not a.startswith("^")]
        if len(rest) == len(alternatives):
            return None
        if not rest:
            return _NEVER
        return re.compile(_first_character_gate("|".join(rest)), re.IGNORECASE)


def _required_everywhere(pattern: str, placeholder: str) -> bool:
    """Whether every top-level alternative of ``pattern`` has ``placeholder`` outside any
    group (so it cannot be optional): then the pattern cannot match a text without it."""
    alternatives = _split_top_level(pattern)
    if len(alternatives) == 1 and pattern.startswith("(?:") and pattern.endswith(")"):
        inner = pattern[3:-1]
        if _split_top_level(inner) is not None and _depth_ok(inner):
            return _required_everywhere(inner, placeholder)
    return all(placeholder in _outside_groups(a) for a in alternatives)


def _scan(pattern: str):
    """(index, character, depth before it) for the pattern's structural characters."""
    depth, i = 0, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":  # a character class: skip to its end
            j = pattern.find("]", i + 2)
            i = j + 1 if j > 0 else i + 1
            continue
        yield i, c, depth
        depth += (c == "(") - (c == ")")
        i += 1


def _split_top_level(pattern: str) -> list[str]:
    cuts = [i for i, c, depth in _scan(pattern) if c == "|" and depth == 0]
    bounds = [-1, *cuts, len(pattern)]
    return [pattern[a + 1 : b] for a, b in zip(bounds, bounds[1:], strict=False)]


def _depth_ok(pattern: str) -> bool:
    depth = 0
    for _, c, _ in _scan(pattern):
        depth += (c == "(") - (c == ")")
        if depth < 0:
            return False
    return depth == 0


def _outside_groups(pattern: str) -> str:
    """``pattern`` with every parenthesised group removed."""
    out, last = [], 0
    for i, c, depth in _scan(pattern):
        if c == "(" and depth == 0:
            out.append(pattern[last:i])
        elif c == ")" and depth == 1:
            last = i + 1
    out.append(pattern[last:])
    return "".join(out)


def trigger_lines(lines: list[str]) -> dict[str, set[int]]:
    """Every trigger of the cue table that ``lines`` hold (texts as :func:`fold` gives
    them), with the indices of the lines holding it: one pass over each line finds all
    triggers of every cue at once (Aho-Corasick), where a look per trigger would read the
    text once for each of several hundred."""
    automaton = _trigger_index()[0]
    found: dict[str, set[int]] = {}
    for index, line in enumerate(lines):
        for _end, trigger in automaton.iter(line):
            found.setdefault(trigger, set()).add(index)
    return found


def cues_that_may_fire(found: dict[str, set[int]]) -> frozenset[str]:
    """The names of the cues that may fire in a text whose triggers are ``found``
    (:func:`trigger_lines`): those with one of them, and those that always run. Every other
    cue's pattern cannot match the text."""
    _, _, by_trigger, always = _trigger_index()
    names = set(always)
    for trigger in found:
        names.update(by_trigger[trigger])
    return frozenset(names)


@functools.cache
def _trigger_index():
    """(an Aho-Corasick automaton over every trigger of the table, those triggers, the
    cues of each trigger, the cues that always run)."""
    by_trigger: dict[str, list[str]] = {}
    for cue in CUES:
        for trigger in cue.triggers or ():
            by_trigger.setdefault(trigger, []).append(cue.name)
    automaton = ahocorasick.Automaton()
    for trigger in sorted(by_trigger):
        automaton.add_word(trigger, trigger)
    automaton.make_automaton()
    always = frozenset(cue.name for cue in CUES if cue.triggers is None)
    return automaton, frozenset(by_trigger), by_trigger, always


_CACHE: dict[str, re.Pattern[str]] = {}


_NEVER = re.compile("(?!)")


def _expanded(pattern: str) -> str:
    for placeholder, regex in _PLACEHOLDERS.items():
        pattern = pattern.replace(placeholder, regex)
    return pattern


def _compiled(pattern: str) -> re.Pattern[str]:
    if pattern not in _CACHE:
        _CACHE[pattern] = re.compile(_first_character_gate(_expanded(pattern)), re.IGNORECASE)
    return _CACHE[pattern]


def _first_character_gate(pattern: str) -> str:
    """``pattern`` behind a look-ahead for the characters a match can start with, when the
    pattern says which (``(?=[pvawmi...])(?:patients|veterans|...)``): the engine then
    passes over every other position with one character test instead of trying each
    alternative there. The same matches: every match starts with one of those characters,
    and the look-ahead, compiled with the pattern's flags, reads case as the pattern does."""
    try:
        first = _first_set(list(_sre_parser.parse(pattern, re.IGNORECASE)))
    except Exception:  # pragma: no cover - a pattern the private parser cannot read
        return pattern
    if first is None or first[1] or not first[0]:
        return pattern  # unknown, or the pattern can match an empty string
    return f"(?=[{''.join(sorted(first[0]))}])(?:{pattern})"


def _first_set(items) -> tuple[set[str], bool] | None:
    """(the characters, as class members, that the first character a sequence of parsed
    items consumes can be; whether it can consume nothing), or None when that is not
    known (any character, a negated class, a category, a back-reference)."""
    c = _sre_constants
    chars: set[str] = set()
    for op, av in items:
        if op is c.LITERAL:
            chars.add(re.escape(chr(av)))
            return chars, False
        if op is c.IN:
            for kind, value in av:
                if kind is c.LITERAL:
                    chars.add(re.escape(chr(value)))
                elif kind is c.RANGE:
                    chars.add(f"{re.escape(chr(value[0]))}-{re.escape(chr(value[1]))}")
                else:  # NEGATE, CATEGORY, ...: not a few characters
                    return None
            return chars, False
        if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
            continue  # zero-width: the next item consumes the first character
        if op is c.SUBPATTERN:
            inner = _first_set(list(av[3]))
        elif op is c.ATOMIC_GROUP:
            inner = _first_set(list(av))
        elif op is c.BRANCH:
            branches = [_first_set(list(branch)) for branch in av[1]]
            if any(b is None for b in branches):
                return None
            inner = (set().union(*(b[0] for b in branches)), any(b[1] for b in branches))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            low, _high, item = av
            inner = _first_set(list(item))
            if inner is not None and low == 0:
                inner = (inner[0], True)
        else:
            return None
        if inner is None:
            return None
        chars |= inner[0]
        if not inner[1]:
            return chars, False
    return chars, True


# --------------------------------------------------------------------------- the pre-filter
#
# Most cues cannot fire in most records: "placebo" needs one of placebo/saline/vehicle/sham,
# "versus-established" needs a treatment token. Each cue's pattern is read once (with the
# regex module's own parser) for the *triggers*: literal strings at least one of which is in
# every text it can match, and the *tokens* (<M>, <E>, <C>) it needs. A record's text is
# scanned once for every cue's triggers (:func:`trigger_lines`); a cue none of whose triggers
# is there is not run, and its answer (no match) is the same as running it. A cue whose
# pattern gives no trigger of at least _MIN_TRIGGER characters is always run.

_MIN_TRIGGER = 3  # shorter literals (a letter of a token, "vs") select nothing
_MAX_STRINGS = 64  # a literal run spelled out in more ways than this stops growing
# Stand-ins for the placeholders while a pattern is analysed (private-use characters, which
# never appear in a trigger): a token's letter may change (E -> B, C, X) once roles are read,
# so tokens are checked per sentence, literals once per record.
_TOKEN_MARKS = {"<M>": "\ue000", "<E>": "\ue001", "<C>": "\ue002"}
_MARK_KIND = {"\ue000": "⟨M", "\ue001": "⟨E", "\ue002": "⟨C"}
# Non-ASCII letters that a case-insensitive pattern equates with an ASCII letter although
# str.lower() does not map them to it (found by trying every code point; a test checks it).
CASE_FOLDS = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s"})


_UNFOLDED = re.compile("[\u0130\u0131\u017f]")


def fold(text: str) -> str:
    """``text`` as the triggers are looked for in: lower case, and the three letters that
    IGNORECASE reads as i or s written so. A case-insensitive literal that matches ``text``
    is, lower-cased, a substring of ``fold(text)``."""
    if not text.isascii() and _UNFOLDED.search(text):
        text = text.translate(CASE_FOLDS)
    return text.lower()


def _analyse(pattern: str, literal: bool) -> frozenset[str] | None:
    """Strings of which every match of ``pattern`` (with placeholders) contains one.

    ``literal``: the strings are lower-case ASCII literals of the pattern (triggers);
    otherwise they are runs of token marks (which tokens a match holds). None: no such
    guarantee (a cue that must always run).
    """
    expanded = pattern
    for placeholder, mark in _TOKEN_MARKS.items():
        expanded = expanded.replace(placeholder, mark)
    for placeholder, regex in _PLACEHOLDERS.items():
        expanded = expanded.replace(placeholder, regex)
    try:
        parsed = _sre_parser.parse(expanded, re.IGNORECASE)
    except Exception:  # pragma: no cover - a pattern the private parser cannot read
        return None
    minimum = _MIN_TRIGGER if literal else 1
    _, found = _sequence(list(parsed), literal, minimum)
    return found


def _node(op, av, literal: bool, minimum: int):
    """(exact, found) for one parsed item: ``exact`` the strings it matches when they are
    few (else None), ``found`` strings one of which every match contains (else None)."""
    c = _sre_constants
    if op is c.LITERAL:
        char = chr(av)
        if literal:
            ok = char.isascii()
            return (frozenset({char.lower()}), None) if ok else (None, None)
        # token mode: a mark is itself; any other character is consumed and ignored
        return frozenset({char if char in _MARK_KIND else ""}), None
    if op is c.IN and literal:
        chars = [chr(a) for o, a in av if o is c.LITERAL]
        if len(chars) == len(av) <= 4 and all(ch.isascii() for ch in chars):
            return frozenset(ch.lower() for ch in chars), None
        return None, None
    if op is c.SUBPATTERN:
        return _sequence(list(av[3]), literal, minimum)
    if op is c.ATOMIC_GROUP:
        return _sequence(list(av), literal, minimum)
    if op is c.BRANCH:
        results = [_sequence(list(branch), literal, minimum) for branch in av[1]]
        exact = None
        if all(e is not None for e, _ in results):
            union = frozenset().union(*(e for e, _ in results))
            exact = union if len(union) <= _MAX_STRINGS else None
        found = None
        picks = [_best([f, e], minimum) for e, f in results]
        if all(p is not None for p in picks):
            found = frozenset().union(*picks)
        return exact, found
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
        low, high, item = av
        exact, found = _sequence(list(item), literal, minimum)
        if not literal and exact is not None and exact <= {""}:
            return exact, None  # token mode: repeating what holds no token holds none
        if low == 0:
            if high == 1 and exact is not None:
                return exact | {""}, None
            return (None, None) if literal else (_optional_marks(exact, found), None)
        if exact is not None and low == high and len(exact) ** low <= _MAX_STRINGS:
            strings = frozenset({""})
            for _ in range(low):
                strings = frozenset(a + b for a in strings for b in exact)
            return strings, None
        return None, _best([found, exact], minimum)
    if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
        return frozenset({""}), None  # zero-width: the characters around it are adjacent
    # anything else (a class, any character, a category, a group reference) reads
    # characters that are no literal: in literal mode it ends a run; in token mode it is
    # ignored (it holds no mark).
    return (None, None) if literal else (frozenset({""}), None)


def _optional_marks(exact, found):
    """Token mode: an optional, repeated item adds no required mark (None unless it holds
    none, when it is transparent)."""
    if exact is not None and exact <= {""}:
        return frozenset({""})
    return None


def _sequence(items, literal: bool, minimum: int):
    """(exact, found) for a sequence: adjacent exact items are spelled out together (a run);
    the best run or item guarantee is ``found``."""
    run: frozenset[str] | None = frozenset({""})
    candidates: list[frozenset[str] | None] = []
    whole = True  # every item so far exact and spelled into the one run
    for op, av in items:
        exact, found = _node(op, av, literal, minimum)
        if exact is not None and run is not None and len(run) * len(exact) <= _MAX_STRINGS:
            run = frozenset(a + b for a in run for b in exact)
            continue
        whole = False
        candidates.append(run)
        candidates.append(found)
        run = exact if exact is not None else frozenset({""})
    candidates.append(run)
    return (run if whole else None), _best(candidates, minimum)


def _best(candidates, minimum: int) -> frozenset[str] | None:
    """The most selective guarantee: its shortest string longest, then the fewest strings."""
    valid = [c for c in candidates if c and min(len(s) for s in c) >= minimum]
    if not valid:
        return None
    best = max(valid, key=lambda c: (min(len(s) for s in c), -len(_minimal(c))))
    return _minimal(best)


def _minimal(strings: frozenset[str]) -> frozenset[str]:
    """Without the strings that contain another: where "protocol for a" is, so is "protocol"."""
    return frozenset(s for s in strings if not any(o != s and o in s for o in strings))


_GAP_STOP = r"(?!(?:or|and|versus|vs|with|than|to|plus|psychotherapy|therapy|treatment)\b)"
_BACKGROUND_LIST = r"(?:\s*(?:,|or|and|and/or|nor)\s+(?:<w>){0,2}?<E>)*"

# Building blocks of the comparison and combination families (regex text over tokens).
# A comparing connector: "versus", "compared with", "relative to", "non-inferior to", ...
_VERSUS = (
    r"(?:versus|vs\.?|v\.|(?:as |when )?compared (?:with|to|against)|in comparison (?:with|to)"
    r"|comparisons? (?:with|to|against|of)|against|relative to|contrasted (?:with|to)"
    r"|rather than|instead of|as opposed to|(?:non-?)?inferior(?:ity)? to|superior(?:ity)? to"
    r"|equivalen(?:t|ce) to)"
)
# A comparing word that opens a phrase: "comparing", "head-to-head", "non-inferiority", ...
_COMPARING = (
    r"(?:compar(?:e|es|ed|ing|isons?|ative(?:ly)?)|head-to-head|non-?inferiority|equivalence"
    r"|superiority|contrast(?:s|ed|ing)?|(?:chose|choose|choosing|choice|preference|differences?"
    r"|differed|randomi[sz]ed|allocated) between)"
)
# Words that make a "with" read as a comparison, not a combination ("compared with").
_COMPARISON_WORDS = r"\b(?:compar\w*|versus|vs\.?|head-to-head|than|non-?inferior\w*)\b"
# The treatment, unless it is the background of a placebo arm ("PE plus placebo").
_E_NO_PLACEBO = (
    r"<E>(?!\s*(?:\([^()]*\)\s*)?(?:with|plus|\+|and|combined with)\s+(?:an?\s+|inactive\s+"
    r"|matched\s+|matching\s+)*(?:placebo|sham))"
)
# Any text within a sentence, a parenthesis counting as one piece ("(PE; n = 40)").
_SPAN = r"(?:[^.;()]|\([^()]*\)){{0,{}}}?"
# Between arms of an allocation: a comma, or, and, versus.
_ARM_SEPARATOR = r"(?:,|\bor\b|\band\b|\bversus\b|\bvs\b\.?)"
# Up to six words of an arm's description ("12 sessions of"), never placebo or a combination.
_ARM_GAP = (
    r"(?:(?!(?:placebo|sham|inactive|control|waitlist|wait-list|with|plus|receiv\w*|given"
    r"|all|both|each|after|before|during|who|which|that|while|in)\b)<w>){0,6}?"
)
# Doses and counts between a connector and MDMA: "with two adjunctive MDMA sessions".
_DOSE = (
    r"(?:(?:a|an|one|two|three|four|single|adjunctive|adjunct|low-dose|active|oral|\d+"
    r"|(?:doses?|sessions?|administrations?) of)\s+)*"
)
# Connectors that combine, read after the treatment ("PE augmented with MDMA").
_COMBINED_E_FIRST = (
    r"(?:plus|together with|combined with|in combination with|in conjunction with"
    r"|paired with|augmented (?:with|by)|enhanced (?:with|by)|facilitated by|assisted by"
    r"|supported by|supplemented (?:with|by)|accompanied by|and adjunctive|with adjunctive"
    r"|integrated (?:with|into)|preceded by|followed by)"
)
# Connectors that combine, read after MDMA ("MDMA in addition to CT-PTSD").
_COMBINED_M_FIRST = (
    r"(?:plus|combined with|in combination with|in conjunction with|together with"
    r"|as an? (?:adjunct|add-on|addition|augmentation|supplement) to|added to"
    r"|adjunct(?:ive)?(?: treatment| therapy)? to|in addition to|integrated (?:with|into|in)"
    r"|embedded (?:in|within|into)|incorporated into|paired with|(?:given |administered )?"
    r"before)"
)
# Verbs and nouns that combine: "adding", "the addition of", "augmenting", "pairing", ...
_COMBINING_VERB = (
    r"(?:combin\w*|pair(?:s|ed|ing)?|integrat\w*|add(?:s|ed|ing)?|addition of|augment\w*"
    r"|enhanc(?:e|es|ed|ing|ement of)|supplement\w*|boost(?:s|ed|ing)?|embed\w*"
    r"|incorporat\w*)"
)

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
        r"|standard (?:first-line |evidence-based )?(?:treatments?|therapies|care|of care),?)\s+"
        r"(?:<w>){0,4}?<E>" + _BACKGROUND_LIST,
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
        r"|implications? for|rationale for|(?:findings|results|data) (?:support|suggest)"
        r"|must (?:now |first |still )?be (?:compared|tested)|would need to"
        r"|(?:it is |now )?time to (?:test|compare|trial|run|conduct)"
        r"|(?:we|patients|clinicians|the field) (?:now |still )?needs? (?:\w+\s+){0,3}?(?:trials"
        r"|studies|research|comparisons|evidence))\b",
        "the sentence speculates or asks for future work; what it names is not this study's "
        "design, and an MDMA mention only there does not make the record involve MDMA"),

    # --- combination: MDMA given together with the treatment. Each family is a connector
    # list read in both orders (MDMA first, treatment first); the cue's phrase is quoted in
    # highlight_reason.
    Cue("mdma-assisted-established", "combination",
        r"<M>(?:-[A-Za-z]{1,4})?[\s-]+(?:assisted|facilitated|enhanced|augmented|supported"
        rf"|aided|boosted)\s+(?:{_GAP_STOP}<w>){{0,2}}<E>",
        "'MDMA-assisted cognitive processing therapy', 'MDMA-enhanced NET': the treatment given "
        "with MDMA"),
    Cue("established-with-mdma", "combination",
        r"<E>\s+(?:<w>){0,4}?(?:with|under|alongside|during)\s+" + _DOSE + r"<M>",
        "'written exposure therapy was delivered with MDMA', 'EMDR under MDMA', 'six EMDR "
        "sessions, two of them with MDMA'",
        unless=_COMPARISON_WORDS),
    Cue("established-plus-mdma", "combination",
        r"<E>\s*(?:<w>){0,4}?(?:(?:\+|&)\s*|" + _COMBINED_E_FIRST + r"\s+)" + _DOSE + r"<M>",
        "the treatment first, then a combining connector, then MDMA: 'prolonged exposure "
        "augmented with MDMA', 'CPT + MDMA', 'narrative exposure therapy combined with MDMA', "
        "'EMDR paired with MDMA', 'PE in conjunction with MDMA'"),
    Cue("mdma-plus-established", "combination",
        r"<M>[\w-]*\s*(?:(?!(?:or|versus|vs|than|placebo)\b)<w>){0,3}?(?:(?:\+|&)\s*|"
        + _COMBINED_M_FIRST + r"\s+)(?:(?!(?:or|versus|vs|than|placebo)\b)<w>){0,5}?<E>",
        "MDMA first, then a combining connector, then the treatment: 'MDMA + CPT', 'MDMA as an "
        "adjunct to prolonged exposure', 'MDMA in conjunction with CPT', 'MDMA sessions in "
        "addition to CT-PTSD', 'MDMA given before the second and fourth WET sessions'"),
    Cue("mdma-with-established", "combination",
        r"<M>(?:[\w-]*)\s+(?:(?!(?:or|versus|vs|than|placebo|compared)\b)<w>){0,3}?"
        r"(?:with|alongside|during|within)\s+(?:(?!(?:or|versus|vs|than|placebo|without)\b)<w>)"
        r"{0,4}?<E>",
        "'MDMA with prolonged exposure', 'MDMA dosing within a course of EMDR'",
        unless=_COMPARISON_WORDS),
    Cue("established-with-and-without-mdma", "combination",
        r"<E>\s+(?:<w>){0,3}?with(?:\s+and|\s+or|/)\s*without\s+(?:<w>){0,3}?<M>",
        "'cognitive processing therapy with and without MDMA', 'PE with or without adjunctive "
        "MDMA': MDMA added to the treatment (the comparator is read elsewhere: placebo, or the "
        "treatment alone)"),
    Cue("adjunct-to-established", "combination",
        r"\b(?:adjunct(?:ive)?(?:\s+(?:treatment|therapy|medication))?|add-on|augmentation"
        r"|enhancement|booster)\s+(?:to|of|for|with)\s+(?:<w>){0,3}?<E>",
        "'MDMA versus placebo as an adjunct to prolonged exposure', 'EMDR augmentation' (the "
        "sentence names MDMA)"),
    Cue("receiving-established-randomised-to-mdma", "combination",
        r"\b(?:receiv\w*|undergo\w*|underwent|during|in|starting|beginning|began)\s+"
        r"(?:<w>){0,3}?<E>\s+(?:<w>){0,4}?(?:randomi[sz]ed|assigned|allocated)\s+to\s+"
        r"(?:<w>){0,3}?<M>",
        "'adults receiving prolonged exposure were randomized to MDMA or placebo'"),
    Cue("established-in-every-arm", "combination",
        r"\b(?:each|both|all|every)\s+(?:(?:arms?|groups?|conditions?|participants?|patients?)\s+)?"
        r"(?:(?:were|was)\s+)?(?:combined with|given with|delivered with|received|receiving|plus"
        r"|alongside|embedded in|within|with)\s+(?:<w>){0,4}?<E>",
        "'MDMA versus placebo, each combined with prolonged exposure', 'all participants "
        "received CPT' (the sentence names MDMA): the treatment is given with MDMA"),
    Cue("combine-mdma-with-established", "combination",
        r"\b" + _COMBINING_VERB + r"\s+(?:<w>){0,4}?<M>[\w-]*\s+(?:<w>){0,3}?"
        r"(?:with|to|into|and|in|of|within|during)\s+(?:<w>){0,4}?<E>",
        "a combining verb or noun, MDMA, then the treatment: 'combines MDMA with prolonged "
        "exposure', 'adding MDMA to written exposure therapy', 'the addition of MDMA to TF-CBT', "
        "'adding one MDMA session improve outcomes of WET'"),
    Cue("combine-established-with-mdma", "combination",
        r"\b" + _COMBINING_VERB + r"\s+(?:<w>){0,4}?<E>\s+(?:<w>){0,4}?"
        r"(?:with|and|into|by)\s+(?:<w>){0,3}?<M>",
        "a combining verb or noun, the treatment, then MDMA: 'combining CBCT for PTSD with "
        "MDMA', 'augmenting massed prolonged exposure with a single MDMA session'"),
    Cue("established-integrated-with-mdma", "combination",
        r"<E>\s+(?:<w>){0,5}?(?:integrated|combined|paired|augmented|enhanced|supplemented)\s+"
        r"(?:with|by|into)\s+(?:<w>){0,2}?<M>",
        "'CBCT for PTSD can be integrated with MDMA-assisted psychotherapy'"),
    Cue("mdma-improves-established", "combination",
        r"<M>[\w-]*\s+(?:<w>){0,3}?(?:improv|enhanc|augment|boost|strengthen|facilitat|accelerat"
        r"|potentiat)\w*\s+(?:the\s+)?(?:(?:efficacy|effects?|outcomes?|benefits?|results?"
        r"|response)\s+(?:of|to)\s+)?(?:<w>){0,2}?<E>",
        "'whether a single MDMA session improves written exposure therapy': MDMA added to it"),
    Cue("mdma-dose-within-established", "combination",
        r"<M>\s+(?:<w>){0,2}?(?:dose|doses|dosing|session|sessions|administration)\s+"
        r"(?:<w>){0,4}?(?:within|during|of|into|in|before|after)\s+(?:<w>){0,4}?<E>",
        "'a single MDMA dose on day two of a ten-day massed PE program'"),

    # --- comparison: the treatment set against MDMA (sentence must name MDMA)
    Cue("versus-established", "comparison",
        r"\b" + _VERSUS + r"\s+(?:(?!(?:in|among|for|who|which|that|after|before|during"
        r"|placebo|sham)\b)<w>){0,5}?" + _E_NO_PLACEBO,
        "a comparing connector, then the treatment: 'versus prolonged exposure', 'compared with "
        "CPT', 'as compared to sertraline', 'relative to venlafaxine', 'non-inferior to PE', "
        "'its comparisons with trauma-focused psychotherapy'"),
    Cue("established-versus", "comparison",
        r"<E>(?:\s+\([^)]*\))?,?(?:\s+(?:<w>){0,2}?)?\s*(?:is\s+|was\s+|as\s+)?" + _VERSUS
        + r"(?:\s|$)",
        "the treatment, then a comparing connector: 'CBCT versus ...', 'sertraline as compared "
        "to MDMA-assisted therapy', 'is prolonged exposure non-inferior to MDMA-assisted therapy'"),
    Cue("allocation-to-arms", "comparison",
        r"\b(?:randomi[sz]\w*|assigned|allocated|allocation|assignment)\b" + _SPAN.format(60)
        + r"\bto\b" + _SPAN.format(140) + r"(?:<M>" + _SPAN.format(140) + _ARM_SEPARATOR
        + r"\s+" + _ARM_GAP + _E_NO_PLACEBO + r"|<E>" + _SPAN.format(140) + _ARM_SEPARATOR
        + r"\s+" + _ARM_GAP + r"<M>)",
        "participants allocated to arms that include MDMA and the treatment, in any order: "
        "'randomised to MDMA-assisted therapy or EMDR', 'allocated to either EMDR or "
        "MDMA-assisted psychotherapy', 'randomised to MDMA-assisted therapy, prolonged exposure "
        "or waitlist'"),
    Cue("comparing-mdma-and-established", "comparison",
        r"\b" + _COMPARING + r"\b[^.;]{0,160}?(?:<M>[^.;]{0,120}?(?:\b(?:with|to|and|versus|vs\.?"
        r"|or|against)|,)\s+(?:<w>){0,6}?" + _E_NO_PLACEBO + r"|<E>[^.;]{0,120}?(?:\b(?:with|to"
        r"|and|versus|vs\.?|or|against)|,)\s+(?:<w>){0,6}?<M>)",
        "a comparing word, then MDMA and the treatment in any order: 'comparing MDMA-assisted "
        "therapy, prolonged exposure and SSRIs', 'head-to-head comparison of MDMA-assisted "
        "therapy and paroxetine', 'a non-inferiority trial of PE and MDMA'"),
    Cue("mdma-and-established-compared", "comparison",
        r"(?:<M>[^.;:]{0,60}?(?:\band\b|,|\bor\b)\s+(?:<w>){0,4}?" + _E_NO_PLACEBO + r"|<E>[^.;:]"
        r"{0,60}?(?:\band\b|,|\bor\b)\s+(?:<w>){0,4}?<M>)[^.;]{0,80}?\b(?:were compared|are "
        r"compared|comparative|comparison|head-to-head|non-?inferiority|equivalence trial"
        r"|(?:two|three|four|multi)-arm|arms)\b",
        "MDMA and the treatment, then a comparing word: 'MDMA-assisted therapy and cognitive "
        "processing therapy in veterans: a comparative effectiveness trial', 'the MDMA and PE "
        "arms'"),
    Cue("network-meta-analysis-of-mdma-and-established", "comparison",
        r"\b(?:network meta-analy\w*|indirect comparisons?|mixed[\s-]treatment comparisons?)\b"
        r"[^.;]{0,200}?(?:<M>[^.;]{0,200}?<E>|<E>[^.;]{0,200}?<M>)",
        "a network meta-analysis (or indirect comparison) that includes MDMA and the treatment"),
    Cue("in-network-meta-analysis", "comparison-network",
        r"(?:<M>[^.;]{0,200}?<E>|<E>[^.;]{0,200}?<M>)",
        "in a network meta-analysis (its publication type or title), a sentence that names "
        "MDMA and the treatment as interventions: they are compared in the network"),
    Cue("title-mdma-or-established", "comparison",
        r"(?:<M>[\w-]*\s*(?:(?!(?:placebo|sham)\b)<w>){0,2}?(?:,\s*)?or\s+"
        r"(?:(?!(?:placebo|sham)\b)<w>){0,3}?" + _E_NO_PLACEBO + r"|<E>\s*(?:<w>){0,2}?(?:,\s*)?"
        r"or\s+(?:<w>){0,3}?<M>)",
        "a title naming MDMA and the treatment as alternatives: 'MDMA-assisted therapy or "
        "sertraline for PTSD: a randomised trial' (titles name a trial's arms)",
        title_only=True),
    Cue("established-were-compared", "comparison",
        r"<E>\s+(?:<w>){0,2}?(?:were|was|are|is|will be)\s+compared\b",
        "'MDMA-assisted therapy, prolonged exposure and sertraline were compared'"),
    Cue("established-as-control-arm", "comparison",
        r"(?<!placebo )(?<!sham )\b(?:active comparator|comparator arm|control arm|comparison arm"
        r"|control group|comparison group|control condition)\b(?:(?!placebo|sham)[^.;]){0,60}?<E>",
        "'Active Comparator: CPT' (registry arms), 'the control group received prolonged "
        "exposure' (not 'Placebo comparator arm (placebo + CPT)')"),
    Cue("established-alone", "comparison",
        r"<E>\s+(?:therapy\s+|treatment\s+|psychotherapy\s+|sessions\s+)?(?:alone|only)\b"
        r"|\bstand-?alone\s+<E>|<E>-only\b|<E>\s+(?:<w>){0,2}?without\s+(?:<w>){0,2}?<M>",
        "'CBCT alone', 'PE only', 'standard VA CPT delivered without MDMA': an arm of the "
        "treatment without MDMA"),
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
    Cue("placebo-for-established", "comparator",
        r"<E>\s+(?:<w>){0,2}?(?:or|vs\.?|versus)\s+(?:a\s+|matching\s+)?placebo\b|\bplacebo\s+"
        r"(?:or|vs\.?|versus)\s+(?:<w>){0,2}?<E>",
        "the placebo is the established treatment's ('sertraline 50 mg or placebo "
        "pretreatment'), not MDMA's: MDMA is given to everyone"),
    Cue("placebo-for-mdma", "comparator",
        r"<M>[\w-]*\s+(?:<w>){0,3}?(?:or|vs\.?|versus|and|compared with)\s+(?:a\s+|matching\s+"
        r"|inactive\s+)?placebo\b|\bplacebo\s+(?:<w>){0,2}?(?:or|vs\.?|versus|and)\s+(?:<w>){0,3}?"
        r"<M>|\b(?:with|than) placebo\b|\bplacebo (?:group|arm|participants?)\b",
        "the placebo is MDMA's: 'MDMA or placebo', 'more than with placebo'"),
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
    Cue("protocol-title", "design-title",
        r"\brationale and design\b|\bdesign and rationale\b(?!\s+for\b)|\bdesign and methods? "
        r"(?:of|for) (?:a|an|the)\b|\bstudy protocol\b|\btrial protocol\b|\bprotocol (?:of|for) "
        r"(?:a|an|the)\b|:\s*(?:a\s+)?protocol\b",
        "the title says the record is a protocol: 'rationale and design', 'study protocol', "
        "'protocol for a randomised trial' (checked before the abstract's design words; not "
        "'design and rationale for phase 3 trials based on a pooled analysis')"),
    Cue("interim-results-title", "design-title",
        r"\b(?:interim|preliminary|early|first|initial|primary|final)\s+(?:results?|findings"
        r"|outcomes?|analys[ie]s|report)\b",
        "the title says the record reports a trial's results (interim, preliminary): not its "
        "protocol, even when the abstract mentions 'the published protocol'"),
    Cue("network-meta-analysis-self", "design-lead",
        r"\bnetwork meta-analy\w*",
        "the record is a network meta-analysis (its comparisons are indirect, across trials)"),
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
    Cue("commentary-self", "design-lead",
        r"\b(?:in )?(?:this|our|the present) (?:perspective|commentary|editorial|essay|opinion"
        r"(?: piece)?|viewpoint|debate|letter|position paper)\b|^\W*(?:perspective|commentary"
        r"|editorial|viewpoint|opinion)\s*:",
        "the record calls itself a perspective, commentary or editorial (no publication type "
        "needed): it reports no study"),
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
        r"\s+(?:ecstasy|⟨[MU]\d+⟩|MDMA)\s+users\b",
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
    Cue("economic-model", "design-lead",
        r"\b(?:markov (?:model|cohort)|decision[\s-]analytic|microsimulation|simulation model"
        r"|modell?ing study|decision[\s-]tree|budget impact (?:model|analysis))\b",
        "a model-based economic evaluation or simulation: it reports no trial of its own. Not "
        "'cost-effectiveness' alone, and not where the sentence describes a randomised trial "
        "('clinical and cost-effectiveness of X versus Y: a randomised controlled trial')",
        unless=r"\b(?:randomi[sz]\w*|(?:controlled|clinical|pilot|feasibility) trial"
        r"|(?:alongside|within|nested in) (?:a|an|the|our)\s+(?:[\w-]+\s+){0,4}?trial)\b"),
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

    # --- mechanism evidence (livescreen/classify/mechanisms.py); read over the plain text
    Cue("mechanism-future", "mechanism",
        r"\b(?:future (?:research|studies|trials|work)|should|warrant\w*|remains? to be"
        r"|further (?:research|studies|trials)|calls? for|(?:is|are) needed|would do well)\b",
        "the sentence asks for future work: the measures it names are not taken"),
    Cue("mechanism-background", "mechanism",
        r"\b(?:earlier|previous(?:ly)?|prior|past|other|published)\s+(?:\w+\s+)?(?:studies"
        r"|trials|work|research|reports?|findings|literature)\b|\b(?:has|have) been (?:shown"
        r"|reported|found|linked|suggested|proposed)\b|\bthe idea that\b|\b(?:thought"
        r"|hypothesi[sz]ed|believed|known) to\b|\bputative\b",
        "the sentence reports other studies or a hypothesis, not this study's measures"),
    Cue("mechanism-measured", "mechanism",
        r"\b(?:measur\w*|assess\w*|rated|ratings?|recorded|index(?:ed)?|quantif\w*|scored"
        r"|scores?|coded|completed|administered|questionnaires?|inventor(?:y|ies)|scales?"
        r"|tests?|tested|testing|tasks?|paradigms?|outcomes?|examin\w*|evaluat\w*|analy[sz]\w*"
        r"|mediat\w*|moderat(?:ed|es|ing|ion|ors?)|predict\w*|associated|correlat\w*"
        r"|changes? in|increased|decreased|reduced|improved|enhanced|impaired|blunted|fMRI"
        r"|MRI|imaging|EEG)\b",
        "the sentence measures or analyses something: a construct word there counts"),
    Cue("mediation-analysis", "mechanism",
        r"(?<![\w-])mediat(?:es|ed|ing|ion|ional|ors?)\b(?![\s-]+(?:by|through|via)\s+(?:the\s+)?"
        r"(?:[\w-]+\s+){0,2}?(?:serotonin|5-HT|dopamin|noradrenalin|norepinephrin|oxytocin"
        r"|receptors?|transporters?|release|pathways?|signall?ing|BDNF))|\bindirect effects?\b"
        r"|\bpath (?:models?|analys[ie]s)\b|\bpredict\w*\s+(?:\w+\s+){0,3}?(?:through|via)\s"
        r"|\b(?:did|does|do|not|to|may|might|would|could|will)\s+(?:not\s+)?mediate\s+(?:the"
        r"|its|this|their|treatment|outcome)",
        "a mediation analysis ('mediated the effect', 'indirect effect', 'path models', "
        "'predicted outcome through'); not a pharmacological 'serotonin-mediated' or 'mediated "
        "by 5-HT release'"),
    Cue("moderation-analysis", "mechanism",
        r"(?<![\w-])moderat(?:es|ed|ing|ion|ors?)\b|\b(?:did|does|do|not|to|may|might|would"
        r"|could|will)\s+(?:not\s+)?moderate\s+(?:the|its|this|their|treatment|outcome)",
        "a moderation analysis ('moderated the relationship'); not 'moderate' or "
        "'moderate-to-severe'"),
    Cue("mechanism-of-change-analysis", "mechanism",
        r"\bmechanisms? of (?:change|recovery|therapeutic change)\b|\b(?:psychological"
        r"|therapeutic|change) (?:mechanisms?|process(?:es)?)\b|\bprocess[\s-]outcome\b"
        r"|\bcross-lagged\b|\btemporal precedence\b|\bpreced(?:ed|es|ing) (?:\w+\s+){0,2}?"
        r"(?:symptom|PTSD|outcome|CAPS|PCL)\w*|\bsession-by-session\b|\bpredicted subsequent\b",
        "an analysis of a mechanism of change: explicit wording, or change in a process that "
        "precedes symptom change"),
)
# fmt: on

CUE = {cue.name: cue for cue in CUES}
# The cues of each rule group, in table order (read per sentence by the rules).
CUES_BY_GROUP: dict[str, tuple[Cue, ...]] = {
    group: tuple(cue for cue in CUES if cue.group == group)
    for group in dict.fromkeys(cue.group for cue in CUES)
}
if len(CUE) != len(CUES):  # pragma: no cover - a guard for whoever edits the table
    raise RuntimeError("cue names must be unique")
