"""Properties of the text parser, for any input: it reads a report or refuses it with a reason, never
fails otherwise, and never reports a grade that the text does not print beside its area."""

import contextlib
import re

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from inspections.choices import Grade, JudgementArea
from inspections.parsing import ParsedReport, ReportRefused, parse_file, parse_report

from .conftest import CORPUS, CORPUS_MISSING, SEEDS

# Bounded so that the file runs in well under a minute; database=None keeps no examples between runs.
PROPERTIES = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

SEED_TEXTS = {path.name: path.read_text() for path in sorted(SEEDS.glob("*.txt"))}
LETTERS_2011 = [name for name in SEED_TEXTS if "2011" in name]
GRADED_SEED = "rutland-2016-single-inspection.txt"

# Lines that lead the parser into each family and its judgement grids, beside the seeds' own lines.
REPORT_LINES = [
    "Inspection of Rutland local authority children's services",
    "Inspection of services for children in need of help and protection, children looked after and care leavers",
    "Annual unannounced inspection of contact, referral and assessment arrangements",
    "Inspection of safeguarding and looked after children services",
    "Inspection of looked after children services",
    "Inspection of local authority arrangements for the protection of children",
    "Focused visit to Rutland children's services",
    "Monitoring visit to Rutland children's services",
    "Joint targeted area inspection of the multi-agency response to children's mental health in Rutland",
    "Inspection dates: 17 March to 21 March 2025",
    "Inspection date: 4 July 2016–28 July 2016",
    "Report published: 20 September 2016",
    "Lead inspector: Sarah Canto, His Majesty's Inspector",
    "Judgement Grade",
    "Overall effectiveness Good",
    "The impact of leaders on social work practice with children and families",
    "The experiences and progress of children who need help and protection",
    "The experiences and progress of children in care and care leavers: requires improvement to be good",
    "Requires improvement to be good",
    "Inadequate",
    "Outstanding",
    "Children's services in Rutland are good",
    "1. Children who need help and protection Good",
    "2.1 Adoption performance Outstanding",
    "3. Leadership, management and governance",
    "The Local Safeguarding Children Board is inadequate",
    "Capacity to improve",
    "Grade 3 (adequate)",
    "Overall effectiveness of safeguarding services",
    "What needs to improve?",
    "Areas for priority action",
    "Strengths",
    "Recommendations",
    "12. Social workers visit children regularly and know them well.",
    "◼ The quality of supervision.",
    "Yours sincerely",
    "Page 2 of 4",
    "2",
    "",
]
SEED_LINES = sorted({line for text in SEED_TEXTS.values() for line in text.splitlines()})

GRADE_WORDS = {
    Grade.OUTSTANDING: r"\boutstanding\b",
    Grade.GOOD: r"\bgood\b",
    Grade.ADEQUATE: r"\badequate\b",
    Grade.REQUIRES_IMPROVEMENT: r"\brequires?\s+improvement\b",  # a report may wrap it over two lines
    Grade.INADEQUATE: r"\binadequate\b",
}
AREA_WORDS = {
    JudgementArea.OVERALL_EFFECTIVENESS: r"overall|children'?s services in",
    JudgementArea.IMPACT_OF_LEADERS: r"impact of leaders",
    JudgementArea.HELP_AND_PROTECTION: r"help and protection",
    JudgementArea.IN_CARE_AND_CARE_LEAVERS: r"children in care and care leavers",
    JudgementArea.IN_CARE: r"children in care|looked after|permanence",
    JudgementArea.CARE_LEAVERS: r"care leavers",
    JudgementArea.ADOPTION: r"adoption",
    JudgementArea.LEADERSHIP: r"leadership|management and governance",
    JudgementArea.LSCB: r"safeguarding children board|lscb",
    JudgementArea.CAPACITY_TO_IMPROVE: r"capacity",
    JudgementArea.SAFEGUARDING: r"safeguarding",
}
# A label may wrap over a few lines and its grade follow on the next ones.
NEARBY_LINES = 6


def parse_or_refuse(text: str) -> ParsedReport | None:
    """The report read from the text, or None when it is refused: any other exception fails the test."""
    try:
        report = parse_report(text.encode(), "x.txt")
    except ReportRefused as refusal:
        assert str(refusal).strip(), "a refusal must say why"
        event("refused: " + str(refusal)[:50])
        return None
    event(f"read: {report.kind}, {len(report.judgements)} judgements")
    return report


