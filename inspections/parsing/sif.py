"""Single inspection framework (SIF) reports, 2013-2018.

"Inspection of services for children in need of help and protection, children looked after and care
leavers", often combined with the "Review of the effectiveness of the Local Safeguarding Children Board"
(LSCB); a re-inspection has the same layout without the LSCB review. The layout read here:

- page 1: the authority's name above the title, "Inspection date(s): ...", "Report published: ...", the
  headline ("Children's services in X are good", "The overall judgement is that ...") and the grid of
  judgements ("1. Children who need help and protection  Good"), in 2013-14 also the LSCB's grade;
- sections under fixed headings: executive summary or summary of findings; recommendations, or areas
  for improvement with "Priority and immediate action"; the authority's strengths; progress since the
  last inspection; the summary for children and young people; then one section per judgement, headed by
  its name and grade ("Leadership, management and governance  Requires improvement", "The graded
  judgement for adoption performance is that it is good"), each with a "Summary" and "Inspection
  findings"; then the LSCB review with its own summary, recommendations and findings;
- left out: the contents, "Information about this local authority area" (statistics), "Information
  about this inspection", "What the inspection judgements mean" and everything after them.

The seed texts are damaged (grid labels lost, numbers and bullets lost, lines dropped at page breaks), so
every grade is read only where its label and grade are printed together.
"""

import re
from dataclasses import dataclass, replace

from ..choices import FindingKind, JudgementArea
from .dates import parse_date, parse_date_range
from .document import Document, Line, new_report
from .layout import (
    Heading,
    Numbering,
    Section,
    find_heading,
    grade_slug,
    remove_footnotes,
    remove_page_furniture,
    remove_running_heads,
    section_findings,
    text_width,
    tidy_heading,
)
from .result import Judgement, ParsedReport
from .text import squash

Area = JudgementArea
Kind = FindingKind

GRADE = r"(?P<grade>outstanding|good|adequate|inadequate|(?:is )?requires? improvement(?: to be good)?)\b"
# How a judgement's name is followed by its grade: "... protection  Good", "... are good", "... is that it
# is outstanding", "... is that it requires improvement".
VERB = r"(?:(?: are| is)(?: that it)?(?: is)?)?"
GRADED = r"(?:the graded judge?ment (?:for|about|on) (?:the )?)"
JUDGEMENT_LABELS = {
    Area.HELP_AND_PROTECTION: r"(?:the )?(?:experiences? and progress of )?children who need help and protection",
    Area.IN_CARE: r"(?:the )?(?:experiences? and progress of )?children looked after and achieving permanence",
    Area.ADOPTION: r"adoption performance",
    Area.CARE_LEAVERS: r"(?:the )?experiences? and progress of care leavers",
    Area.LEADERSHIP: r"leadership,? management and governance",
}
LSCB_NAME = r"(?:local safeguarding children board|lscb)(?: \(lscb\))?"
# "The Local Safeguarding Children Board is good", "The effectiveness of the LSCB requires improvement",
# "The judgement for the effectiveness of the Local Safeguarding Children Board (LSCB) is requires improvement"
LSCB_GRADE = (
    rf"(?:the judge?ment for )?the (?:effectiveness of the )?{LSCB_NAME} (?:is (?:judged to be )?)?{GRADE}"
)
HEADLINES = [
    rf"children'?s services in (?P<name>.{{1,80}}?) (?:are |is )?{GRADE}",
    rf"the overall judge?ment is (?:that )?(?:children'?s services (?:are |is )?)?{GRADE}",
]
GRID_RES = [
    (area, re.compile(rf"\b(?:\d(?:\.\d)?\.? )?{label}:? {GRADE}", re.IGNORECASE))
    for area, label in JUDGEMENT_LABELS.items()
]
FRONT_RES = [
    *[(Area.OVERALL_EFFECTIVENESS, re.compile(pattern, re.IGNORECASE)) for pattern in HEADLINES],
    *GRID_RES,
    (Area.LSCB, re.compile(rf"\b{LSCB_GRADE}", re.IGNORECASE)),
]

