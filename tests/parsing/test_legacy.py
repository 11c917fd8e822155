"""The parser of the frameworks before 2013: the 2011 contact, referral and assessment letters (seed texts),
the 2013 Norfolk looked after children report (corpus) and a made-up safeguarding and looked after
children report for the rules no corpus file shows.

Every expectation on a real report was checked by reading its text.
"""

from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from inspections.parsing import parse_file, parse_report

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "fixtures" / "seeds"
CORPUS = ROOT.parent / "shared" / "corpus"
NORFOLK = CORPUS / "dev" / "80418_norfolk" / "children's services inspection,  pdf - 16 august 2013.pdf"


def corpus(test):
    """A test that reads the shared report corpus: marked so, and skipped where the corpus is absent."""
    return pytest.mark.corpus(
        pytest.mark.skipif(not CORPUS.exists(), reason="no shared report corpus here")(test)
    )


TITLE = "Annual unannounced inspection of contact, referral and assessment arrangements within {} children's services"


def letter(name):
    return parse_file(SEEDS / f"{name}-2011-contact-referral-assessment.txt")


def kinds(report):
    return Counter(f.kind for f in report.findings)


def texts(report, kind):
    return [f.text for f in report.findings if f.kind == kind]


# name: (authority, letter date, inspection start, end, inspector(s), findings by kind)
LETTERS = {
    "rutland": (
        "Rutland County Council",
        date(2011, 6, 9),
        date(2011, 5, 10),
        date(2011, 5, 11),
        "Wendy Ghaffar",
        {"narrative": 2, "meets_requirements": 13, "area_for_improvement": 5},
    ),
    "cornwall": (
        "Cornwall Council",
        date(2012, 1, 10),
        date(2011, 12, 7),
        date(2011, 12, 8),
        "Chris Sands",
        # the paragraph over the list of areas for development introduces it: narrative
        {"narrative": 3, "strength": 1, "meets_requirements": 16, "area_for_improvement": 5},
    ),
    "leicestershire": (
        "Leicestershire County Council",
        date(2011, 7, 6),
        date(2011, 6, 7),
        date(2011, 6, 8),
        "Stephen Hunt",
        {"narrative": 2, "strength": 2, "meets_requirements": 9, "area_for_improvement": 3},
    ),
    "rotherham": (
        "Rotherham Metropolitan Borough Council",
        date(2011, 6, 9),
        date(2011, 5, 10),
        date(2011, 5, 11),
        "Sean Tarpey",
        {"narrative": 2, "strength": 1, "meets_requirements": 12, "area_for_improvement": 4},
    ),
}


@pytest.mark.parametrize("name", sorted(LETTERS))
def test_letter(name):
    authority, letter_date, start, end, inspector, found = LETTERS[name]
    report = letter(name)
    assert report.kind == "cra_unannounced"
    assert report.title == TITLE.format(authority)
    assert report.authority_name == authority
    assert report.letter_date == letter_date
    assert (report.start_date, report.end_date, report.published_date) == (start, end, None)
    assert report.lead_inspector == inspector
    assert report.judgements == []
    assert dict(kinds(report)) == found
    assert report.warnings == []
    assert all(f.page is None and f.area is None for f in report.findings)


@pytest.mark.parametrize("name", sorted(LETTERS))
def test_letter_leaves_out_introduction_thanks_and_sign_off(name):
    text = " ".join(f.text for f in letter(name).findings)
    for left_out in (
        "This letter summarises",
        "The inspection sampled",
        "I would like to thank",
        "From the evidence gathered",
        "Any areas for development identified above",
        "Yours sincerely",
        "Her Majesty's Inspector",
        "Copy:",
        "#",
        "**",
    ):
        assert left_out not in text


def test_rutland_letter_items():
    report = letter("rutland")
    assert texts(report, "narrative") == [
        "The inspection identified areas of practice that met requirements and areas for development.",
        "The areas of development identified at the previous inspection of contact, referral and assessment "
        "arrangements in September 2010 have been considered during this inspection. Improvement has been made "
        "in three areas of development identified in the last inspection but two areas for development from "
        "the last inspection have not been sufficiently addressed.",
    ]
    meets = texts(report, "meets_requirements")
    # a bullet split by a page break, its second half starting a line in lower case
    assert meets[9] == (
        "The employment of a Safeguarding Quality Assurance Manager who established a routine case file "
        "auditing process has resulted in some improvements in both practice and procedure. Examples of this "
        "include the introduction of a risk assessment matrix to be used in child protection cases and new "
        "procedures in relation to the use of chronologies on case files."
    )
    assert meets[10].startswith("Performance management information is routinely available to team managers.")
    areas = texts(report, "area_for_improvement")
    assert areas[1] == (
        "Rates of repeat referrals remain high and in some cases, decisions are being made to close cases "
        "before all the necessary work has been completed."
    )
    assert all(
        f.section == "Areas for development" for f in report.findings if f.kind == "area_for_improvement"
    )


def test_leicestershire_strength_rejoined_across_a_page_break():
    report = letter("leicestershire")
    # the copy lost the first bullet's glyph and broke it at the page end; its rest reads "- thresholds ..."
    assert texts(report, "strength")[0] == (
        "The implementation of a highly effective centralised referral team which is co-located with the "
        "common assessment framework (CAF) team ensures that thresholds are applied consistently across the "
        "county. Consequently, children and young people identified as at risk of significant harm receive a "
        "prompt, focused child protection response."
    )
    assert texts(report, "meets_requirements")[-1] == (
        "Staff report that training is accessible and relevant with good opportunities for professional "
        "development."
    )


