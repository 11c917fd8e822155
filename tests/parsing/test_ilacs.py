"""The ILACS parser: a small plain-text report, and every ILACS report in the corpus against
ilacs_expected.csv (grades, dates and lead inspector read by hand from each report's page 1, and the
number of its last numbered paragraph)."""

import csv
from datetime import date
from pathlib import Path

import pytest

from inspections.parsing import layout, parse_file, parse_report
from inspections.parsing.document import Line

HERE = Path(__file__).resolve().parent
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
EXPECTED = list(csv.DictReader((HERE / "ilacs_expected.csv").open(encoding="utf-8")))
AREAS = [
    "overall_effectiveness",
    "impact_of_leaders",
    "help_and_protection",
    "in_care_and_care_leavers",
    "in_care",
    "care_leavers",
]
HELP = "The experiences and progress of children who need help and protection"
LEADERS = "The impact of leaders on social work practice with children and families"
needs_corpus = pytest.mark.skipif(not CORPUS.exists(), reason="the report corpus is not here")

REPORT = """Inspection of Exampleshire local authority
children's services
Inspection dates: 10 to 21 July 2023
Lead inspector: Jane Smith, His Majesty's Inspector
Judgement Grade
The impact of leaders on social work
practice with children and families
Good
The experiences and progress of
children who need help and protection
Requires improvement
to be good
The experiences and progress of
children in care
Good
The experiences and progress of care
leavers
Outstanding
Overall effectiveness Good
Children in Exampleshire receive a good service.

Leaders know their services well.
What needs to improve?
◼ The timeliness of strategy
meetings.
◼ Support for care leavers.
The experiences and progress of children who need help and
protection: requires improvement to be good
1. Children receive help at the right time. Early help is well
used, including for children aged
16. Nothing here starts a paragraph.
2.Strategy meetings are held when they are needed.
Inspection of Exampleshire local authority children's services
10 to 21 July 2023 2
They are well attended.
The experiences and progress of children in care: good
3. Children in care live in stable homes.
The experiences and progress of care leavers: outstanding
4. Care leavers are supported well.
The impact of leaders on social work practice with children and
families: good
5. Leaders are ambitious for children.
The Office for Standards in Education, Children's Services and Skills (Ofsted) regulates and inspects
"""


def test_plain_text_report_head_and_grid():
    report = parse_report(REPORT.encode(), "exampleshire.txt")
    assert report.kind == "ilacs"
    assert report.title == "Inspection of Exampleshire local authority children's services"
    assert report.authority_name == "Exampleshire"
    assert (report.start_date, report.end_date) == (date(2023, 7, 10), date(2023, 7, 21))
    assert report.lead_inspector == "Jane Smith"
    assert [(j.area, j.grade) for j in report.judgements] == [
        ("impact_of_leaders", "good"),
        ("help_and_protection", "requires_improvement"),
        ("in_care", "good"),
        ("care_leavers", "outstanding"),
        ("overall_effectiveness", "good"),
    ]
    assert report.warnings == []


def test_plain_text_report_findings():
    findings = parse_report(REPORT.encode(), "exampleshire.txt").findings
    assert [(f.kind, f.section, f.area, f.number, f.page) for f in findings] == [
        ("narrative", "Summary", None, None, None),
        ("narrative", "Summary", None, None, None),
        ("area_for_improvement", "What needs to improve?", None, None, None),
        ("area_for_improvement", "What needs to improve?", None, None, None),
        ("narrative", HELP, "help_and_protection", 1, None),
        ("narrative", HELP, "help_and_protection", 2, None),
        ("narrative", "The experiences and progress of children in care", "in_care", 3, None),
        ("narrative", "The experiences and progress of care leavers", "care_leavers", 4, None),
        ("narrative", LEADERS, "impact_of_leaders", 5, None),
    ]
    texts = [f.text for f in findings]
    assert texts[2] == "The timeliness of strategy meetings."
    assert texts[4] == (
        "Children receive help at the right time. Early help is well used, including for children aged "
        "16. Nothing here starts a paragraph."
    )
    # the running header between the pages is dropped and the paragraph re-joined
    assert texts[5] == "Strategy meetings are held when they are needed. They are well attended."
    assert texts[-1] == "Leaders are ambitious for children."


def test_grid_without_overall_effectiveness_gives_no_overall_judgement():
    text = REPORT.replace("Overall effectiveness Good\n", "")
    report = parse_report(text.encode(), "exampleshire.txt")
    assert "overall_effectiveness" not in {j.area for j in report.judgements}
    assert len(report.judgements) == 4
    assert report.findings[0].text == "Children in Exampleshire receive a good service."


def test_running_headers_and_page_numbers_are_dropped():
    header = "Inspection of Exampleshire local authority children's services"
    pages = [
        ["1", "Inspection of Exampleshire local authority", "children's services", "Page one text."],
        *[[header, f"8 to 19 May 2023 {n}", f"Page {n} text."] for n in (2, 3, 4)],
    ]
    lines = [Line(text, number, 0.25) for number, page in enumerate(pages, start=1) for text in page]
    assert [line.text for line in layout.remove_page_furniture(lines)] == [
        "Inspection of Exampleshire local authority",
        "children's services",
        "Page one text.",
        "Page 2 text.",
        "Page 3 text.",
        "Page 4 text.",
    ]


