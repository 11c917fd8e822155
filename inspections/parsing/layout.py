"""Line-level helpers shared by the report families: page furniture, headings, paragraphs.

Shared by every family module: add only what is general to reports, and keep each helper small.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import groupby

from .document import Line
from .result import Finding
from .text import squash

# Running headers and footers sit within this many printed lines of a page's top or bottom.
PAGE_EDGE_LINES = 4
# Bullet glyphs as PDFium gives them (U+F06E and U+F0A7 are Wingdings bullets from Word).
BULLET_RE = re.compile(r"^[◼■▪●•◦\u2022\u25aa\uf06e\uf0a7\uf0b7]\s*")
SENTENCE_END_RE = re.compile(r"[.!?][\"')\]]*$")
# A footnote reference: a number on a line of its own, or run onto the end of a heading ("improve?1").
FOOTNOTE_MARK_RE = re.compile(r"(?:^|(?<=[a-z?:.)]))(?P<mark>\d{1,2})$")
# Between paragraphs PDF lines have about a line's height of space above them; wrapped lines about 0.25.
PARAGRAPH_SPACE = 0.6


def remove_page_furniture(lines: list[Line]) -> list[Line]:
    """Drop running headers and footers and page numbers.

    A line near a page's top or bottom is furniture when it is the page's number alone, or when its
    text (less a trailing page number) sits near an edge of at least half of the pages. Plain text has
    no pages, so it is returned as it is.
    """
    pages = _pages(lines)
    if len(pages) < 2:
        return lines
    edge_pages: dict[str, set[int]] = defaultdict(set)
    for number, page in pages:
        for line in _edge_lines(page):
            edge_pages[_furniture_key(line.text, number)].add(number)
    repeated = {key for key, found in edge_pages.items() if len(found) >= max(2, (len(pages) + 1) // 2)}
    kept = []
    for number, page in pages:
        drop = set()
        for ordered in (page, page[::-1]):
            for line in [line for line in ordered if line.text.strip()][:PAGE_EDGE_LINES]:
                key = _furniture_key(line.text, number)
                if key and key not in repeated:
                    break
                drop.add(id(line))
        kept.extend(line for line in page if id(line) not in drop)
    return kept


def _pages(lines: list[Line]) -> list[tuple[int, list[Line]]]:
    """(page number, lines) for each PDF page; none for plain text."""
    if not lines or any(line.page is None for line in lines):
        return []
    return [(number, list(group)) for number, group in groupby(lines, key=lambda line: line.page)]


def _edge_lines(page: list[Line]) -> list[Line]:
    printed = [line for line in page if line.text.strip()]
    return printed[:PAGE_EDGE_LINES] + printed[PAGE_EDGE_LINES:][-PAGE_EDGE_LINES:]


def _furniture_key(text: str, page: int) -> str:
    """The line's text without its page's number, so each page's running header reads the same."""
    text = re.sub(rf"(?:^|\s){page}$", "", squash(text).lower())
    return text.rstrip(" .")


def remove_footnotes(lines: list[Line]) -> list[Line]:
    """Drop numbered footnotes from a PDF's lines: the reference number, and the note at the page's foot
    ("1 The areas for improvement have been ...").

    The note is set apart from the text above it and runs down to the page's foot, or until the text
    jumps back up the page (PDFium may give the letterhead after it). PDFium sometimes runs the note
    onto the end of a hyphenated body line ("decision-1 The areas"); the body text before it is kept.
    Plain text has no page foot to find, so it is returned as it is.
    """
    pages = _pages(lines)
    if not pages:
        return lines
    return [line for _, page in pages for line in _page_without_footnotes(page)]


def _page_without_footnotes(page: list[Line]) -> list[Line]:
    for index, line in enumerate(page):
        text = line.text.strip()
        mark = FOOTNOTE_MARK_RE.search(text) if text[-1:].isdigit() else None
        note = _footnote(page, index + 1, mark["mark"]) if mark else None
        if note:
            start, cut, end = note
            referrer = _replace_text(line, text[: mark.start()])
            before = _replace_text(page[start], page[start].text[:cut])
            return _page_without_footnotes(
                page[:index] + referrer + page[index + 1 : start] + before + page[end:]
            )
    return page