def test_cornwall_markdown_marks_are_stripped():
    report = letter("cornwall")
    assert texts(report, "strength") == [
        "Robust, energetic and accessible leadership combined with determination and high expectations is "
        "delivering improved safeguarding service responses and working practices from a very low base. As a "
        "result of the leadership focus and the inclusion of staff in the improvement agenda, professional "
        "expectations and clear levels of accountability have been firmly established leading to staff across "
        "the service feeling supported and safe in their work."
    ]
    assert {f.section for f in report.findings if f.kind != "narrative"} == {
        "Strengths",
        "The service meets the requirements of statutory guidance in the following areas",
        "Areas for development",
    }
    assert texts(report, "meets_requirements")[7].endswith(
        "as an essential focus for development to reduce the currently high re-referral rate to children's "
        "social care services."
    )
    assert texts(report, "narrative")[2].startswith(
        "The primary focus of the council and the Improvement Board"
    )


def test_rotherham_separate_thanks_paragraph_is_left_out():
    report = letter("rotherham")
    assert texts(report, "strength")[0].startswith(
        "The council is strongly committed to promote the professional"
    )
    assert len(texts(report, "meets_requirements")) == 12


@corpus
def test_norfolk_looked_after_children_report():
    report = parse_file(NORFOLK)
    assert report.kind == "lac_2012"
    assert report.title == "Inspection of looked after children services"
    assert report.authority_name == "Norfolk County Council"
    assert (report.start_date, report.end_date) == (date(2013, 7, 8), date(2013, 7, 12))
    assert report.published_date == date(2013, 8, 16)
    assert report.letter_date is None
    assert report.lead_inspector == "Gary Lamb"  # "Reporting inspector Gary Lamb HMI"
    # Also graded inadequate, with no area in the contract: outcomes for looked after children and young
    # people, and quality of provision.
    assert {(j.area, j.grade) for j in report.judgements} == {
        ("overall_effectiveness", "inadequate"),
        ("capacity_to_improve", "inadequate"),
        ("leadership", "inadequate"),  # "Leadership and management"
    }
    assert report.warnings == []


@corpus
def test_norfolk_findings():
    report = parse_file(NORFOLK)
    # paragraphs 1-7 are "About this inspection" and "Service information"; 15 leads into the actions
    numbers = [f.number for f in report.findings if f.number]
    assert numbers == [n for n in range(8, 73) if n != 15]
    assert all(f.kind == "narrative" for f in report.findings if f.number)
    areas = {f.number: f.area for f in report.findings if f.number}
    assert [areas[n] for n in (8, 11, 16, 50, 61)] == [
        "overall_effectiveness",
        "capacity_to_improve",
        None,  # outcomes for looked after children and young people
        None,  # quality of provision
        "leadership",
    ]
    actions = [f for f in report.findings if f.kind == "area_for_improvement"]
    assert len(actions) == 17  # 6 immediately, 4 within three months, 7 within six months
    assert {f.section for f in actions} == {"Areas for improvement"}
    assert actions[8].page == 8
    assert actions[8].text == (
        "ensure that social workers always provide a written report to support the statutory review process, "
        "that this is based on the social workers' in-depth knowledge and understanding of the needs of the "
        "child or young person, is shared and discussed with the child prior to the review and includes their "
        "wishes, feelings and aspirations"
    )
    text = " ".join(f.text for f in report.findings)
    assert "Norfolk County Council Inspection of looked after children services" not in text  # running header
    assert "Record of main findings" not in text


# A made-up safeguarding and looked after children report (no corpus file has one), laid out as those
# reports were: overall effectiveness graded apart for safeguarding and for looked after children.
SLAC = """Inspection of safeguarding and looked after children services
London Borough of Example
Inspection dates: 4 - 15 July 2011
Reporting inspector Jane Doe HMI
Published: 19 August 2011

About this inspection
1. The purpose of the inspection is to evaluate the contribution made by relevant services.

Safeguarding services
Overall effectiveness
Grade 3 (adequate)
2. The overall effectiveness of safeguarding services is adequate.

Capacity for improvement
Grade 2 (good)
3. Capacity for improvement is good.

Services for looked after children
Overall effectiveness
Grade 2 (good)
4. The overall effectiveness of services for looked after children is good.

Being healthy
Grade 2 (good)
5. Looked after children have good access to health services.

Record of main findings
Safeguarding services
Overall effectiveness Adequate
Capacity for improvement Good
Looked after children services
Overall effectiveness Good
"""


def test_made_up_safeguarding_and_looked_after_children_report():
    report = parse_report(SLAC.encode(), "slac.txt")
    assert report.kind == "slac"
    assert report.authority_name == "London Borough of Example"
    assert (report.start_date, report.end_date, report.published_date) == (
        date(2011, 7, 4),
        date(2011, 7, 15),
        date(2011, 8, 19),
    )
    assert report.lead_inspector == "Jane Doe"
    assert {(j.area, j.grade) for j in report.judgements} == {
        ("safeguarding", "adequate"),
        ("capacity_to_improve", "good"),
        ("overall_effectiveness", "good"),
    }
    assert [(f.number, f.area) for f in report.findings] == [
        (2, "safeguarding"),
        (3, "capacity_to_improve"),
        (4, "overall_effectiveness"),
        (5, None),
    ]
    assert report.warnings == []


def test_letter_title_wrapped_over_two_lines_as_in_a_pdf():
    text = (SEEDS / "rutland-2011-contact-referral-assessment.txt").read_text()
    wrapped = text.replace(
        "assessment arrangements within Rutland", "assessment\narrangements within Rutland", 1
    )
    assert wrapped != text
    report = parse_report(wrapped.encode(), "rutland.txt")
    assert report.title == TITLE.format("Rutland County Council")
    assert report.authority_name == "Rutland County Council"
    assert dict(kinds(report)) == {"narrative": 2, "meets_requirements": 13, "area_for_improvement": 5}
