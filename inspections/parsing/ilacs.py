"""ILACS reports (2018-): "Inspection of <LA> local authority children's services".

Page 1 carries the title (2018-2019: "Inspection of children's social care services" below the
authority's name), "Inspection dates:", "Lead inspector:" and the judgement grid ("Judgement Grade",
then each area's label, wrapped, followed by its grade; the 2026 grid has no overall effectiveness
row). Unnumbered summary paragraphs follow, then "What needs to improve?" with bulleted items, then one
heading per area that repeats its grade ("The experiences and progress of children in care: good") over
paragraphs numbered 1 to N across the whole report. Ofsted's end matter ("The Office for Standards in
Education ...") closes it. Every page after the first has a running header (title, dates, page number).
"""

import re
from dataclasses import dataclass, field
from datetime import date

from ..choices import FindingKind, Grade, JudgementArea
from . import layout
from .dates import parse_date, parse_date_range
from .document import Document, Line, new_report
from .errors import ReportRefused
from .result import Finding, Judgement, ParsedReport
from .text import squash

# Area labels as printed in the grid and the section headings.
AREA_LABELS = [
    (
        JudgementArea.IMPACT_OF_LEADERS,
        r"the impact of leaders on (?:social work )?practice with children and families",
    ),
    (
        JudgementArea.HELP_AND_PROTECTION,
        r"the experiences and progress of children who need help and protection",
    ),
    (
        JudgementArea.IN_CARE_AND_CARE_LEAVERS,
        r"the experiences and progress of children in care and care leavers",
    ),
    (JudgementArea.IN_CARE, r"the experiences and progress of children in care"),
    # Kent's 2026 grid prints "children care leavers".
    (JudgementArea.CARE_LEAVERS, r"the experiences and progress of (?:children )?care leavers"),
    (JudgementArea.OVERALL_EFFECTIVENESS, r"overall effectiveness"),
]
LABEL = "|".join(f"(?P<{area.value}>{pattern})" for area, pattern in AREA_LABELS)
GRADE = r"requires improvement(?: to be good)?|good|outstanding|inadequate"
GRADES = {
    "requires improvement to be good": Grade.REQUIRES_IMPROVEMENT.value,
    "requires improvement": Grade.REQUIRES_IMPROVEMENT.value,
    "good": Grade.GOOD.value,
    "outstanding": Grade.OUTSTANDING.value,
    "inadequate": Grade.INADEQUATE.value,
}
# A label may end with a full stop ("... children and families. Requires improvement").
GRID_ROW_RE = re.compile(rf"(?:{LABEL})[.:]? ?(?P<grade>{GRADE})", re.IGNORECASE)
# "...protection: good", "...protection are: Outstanding", "...protection is outstanding".
HEADING_RE = re.compile(rf"(?P<label>{LABEL}) ?(?:(?:is|are)\b ?)?:? ?(?P<grade>{GRADE})?\.?", re.IGNORECASE)
HEADING_START_RE = re.compile(r"the (?:experiences and progress|impact of leaders)\b", re.IGNORECASE)
# Lines one grid row (label and grade) or one section heading may wrap over.
GRID_ROW_LINES = 5
HEADING_LINES = 3
# The title, dates, inspector and grid header are within the first lines of page 1.
HEAD_LINES = 40
HEAD_CHARS = 3000