def _footnote(page: list[Line], start: int, mark: str) -> tuple[int, int, int] | None:
    """Where the note for a reference starts, as (line index, offset in that line), and the index of the
    first line after it."""
    note_re = re.compile(rf"^\s*{mark} (?=[A-Z])")
    run_on_re = re.compile(rf"(?<=[a-z]-){mark} (?=[A-Z])")
    for position in range(start, len(page)):
        line = page[position]
        set_apart = line.space_above is None or line.space_above > PARAGRAPH_SPACE
        note = (note_re.search(line.text) if set_apart else None) or run_on_re.search(line.text)
        if note:
            end = position + 1
            while end < len(page) and (page[end].space_above is None or page[end].space_above >= 0):
                end += 1
            return position, note.start(), end
    return None


def _replace_text(line: Line, text: str) -> list[Line]:
    return [Line(text, line.page, line.space_above)] if text.strip() else []


def is_bullet(text: str) -> bool:
    return bool(BULLET_RE.match(text.lstrip()))


def strip_bullet(text: str) -> str:
    return BULLET_RE.sub("", text.lstrip(), count=1)


def join_wrapped(texts: list[str]) -> str:
    """One paragraph's printed lines as one string: a word broken by a hyphen at a line end is re-joined."""
    joined = ""
    for text in texts:
        text = text.strip()
        if not text:
            continue
        if joined.endswith("-") and joined[-2:-1].islower():
            joined += text
        else:
            joined = f"{joined} {text}" if joined else text
    return squash(joined)


def starts_paragraph(previous: Line | None, line: Line) -> bool:
    """Whether a line starts a new paragraph rather than continuing the one above it.

    On one PDF page the blank space above the line decides; across a page break, and for plain text,
    a finished sentence followed by a capital letter does.
    """
    if previous is None:
        return True
    if line.page is not None and line.page == previous.page and line.space_above is not None:
        return line.space_above > PARAGRAPH_SPACE
    return bool(SENTENCE_END_RE.search(previous.text.rstrip())) and line.text.lstrip()[:1].isupper()


