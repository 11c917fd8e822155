"""Letter-style visits: focused visits (2018-), monitoring visits and joint targeted area inspections.

They are letters, laid out the same way:

    [Ofsted's address block, at the top or foot of page 1]
    13 November 2020                                      <- letter date
    Name / Director of Children's Services / X Council / street / postcode
    Dear ...
    Focused visit to X children's services                <- title ("Joint targeted area inspection of X")
    This letter summarises the findings of the focused visit to X children's services on 13 and 14 October
    2020. His Majesty's Inspectors for this visit were ...   <- introduction: dates, inspectors, scope
    Headline findings / Overview                          <- findings: headed sections of paragraphs and
    Areas for priority action / What needs to improve ... <- bulleted lists
    Main findings / Findings
    Ofsted will take the findings from this focused visit into account ...   <- closing ("Next steps")
    Yours sincerely / Name / His Majesty's Inspector      <- signature(s): JTAIs carry one per inspectorate

The visits grade nothing, so there are never judgements.
"""

import re
from dataclasses import dataclass, field
from datetime import date

from ..choices import FindingKind, JudgementArea
from .dates import DATE_RE, parse_date, parse_date_range
from .document import Document, Line, new_report
from .layout import (
    BULLET_RE,
    PARAGRAPH_SPACE,
    SENTENCE_END_RE,
    join_wrapped,
    remove_page_furniture,
    strip_bullet,
)
from .result import Finding, ParsedReport
from .text import squash

# --- Page furniture ---
# Ofsted's own address and contact lines, printed at the top or foot of a letter's first page (PDFium
# sometimes loses the logo-styled "O"), and "Page 2 of 4" footers.
FURNITURE_RE = re.compile(
    r"Page \d+ of \d+|O?fsted|Piccadilly Gate|Store Street|Manchester(?: M1 2WD)?|M1 2WD|T 0300 123 1231"
    r"|Textphone [\d ]+|enquiries@ofsted\.gov\.uk|www\.gov\.uk/ofsted"
    r"|Agora|6 Cumberland Place|Nottingham,? NG1 6HJ|Aviation House|125 Kingsway|London,? WC2B 6SE"
    r"|Royal Exchange Buildings|St Ann's Square|Manchester M2 7LA"
    r"|(?:Direct )?[TF]:? ?0\d{3} \d{3} \d{4}|(?:Direct )?email:? \S+@ofsted\.gov\.uk",
    re.IGNORECASE,
)
# A footnote at a page's foot: "1 The lead representatives for safeguarding partnerships are ...".
FOOTNOTE_RE = re.compile(
    r"^(\d{1,2}) (?!(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d)\S", re.IGNORECASE
)
# A footnote sits well below the text above it (several lines' height); paragraphs are about one apart.
FOOTNOTE_SPACE = 2.5

# --- Blocks: paragraphs, bullet items, headings ---
# A sub-item of a bullet ("This includes: - ensuring that ..."), printed with a dash.
SUB_ITEM_RE = re.compile(r"^[-–−]\s+")
# Headings printed in these letters; others are recognised by their layout (a short line on its own).
KNOWN_HEADING_RE = re.compile(
    r"^(?=[A-Z])(?i:headline findings|main findings|findings(?: and evaluation of progress)?|"
    r"overview|summary|lead inspector's summary|areas? for priority action|areas? for improvement|"
    r"areas for development|what needs to improve\b.*|strengths|context|next steps|practice study\b.*)[.:?]?$"
)
# A heading is one printed line, or two where a long one wraps.
HEADING_MAX_LINES = 2
HEADING_MAX_CHARS = 150
# Without the PDF's spacing, only a line well short of a wrapped line's width can be taken for a heading.
LONE_HEADING_MAX_CHARS = 60
# Lines that stand alone in a letter: the salutation and the sign-off.
LONE_LINE_RE = re.compile(r"Dear [^.]{1,80}|Your?s? (?:sincerely|faithfully),?", re.IGNORECASE)