TITLE_RE = re.compile(r"inspection of\b", re.IGNORECASE)
GENERIC_TITLE_RE = re.compile(
    r"inspection of (?:local authority )?children'?s (?:social care )?services", re.I
)
TITLE_NAME_RE = re.compile(
    r"inspection of (?:the )?(?P<name>.+?) (?:local authority )?children'?s services", re.I
)
DATES_RE = re.compile(r"inspection dates?\s*:?\s*(?P<rest>.*)", re.IGNORECASE)
LEAD_RE = re.compile(r"lead inspectors?\s*:?\s*(?P<rest>.*)", re.IGNORECASE)
INSPECTOR_TITLE_RE = re.compile(r",?\s*(?:(?:Her|His) Majesty'?s Inspector.*|HMI\b.*)$", re.IGNORECASE)
# Two leads: "Rebecca Quested, His Majesty's Inspector, and Matthew Reed, His Majesty's Inspector".
INSPECTOR_TITLE_BETWEEN_RE = re.compile(
    r",?\s*(?:(?:Her|His) Majesty'?s Inspector|HMI)\b,?\s*(?:and\s+)?(?=[A-Z])", re.IGNORECASE
)
PUBLISHED_RE = re.compile(r"(?:report published|publication date)\s*:?\s*(?P<date>.{6,30})", re.IGNORECASE)
GRID_START_RE = re.compile(r"judgements?\s+grades?", re.IGNORECASE)
# Plain text keeps the footnote reference that 2025+ reports print after it ("What needs to improve?1").
IMPROVE_RE = re.compile(r"what needs to improve(?: in [^?:]+)?\s*\??\s*:?\d?", re.IGNORECASE)
# "10.Multi-agency meetings": PDFium may drop the space after the number.
NUMBERED_RE = re.compile(r"(?P<number>\d{1,3})\.\s*(?=[A-Z'\"(\d])")
# "34 Most children ...": a number printed without its full stop, taken only as the next paragraph's
# number where a paragraph starts (a wrapped line may begin "16 and 17-year-olds").
UNPUNCTUATED_RE = re.compile(r"(?P<number>\d{1,3}) (?=[A-Z])")
# Ofsted's end matter, and the boilerplate some reports print after the findings.
END_RE = re.compile(
    r"(?:the office for standards in education|ofsted has a remit|information about this inspection"
    r"|about this inspection$|if you would like a copy of this document|© crown copyright)",
    re.IGNORECASE,
)
# Running headers that plain text keeps (PDF pages lose them in layout.remove_page_furniture): the
# title, and the inspection dates with the page number ("8 November to 19 November 2021 2").
RUNNING_TITLE_RE = re.compile(r"inspection of .{0,100}children'?s (?:social care )?services", re.IGNORECASE)
RUNNING_DATES_RE = re.compile(
    r"\d{1,2}(?: [a-z]+)?(?: \d{4})? (?:to|-|–) \d{1,2} [a-z]+ \d{2,4}\.?(?: \d{1,3})?|\d{1,3}", re.IGNORECASE
)
SUMMARY = "Summary"
NARRATIVE = FindingKind.NARRATIVE.value
IMPROVEMENT = FindingKind.AREA_FOR_IMPROVEMENT.value


def parse(document: Document, kind: str, title: str) -> ParsedReport:
    lines = layout.remove_footnotes(layout.remove_page_furniture(document.lines))
    report = new_report(
        document,
        kind,
        title=title,
        authority_name="",
        published_date=_published_date(document.text),
    )
    grid_at = _grid_start(lines)
    _read_head(lines[: HEAD_LINES if grid_at is None else grid_at], report)
    report.judgements, body_at = _read_grid(lines, grid_at or 0)
    if not report.judgements:
        report.warnings.append("no judgement grid found")
    reader = _FindingsReader()
    reader.read([line for line in lines[body_at:] if not _is_running_header(line.text)])
    report.findings = reader.findings()
    report.warnings.extend(reader.warnings)
    _check_grades(report, reader.heading_grades)
    if not report.judgements and not report.findings:
        raise ReportRefused(
            "This has the title of an inspection of local authority children's services, but neither its "
            "judgements nor its findings could be read: the file may be incomplete."
        )
    return report


def _grid_start(lines: list[Line]) -> int | None:
    """The index of the grid's first row: after "Judgement Grade", or after the head where damaged text
    has lost that row."""
    head = [squash(line.text) for line in lines[:HEAD_LINES]]
    for index, text in enumerate(head):
        if GRID_START_RE.fullmatch(text):
            return index + 1
    head_lines = [
        index
        for index, text in enumerate(head)
        if DATES_RE.match(text) or LEAD_RE.match(text) or INSPECTOR_TITLE_RE.fullmatch(text)
    ]
    return head_lines[-1] + 1 if head_lines else None