def remove_running_heads(lines: list[Line]) -> list[Line]:
    """Drop running headers and footers that carry a printed page number other than the PDF page's own
    ("Norfolk County Council Inspection of looked after children services 4" on the sixth page, after an
    unnumbered cover and copyright page), which remove_page_furniture keeps.
    """
    pages = _pages(lines)
    if len(pages) < 2:
        return lines
    found: dict[str, set[int]] = defaultdict(set)
    for number, page in pages:
        for line in _edge_lines(page):
            found[_running_head_key(line.text)].add(number)
    repeated = {
        key for key, numbers in found.items() if key and len(numbers) >= max(2, (len(pages) + 1) // 2)
    }
    kept = []
    for _, page in pages:
        edges = {id(line) for line in _edge_lines(page) if _running_head_key(line.text) in repeated}
        kept.extend(line for line in page if id(line) not in edges)
    return kept


def _running_head_key(text: str) -> str:
    return re.sub(r"(?:^|\s)\d{1,3}$", "", squash(text).lower()).rstrip(" .")


# Headed sections and their items. An item is a numbered paragraph, a bullet, or an unnumbered paragraph,
# re-joined across line wraps and page breaks. Copies of reports pasted as plain text lose bullet glyphs
# (keeping their indent), paragraph numbers and the first line of some paragraphs at page breaks, so the
# rules lean on wording as well as layout.

# Blank space above a PDF line, in line heights, that starts a new paragraph: wrapped lines have about
# 0.25, paragraphs 0.55 (some 2016 reports) to 1.3.
PARAGRAPH_GAP = 0.45
# A heading is at most this many printed lines (a judgement's name may wrap, its grade on a line below).
HEADING_LINES = 5
HEADING_MAX_CHARS = 100
# Dashes and Wingdings dashes start sub-bullets; "- " starts a bullet in text copies.
DASH_BULLET_RE = re.compile(r"^\s*(?:[\uf02d*]|[-–](?=\s))\s*")
NUMBERED_RE = re.compile(r"^(?P<number>\d{1,3})\.(?:\s+|(?=[A-Z]))(?P<text>\S.*)$")
# A paragraph number printed with no paragraph after it.
BARE_NUMBER_RE = re.compile(r"^\d{1,3}\.$")
# "(Recommendation)" printed on a line of its own belongs to the paragraph above it.
PARENTHESIS_RE = re.compile(r"^\([^)]{1,40}\)\.?$")
# Paragraphs ending with a pointer to a recommendation are finished, like sentences.
FINISHED_RE = re.compile(r"(?:[.!?][\"')\]]*|\(recommendations?\)\.?)$", re.IGNORECASE)
ABBREVIATION_RE = re.compile(r"\b(?:e\.g|i\.e|etc|no|vs|approx)\.$", re.IGNORECASE)
MARKDOWN_RE = re.compile(r"^#+\s*|\*\*|__")
HEADING_FOOTNOTE_RE = re.compile(r"(?<=[a-z)?])\d{1,2}$")
# Letters differ in width, so a word "fits" on a line a few characters longer than the usual full one.
FIT_SLACK = 3
# A short line standing alone ("Quality of practice", "Within three months:") heads the items below it.
SUBHEADING_MAX_CHARS = 80
SUBHEADING_MAX_WORDS = 12


@dataclass(frozen=True, slots=True)
class Heading:
    role: object  # what the family module makes of the heading (a finding kind, an area, "skip", ...)
    text: str  # as printed, tidied to one line
    label: str  # the judgement's name without its grade, else the text
    grade: str | None  # a Grade value printed with the heading
    size: int  # lines taken, blank ones included


@dataclass(slots=True)
class Section:
    kind: str  # the FindingKind of its items, or a role such as "skip"
    section: str
    area: str | None
    lines: list[Line] = field(default_factory=list)


@dataclass(slots=True)
class Numbering:
    """Paragraph numbers run on through a report, so a wrapped line that happens to start with "15. "
    is told from paragraph 15 by the number the last paragraph had, or by the space above it."""

    last: int | None = None

    def accept(self, number: int, spaced: bool) -> bool:
        if spaced or self.last is None or number == self.last + 1:
            self.last = number
            return True
        return False


@dataclass(slots=True)
class Item:
    texts: list[str]
    page: int | None
    number: int | None = None
    bullet: bool = False
    nested: bool = False  # has a list of sub-items ("Improve plans by: - ensuring ...")
    heading: bool = False  # a sub-heading standing alone, not a finding

    @property
    def text(self) -> str:
        return join_wrapped(self.texts)


def tidy_heading(text: str) -> str:
    """A heading as one line: markdown marks, footnote references and trailing colons removed."""
    return HEADING_FOOTNOTE_RE.sub("", _tidy_line(text)).rstrip(" :")


@lru_cache(maxsize=8192)
def _tidy_line(text: str) -> str:
    # every line is tried as part of several headings' windows: tidy it once
    return squash(MARKDOWN_RE.sub("", squash(text)))


def grade_slug(text: str) -> str:
    """A Grade value from the words printed: "Requires improvement to be good" -> "requires_improvement"."""
    text = text.lower()
    return "requires_improvement" if "improvement" in text else text.split()[-1]


def find_heading(lines: list[Line], index: int, patterns: list[tuple[object, re.Pattern]]) -> Heading | None:
    """The longest run of lines from index (up to HEADING_LINES) that reads as one of the headings.

    Patterns are matched against the whole run; a "grade" group, if any, is the grade printed with it
    and a "label" group the heading's name.
    """
    first = lines[index].text.strip()
    if not first or len(first) > HEADING_MAX_CHARS or not (first[0].isupper() or first[0] in "#*0123456789"):
        return None
    window: list[tuple[int, str]] = []
    for position in range(index, min(len(lines), index + 3 * HEADING_LINES)):
        line = lines[position]
        text = line.text.strip()
        if line.page != lines[index].page or len(text) > HEADING_MAX_CHARS or len(window) == HEADING_LINES:
            break
        if text:
            window.append((position, _tidy_line(text)))
            if text.endswith("."):
                break  # a heading may end with a full stop, but does not run on past one
    for size in range(len(window), 0, -1):
        joined = HEADING_FOOTNOTE_RE.sub("", " ".join(text for _, text in window[:size])).rstrip(" :")
        for role, pattern in patterns:
            match = pattern.fullmatch(joined)
            if match:
                groups = match.groupdict()
                grade = groups.get("grade")
                label = groups.get("label") or joined
                return Heading(
                    role=role,
                    text=joined,
                    label=label[:1].upper() + label[1:],
                    grade=grade_slug(grade) if grade else None,
                    size=window[size - 1][0] - index + 1,
                )
    return None


def text_width(lines: list[Line]) -> int:
    """The usual length of a full printed line, to tell a paragraph's short last line."""
    lengths = sorted(len(line.text.strip()) for line in lines if line.text.strip())
    return lengths[int(len(lengths) * 0.95)] if lengths else 0


def split_items(lines: list[Line], width: int, numbering: Numbering) -> list[Item]:
    """A section's lines as its items: numbered paragraphs, bullets, paragraphs and sub-headings."""
    items: list[Item] = []
    previous: Line | None = None
    blank_separated = _blank_separated(lines)
    gap = False  # blank lines since the previous line (plain text), as at a page break
    bare_number: int | None = None  # "89." printed alone, its paragraph on the next line or page
    for position, line in enumerate(lines):
        text = line.text.strip()
        if not text:
            gap = True
            continue
        # the first line under a heading starts an item, whatever number the last paragraph had
        opens = previous is None or _spaced(previous, line)
        # "Key Stage / 4." ends a sentence; "89." after a finished one numbers the next paragraph
        if BARE_NUMBER_RE.match(text) and (previous is None or _finished(previous.text)):
            if numbering.accept(int(text[:-1]), opens):
                bare_number = int(text[:-1])
            continue
        bullet = _bullet_text(line)
        numbered = NUMBERED_RE.match(text)
        if numbered and not numbering.accept(int(numbered["number"]), opens):
            numbered = None
        if bare_number is not None and bullet is None and not numbered:
            numbered = NUMBERED_RE.match(f"{bare_number}. {text}")
        bare_number = None
        body = bullet if bullet is not None else numbered["text"] if numbered else text
        marked = bullet is not None or bool(numbered)
        if bullet is not None and items and _opens_list(items[-1], body):
            items[-1].texts.append(f"- {body}")
            items[-1].nested = True
        elif (
            items
            and previous
            and not items[-1].heading
            and _continues(previous, line, body, marked, gap, width, blank_separated or items[-1].bullet)
        ):
            items[-1].texts.append(body)
        elif bullet is None and _is_subheading(lines, position, body, bool(numbered)):
            number = int(numbered["number"]) if numbered else None
            items.append(Item([text], line.page, number, heading=True))
        else:
            number = int(numbered["number"]) if numbered else None
            items.append(Item([body], line.page, number, bullet=bullet is not None))
        previous, gap = line, False
    return items


def _opens_list(item: Item, body: str) -> bool:
    """Whether a bullet in lower case is a sub-item of the paragraph above ("... plans by:")."""
    if item.heading or not body[:1].islower():
        return False
    return item.nested or (not item.bullet and not _finished(item.texts[-1]))


def _finished(text: str) -> bool:
    text = text.strip()
    return bool(FINISHED_RE.search(text)) and not ABBREVIATION_RE.search(text)


def _spaced(previous: Line | None, line: Line) -> bool:
    """Whether the PDF shows blank space between the line and the one above it on the same page."""
    return (
        previous is not None
        and line.page is not None
        and line.page == previous.page
        and line.space_above is not None
        and line.space_above > PARAGRAPH_GAP
    )


def _bullet_text(line: Line) -> str | None:
    if is_bullet(line.text):
        return strip_bullet(line.text).strip()
    if match := DASH_BULLET_RE.match(line.text):
        return line.text[match.end() :].strip()
    if line.page is None and line.text[:1].isspace():
        return line.text.strip()  # a plain-text copy keeps a lost bullet's indent
    return None


def _blank_separated(lines: list[Line]) -> bool:
    """Whether a plain text puts blank lines between its paragraphs (as where numbers were lost).

    Then lines with no blank between them are one paragraph; else only layout and wording tell.
    """
    if not lines or lines[0].page is not None:
        return False
    breaks, previous, gap = 0, "", False
    for line in lines:
        text = line.text.strip()
        if not text:
            gap = True
            continue
        if gap and previous and FINISHED_RE.search(previous) and not text[:1].islower():
            breaks += 1
        previous, gap = text, False
    return breaks >= 2


def _continues(
    previous: Line, line: Line, body: str, marked: bool, gap: bool, width: int, runs_join: bool
) -> bool:
    """Whether the line carries on the item above it rather than starting a new one.

    runs_join: in plain text, lines with no blank line between them are one item (paragraphs set apart by
    blank lines, or a bullet's wrapped lines).
    """
    above = previous.text.strip()
    finished = _finished(above)
    lower = body[:1].islower()
    broken = gap or line.page != previous.page  # a page break may have split a sentence or bullet
    if marked:
        # a page break can leave a bullet's second half looking like a new bullet in lower case
        return lower and broken and not finished
    if PARENTHESIS_RE.match(body) or (lower and not finished):
        return True
    if line.page is not None and line.page == previous.page and (line.space_above or -1) >= 0:
        return line.space_above <= PARAGRAPH_GAP
    if lower:
        return False
    if line.page is None and (broken or runs_join):
        return not (broken and finished)
    # a finished line with room left for the next line's first word ended its paragraph
    return not (finished and len(above) + 1 + len(body.split()[0]) <= width + FIT_SLACK)


def _is_subheading(lines: list[Line], position: int, text: str, numbered: bool) -> bool:
    """A short line standing alone over the items below it; a numbered one heads a list of bullets
    ("1. Quality and effectiveness of practice")."""
    if (
        len(text) > SUBHEADING_MAX_CHARS
        or not text[0].isupper()
        or text.endswith((".", ",", ";", "!", "?", ")"))
    ):
        return False
    following = next((line for line in lines[position + 1 :] if line.text.strip()), None)
    if numbered:
        after = _bullet_text(following) if following else None
        return bool(after) and after[0].isupper()
    if len(text.split()) > SUBHEADING_MAX_WORDS or ". " in text:
        return False
    if text.endswith(":") or following is None:
        return True
    spaced = following.space_above is not None and following.space_above > PARAGRAPH_GAP
    if following.page is None:  # plain text: a blank line below it, as under a heading
        spaced = not lines[position + 1].text.strip()
    return spaced or _bullet_text(following) is not None or bool(NUMBERED_RE.match(following.text.strip()))


def section_findings(section: Section, width: int, numbering: Numbering) -> list[Finding]:
    """The section's items as findings (sub-headings left out). A numbered sub-heading over a list
    ("1. Quality and effectiveness of practice") gives its number to the list's first item.

    A paragraph (not a list item) that opens in lower case after a finished one has lost its first
    words in the source (a text copy that dropped every line starting with a paragraph number): it is
    shown opening with an ellipsis, never passed off as whole."""
    findings = []
    heading_number: int | None = None
    for item in split_items(section.lines, width, numbering):
        if item.heading:
            heading_number = item.number
            continue
        findings.append(
            Finding(
                kind=section.kind,
                section=section.section,
                area=section.area,
                order=0,
                page=item.page,
                text=f"…{item.text}" if _headless(item) else item.text,
                number=item.number if item.number is not None else heading_number,
            )
        )
        heading_number = None
    return findings


def _headless(item: Item) -> bool:
    return not item.bullet and item.number is None and item.texts[0][:1].islower()
