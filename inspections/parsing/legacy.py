"""Reports of the frameworks before 2013: letters and graded reports.

Letters: the 2009-2012 annual unannounced inspections of contact, referral and assessment arrangements.
The date at the top, the addressee block, "Dear ...", the title ("Annual unannounced inspection of
contact, referral and assessment arrangements within X children's services"), a few paragraphs (the
dates: "which was conducted on 10 and 11 May 2011"), then lists under "Strengths", "The service meets the
requirements of statutory guidance in the following areas", "Areas for development" and "Areas for
priority action", and the inspector's name after "Yours sincerely". Nothing is graded.

Reports: the inspections of safeguarding and looked after children services (2009-2012), of looked after
children services and of arrangements for the protection of children (2012-2013). A title page (title,
authority, "Inspection dates:", "Reporting inspector", "Published:"), numbered paragraphs under headings
graded on the line below ("Capacity to improve" / "Grade 4 (inadequate)"), areas for improvement as
bullets under "Immediately:", "Within three months:", and a "Record of main findings" grid. Only grades
with an area in the contract are kept: overall effectiveness (of safeguarding services, where the report
grades those apart), capacity to improve, and leadership and management.
"""

import re
from dataclasses import dataclass, field
from datetime import date

from ..choices import FindingKind, JudgementArea
from .dates import parse_date, parse_date_range
from .document import Document, Line, new_report
from .layout import (
    Numbering,
    Section,
    find_heading,
    remove_footnotes,
    remove_page_furniture,
    remove_running_heads,
    section_findings,
    split_items,
    text_width,
    tidy_heading,
)
from .result import Finding, Judgement, ParsedReport
from .text import squash

Area = JudgementArea
Kind = FindingKind

SALUTATION_RE = re.compile(r"^(?:#+\s*)?dear\b", re.IGNORECASE | re.MULTILINE)
SIGN_OFF_RE = re.compile(r"^yours (?:sincerely|faithfully)", re.IGNORECASE)
COPY_RE = re.compile(r"^(?:copy|cc)\b", re.IGNORECASE)
LETTER_HEADINGS = [
    (Kind.STRENGTH, re.compile(r"(?:areas? of )?strengths?:?", re.IGNORECASE)),
    (
        Kind.MEETS_REQUIREMENTS,
        re.compile(
            r"the service meets the requirements of statutory guidance in the following areas:?", re.I
        ),
    ),
    (Kind.PRIORITY_ACTION, re.compile(r"areas? for priority action:?", re.IGNORECASE)),
    (Kind.AREA_FOR_IMPROVEMENT, re.compile(r"areas? for (?:development|improvement):?", re.IGNORECASE)),
]
# Letter paragraphs that say what was inspected and how, or thank staff: not findings.
NOT_FINDINGS_RE = re.compile(
    r"^(?:this letter summarises|the inspection (?:sampled|was carried out)|i would like to thank"
    r"|from the evidence gathered)",
    re.IGNORECASE,
)
MARKDOWN_MARKS_RE = re.compile(r"^#+\s*|\*\*")
# The closing paragraph: what follows it is the sign-off.
CLOSING_RE = re.compile(r"^any areas for (?:development|priority action|improvement) identified above", re.I)
CONDUCTED_RE = re.compile(
    r"(?:conducted|carried out|took place|undertaken) (?:on|between|from) (?P<dates>[^.]{4,60}?\d{4})", re.I
)
WITHIN_RE = re.compile(r"arrangements (?:within|in) (?P<name>.+?) children'?s services", re.IGNORECASE)
# "... local authority children's services in Rutland County Council which was conducted on ..."
IN_AUTHORITY_RE = re.compile(r"children'?s services in (?P<name>[A-Z][^.]{2,80}?) which was", re.IGNORECASE)
INSPECTOR_ROLE_RE = re.compile(
    r"[,\s]*(?:(?:her|his) majesty'?s (?:senior )?inspector|\(?(?:senior )?HMI\)?|social care inspector)\b[,.]?",
    re.IGNORECASE,
)