def _read_head(head: list[Line], report: ParsedReport) -> None:
    """Title, authority, inspection dates and lead inspector from the lines above the grid."""
    texts = [squash(line.text) for line in head]
    dates_at = next((i for i, text in enumerate(texts) if DATES_RE.match(text)), None)
    title_at = next((i for i, text in enumerate(texts[:dates_at]) if TITLE_RE.match(text)), None)
    if title_at is not None:
        title_end = next((i for i, text in enumerate(texts) if i > title_at and _is_head_field(text)), None)
        report.title = squash(" ".join(texts[title_at:title_end]))
        report.authority_name = _authority(
            report.title, [text for text in texts[:title_at] if not text.isdigit()]
        )
    else:
        # a one-line title reads the same as the running header, which page 1 loses with the furniture
        report.authority_name = _authority(report.title, [])
    if not report.authority_name:
        report.warnings.append("no authority name found")
    if dates_at is None:
        report.warnings.append("no inspection dates found")
    else:
        report.start_date, report.end_date = _inspection_dates(texts[dates_at : dates_at + 2])
        if report.end_date is None:
            report.warnings.append("inspection dates not readable")
    lead = next((LEAD_RE.match(text) for text in texts if LEAD_RE.match(text)), None)
    if lead:
        at = texts.index(lead.string)
        # the second lead's title may wrap onto the next line
        rest = (
            squash(" ".join([lead["rest"], *texts[at + 1 : at + 2]]))
            if lead["rest"].endswith(",")
            else lead["rest"]
        )
        names = INSPECTOR_TITLE_RE.sub("", INSPECTOR_TITLE_BETWEEN_RE.sub(", ", rest))
        report.lead_inspector = names.strip(" ,")
    if not report.lead_inspector:
        report.warnings.append("no lead inspector found")


def _is_head_field(text: str) -> bool:
    return bool(DATES_RE.match(text) or LEAD_RE.match(text) or GRID_START_RE.fullmatch(text))


def _authority(title: str, above: list[str]) -> str:
    """The authority's name: in the title since 2019, on the line(s) above a generic title before."""
    match = TITLE_NAME_RE.fullmatch(title)
    if match and not GENERIC_TITLE_RE.fullmatch(title):
        return match["name"]
    return squash(" ".join(above))


def _inspection_dates(texts: list[str]) -> tuple[date | None, date | None]:
    rest = DATES_RE.match(texts[0])["rest"]
    start, end = parse_date_range(rest)
    if end is None or start == end:
        # the range may wrap onto the next line
        start, end = parse_date_range(" ".join([rest, *texts[1:]]))
    return start, end


def _published_date(text: str) -> date | None:
    match = PUBLISHED_RE.search(text[:HEAD_CHARS])
    return parse_date(match["date"]) if match else None


def _read_grid(lines: list[Line], start: int) -> tuple[list[Judgement], int]:
    """The grid's rows from `start` on, and the index of the first line after the grid.

    A row is its label's lines followed by the grade, which may share the label's last line or wrap
    ("Requires improvement" / "to be good"); the grid ends at the first lines that make no row.
    """
    judgements: list[Judgement] = []
    while start < len(lines):
        row = _grid_row(lines, start)
        if row is None:
            break
        judgement, start = row
        judgements.append(judgement)
    return judgements, start


def _grid_row(lines: list[Line], start: int) -> tuple[Judgement, int] | None:
    for end in range(start + 1, min(start + GRID_ROW_LINES, len(lines)) + 1):
        match = GRID_ROW_RE.fullmatch(squash(" ".join(line.text for line in lines[start:end])))
        if match:
            grade = squash(match["grade"]).lower()
            if grade == "requires improvement" and end < len(lines) and _is_grade_tail(lines[end]):
                end += 1
            return Judgement(area=_area(match), grade=GRADES[grade]), end
    return None


def _is_grade_tail(line: Line) -> bool:
    return squash(line.text).lower() == "to be good"


def _area(match: re.Match) -> str:
    return next(area.value for area, _ in AREA_LABELS if match[area.value])


def _is_running_header(text: str) -> bool:
    text = squash(text)
    return bool(RUNNING_TITLE_RE.fullmatch(text) or RUNNING_DATES_RE.fullmatch(text))


@dataclass
class _Block:
    """A finding while its lines are being collected."""

    kind: str
    section: str
    area: str | None
    page: int | None
    number: int | None
    texts: list[str] = field(default_factory=list)