def printed_beside_its_area(area: str, grade: str, text: str) -> bool:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for start in range(len(lines)):
        window = " ".join(lines[start : start + NEARBY_LINES])
        if re.search(AREA_WORDS[area], window, re.IGNORECASE) and re.search(
            GRADE_WORDS[grade], window, re.IGNORECASE
        ):
            return True
    return False


def assert_nothing_invented(report: ParsedReport | None, text: str) -> None:
    if report is None:
        return
    assert report.kind and report.title
    for judgement in report.judgements:
        assert judgement.area in JudgementArea.values and judgement.grade in Grade.values
        assert re.search(GRADE_WORDS[judgement.grade], text, re.IGNORECASE), judgement
        assert printed_beside_its_area(judgement.area, judgement.grade, text), judgement
    assert [finding.order for finding in report.findings] == list(range(1, len(report.findings) + 1))
    assert all(finding.text.strip() for finding in report.findings)


# Any text --------------------------------------------------------------------------------------------


@PROPERTIES
@given(st.text(max_size=5000))
def test_any_text_is_read_or_refused(text):
    assert_nothing_invented(parse_or_refuse(text), text)


@PROPERTIES
@given(st.binary(max_size=5000))
def test_any_bytes_are_read_or_refused(data):
    with contextlib.suppress(ReportRefused):
        parse_report(data, "x.txt")


GRID_LABELS = [
    "Overall effectiveness",
    "The impact of leaders on social work practice with children and families",
    "The experiences and progress of children who need help and protection",
    "The experiences and progress of children in care and care leavers",
    "The experiences and progress of children in care",
    "The experiences and progress of care leavers",
    "1. Children who need help and protection",
    "2. Children looked after and achieving permanence",
    "2.1 Adoption performance",
    "2.2 Experiences and progress of care leavers",
    "3. Leadership, management and governance",
    "The Local Safeguarding Children Board is",
    "Children's services in Rutland are",
    "Capacity to improve",
    "Overall effectiveness of safeguarding services",
]
GRID_GRADES = ["Good", "Outstanding", "Inadequate", "Requires improvement to be good", "requires improvement"]


@st.composite
def judgement_grid(draw) -> list[str]:
    """A grid of areas and grades, each row on one line or wrapped, its grade on the next line."""
    lines = [draw(st.sampled_from(["Judgement Grade", "Judgement", "Grade", ""]))]
    for _ in range(draw(st.integers(1, 7))):
        label, grade = draw(st.sampled_from(GRID_LABELS)), draw(st.sampled_from(GRID_GRADES))
        if draw(st.booleans()):
            lines.append(f"{label} {grade}")
        else:
            words = label.split(" ")
            cut = draw(st.integers(1, len(words)))
            lines += [" ".join(words[:cut]), " ".join(words[cut:]), grade]
    return lines


report_line = st.one_of(
    st.sampled_from(REPORT_LINES),
    st.sampled_from(SEED_LINES),
    st.text(max_size=120),
    st.builds("{} {}".format, st.sampled_from(GRID_LABELS), st.sampled_from(GRID_GRADES)),
)
report_block = st.one_of(st.lists(report_line, min_size=1, max_size=30), judgement_grid())


@PROPERTIES
@given(
    title=st.sampled_from(REPORT_LINES[:9]),
    blocks=st.lists(report_block, min_size=1, max_size=12),
    separator=st.sampled_from(["\n", "\n\n", "\r\n", "\n\f\n", " "]),
)
def test_text_made_of_report_lines_is_read_or_refused(title, blocks, separator):
    text = separator.join([title, *(line for block in blocks for line in block)])
    assert_nothing_invented(parse_or_refuse(text), text)


# Damaged seed reports --------------------------------------------------------------------------------


# Line and paragraph separators other than "\n", invisible marks and stray control characters.
ODD_CHARACTERS = "\r\t\x0b\x0c\x1c\x1e\x85\u2028\u2029\ufeff\u00ad\u200b\ufffe\ufffd"


def units_of(text: str, by: str) -> list[str]:
    return text.splitlines() if by == "line" else re.split(r"\n\s*\n", text)


@st.composite
def damaged(draw, texts: dict[str, str]) -> str:
    """One of the texts shuffled, cut short, repeated or with words cut, by lines or by paragraphs."""
    original = texts[draw(st.sampled_from(sorted(texts)))]
    by = draw(st.sampled_from(["line", "paragraph"]))
    units = units_of(original, by)
    if draw(st.booleans()):  # a jumble: any units, in any order, any number of times
        picked = draw(st.lists(st.integers(0, len(units) - 1), min_size=1, max_size=len(units)))
        units = [units[index] for index in picked]
    else:  # the report in order, with a few pieces dropped, repeated, moved, reversed or cut
        for _ in range(draw(st.integers(1, 8))):
            units = _damage(draw, units) or [original[:200]]
    return ("\n" if by == "line" else "\n\n").join(units)


