"""A search's matches marked in a finding's text, and a long finding cut to the fragments around them.

Pure: which words match is PostgreSQL's to say (its ts_headline, which presenters.py asks only of
the few pieces of a page's texts that might hold a match); where those pieces are, and what is
shown around the matches, is worked out here. ts_headline over every text of a 20-finding page
would cost four times as much (1.6 ms a page at the archive's real size, 2.5 ms the longest).
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


# Snowball's English stemmer (PostgreSQL's english_stem) gives three words a lexeme that is not
# their own start (its exceptions: dying, lying, tying); each such lexeme's word, to look for too.
IRREGULAR = {"die": "dying", "lie": "lying", "tie": "tying"}


def match_starts(lexemes: Iterable[str]) -> tuple[str, ...]:
    """What a piece of text (in lower case) holding a word with one of these lexemes must contain.
    Snowball's English stemmer changes only a word's ending, and never more than the last letter it
    keeps (happy → happi, abated → abate, possibility → possibl), so such a piece holds all of the
    lexeme but its last letter, or, for the stemmer's three exceptions, the word itself;
    tests.test_highlight checks this over every word of the dev corpus."""
    starts = {lexeme[:-1] if len(lexeme) > 1 else lexeme for lexeme in lexemes}
    starts |= {IRREGULAR[lexeme] for lexeme in lexemes if lexeme in IRREGULAR}
    return tuple(sorted(starts))


def candidate_pieces(text: str, starts: tuple[str, ...]) -> list[tuple[int, int]]:
    """Where the pieces of the text between white space that might hold a match start and end, in
    order: those holding one of the starts in lower case. PostgreSQL's parser never reads a word
    across white space, so it reads a piece alone as it does in the text. Found with str.find in
    the text in lower case, many times quicker than a regular expression."""
    if not starts:
        return []
    lowered = text.lower()
    if len(lowered) != len(text):  # a letter whose lower case is longer (İ): keep it as it is
        lowered = "".join(letter if len(letter.lower()) != 1 else letter.lower() for letter in text)
    pieces = set()
    for start in starts:
        at = lowered.find(start)
        while at >= 0:
            pieces.add(_piece_around(text, at))
            at = lowered.find(start, at + 1)
    return sorted(pieces)


def _piece_around(text: str, at: int) -> tuple[int, int]:
    start = end = at
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    while end < len(text) and not text[end].isspace():
        end += 1
    return start, end


def marked_spans(marked: str, start_mark: str, stop_mark: str) -> tuple[tuple[int, int], ...]:
    """Where a text marked with start_mark and stop_mark (ts_headline's StartSel and StopSel) has
    its marks, as (start, end) in the text without them."""
    spans, at, start = [], 0, 0
    for piece in re.split(f"([{re.escape(start_mark + stop_mark)}])", marked):
        if piece == start_mark:
            start = at
        elif piece == stop_mark:
            spans.append((start, at))
        else:
            at += len(piece)
    return tuple(spans)


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