def test_footnote_is_dropped_also_where_pdfium_runs_it_onto_a_hyphenated_line():
    page = [
        Line("What needs to improve?", 2, 1.3),
        Line("1", 2, -1.6),
        Line("◼ Quality of contacts (outcome 2, national framework)", 2, 1.7),
        Line("2. Family history is not routinely considered in decision-1 The areas for improvement", 2, 0.8),
        Line("have been cross-referenced with the national framework.", 2, 0.25),
        Line("making about next steps.", 3, None),
    ]
    assert [line.text for line in layout.remove_footnotes(page)] == [
        "What needs to improve?",
        "◼ Quality of contacts (outcome 2, national framework)",
        "2. Family history is not routinely considered in decision-",
        "making about next steps.",
    ]
    # a number that merely starts a line of text (an address) is no footnote
    letter = [Line("1", 1, 50.0), Line("1 Catford Road", 1, 0.24), Line("Lewisham", 1, 0.23)]
    assert layout.remove_footnotes(letter) == letter


@needs_corpus
@pytest.mark.corpus
@pytest.mark.parametrize("row", EXPECTED, ids=[row["file"].split("/")[0] for row in EXPECTED])
def test_corpus_report(row):
    report = parse_file(CORPUS / "dev" / row["file"])
    assert report.kind == "ilacs"
    assert {j.area: j.grade for j in report.judgements} == {area: row[area] for area in AREAS if row[area]}
    assert len(report.judgements) == len({j.area for j in report.judgements})
    assert report.start_date == date.fromisoformat(row["start_date"])
    assert report.end_date == date.fromisoformat(row["end_date"])
    assert report.lead_inspector == row["lead_inspector"]
    assert report.authority_name
    numbers = [f.number for f in report.findings if f.number is not None]
    assert numbers == list(range(1, int(row["paragraphs"]) + 1))
    assert all(f.area in AREAS for f in report.findings if f.number is not None)
    assert report.warnings == []
    for finding in report.findings:
        assert finding.text and finding.page
        assert "Inspection of" not in finding.text  # the running header
        assert "Office for Standards" not in finding.text
        assert "cross-referenced with the outcomes" not in finding.text  # the 2025+ footnote


@needs_corpus
@pytest.mark.corpus
def test_wakefield_paragraphs_across_page_breaks():
    report = parse_file(
        CORPUS / "dev" / "80451_wakefield/children's services inspection - 05 january 2022.pdf"
    )
    assert report.title == "Inspection of Wakefield local authority children's services"
    assert report.authority_name == "Wakefield"
    by_number = {f.number: f for f in report.findings if f.number}
    # "10.Multi-agency": no space after the number
    assert by_number[10].text.startswith("Multi-agency meetings take place regularly, are child focused")
    eleven = by_number[11]
    assert eleven.page == 3
    assert eleven.section == HELP
    assert eleven.area == "help_and_protection"
    assert eleven.text == (
        "When children are missing from education, the local authority carries out multiple and "
        "far-reaching checks to help track and identify their whereabouts. This is supported by newly "
        "written policies and procedures that provide clear guidance to ensure that school leaders know "
        "what to do if children are missing education. A log is maintained on all children who are not in "
        "full-time education and, through a monthly inclusion panel, there is joined-up thinking with other "
        "agencies and services so that they can identify any issues and offer support."
    )
    assert by_number[35].section == LEADERS
    assert by_number[35].area == "impact_of_leaders"
    improvements = [f for f in report.findings if f.kind == "area_for_improvement"]
    assert [(f.section, f.page, f.text) for f in improvements] == [
        ("What needs to improve", 2, "The assessment of and response to risks for vulnerable care leavers"),
        (
            "What needs to improve",
            2,
            "The quality of children's written plans to ensure that they include the details of the "
            "interventions being provided to children and families.",
        ),
    ]
    summary = [f for f in report.findings if f.section == "Summary"]
    assert [f.page for f in summary] == [1, 1, 2]
    assert summary[1].text.endswith(
        "children are consistently being involved in decisions about their lives."
    )


@needs_corpus
@pytest.mark.corpus
def test_authority_name_above_the_2018_title():
    report = parse_file(
        CORPUS / "dev" / "80545_kingston upon thames/children's services inspection - 19 december 2019.pdf"
    )
    assert report.title == "Inspection of children's social care services"
    assert report.authority_name == "Royal Borough of Kingston upon Thames"


@needs_corpus
@pytest.mark.corpus
def test_trafford_footnote_removed_from_paragraph_across_page_break():
    report = parse_file(CORPUS / "dev" / "80573_trafford/children's services inspection - 03 august 2026.pdf")
    assert "overall_effectiveness" not in {j.area for j in report.judgements}
    two = next(f for f in report.findings if f.number == 2)
    assert two.page == 2
    assert two.text == (
        "The quality of contacts from partner agencies is variable, and partners are not clear about "
        "intended outcomes for children and families. When family history has been provided by agencies, "
        "this is not routinely considered in decision-making about next steps. This sometimes leads to "
        "children experiencing repeat referrals before their needs are considered and addressed."
    )
    first = next(f for f in report.findings if f.kind == "area_for_improvement")
    assert first.section == "What needs to improve?"
    assert (
        first.text
        == "Quality of contacts, timeliness and allocation response (outcome 2, national framework)"
    )