class _FindingsReader:
    """Reads the body line by line: summary paragraphs, then the improvement bullets, then the area
    headings and their numbered paragraphs, until Ofsted's end matter."""

    def __init__(self) -> None:
        self.blocks: list[_Block] = []
        self.heading_grades: dict[str, str] = {}  # area -> grade its heading repeats
        self.warnings: list[str] = []
        self.section, self.area, self.mode = SUMMARY, None, "summary"
        self.next_number = 1
        self.previous: Line | None = None

    def read(self, lines: list[Line]) -> None:
        index = 0
        while index < len(lines):
            text = squash(lines[index].text)
            if END_RE.match(text):
                break
            heading = _heading(lines, index)
            if heading:
                self._start_section(*heading[:3], mode="numbered")
                index += heading[3]
                continue
            if IMPROVE_RE.fullmatch(text):
                self._start_section(text.rstrip(":0123456789").strip(), None, None, mode="bullets")
            elif text:
                self._line(lines[index], text)
            index += 1
        if self.next_number == 1:
            self.warnings.append("no numbered paragraphs found")

    def findings(self) -> list[Finding]:
        return [
            Finding(
                kind=block.kind,
                section=block.section,
                area=block.area,
                order=order,
                page=block.page,
                text=layout.join_wrapped(block.texts),
                number=block.number,
            )
            for order, block in enumerate(self.blocks, start=1)
        ]

    def _start_section(self, section: str, area: str | None, grade: str | None, mode: str) -> None:
        self.section, self.area, self.mode = section, area, mode
        if area and grade:
            self.heading_grades[area] = GRADES[grade.lower()]
        self.previous = None

    def _line(self, line: Line, text: str) -> None:
        numbered = NUMBERED_RE.match(text) or self._unpunctuated(line, text)
        number = int(numbered["number"]) if numbered else None
        if number == self.next_number:
            self.next_number += 1
            self.mode = "numbered"
            self._open(NARRATIVE, line, text[numbered.end() :], number)
        elif self.mode == "bullets" and layout.is_bullet(text):
            self._open(IMPROVEMENT, line, layout.strip_bullet(text))
        elif self.previous is None or (
            self.mode == "summary" and layout.starts_paragraph(self.previous, line)
        ):
            self._open(NARRATIVE, line, text)
        else:
            # a wrapped line; in the numbered part everything up to the next number continues the paragraph
            if number and number > self.next_number and layout.starts_paragraph(self.previous, line):
                self.warnings.append(f"paragraph {number} found where {self.next_number} was expected")
            self.blocks[-1].texts.append(text)
        self.previous = line

    def _unpunctuated(self, line: Line, text: str) -> re.Match | None:
        match = UNPUNCTUATED_RE.match(text)
        if (
            match
            and self.mode == "numbered"
            and int(match["number"]) == self.next_number
            and (
                self.previous is None  # the first line under a heading
                or (
                    layout.SENTENCE_END_RE.search(self.previous.text.rstrip())
                    and layout.starts_paragraph(self.previous, line)
                )
            )
        ):
            return match
        return None

    def _open(self, kind: str, line: Line, text: str, number: int | None = None) -> None:
        self.blocks.append(_Block(kind, self.section, self.area, line.page, number, [text]))


def _heading(lines: list[Line], index: int) -> tuple[str, str, str | None, int] | None:
    """An area heading starting at `index`: (label as printed, area, grade or None, lines used)."""
    if not HEADING_START_RE.match(lines[index].text.lstrip()):
        return None
    # the longest run of lines that reads as one heading, so that "... children in care and care" /
    # "leavers: good" is not cut short at "children in care"
    for used in range(min(HEADING_LINES, len(lines) - index), 0, -1):
        match = HEADING_RE.fullmatch(squash(" ".join(line.text for line in lines[index : index + used])))
        if not match:
            continue
        following = squash(lines[index + used].text) if index + used < len(lines) else ""
        if match["grade"] is None and not NUMBERED_RE.match(following):
            continue  # an ungraded label is a heading only when a numbered paragraph follows it
        return squash(match["label"]), _area(match), match["grade"], used
    return None


def _check_grades(report: ParsedReport, heading_grades: dict[str, str]) -> None:
    """Cross-check the grid against the grades the section headings repeat; a grade printed only in a
    heading (a grid lost from damaged text) is still a printed judgement."""
    grid = {judgement.area: judgement.grade for judgement in report.judgements}
    for area, grade in heading_grades.items():
        if area not in grid:
            report.warnings.append(f"{area} graded {grade} in its heading but not in the grid")
            report.judgements.append(Judgement(area=area, grade=grade))
        elif grid[area] != grade:
            report.warnings.append(f"{area}: the grid says {grid[area]}, its heading {grade}")
