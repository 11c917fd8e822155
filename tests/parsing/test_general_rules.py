"""The general rules the wider corpus (322 reports) called for, each on a small made-up text, so they
hold where the corpus is absent: dates as letters print them, grid cells and paragraph numbers as
ILACS and SIF reports print them, and documents whose title is lost or of another kind."""

from datetime import date

import pytest

from inspections.parsing import ReportRefused, parse_report
from inspections.parsing.dates import parse_date_range
from inspections.parsing.detect import detect_kind
from inspections.parsing.text import normalise

from .test_ilacs import REPORT as ILACS


@pytest.mark.parametrize(
    ("text", "before", "expected"),
    [
        # a JTAI letter: "Between 20 and 24 June, Ofsted ..." dated 2 August 2016
        ("Between 20 and 24 June, Ofsted, the CQC", date(2016, 8, 2), (date(2016, 6, 20), date(2016, 6, 24))),
        ("Between 16 May and 20 May, Ofsted", date(2016, 6, 29), (date(2016, 5, 16), date(2016, 5, 20))),
        # a December inspection in a January letter: the year before the letter's
        ("Between 9 and 13 December, Ofsted", date(2020, 1, 31), (date(2019, 12, 9), date(2019, 12, 13))),
        # without a letter date, a range with no year is not guessed
        ("Between 20 and 24 June, Ofsted", None, (None, None)),
        # a printed year always wins
        ("Between 21 and 25 January 2019, Ofsted", date(2019, 3, 8), (date(2019, 1, 21), date(2019, 1, 25))),
        ("on the 15 and 16 of May 2018. The inspectors", None, (date(2018, 5, 15), date(2018, 5, 16))),
    ],
)
def test_date_ranges_as_letters_print_them(text, before, expected):
    assert parse_date_range(text, before=before) == expected


JTAI = """2 August 2016

Director of Children's Services
Exampleshire County Council

Dear local partnership

Joint targeted area inspection of the multi-agency response to abuse and neglect in Exampleshire

Between 20 and 24 June, Ofsted, the Care Quality Commission (CQC), HMI Constabulary and HMI Probation
carried out a joint inspection of the multi-agency response to abuse and neglect in Exampleshire.

This letter to all the service leaders in the area outlines our findings about the effectiveness of
partnership working and of the work of individual agencies in Exampleshire.

Key strengths

Partners share information well at the front door.

Yours sincerely

Jane Smith
His Majesty's Inspector
"""


def test_jtai_letter_dated_in_its_first_sentence_without_a_year():
    report = parse_report(JTAI.encode(), "jtai.txt")
    assert report.kind == "jtai"
    assert report.letter_date == date(2016, 8, 2)
    assert (report.start_date, report.end_date) == (date(2016, 6, 20), date(2016, 6, 24))
    assert report.authority_name == "Exampleshire"


def test_jtai_authority_from_its_findings_sentence_where_the_title_names_none():
    text = JTAI.replace(
        "abuse and neglect in Exampleshire\n\nBetween",
        "children missing from home, care or education\n\nBetween",
    )
    assert parse_report(text.encode(), "jtai.txt").authority_name == "Exampleshire"


def test_grid_label_ending_in_a_full_stop_keeps_its_grade_and_split_cell():
    text = ILACS.replace(
        "practice with children and families\nGood", "practice with children and families.\nGood"
    ).replace("Overall effectiveness Good", "Overall effectiveness Requires improvement\nto be good")
    report = parse_report(text.encode(), "exampleshire.txt")
    grades = {judgement.area: judgement.grade for judgement in report.judgements}
    assert grades["impact_of_leaders"] == "good"
    assert grades["overall_effectiveness"] == "requires_improvement"
    assert not any(finding.text.startswith("to be good") for finding in report.findings)


def test_paragraph_number_printed_without_its_full_stop():
    text = ILACS.replace("3. Children in care live", "3 Children in care live")
    findings = parse_report(text.encode(), "exampleshire.txt").findings
    assert [finding.number for finding in findings if finding.number] == [1, 2, 3, 4, 5]
    assert next(f for f in findings if f.number == 3).text == "Children in care live in stable homes."
    # a wrapped line that starts with a number is no paragraph: "aged / 16. Nothing ..." stays in 1
    assert next(f for f in findings if f.number == 1).text.endswith(
        "aged 16. Nothing here starts a paragraph."
    )