# --- Letter head, title and introduction ---
LETTER_DATE_RE = re.compile(rf"{DATE_RE.pattern}\.?", re.IGNORECASE)
MISPRINTED_DATE_RE = re.compile(r"\d{1,2} [A-Za-z]+ \d{3,6}")
TITLE_RE = re.compile(
    r"^(?:(?:focused|monitoring) visit (?:to|of)\b|joint targeted area inspection\b).*", re.IGNORECASE
)
VISIT_AUTHORITY_RE = re.compile(
    r"visit (?:to|of) (?:the )?(?P<name>.+?)(?:'s)?(?: local authority)? "
    r"children's (?:social care )?services",
    re.IGNORECASE,
)
# Other documents' titles: "Joint area review of Haringey Children's Services Authority Area".
OTHER_AUTHORITY_RE = re.compile(
    r"^(?:joint area review|annual performance assessment|inspection) of (?:the )?(?P<name>[A-Z].+?)"
    r"(?:'s)?(?: local authority| council)? children's services\b",
    re.IGNORECASE,
)
JTAI_AUTHORITY_RE = re.compile(r"joint targeted area inspection of (?:the )?(?P<rest>.+)", re.IGNORECASE)
# The area a JTAI looked at: "... the multi-agency response to ... in Somerset."
IN_AREA_RE = re.compile(r"\bin (?P<name>[A-Z][\w'-]*(?:(?: (?:and|upon|on|the|of))* [A-Z][\w'-]*)*)")
DATES_PARAGRAPH_RE = re.compile(
    r"summarises the findings|took place|inspection (?:was )?carried out|visit (?:was )?carried out|"
    r"visit to .{0,80}?\bon (?:the )?\d|(?:carried out|undertook|conducted) a joint (?:targeted area )?inspection",
    re.IGNORECASE,
)
# The introduction's paragraphs: what the visit looked at, when, by whom, under which framework. Only
# read where a letter has no heading to show where its findings start.
INTRODUCTION_RE = re.compile(
    r"^(?:This letter summarises|(?:Her|His) Majesty's Chief Inspector|The methodology for this visit|"
    r"This (?:visit|inspection) (?:was|took)|Inspectors (?:looked at|considered|reviewed|evaluated|also)|"
    r"During this visit, inspectors|A range of evidence|They (?:also )?looked at|The Secretaries of State|"
    r"This was the \w+ monitoring visit)",
    re.IGNORECASE,
)

# --- Findings ---
# Sections that describe the inspection rather than report findings (JTAI "Context").
NOT_FINDINGS_SECTION_RE = re.compile(
    r"^(?:context|background|scope of the (?:visit|inspection)|areas covered by (?:the|this) visit)$",
    re.IGNORECASE,
)
# Framework boilerplate, never a finding wherever it is printed.
BOILERPLATE_RE = re.compile(
    r"^(?:This (?:visit|inspection) was (?:carried out|conducted) (?:in line with|under)|"
    r"The methodology for this visit)",
    re.IGNORECASE,
)
# Wordings that end the findings: the closing boilerplate, and the sign-off.
CLOSING_RE = re.compile(
    r"^(?:Ofsted will (?:take|consider|use)|Thank you\b|We have notified the Department|"
    r"I am copying this letter|As part of our early review|Your?s? (?:sincerely|faithfully)|"
    r"Next steps$)",
    re.IGNORECASE,
)
LIST_SECTIONS = [
    (re.compile(r"^areas? for priority action", re.IGNORECASE), FindingKind.PRIORITY_ACTION),
    (
        re.compile(
            r"^(?:what needs to improve|areas? for (?:improvement|development)|areas to improve)",
            re.IGNORECASE,
        ),
        FindingKind.AREA_FOR_IMPROVEMENT,
    ),
    (re.compile(r"^(?:key )?strengths?$", re.IGNORECASE), FindingKind.STRENGTH),
]
# A paragraph under a list's heading that speaks of the list ("The areas for priority action set at the
# last focused visit remain. There are no additional priority actions.") is not an item of it.
ABOUT_THE_LIST_RE = re.compile(
    r"priority actions?\b|areas? for (?:priority action|improvement|development)", re.IGNORECASE
)
# Monitoring visits may head sections with a judgement area's own wording.
AREA_HEADINGS = [
    (re.compile(r"children who need help and protection", re.IGNORECASE), JudgementArea.HELP_AND_PROTECTION),
    (re.compile(r"children in care and care leavers", re.IGNORECASE), JudgementArea.IN_CARE_AND_CARE_LEAVERS),
    (re.compile(r"^the experiences and progress of children in care$", re.IGNORECASE), JudgementArea.IN_CARE),
    (
        re.compile(r"^the experiences and progress of care leavers$", re.IGNORECASE),
        JudgementArea.CARE_LEAVERS,
    ),
    (re.compile(r"^the impact of leaders\b", re.IGNORECASE), JudgementArea.IMPACT_OF_LEADERS),
]

