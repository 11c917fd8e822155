"""A search's matches marked in a finding's text, and a long finding cut to the fragments around them.

Pure: which words match is PostgreSQL's to say (selectors asks it for the query's lexemes and for
the lexemes of the few words that might match); where those words are, and what is shown around
them, is worked out here. PostgreSQL's ts_headline would parse every text of the page again in full,
which cost two to three milliseconds a page, about as long as the rest of a rare word's search
in PostgreSQL.
"""

import re
from collections.abc import Iterable
from html import escape

from django.utils.safestring import SafeString, mark_safe

# Findings up to this long are shown whole, longer ones as the fragments around their matches.
WHOLE_UP_TO_CHARS = 500
FRAGMENTS = 3
FRAGMENT_CHARS = 320  # at most, unless its matches run longer
SENTENCE_LEAD_CHARS = 160  # a fragment starts at its first match's sentence if that is this near,
LEAD_CHARS = 80  # or else at a word this near
SENTENCE_END = re.compile(r"[.;:?!]\s+")
LEFT_OUT = "…"
FRAGMENT_DELIMITER = f" {LEFT_OUT} "

# A word as PostgreSQL's text search parser cuts a text: letters and digits, joined by dots,
# slashes and @ into one word where there is no space (a decimal, a file name, a host, an email
# address, "e.g"), or a whole number with its minus sign ("2012-13" is 2012 and -13). A hyphen
# between letters splits them ("multi-agency" is also read as "multi" and "agency", and those
# parts are what a search highlights).
WORD = re.compile(r"-\d+(?:\.\d+)*|[^\W_]+(?:[./@][^\W_]+)*")
# The end of what a word cannot start straight after without continuing it.
CONTINUED = re.compile(r"(?:[^\W_]|[^\W_][./@])\Z")
# An operand of a tsquery's text ('lexeme', with any weights or prefix mark), or an operator.
TSQUERY_PART = re.compile(r"'((?:[^']|'')*)'(?::[*A-D]+)?|[!()]")


def wanted_lexemes(tsquery: str) -> frozenset[str]:
    """The lexemes a tsquery (as text) asks for: not those it excludes with ! (websearch's -)."""
    wanted, negated, enclosing, pending = set(), False, [], False
    for part in TSQUERY_PART.finditer(tsquery):
        token = part.group()
        if token == "!":
            pending = not pending
        elif token == "(":
            enclosing.append(negated)
            negated, pending = negated != pending, False
        elif token == ")":
            negated = enclosing.pop() if enclosing else False
        else:
            if negated == pending:  # an even number of negations: wanted
                wanted.add(part.group(1).replace("''", "'"))
            pending = False
    return frozenset(wanted)