GRADE_WORDS = r"outstanding|good|adequate|inadequate"
GRADE_LINE_RE = re.compile(rf"^grade \d\s*\((?P<grade>{GRADE_WORDS})\)\.?$", re.IGNORECASE)
GRID_LINE_RE = re.compile(rf"^(?P<label>.*?)\s*\b(?P<grade>{GRADE_WORDS})\.?$", re.IGNORECASE)
# Grades whose area the contract names; other graded areas ("Outcomes for ...", "Quality of provision",
# "Being healthy") have no slug and are left out.
AREAS = [
    (Area.SAFEGUARDING, re.compile(r"overall effectiveness of (?:the )?safeguarding", re.IGNORECASE)),
    (Area.OVERALL_EFFECTIVENESS, re.compile(r"^overall effectiveness", re.IGNORECASE)),
    (Area.CAPACITY_TO_IMPROVE, re.compile(r"^capacity (?:to|for) improve", re.IGNORECASE)),
    (Area.LEADERSHIP, re.compile(r"^leadership and management", re.IGNORECASE)),
]
SAFEGUARDING_SCOPE_RE = re.compile(r"^safeguarding services$", re.IGNORECASE)
OTHER_SCOPE_RE = re.compile(r"^(?:services for )?looked after children(?:'s)?(?: services)?$", re.IGNORECASE)
REPORT_HEADINGS = [
    ("contents", re.compile(r"contents", re.IGNORECASE)),
    ("grid", re.compile(r"record of main findings", re.IGNORECASE)),
    (
        "skip",
        re.compile(
            r"about this inspection|the inspection judge?ments and what they mean|service information"
            r"|information about this inspection",
            re.IGNORECASE,
        ),
    ),
    (Kind.AREA_FOR_IMPROVEMENT, re.compile(r"areas? for improvement", re.IGNORECASE)),
]
# A numbered paragraph that only leads into the list of actions.
LEAD_IN_RE = re.compile(r"(?:take|should take) the following actions?[.:]?$", re.IGNORECASE)
HEADER_FIELD_RE = re.compile(
    r"^(?:inspection dates?|reporting inspector|lead inspector|published|age group)\b", re.IGNORECASE
)
INSPECTION_DATES_RE = re.compile(r"^inspection dates?:?\s*(?P<dates>.*)", re.IGNORECASE)
PUBLISHED_RE = re.compile(r"^(?:report )?published:?\s*(?P<date>.*)", re.IGNORECASE)
REPORTING_INSPECTOR_RE = re.compile(r"^(?:reporting|lead) inspector:?\s*(?P<name>.+)", re.IGNORECASE)


def parse(document: Document, kind: str, title: str) -> ParsedReport:
    report = new_report(
        document,
        kind,
        title=title,
        authority_name="",
    )
    lines = remove_footnotes(remove_running_heads(remove_page_furniture(document.lines)))
    if SALUTATION_RE.search(document.text[:5000]):
        _parse_letter(lines, report)
    else:
        _parse_report(lines, report)
    for missing, label in (
        (not report.authority_name, "no authority name found"),
        (not report.start_date, "no inspection dates found"),
        (not report.lead_inspector, "no inspector named"),
        (not report.findings, "no findings could be read"),
    ):
        if missing:
            report.warnings.append(label)
    return report


# Letters


def _parse_letter(lines: list[Line], report: ParsedReport) -> None:
    texts = [tidy_heading(line.text) for line in lines]
    report.letter_date = _letter_date(texts)
    title_index = next((i for i, text in enumerate(texts) if WITHIN_RE.search(text) or _is_title(text)), None)
    end = -1
    if title_index is not None:
        report.title, end = _letter_title(texts, title_index)
    body = lines[end + 1 :]
    text = squash(" ".join(line.text for line in body))
    if match := WITHIN_RE.search(report.title) or IN_AUTHORITY_RE.search(text):
        report.authority_name = match["name"]
    if match := CONDUCTED_RE.search(text):
        report.start_date, report.end_date = parse_date_range(match["dates"])
    report.lead_inspector = _signatories(body)
    report.findings = _letter_findings(body, report.title)