# --- Inspectors ---
SIGN_OFF_RE = re.compile(r"^Your?s? (?:sincerely|faithfully),?$", re.IGNORECASE)
# The role lines under each signatory's name.
ROLE_RE = re.compile(
    r"Majesty's|Inspector|Director|Ofsted|Commission|Probation|Constabulary|Chief|Manager|on behalf of",
    re.IGNORECASE,
)
OFSTED_ROLE_RE = re.compile(r"Ofsted|^(?:Her|His) Majesty's Inspector$", re.IGNORECASE)
NAME_RE = re.compile(
    r"^(?:(?:Dr|Mr|Mrs|Ms|Miss|Sir|Dame|Professor)\.? )?[A-Z][\w'-]+(?: (?:[A-Z][\w'.-]*|de|van|von|le|la))+$"
)
POST_NOMINALS_RE = re.compile(r"(?:,?\s+(?:[A-Z]{2,5}|BSc|MSc|ChB|PhD|MBA|BA|MA))+$")
# The inspectors named in the introduction: "The inspectors were X and Y", "... for this visit were X, lead
# inspector, and Y", "The visit was carried out by Her Majesty's Inspectors X and Y."
BODY_INSPECTORS_RE = re.compile(
    r"(?:inspectors?(?: for this (?:visit|inspection))? were|(?:carried out|conducted|undertaken) by)\s+"
    r"(?P<names>[^.]+)",
    re.IGNORECASE,
)
LEAD_INSPECTOR_RE = re.compile(r"\blead inspector\b", re.IGNORECASE)
BODY_NOISE_RE = re.compile(
    r"(?:all of whom are|both of whom are|(?:two|three|four|five|six) of)\s.*$|"
    r"\b(?:Her|His) Majesty's Inspectors?(?: \(HMIs?\))?|\bHMIs?\b|\(HMIs?\)|"
    r"\bwho observed the visit\b|\bteam inspector\b|\bshadow(?:ing)? inspector\b",
    re.IGNORECASE,
)


@dataclass
class Block:
    """A paragraph, bullet item or heading: consecutive printed lines with no paragraph space between."""

    lines: list[Line]
    bullet: bool = False
    sub_item: bool = False
    texts: list[str] = field(default_factory=list)

    @property
    def page(self) -> int | None:
        return self.lines[0].page

    @property
    def text(self) -> str:
        return join_wrapped(self.texts)


def parse(document: Document, kind: str, title: str) -> ParsedReport:
    """Read a visit letter: its head, introduction, findings and signature. It grades nothing."""
    lines = _without_furniture(document.lines)
    blocks = _blocks(lines)
    title_at = _title_block(blocks, title)
    report = new_report(
        document,
        kind,
        title=_tidy_title(blocks[title_at].text) if title_at is not None else squash(title),
        authority_name="",
    )
    header = _header_lines(lines, blocks[title_at] if title_at is not None else None)
    report.letter_date = _letter_date(header)
    start, end = _findings_span(blocks, title_at)
    introduction = blocks[(title_at or 0) + 1 : start]
    report.authority_name = _authority(report.title, introduction, header)
    report.start_date, report.end_date = _inspection_dates(introduction, blocks, report.letter_date)
    report.lead_inspector = _signatories(lines) or _body_inspectors(introduction)
    report.findings = _findings(blocks[start:end])
    report.warnings = _warnings(report, header)
    return report


# --- Lines and blocks -------------------------------------------------------------------------------


def _without_furniture(lines: list[Line]) -> list[Line]:
    """Drop Ofsted's address block, page numbers and footnotes.

    The address goes first: above a page number it would keep the number from being seen at the page's top.
    """
    lines = [line for line in lines if not FURNITURE_RE.fullmatch(line.text.strip())]
    return _without_footnotes(remove_page_furniture(lines))


def _without_footnotes(lines: list[Line]) -> list[Line]:
    """Drop numbered notes at a page's foot and their reference marks (printed on a line of their own, or
    against a word: "Commissioning Group1").

    A note is told by the wide space above it and by ending its page: only note lines follow it, down to
    the page's foot. Only PDF input shows the space; a plain-text note stays in.
    """
    kept: list[Line] = []
    notes: dict[int | None, set[str]] = {}
    index = 0
    while index < len(lines):
        line = lines[index]
        match = FOOTNOTE_RE.match(line.text.strip())
        end = _note_end(lines, index) if match and kept and (line.space_above or 0) > FOOTNOTE_SPACE else None
        if end is None:
            kept.append(line)
            index += 1
            continue
        notes.setdefault(line.page, set()).add(match.group(1))
        index = end
    if not notes:
        return kept
    return [
        _without_marks(line, notes.get(line.page))
        for line in kept
        if not (line.page in notes and line.text.strip() in notes[line.page])
    ]