# Section headings: (role, pattern). Roles say what the lines under the heading are:
# "skip" boilerplate and statistics; "contents"; "ignore" a line that is neither heading nor finding;
# "sub" a sub-heading that keeps the judgement area; "lscb" the start of the LSCB review; otherwise the
# finding kind of the section's items.
HEADINGS = [
    ("contents", r"contents"),
    ("ignore", r"key judge?ment judge?ment grade"),
    ("skip", r"(?:section 1:? )?the local authority"),
    ("skip", r"information about (?:this|the) (?:local authority area|inspection(?: and (?:the )?review)?)"),
    ("skip", r"what the inspection judge?ments mean(?:: the (?:local authority|lscb))?"),
    ("skip", r"the inspection team"),
    (Kind.NARRATIVE, r"executive summary"),
    (
        Kind.NARRATIVE,
        r"(?:section 1:? the local authority ?[-–—:]? ?)?(?P<label>summary of (?:key )?findings)",
    ),
    (Kind.NARRATIVE, r"progress since the last inspection"),
    (Kind.NARRATIVE, r"summary for children and young people"),
    (Kind.NARRATIVE, r"key strengths and weaknesses of the [\w' ]{2,60}"),
    (Kind.NARRATIVE, r"inspection judge?ments? about the (?:local authority|lscb)"),
    ("sub", r"summary"),
    ("sub", r"inspection findings"),
    ("lscb", rf"inspection findings ?[-–—:]? ?the {LSCB_NAME}"),
    ("lscb", rf"(?:section 2:? )?(?:the )?(?:effectiveness of the )?{LSCB_NAME}"),
    (Kind.RECOMMENDATION, r"recommendations?"),
    (Kind.AREA_FOR_IMPROVEMENT, r"what needs to improve(?: in this area of social work practice)?\??"),
    (Kind.AREA_FOR_IMPROVEMENT, r"what does the (?:local authority|lscb) need to improve\??"),
    (Kind.AREA_FOR_IMPROVEMENT, r"areas? for improvement"),
    (Kind.PRIORITY_ACTION, r"(?:priority and immediate action|areas? for priority action):?"),
    (
        Kind.STRENGTH,
        r"the (?:local authority|lscb)'?s strengths|the (?:local authority|lscb) has the following strengths:?",
    ),
]
HEADING_RES = [
    *[
        (
            area,
            re.compile(
                rf"(?:\d(?:\.\d)?\.? )?{GRADED}?(?P<label>{label}){VERB}(?: {GRADE})?\.?", re.IGNORECASE
            ),
        )
        for area, label in JUDGEMENT_LABELS.items()
    ],
    (Area.LSCB, re.compile(rf"{LSCB_GRADE}\.?", re.IGNORECASE)),
    *[(role, re.compile(rf"{pattern}\.?", re.IGNORECASE)) for role, pattern in HEADINGS],
]
# The body starts at the first of these headings; what comes before is the title page.
BODY_START = {"contents", Kind.NARRATIVE, "skip"}

TITLE_RE = re.compile(r"^(?:re-?)?inspection of services for children", re.IGNORECASE)
INSPECTION_DATE_RE = re.compile(r"^inspection dates?:?\s*(?P<dates>.*)", re.IGNORECASE)
PUBLISHED_RE = re.compile(r"^(?:report )?published:?\s*(?P<date>.*)", re.IGNORECASE)
# "Lead inspector: X"; "Lead inspector on site: X" where another inspector wrote the report.
LEAD_INSPECTOR_RE = re.compile(r"^lead inspector(?: on site)?:?\s*(?P<name>.+)", re.IGNORECASE)
INSPECTOR_SUFFIX_RE = re.compile(
    r"[,\s]*(?:\(?(?:senior )?HMI\)?|her majesty'?s inspector|his majesty'?s inspector)\s*$", re.IGNORECASE
)


def parse(document: Document, kind: str, title: str) -> ParsedReport:
    lines = remove_footnotes(remove_running_heads(remove_page_furniture(document.lines)))
    start = _body_start(lines)
    front, body = lines[:start], lines[start:]
    authority, printed_title = _read_title_page(front)
    if not authority and (headline := FRONT_RES[0][1].search(squash(" ".join(line.text for line in front)))):
        authority = headline["name"]  # "Children's services in Wokingham require improvement to be good"
    report = new_report(
        document,
        kind,
        title=printed_title or title,
        authority_name=authority,
    )
    _read_dates(front, report)
    report.lead_inspector = _lead_inspector(body)
    sections, headings = _sections(body)
    _set_judgements(report, _front_grades(front), headings, sections)
    width, numbering = text_width(body), Numbering()
    for section in sections:
        report.findings.extend(section_findings(section, width, numbering))
    _warn_missing(report)
    return report


def _heading(lines: list[Line], index: int) -> Heading | None:
    """The heading starting at the line, if any. A judgement's name printed without a grade only heads a
    part of a summary or list ("Leadership, management and governance" over a few recommendations)."""
    heading = find_heading(lines, index, HEADING_RES)
    if heading and isinstance(heading.role, JudgementArea) and not heading.grade:
        return replace(heading, role="ignore")
    return heading


def _body_start(lines: list[Line]) -> int:
    for index in range(len(lines)):
        heading = _heading(lines, index)
        if heading and heading.role in BODY_START:
            return index
    return 0


def _read_title_page(front: list[Line]) -> tuple[str, str]:
    texts = [line.text.strip() for line in front if line.text.strip()]
    index = next((index for index, text in enumerate(texts[:20]) if TITLE_RE.match(text)), None)
    if index is None:
        return "", ""
    authority = squash(" ".join(text for text in texts[:index] if not text.isdigit()))
    title_lines = []
    for text in texts[index:]:
        if INSPECTION_DATE_RE.match(text):
            break
        title_lines.append(text)
    return authority, tidy_heading(" ".join(title_lines))