def word_starts(lexemes: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """How a word that might have one of these lexemes starts, in lower case, with its kind (signed,
    number or word). Snowball's English stemmer changes only a word's ending, and never more than
    the last letter it keeps (happy → happi, abated → abate, possibility → possibl), so such a word
    starts with all of the lexeme but its last letter; tests.test_highlight checks this over every
    word of the seed reports."""
    starts = {
        lexeme[:-1] if len(lexeme) > 1 else lexeme
        for lexeme in lexemes
        if "-" not in lexeme[1:]  # a hyphenated word's own lexeme: its parts are matched instead
    }
    return tuple(
        (start, "signed" if start.startswith("-") else "number" if start[0].isdigit() else "word")
        for start in sorted(starts)
    )


def candidate_words(text: str, starts: tuple[tuple[str, str], ...]) -> list[tuple[int, int, str]]:
    """The words of the text that might match: (start, end, the word in lower case). Found with
    str.find in the text in lower case, many times quicker than a regular expression."""
    if not starts:
        return []
    lowered = text.lower()
    if len(lowered) != len(text):  # a letter whose lower case is longer (İ): keep it as it is
        lowered = "".join(letter if len(letter.lower()) != 1 else letter.lower() for letter in text)
    places = []
    for start, kind in starts:
        at = lowered.find(start)
        while at >= 0:
            places.append((at, kind))
            at = lowered.find(start, at + 1)
    found: list[tuple[int, int, str]] = []
    for at, kind in sorted(places):
        if (found and at < found[-1][1]) or _inside_a_word(text, at, kind):
            continue
        if word := WORD.match(lowered, at):
            found.append((at, word.end(), word.group()))
    return found


def _inside_a_word(text: str, at: int, kind: str) -> bool:
    """Whether what starts at `at` continues the word before it: it follows a letter or digit, or a
    dot, slash or @ after one; a number also continues a minus sign. A minus sign starts a number
    even straight after a word ("age-16")."""
    if kind == "signed":
        return False
    before = text[max(at - 2, 0) : at]
    return bool(CONTINUED.search(before)) or (kind == "number" and before.endswith("-"))


def snippet(text: str, matches: list[tuple[int, int]]) -> SafeString:
    """The text escaped for HTML, its matches (start, end; in order) in <mark>: the whole text if
    it is short, otherwise up to FRAGMENTS fragments around the matches, with an ellipsis wherever
    text is left out (between them, and before or after them)."""
    if len(text) <= WHOLE_UP_TO_CHARS:
        return _marked(text, 0, len(text), matches)
    fragments = _fragments(text, matches)
    shown = FRAGMENT_DELIMITER.join(_marked(text, start, end, matches) for start, end in fragments)
    if text[: fragments[0][0]].strip():
        shown = LEFT_OUT + " " + shown
    if text[fragments[-1][1] :].strip():
        shown = shown + " " + LEFT_OUT
    return mark_safe(shown)  # each fragment was escaped by _marked


def _marked(text: str, start: int, end: int, matches: list[tuple[int, int]]) -> SafeString:
    pieces, at = [], start
    for match_start, match_end in matches:
        if start <= match_start and match_end <= end:
            pieces += [escape(text[at:match_start]), "<mark>", escape(text[match_start:match_end]), "</mark>"]
            at = match_end
    pieces.append(escape(text[at:end]))
    return mark_safe("".join(pieces))  # every piece of the text was escaped


def _fragments(text: str, matches: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Where the fragments shown of a long text start and end: around the runs of matches that fit
    in one fragment, the runs with the most matches first (the earliest of equals), in text order."""
    if not matches:
        return [(0, _end_before(text, FRAGMENT_CHARS, 0))]
    runs: list[list[tuple[int, int]]] = []
    for match in matches:
        if runs and match[1] - runs[-1][0][0] <= FRAGMENT_CHARS - SENTENCE_LEAD_CHARS:
            runs[-1].append(match)
        else:
            runs.append([match])
    chosen = sorted(sorted(runs, key=len, reverse=True)[:FRAGMENTS], key=lambda run: run[0][0])
    fragments: list[tuple[int, int]] = []
    for run in chosen:
        first, last = run[0][0], run[-1][1]
        start = _start_before(text, first)
        end = _end_before(text, max(start + FRAGMENT_CHARS, last), last)
        if fragments and start <= fragments[-1][1]:
            start = fragments[-1][0]
            fragments.pop()
        fragments.append((start, end))
    return fragments


def _start_before(text: str, first: int) -> int:
    """Where a fragment whose first match starts at `first` starts: at the start of that sentence
    if it is at most SENTENCE_LEAD_CHARS before, otherwise at a word at most LEAD_CHARS before."""
    reach = max(first - SENTENCE_LEAD_CHARS, 0)
    sentence_ends = list(SENTENCE_END.finditer(text, reach, first))
    if sentence_ends:
        return sentence_ends[-1].end()
    if reach == 0:
        return 0
    space = text.find(" ", first - LEAD_CHARS, first)
    return space + 1 if space >= 0 else first


def _end_before(text: str, at: int, last: int) -> int:
    """Where a fragment reaching to `at` ends: at the end of the word there, and not before `last`."""
    if at >= len(text):
        return len(text)
    space = text.rfind(" ", last, at + 1)
    if space > last:
        return space
    following = text.find(" ", max(at, last))
    return len(text) if following < 0 else following