def _note_end(lines: list[Line], start: int) -> int | None:
    """Where the footnote starting at lines[start] ends, or None if text of the page's body follows it.

    A line printed above the note (extracted after it: the page's number, Ofsted's address) ends it.
    """
    for index in range(start + 1, len(lines)):
        line = lines[index]
        space = line.space_above
        if line.page != lines[start].page or (space is not None and space < 0):
            return index
        if (space or 0) > PARAGRAPH_SPACE and not FOOTNOTE_RE.match(line.text.strip()):
            return None
    return len(lines)


def _without_marks(line: Line, marks: set[str] | None) -> Line:
    if not marks:
        return line
    pattern = rf"(?<=[A-Za-z)])(?:{'|'.join(sorted(marks))})(?=[\s,.;:)]|$)"
    return Line(re.sub(pattern, "", line.text), line.page, line.space_above)


def _blocks(lines: list[Line]) -> list[Block]:
    """Group lines into paragraphs, bullet items and headings."""
    blank_lines = _uses_blank_lines(lines)
    wrap_width = _wrap_width(lines)
    blocks: list[Block] = []
    previous: Line | None = None
    blank_above = close_block = False
    for index, line in enumerate(lines):
        text = line.text.strip()
        if not text:
            blank_above = blank_above or blank_lines
            continue
        following = next((later for later in lines[index + 1 : index + 3] if later.text.strip()), None)
        spaced = blank_above or _new_paragraph(previous, line, blank_lines, wrap_width)
        bullet = bool(BULLET_RE.match(text))
        after_lead_in = previous is not None and previous.text.rstrip().endswith((":", ";"))
        sub_item = bool(SUB_ITEM_RE.match(text)) and (
            spaced or after_lead_in or bool(blocks and blocks[-1].sub_item)
        )
        heading = _lone_heading(previous, line, following)
        title = bool(TITLE_RE.match(text))
        if not blocks or spaced or bullet or sub_item or heading or title or close_block:
            blocks.append(Block([], bullet=bullet, sub_item=sub_item))
        block = blocks[-1]
        block.lines.append(line)
        block.texts.append(SUB_ITEM_RE.sub("", strip_bullet(text)) if len(block.lines) == 1 else text)
        close_block = heading or (TITLE_RE.match(block.texts[0]) and re.search(r"services\.?$", text))
        previous, blank_above = line, False
    return blocks