def _damage(draw, units: list[str]) -> list[str]:
    start = draw(st.integers(0, len(units) - 1))
    end = draw(st.integers(start, min(len(units), start + 40)))
    piece = units[start:end]
    action = draw(st.sampled_from(["drop", "repeat", "move", "reverse", "cut words", "odd characters"]))
    if action == "drop":
        return units[:start] + units[end:]
    if action == "repeat":
        return units[:end] + piece + units[end:]
    if action == "move":
        rest = units[:start] + units[end:]
        at = draw(st.integers(0, len(rest)))
        return rest[:at] + piece + rest[at:]
    if action == "reverse":
        return units[:start] + piece[::-1] + units[end:]
    if action == "odd characters":
        unit = units[start]
        at = draw(st.integers(0, len(unit)))
        odd = draw(st.text(st.sampled_from(ODD_CHARACTERS), min_size=1, max_size=3))
        return [*units[:start], unit[:at] + odd + unit[at:], *units[start + 1 :]]
    words = units[start].split(" ")
    kept = draw(st.lists(st.booleans(), min_size=len(words), max_size=len(words)))
    return [
        *units[:start],
        " ".join(word for word, keep in zip(words, kept, strict=True) if keep),
        *units[start + 1 :],
    ]


@pytest.mark.parametrize("name", SEED_TEXTS)
def test_every_seed_as_published_passes_the_checks(name):
    """The checks below hold on the seeds themselves, the graded one included."""
    report = parse_report(SEED_TEXTS[name].encode(), name)
    assert bool(report.judgements) == (name == GRADED_SEED)
    assert_nothing_invented(report, SEED_TEXTS[name])


@PROPERTIES
@given(damaged(SEED_TEXTS))
def test_a_damaged_seed_gives_no_grade_it_does_not_print(text):
    assert_nothing_invented(parse_or_refuse(text), text)


@PROPERTIES
@given(damaged({GRADED_SEED: SEED_TEXTS[GRADED_SEED]}))
def test_the_damaged_graded_seed_gives_no_grade_it_does_not_print(text):
    assert_nothing_invented(parse_or_refuse(text), text)


@PROPERTIES
@given(damaged({name: SEED_TEXTS[name] for name in LETTERS_2011}))
def test_a_damaged_2011_letter_never_gives_judgements(text):
    """The 2011 letters grade nothing, so no damage to them can produce a judgement."""
    report = parse_or_refuse(text)
    assert report is None or report.judgements == []


# Real reports of the graded frameworks, as text: an ILACS report, a SIF report and a 2013 inspection
# of looked after children services.
GRADED_REPORTS = [
    "2532283_dorset/children's services inspection - 09 may 2025.pdf",
    "80496_hackney/children's services inspection - 21 september 2016.pdf",
    "80418_norfolk/children's services inspection,  pdf - 16 august 2013.pdf",
]


@pytest.fixture(scope="module")
def graded_report_texts() -> dict[str, str]:
    if not CORPUS.exists():
        pytest.skip(CORPUS_MISSING)
    return {name: parse_file(CORPUS / "dev" / name).text for name in GRADED_REPORTS}


@pytest.mark.corpus
@PROPERTIES
@given(data=st.data())
def test_a_damaged_real_report_gives_no_grade_it_does_not_print(graded_report_texts, data):
    text = data.draw(damaged(graded_report_texts))
    assert_nothing_invented(parse_or_refuse(text), text)


def test_a_grade_wrapped_over_two_lines_counts_as_printed():
    """Found by the damaged-seed property: the graded seed's sentence "…adoption performance is that it
    requires / improvement" kept alone is read rightly; the check must allow the line break."""
    text = (
        "Rutland County Council\nInspection of services for children in need of help and\n"
        "protection, children looked after and care leavers\nand\n"
        "Review of the effectiveness of the Local Safeguarding Children\nBoard1\n"
        "Inspection date: 14 November 2016 to 7 December 2016\nReport published: 13 February 2017\n\n"
        "The graded judgement for adoption performance is that it requires\nimprovement"
    )
    report = parse_report(text.encode(), "x.txt")
    assert [(j.area, j.grade) for j in report.judgements] == [("adoption", "requires_improvement")]
    assert_nothing_invented(report, text)