def test_two_lead_inspectors():
    text = ILACS.replace(
        "Lead inspector: Jane Smith, His Majesty's Inspector",
        "Lead inspectors: Jane Smith, His Majesty's Inspector, and Sam Jones,\nHis Majesty's Inspector",
    )
    assert parse_report(text.encode(), "exampleshire.txt").lead_inspector == "Jane Smith, Sam Jones"


JAR_LETTER = """12 March 2009

Ms Jane Smith
Director of Children's Services
Haringey Council

Dear Ms Smith

Joint area review of Haringey Children's Services Authority Area: progress
review

This letter summarises the findings of the progress review of Haringey's children's services carried
out on 10 and 11 February 2009 by two of Her Majesty's Inspectors.

Main findings

The council has made good progress in improving the timeliness of initial assessments.

Areas for development

• Ensure that all children subject to a child protection plan have an allocated social worker.

Yours sincerely

John Brown
Her Majesty's Inspector
"""


def test_another_childrens_services_inspection_document_is_kept_as_other_with_its_title():
    report = parse_report(JAR_LETTER.encode(), "haringey-jar.txt")
    assert report.kind == "other"
    assert report.title == "Joint area review of Haringey Children's Services Authority Area: progress review"
    assert report.authority_name == "Haringey"
    assert (report.start_date, report.end_date) == (date(2009, 2, 10), date(2009, 2, 11))
    assert [(f.kind, f.text) for f in report.findings][-1] == (
        "area_for_improvement",
        "Ensure that all children subject to a child protection plan have an allocated social worker.",
    )


def test_kind_from_the_reports_own_wording_where_its_title_is_lost():
    body = ILACS.split("\n", 2)[2]  # the two title lines gone, as from a damaged text layer
    assert detect_kind([body])[0] == "ilacs"
    for printed in ("children''s", "childrens", "children\u02bcs"):
        title = f"Inspection of Exampleshire local authority {normalise(printed)} services"
        assert detect_kind([title]) == ("ilacs", title)


def test_a_text_about_ofsted_that_is_no_report_is_still_refused():
    with pytest.raises(ReportRefused, match="no report title"):
        detect_kind(["Ofsted inspectors visited the school last week and praised the new library."])


SIF_SECTION = """Recommendations
1. Quality and effectiveness of practice
• Develop a multi-agency response to concerns about children.
• Ensure that staff complete life story work.
2. Oversight by senior leaders
• Establish a stable permanent workforce.
3. Ensure that children's records are kept up to date.
Summary for children and young people
"""


def test_numbered_heading_over_a_list_gives_its_number_to_the_list():
    from inspections.parsing.document import Line
    from inspections.parsing.layout import Numbering, Section, section_findings

    lines = [Line(text, None, None) for text in SIF_SECTION.splitlines()[1:-1]]
    section = Section("recommendation", "Recommendations", None, lines)
    findings = section_findings(section, 100, Numbering())
    assert [(f.number, f.text) for f in findings] == [
        (1, "Develop a multi-agency response to concerns about children."),
        (None, "Ensure that staff complete life story work."),
        (2, "Establish a stable permanent workforce."),
        (3, "Ensure that children's records are kept up to date."),
    ]


def test_bare_number_at_a_pages_foot_numbers_the_next_paragraph_but_a_sentences_last_word_stays():
    from inspections.parsing.document import Line
    from inspections.parsing.layout import Numbering, Section, section_findings

    lines = [
        Line("88. Work is required in supporting children at Key Stage", 22, 1.0),
        Line("4.", 22, 0.25),
        Line("89.", 22, 1.0),
        Line("The majority of foster carers live locally.", 23, None),
        Line("90. Recruitment is targeted well.", 23, 1.0),
    ]
    findings = section_findings(Section("narrative", "Findings", None, lines), 80, Numbering())
    assert [(f.number, f.text) for f in findings] == [
        (88, "Work is required in supporting children at Key Stage 4."),
        (89, "The majority of foster carers live locally."),
        (90, "Recruitment is targeted well."),
    ]