def _uses_blank_lines(lines: list[Line]) -> bool:
    """Whether plain text marks its paragraphs with blank lines (PDF text never does)."""
    if not lines or lines[0].page is not None:
        return False
    printed = [index for index, line in enumerate(lines) if line.text.strip()]
    if not printed:
        return False
    inside = lines[printed[0] : printed[-1] + 1]
    blank = len(inside) - len(printed)
    return blank >= max(2, len(printed) // 20)


def _wrap_width(lines: list[Line]) -> int:
    """How long a wrapped line of body text is, in characters (for text without layout)."""
    lengths = sorted(len(line.text.strip()) for line in lines if line.text.strip())
    return lengths[len(lengths) * 9 // 10] if lengths else 0


def _new_paragraph(previous: Line | None, line: Line, blank_lines: bool, wrap_width: int) -> bool:
    """Whether a line starts a paragraph: from the PDF's spacing on one page; else from the text."""
    if previous is None:
        return True
    # A line printed above the one before it (a page number set at the foot but extracted first) says
    # nothing about spacing: that is decided from the text, as at a page break.
    space = line.space_above
    if line.page is not None and line.page == previous.page and space is not None and space >= 0:
        return space > PARAGRAPH_SPACE
    if blank_lines:
        return False
    ended = bool(SENTENCE_END_RE.search(previous.text.rstrip()))
    starts = strip_bullet(line.text)[:1]
    if line.page is None and len(previous.text.strip()) > 0.85 * wrap_width:
        return False  # a full line ending a sentence is usually wrapped text, not a paragraph's end
    return ended and (starts.isupper() or starts.isdigit() or starts in "'\"")


def _lone_heading(previous: Line | None, line: Line, following: Line | None) -> bool:
    """A heading line, which is a block of its own.

    Known headings, the letter's date, its salutation and its sign-off always are; otherwise, where the
    PDF's spacing cannot tell (plain text), a short unpunctuated line between a finished sentence and a
    capitalised line is.
    """
    text = line.text.strip()
    if KNOWN_HEADING_RE.fullmatch(text) or LONE_LINE_RE.fullmatch(text) or LETTER_DATE_RE.fullmatch(text):
        return True
    if previous is None or following is None or following.space_above is not None:
        return False
    return (
        len(text) <= LONE_HEADING_MAX_CHARS
        and _looks_like_heading(text)
        and bool(SENTENCE_END_RE.search(previous.text.rstrip()) or _looks_like_heading(previous.text.strip()))
        and strip_bullet(following.text)[:1].isupper()
    )


def _looks_like_heading(text: str) -> bool:
    if KNOWN_HEADING_RE.fullmatch(text):
        return True
    return (
        len(text) <= HEADING_MAX_CHARS
        and text[:1].isupper()
        and not BULLET_RE.match(text)
        and not re.search(r"[.,;:!?][\"')\]]*$", text)
    )


def _is_heading(block: Block) -> bool:
    return (
        len(block.lines) <= HEADING_MAX_LINES
        and not block.bullet
        and not block.sub_item
        and _looks_like_heading(block.text)
    )


# --- Header, title, introduction ---------------------------------------------------------------------


def _title_block(blocks: list[Block], title: str) -> int | None:
    """The block that is the letter's title: a visit's or JTAI's, else the one the detected title opens."""
    detected = squash(title).lower()
    return next(
        (
            index
            for index, block in enumerate(blocks)
            if TITLE_RE.match(block.text) or squash(block.text).lower().startswith(detected)
        ),
        None,
    )


def _tidy_title(text: str) -> str:
    return squash(text).rstrip(" .")


def _header_lines(lines: list[Line], title: Block | None) -> list[str]:
    """The lines above the title: letter date, addressee block, salutation."""
    if title is None:
        return []
    header = []
    for line in lines:
        if line is title.lines[0]:
            break
        if line.text.strip():
            header.append(line.text.strip())
    return header


def _letter_date(header: list[str]) -> date | None:
    for text in header:
        if LETTER_DATE_RE.fullmatch(text):
            return parse_date(text)
    return None


def _findings_span(blocks: list[Block], title_at: int | None) -> tuple[int, int]:
    """From the first heading after the introduction up to the closing boilerplate or sign-off."""
    begin = (title_at or 0) + 1
    start = next(
        (
            index
            for index in range(begin, len(blocks))
            if _is_heading(blocks[index]) and not NOT_FINDINGS_SECTION_RE.match(_section_name(blocks[index]))
        ),
        None,
    )
    if start is None:  # no headings: the findings follow the introduction's paragraphs
        start = next(
            (index for index in range(begin, len(blocks)) if not INTRODUCTION_RE.match(blocks[index].text)),
            len(blocks),
        )
    end = next(
        (index for index in range(start, len(blocks)) if CLOSING_RE.match(strip_bullet(blocks[index].text))),
        len(blocks),
    )
    return start, end


def _authority(title: str, introduction: list[Block], header: list[str]) -> str:
    """The authority as the title names it, else as the introduction or the addressee block does."""
    match = VISIT_AUTHORITY_RE.search(title)
    if match:
        return _tidy_name(match["name"])
    match = OTHER_AUTHORITY_RE.search(title)
    if match:
        return _tidy_name(match["name"])
    match = JTAI_AUTHORITY_RE.search(title)
    if match:
        rest = match["rest"]
        if " in " not in rest and not rest.lower().startswith("multi-agency"):
            return _tidy_name(rest)
        area = IN_AREA_RE.findall(rest)
        if area:
            return _tidy_name(area[-1])
    for block in introduction:
        # "This letter summarises the findings of ..." / (JTAI) "... outlines our findings about ... in X."
        if "summarises the findings" in block.text or "outlines our findings" in block.text:
            match = VISIT_AUTHORITY_RE.search(block.text)
            area = [match["name"]] if match else IN_AREA_RE.findall(block.text)
            if area:
                return _tidy_name(area[-1])
    for text in header:
        if re.search(r"\b(?:Council|London Borough|Royal Borough|County|Borough)\b", text):
            return _tidy_name(text.split(",")[-1])
    return ""


def _tidy_name(name: str) -> str:
    return squash(name).strip(" .,")


def _inspection_dates(
    introduction: list[Block], blocks: list[Block], letter_date: date | None
) -> tuple[date | None, date | None]:
    for candidates in (introduction, blocks):
        for block in candidates:
            if DATES_PARAGRAPH_RE.search(block.text):
                start, end = parse_date_range(block.text, before=letter_date)
                if start:
                    return start, end
    return None, None


# --- Inspectors -------------------------------------------------------------------------------------


def _signatories(lines: list[Line]) -> str:
    """The inspectors who signed the letter; for a joint letter, Ofsted's where it can be told."""
    texts = [line.text.strip() for line in lines if line.text.strip()]
    signed = next((index for index, text in enumerate(texts) if SIGN_OFF_RE.match(text)), None)
    if signed is None:
        return ""
    people: list[tuple[str, list[str]]] = []
    for text in texts[signed + 1 :]:
        if ROLE_RE.search(text) and people:
            people[-1][1].append(text)
        elif NAME_RE.match(text) and not ROLE_RE.search(text):
            people.append((_tidy_person(text), []))
    ofsted = [name for name, roles in people if any(OFSTED_ROLE_RE.search(role) for role in roles)]
    return ", ".join(ofsted or [name for name, _ in people])


def _body_inspectors(introduction: list[Block]) -> str:
    """The inspectors the introduction names: the lead inspector if it says which, else all of them."""
    for block in introduction:
        match = BODY_INSPECTORS_RE.search(block.text)
        if not match:
            continue
        names = []
        for part in re.split(r",\s*(?:and\s+)?|\s+and\s+", match["names"]):
            lead = LEAD_INSPECTOR_RE.search(part)
            part = BODY_NOISE_RE.sub("", LEAD_INSPECTOR_RE.sub("", part)).strip(" ,.()")
            if lead and names:
                return names[-1]
            if NAME_RE.match(part):
                names.append(_tidy_person(part))
        if names:
            return ", ".join(names)
    return ""


def _tidy_person(text: str) -> str:
    return POST_NOMINALS_RE.sub("", squash(text)).strip(" ,")


# --- Findings ---------------------------------------------------------------------------------------


def _section_name(block: Block) -> str:
    return block.text.rstrip(" .:")


def _findings(blocks: list[Block]) -> list[Finding]:
    findings: list[Finding] = []
    section, area, list_kind, skipping = "", None, None, False
    has_bullets = False
    for index, block in enumerate(blocks):
        if _is_heading(block):
            section = _section_name(block)
            skipping = bool(NOT_FINDINGS_SECTION_RE.match(section))
            list_kind = next((kind for pattern, kind in LIST_SECTIONS if pattern.match(section)), None)
            area = next((area for pattern, area in AREA_HEADINGS if pattern.search(section)), None)
            has_bullets = _section_has_bullets(blocks, index + 1)
            continue
        if skipping or BOILERPLATE_RE.match(block.text):
            continue
        if block.sub_item and findings:
            findings[-1].text = f"{findings[-1].text} - {block.text}"
            continue
        kind = FindingKind.NARRATIVE
        if list_kind:
            if block.text.endswith(":") and not block.bullet:
                continue  # "The local authority needs to take action in the following areas:"
            if block.bullet or not (has_bullets or ABOUT_THE_LIST_RE.search(block.text)):
                kind = list_kind
        findings.append(
            Finding(
                kind=kind.value,
                section=section,
                area=area.value if area else None,
                order=len(findings) + 1,
                page=block.page,
                text=block.text,
            )
        )
    return findings


def _section_has_bullets(blocks: list[Block], start: int) -> bool:
    for block in blocks[start:]:
        if _is_heading(block):
            return False
        if block.bullet:
            return True
    return False


def _warnings(report: ParsedReport, header: list[str]) -> list[str]:
    checks = [
        (report.authority_name, "no authority name found"),
        (report.letter_date, "no letter date found"),
        (report.start_date, "no inspection dates found"),
        (report.lead_inspector, "no inspector named"),
        (report.findings, "no findings found"),
    ]
    warnings = [warning for value, warning in checks if not value]
    misprinted = next((text for text in header if MISPRINTED_DATE_RE.fullmatch(text)), None)
    if not report.letter_date and misprinted:
        warnings.append(f"letter date misprinted: {misprinted!r}")
    return warnings