def _letter_title(texts: list[str], index: int) -> tuple[str, int]:
    """The title, which a PDF may wrap over a few lines, and the index of its last line."""
    title = texts[index]
    while not title.lower().endswith("services") and index + 1 < min(len(texts), index + 3):
        following = texts[index + 1]
        if not following or NOT_FINDINGS_RE.match(following):
            break
        title, index = f"{title} {following}", index + 1
    return title, index


def _is_title(text: str) -> bool:
    return bool(re.match(r"^annual unannounced inspection of", text, re.IGNORECASE))


def _letter_date(texts: list[str]) -> date | None:
    """The date printed on a line of its own above the addressee."""
    for text in texts[:40]:
        if SALUTATION_RE.match(text):
            break
        if len(text) <= 24 and (value := parse_date(text)):
            return value
    return None


def _signatories(body: list[Line]) -> str:
    """The inspectors named after "Yours sincerely", without their role."""
    names: list[str] = []
    signing = False
    for line in body:
        text = tidy_heading(line.text)
        if SIGN_OFF_RE.match(text):
            signing = True
        elif signing and COPY_RE.match(text):
            break
        elif signing and text:
            names.extend(name.strip(" ,.") for name in INSPECTOR_ROLE_RE.split(text) if name.strip(" ,."))
    return ", ".join(names)


@dataclass
class _Part:
    kind: str
    section: str
    lines: list[Line] = field(default_factory=list)


def _letter_findings(body: list[Line], title: str) -> list[Finding]:
    parts = [_Part(Kind.NARRATIVE, title)]
    for line in body:
        text = tidy_heading(line.text)
        if SIGN_OFF_RE.match(text) or CLOSING_RE.match(text):
            break
        role = next((kind for kind, pattern in LETTER_HEADINGS if pattern.fullmatch(text)), None)
        if role:
            parts.append(_Part(role, text))
        else:
            parts[-1].lines.append(Line(MARKDOWN_MARKS_RE.sub("", line.text), line.page, line.space_above))
    width = text_width(body)
    findings: list[Finding] = []
    for part in parts:
        items = [item for item in split_items(part.lines, width, Numbering()) if not item.heading]
        listed = any(item.bullet for item in items)
        for item in items:
            if NOT_FINDINGS_RE.match(item.text):
                continue
            # a paragraph above a list of bullets introduces the list: it is narrative, not an item
            kind = part.kind if item.bullet or not listed else Kind.NARRATIVE
            findings.append(Finding(str(kind), part.section, None, 0, item.page, item.text))
    return findings


# Graded reports


def _parse_report(lines: list[Line], report: ParsedReport) -> None:
    _read_title_page(lines, report)
    graded = _graded_headings(lines)
    grades = _grades(graded)
    _cross_check(grades, _grid_grades(lines), report)
    report.judgements = [Judgement(str(area), grades[str(area)]) for area in Area if str(area) in grades]
    report.findings = _report_findings(lines, graded)


def _read_title_page(lines: list[Line], report: ParsedReport) -> None:
    head = [line.text.strip() for line in lines[:40] if line.text.strip()]
    title_words = squash(report.title).lower()
    start = next((i for i, text in enumerate(head) if text.lower().startswith(title_words[:20])), None)
    if start is None:
        return
    taken, index = "", start
    while index < len(head) and title_words not in squash(taken).lower():
        taken += " " + head[index]
        index += 1
    report.title = squash(taken)
    authority = []
    for text in head[index:]:
        if HEADER_FIELD_RE.match(text):
            break
        authority.append(text)
    report.authority_name = squash(" ".join(authority))
    for text in head[index:]:
        if match := INSPECTION_DATES_RE.match(text):
            report.start_date, report.end_date = parse_date_range(match["dates"])
        elif match := PUBLISHED_RE.match(text):
            report.published_date = parse_date(match["date"])
        elif match := REPORTING_INSPECTOR_RE.match(text):
            report.lead_inspector = INSPECTOR_ROLE_RE.sub("", match["name"]).strip(" ,.")


@dataclass(frozen=True, slots=True)
class _Graded:
    start: int  # index of the heading's first line
    end: int  # index of the grade line
    label: str
    grade: str
    scope: str  # "safeguarding" when under a "Safeguarding services" heading