def _read_dates(front: list[Line], report: ParsedReport) -> None:
    for line in front:
        text = line.text.strip()
        if match := INSPECTION_DATE_RE.match(text):
            report.start_date, report.end_date = parse_date_range(match["dates"])
        elif match := PUBLISHED_RE.match(text):
            report.published_date = parse_date(match["date"])


def _lead_inspector(body: list[Line]) -> str:
    for line in body:
        if match := LEAD_INSPECTOR_RE.match(line.text.strip()):
            return INSPECTOR_SUFFIX_RE.sub("", match["name"]).strip(" ,.")
    return ""


@dataclass
class _State:
    role: str = "skip"
    area: str | None = None
    in_lscb: bool = False
    section: str = ""


def _sections(body: list[Line]) -> tuple[list[Section], list[Heading]]:
    """Cut the body into sections by their headings, each with its finding kind and area; the headings
    that print a judgement's grade are returned too."""
    sections: list[Section] = []
    graded: list[Heading] = []
    state = _State()
    pending: Heading | None = None  # the last heading seen while reading the contents
    contents_page: int | None = None
    index = 0
    while index < len(body):
        heading = _heading(body, index)
        if state.role == "contents":
            if heading:
                pending = heading
                index += heading.size
                continue
            if not _ends_contents(body[index], contents_page):
                index += 1
                continue
            state.role = "skip"
            if pending:
                _apply(state, pending, sections)
        elif heading and heading.role != "ignore":
            _apply(state, heading, sections)
            contents_page = body[index].page  # where the contents start, if this heading is theirs
            if heading.grade and isinstance(heading.role, JudgementArea):
                graded.append(heading)
            index += heading.size
            continue
        elif heading:
            index += heading.size
            continue
        if sections and state.role not in ("skip", "contents"):
            sections[-1].lines.append(body[index])
        index += 1
    return [section for section in sections if section.lines], graded


def _ends_contents(line: Line, contents_page: int | None) -> bool:
    """The contents run to the end of their page (PDF), or to the first line of running text."""
    if line.page is not None:
        return line.page != contents_page
    text = line.text.strip()
    return bool(text) and (text[0] in "-•" or text.endswith((".", ":")) or line.text[:1].isspace())


def _apply(state: _State, heading: Heading, sections: list[Section]) -> None:
    role = heading.role
    if role == "contents":
        state.role = "contents"
        return
    if isinstance(role, JudgementArea):
        if role == Area.LSCB:
            state.in_lscb = True
            state.role = Kind.NARRATIVE
        else:
            state.in_lscb, state.area, state.role = False, role, Kind.NARRATIVE
            state.section = heading.label
        _open(state, sections)
        return
    if role == "skip":
        state.role, state.area, state.in_lscb = "skip", None, False
        return
    if role == "lscb":
        state.in_lscb, state.role, state.section = True, Kind.NARRATIVE, heading.text
        _open(state, sections)
        return
    if role == "sub":
        state.role, state.section = Kind.NARRATIVE, heading.label
    else:
        state.role, state.section, state.area = role, heading.label, None
    _open(state, sections)


def _open(state: _State, sections: list[Section]) -> None:
    area = Area.LSCB if state.in_lscb else state.area
    sections.append(Section(kind=str(state.role), section=state.section, area=area and str(area)))


def _front_grades(front: list[Line]) -> dict[str, str]:
    text = squash(" ".join(line.text for line in front))
    grades: dict[str, str] = {}
    for area, pattern in FRONT_RES:
        if str(area) not in grades and (match := pattern.search(text)):
            grades[str(area)] = grade_slug(match["grade"])
    return grades


def _set_judgements(
    report: ParsedReport, front: dict[str, str], graded: list[Heading], sections: list[Section]
) -> None:
    """Grades from the title page first, then from the section headings that print them."""
    grades = dict(front)
    has_lscb_review = "safeguarding children board" in report.title.lower() or any(
        section.area == Area.LSCB for section in sections
    )
    for heading in graded:
        area = str(heading.role)
        if area in grades and grades[area] != heading.grade:
            report.warnings.append(
                f"{area} graded {grades[area]} on the title page but {heading.grade} in the body"
            )
        grades.setdefault(area, heading.grade)
    if not has_lscb_review:
        grades.pop(str(Area.LSCB), None)
    order = [str(area) for area in Area]
    report.judgements = [Judgement(area, grades[area]) for area in order if area in grades]


def _warn_missing(report: ParsedReport) -> None:
    if not report.authority_name:
        report.warnings.append("no authority name found above the title")
    if not report.findings:
        report.warnings.append("no findings could be read")
    if not report.start_date:
        report.warnings.append("no inspection dates found")
    if not report.published_date:
        report.warnings.append("no publication date found")
    if not report.lead_inspector:
        report.warnings.append("no lead inspector found")
    if not any(judgement.area == Area.OVERALL_EFFECTIVENESS for judgement in report.judgements):
        report.warnings.append("no overall effectiveness judgement found")