def _graded_headings(lines: list[Line]) -> list[_Graded]:
    """Headings with their grade on the line below: "Capacity to improve" / "Grade 4 (inadequate)"."""
    graded, scope = [], ""
    for index, line in enumerate(lines):
        text = line.text.strip()
        if SAFEGUARDING_SCOPE_RE.match(text):
            scope = "safeguarding"
        elif OTHER_SCOPE_RE.match(text):
            scope = ""
        match = GRADE_LINE_RE.match(text)
        if not match:
            continue
        start = index
        while start > 0 and index - start < 3 and _heading_line(lines[start - 1].text):
            start -= 1
        if start < index:
            label = squash(" ".join(line.text for line in lines[start:index]))
            graded.append(_Graded(start, index, label, match["grade"].lower(), scope))
    return graded


def _heading_line(text: str) -> bool:
    """Whether a line above a grade belongs to the graded heading (a scope heading above it does not)."""
    text = text.strip()
    if not text or len(text) >= 80 or SAFEGUARDING_SCOPE_RE.match(text) or OTHER_SCOPE_RE.match(text):
        return False
    return not re.search(r"[.;:!?]$", text) and not re.match(r"^\d+\.", text)


def _area(label: str, scope: str) -> str | None:
    for area, pattern in AREAS:
        if pattern.search(label):
            if area == Area.OVERALL_EFFECTIVENESS and scope == "safeguarding":
                return str(Area.SAFEGUARDING)
            return str(area)
    return None


def _grades(graded: list[_Graded]) -> dict[str, str]:
    grades: dict[str, str] = {}
    for heading in graded:
        area = _area(heading.label, heading.scope)
        if area:
            grades.setdefault(area, heading.grade)
    return grades


def _grid_grades(lines: list[Line]) -> dict[str, str]:
    """The "Record of main findings" grid: "Capacity to improve  Inadequate", labels may wrap."""
    start = next(
        (i for i, line in enumerate(lines) if line.text.strip().lower() == "record of main findings"), None
    )
    grades: dict[str, str] = {}
    if start is None:
        return grades
    label, scope = "", ""
    for line in lines[start + 1 :]:
        text = line.text.strip()
        if SAFEGUARDING_SCOPE_RE.match(text):
            scope = "safeguarding"
            continue
        if OTHER_SCOPE_RE.match(text) or text.lower().startswith("services for"):
            scope = ""
            continue
        match = GRID_LINE_RE.match(text)
        if not match:
            label = f"{label} {text}".strip()
            continue
        area = _area(squash(f"{label} {match['label']}"), scope)
        if area:
            grades.setdefault(area, match["grade"].lower())
        label = ""
    return grades


def _cross_check(grades: dict[str, str], grid: dict[str, str], report: ParsedReport) -> None:
    for area, grade in grid.items():
        if area not in grades:
            grades[area] = grade
        elif grades[area] != grade:
            report.warnings.append(
                f"{area} graded {grades[area]} in the text but {grade} in the main findings"
            )


def _report_findings(lines: list[Line], graded: list[_Graded]) -> list[Finding]:
    starts = {heading.start: heading for heading in graded}
    sections: list[Section] = []
    role, index = "skip", 0
    while index < len(lines):
        if index in starts:
            heading = starts[index]
            label = tidy_heading(heading.label)
            sections.append(Section(str(Kind.NARRATIVE), label, _area(label, heading.scope)))
            role, index = Kind.NARRATIVE, heading.end + 1
            continue
        found = find_heading(lines, index, REPORT_HEADINGS)
        if found:
            role = found.role
            if role not in ("skip", "contents", "grid"):
                sections.append(Section(str(role), found.label, None))
            index += found.size
            continue
        if role not in ("skip", "contents", "grid") and sections:
            sections[-1].lines.append(lines[index])
        index += 1
    width, numbering = text_width(lines), Numbering()
    findings = []
    for section in sections:
        for finding in section_findings(section, width, numbering):
            if not LEAD_IN_RE.search(finding.text):
                findings.append(finding)
    return findings
