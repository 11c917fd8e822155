"""The letter-style visits parser (focused visits, monitoring visits, joint targeted area inspections).

Two small plain-text letters; letters from the corpus checked in detail against their printed text; and
every focused visit and JTAI letter in the corpus against visits_expected.csv. In the CSV, the title,
authority, dates and signatory were read from each letter's first and last page, the list counts
agree with a count of the bullets printed under each list heading, and the narrative counts are the
paragraphs as the parser splits them by the PDF's spacing (checked by eye on the letters tested below).
"""

import csv
import re
from datetime import date
from pathlib import Path

import pytest

from inspections.parsing import parse_file, parse_report

HERE = Path(__file__).resolve().parent
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
EXPECTED = list(csv.DictReader((HERE / "visits_expected.csv").open(encoding="utf-8")))
needs_corpus = pytest.mark.skipif(not CORPUS.exists(), reason="the report corpus is not here")
# Letter furniture that must never reach a finding.
FURNITURE = re.compile(
    r"Piccadilly Gate|M1 2WD|Textphone|enquiries@ofsted|www\.gov\.uk/ofsted|^Dear |Yours sincerely|"
    r"copying this letter|will take the findings|in line with the inspection of local authority|"
    r"This letter summarises|Majesty's Inspector$|^Page \d+ of \d+"
)

MONITORING_VISIT = """8 March 2022

Jane Doe
Director of Children's Services
Exampleshire County Council
County Hall
Exampletown EX1 1AA

Dear Ms Doe

Monitoring visit to Exampleshire children's services

This letter summarises the findings of the monitoring visit to Exampleshire children's services on
1 and 2 February 2022. This was the second monitoring visit since the local authority was judged
inadequate in July 2020. His Majesty's Inspectors for this visit were Sam Jones and Alex Brown.

Areas covered by the visit

Inspectors reviewed the progress made in the quality and impact of key areas of practice for
children in care.

This visit was carried out in line with the inspection of local authority children's services
(ILACS) framework.

Headline findings

Leaders have made steady progress since the last visit.

Findings and evaluation of progress

Children in care now have up-to-date plans.
Most plans are reviewed on time.

Social workers visit children regularly.

Ofsted will take the findings from this monitoring visit into account when planning your next
inspection or visit.

Yours sincerely

Sam Jones
His Majesty's Inspector
"""

# Text as extracted from a PDF: no blank lines, bullets, a heading and paragraphs told apart only by
# their wording, and no signature.
FOCUSED_VISIT = """14 June 2023
Alex Smith
Director of Children's Services
London Borough of Sampleton
Dear Alex
Focused visit to Sampleton children's services
This letter summarises the findings of the focused visit to Sampleton children's services
between 10 and 12 May 2023. His Majesty's Inspectors for this visit were Pat Lee, lead
inspector, and Kim Ray.
Headline findings
Children in Sampleton are helped at the right time.
What needs to improve in this area of social work practice?
◼ The timeliness of strategy meetings, so that children are
protected without delay.
◼ The quality of supervision.
Main findings
Social workers know children well and see them often. They build trusting relationships with
children and their families. Plans are clear.
Managers oversee work closely.
"""


def test_monitoring_visit_letter():
    report = parse_report(MONITORING_VISIT.encode(), "exampleshire.txt")
    assert report.kind == "monitoring_visit"
    assert report.title == "Monitoring visit to Exampleshire children's services"
    assert report.authority_name == "Exampleshire"
    assert report.letter_date == date(2022, 3, 8)
    assert (report.start_date, report.end_date) == (date(2022, 2, 1), date(2022, 2, 2))
    assert report.lead_inspector == "Sam Jones"
    assert report.judgements == []
    assert [(f.kind, f.section, f.text, f.page) for f in report.findings] == [
        ("narrative", "Headline findings", "Leaders have made steady progress since the last visit.", None),
        (
            "narrative",
            "Findings and evaluation of progress",
            "Children in care now have up-to-date plans. Most plans are reviewed on time.",
            None,
        ),
        (
            "narrative",
            "Findings and evaluation of progress",
            "Social workers visit children regularly.",
            None,
        ),
    ]
    assert [f.order for f in report.findings] == [1, 2, 3]
    assert report.warnings == []


def test_focused_visit_text_without_blank_lines_or_signature():
    report = parse_report(FOCUSED_VISIT.encode(), "sampleton.txt")
    assert report.kind == "focused_visit"
    assert report.authority_name == "Sampleton"
    assert report.letter_date == date(2023, 6, 14)
    assert (report.start_date, report.end_date) == (date(2023, 5, 10), date(2023, 5, 12))
    assert report.lead_inspector == "Pat Lee"  # named as the lead in the introduction
    assert [(f.kind, f.section, f.text) for f in report.findings] == [
        ("narrative", "Headline findings", "Children in Sampleton are helped at the right time."),
        (
            "area_for_improvement",
            "What needs to improve in this area of social work practice?",
            "The timeliness of strategy meetings, so that children are protected without delay.",
        ),
        (
            "area_for_improvement",
            "What needs to improve in this area of social work practice?",
            "The quality of supervision.",
        ),
        (
            "narrative",
            "Main findings",
            "Social workers know children well and see them often. They build trusting relationships with "
            "children and their families. Plans are clear.",
        ),
        ("narrative", "Main findings", "Managers oversee work closely."),
    ]


def _letter(path: str):
    return parse_file(CORPUS / "dev" / path)


def _texts(report, kind: str) -> list[str]:
    return [finding.text for finding in report.findings if finding.kind == kind]


@pytest.mark.corpus
@needs_corpus
def test_leeds_2018_first_focused_visit():
    report = _letter("80481_leeds/children's services focused visit - 22 february 2018.pdf")
    assert report.title == "Focused visit to Leeds City Council children's services"
    assert report.authority_name == "Leeds City Council"
    assert report.letter_date == date(2018, 2, 22)
    assert (report.start_date, report.end_date) == (date(2018, 1, 30), date(2018, 1, 31))
    assert report.lead_inspector == "Nigel Parkes"
    assert _texts(report, "area_for_improvement") == [
        "The way in which information is presented in performance management reports means that they are "
        "not always easy to understand. This has the potential to undermine critical challenge and "
        "accountability.",
        "Personal Education Plans are of variable quality. Sometimes delayed, they are not always "
        "sufficiently ambitious, specific or measurable. Senior leaders recognise that this has contributed "
        "to children in care not making good progress in their learning and are taking appropriate action to "
        "address the issue. However, it remains an area for development.",
    ]
    # The overview's first paragraph runs on past Ofsted's address at the foot of page 1.
    first = report.findings[0]
    assert (first.kind, first.section, first.page) == ("narrative", "Overview", 1)
    assert first.text == (
        "Most children are being cared for in stable family placements that meet their needs. Social "
        "workers know the children well. Practice is child-centred. Social work assessments reflect the "
        "wishes and feelings of children and young people. Children's plans are clear and coherent. There is "
        "evidence of a strong focus on achieving permanence for children and young people. Regular reviews "
        "and effective management oversight help to ensure minimum drift or delay in meeting children's "
        "needs."
    )
    assert len(report.findings) == 19
    assert report.findings[-1].text.endswith("unable to cope with the demands of family-based care.")


@pytest.mark.corpus
@needs_corpus
def test_st_helens_2018_priority_actions_and_closing_letter():
    report = _letter("80560_st helens/children's services focused visit - 08 august 2018.pdf")
    assert report.letter_date == date(2018, 8, 8)
    assert (report.start_date, report.end_date) == (date(2018, 7, 11), date(2018, 7, 12))
    assert report.lead_inspector == "Stella Elliott"
    assert _texts(report, "priority_action") == [
        "There are significant delays in escalating children's cases from children in need to child "
        "protection and/or public law outline processes when risk increases. This is exposing children to "
        "further actual harm, particularly when children are experiencing long-term neglect.",
        "The deficit in oversight of, and supervision and challenge by, leaders and managers means that "
        "children are not being appropriately safeguarded.",
        "Quality assurance and audit processes do not appropriately challenge poor practice. This means that "
        "leaders and managers are not able to understand the quality of social work practice, and, more "
        "importantly, means that safeguarding concerns and other actions to promote children's welfare are "
        "not identified.",
    ]
    assert len(_texts(report, "area_for_improvement")) == 4
    # The paragraph from page 3 runs on at the top of page 4.
    crossing = next(f for f in report.findings if f.text.startswith("The recent review of child protection"))
    assert crossing.page == 3
    assert (
        "impacting on the plan as a whole. The high number of children subject to a child protection plan"
        in (crossing.text)
    )
    # Neither the lead-in to the priority actions nor the letter's closing paragraphs are findings.
    assert not any("swift and decisive action in the following areas" in f.text for f in report.findings)
    assert not any("action plan" in f.text for f in report.findings)
    assert report.findings[-1].text.startswith("The local authority was open with inspectors")


@pytest.mark.corpus
@needs_corpus
def test_southwark_2020_bullets_across_page_break():
    report = _letter("80514_southwark/children's services focused visit - 13 november 2020.pdf")
    assert report.title == "Focused visit to Southwark local authority children's services"
    assert report.authority_name == "Southwark"
    assert (report.start_date, report.end_date) == (date(2020, 9, 29), date(2020, 10, 1))
    assert report.lead_inspector == "Brenda McInerney"
    assert (
        _texts(report, "area_for_improvement")[1]
        == "the timeliness and effectiveness of pre-proceedings work"
    )
    crossing = next(f for f in report.findings if f.text.startswith("When families make progress"))
    assert (crossing.section, crossing.page) == ("Findings", 3)
    assert crossing.text == (
        "When families make progress but still need some support following child in need planning, they are "
        "appropriately transferring to early help services. Some families have experienced delay in being "
        "visited by their new early help worker due to the demands on the service during COVID-19. Managers "
        "are now closely tracking engagement with families to understand and address any delays."
    )


@pytest.mark.corpus
@needs_corpus
def test_luton_2023_paragraphs_told_apart_by_spacing():
    report = _letter("80520_luton/children's services focused visit - 19 july 2023.pdf")
    assert report.lead_inspector == "Margaret Burke"
    sections = [f.section for f in report.findings]
    assert sections.count("Headline findings") == 4
    assert sections.count("Main findings") == 21
    # A sentence ending a printed line does not end its paragraph ...
    incoming = next(f for f in report.findings if f.text.startswith("Incoming contacts"))
    assert "inform decision-making. Persistency is evident as repeated attempts" in incoming.text
    # ... and a full printed line can end one.
    consent = next(f for f in report.findings if f.text.startswith("Consent is well considered"))
    assert consent.text.endswith(
        "Consent is not used as a barrier to prevent the provision of suitable support."
    )


@pytest.mark.corpus
@needs_corpus
def test_north_somerset_2025_misprinted_date_and_footnote():
    report = _letter("80528_north somerset/children's services focused visit - 06 november 2025.pdf")
    assert report.letter_date is None  # printed "6 November 20205"
    assert "letter date misprinted: '6 November 20205'" in report.warnings
    assert (report.start_date, report.end_date) == (date(2025, 10, 7), date(2025, 10, 8))
    improvements = _texts(report, "area_for_improvement")
    assert len(improvements) == 3
    assert improvements[0].endswith(
        "help reduce the likelihood of reoccurrence. (Outcome 3, national framework)"
    )
    assert not any("cross-referenced" in f.text or f.text == "1" for f in report.findings)


@pytest.mark.corpus
@needs_corpus
def test_nottingham_2021_lists_carried_over_are_not_items():
    report = _letter("80533_nottingham/children's services focused visit - 09 august 2021.pdf")
    assert _texts(report, "priority_action") == []
    assert _texts(report, "area_for_improvement") == []
    carried = next(f for f in report.findings if f.section == "Areas for priority action")
    assert carried.text == (
        "The areas for priority action set at the last focused visit in February 2020 remain. There are no "
        "additional priority actions."
    )


@pytest.mark.corpus
@needs_corpus
def test_wolverhampton_2024_signature_on_its_own_page():
    report = _letter("80583_wolverhampton/children's services focused visit - 01 november 2024.pdf")
    assert report.lead_inspector == "Gareth Dakin"
    assert _texts(report, "area_for_improvement") == ["Quality and consistency of supervision."]


@pytest.mark.corpus
@needs_corpus
def test_somerset_jtai_2024():
    report = _letter("80555_somerset/joint area child protection inspection - 18 july 2024.pdf")
    assert report.kind == "jtai"
    assert report.title == "Joint targeted area inspection of Somerset"
    assert report.authority_name == "Somerset"
    assert report.letter_date == date(2024, 7, 18)
    assert (report.start_date, report.end_date) == (date(2024, 5, 20), date(2024, 5, 24))
    assert report.lead_inspector == "Yvette Stanley"  # Ofsted's signatory of the four inspectorates'
    assert report.judgements == []
    assert len(_texts(report, "priority_action")) == 2
    assert len(_texts(report, "area_for_improvement")) == 10
    assert _texts(report, "strength")[0] == (
        "Child-centred and positive relationships between children and early intervention workers, "
        "including family intervention specialists."
    )
    sections = {f.section for f in report.findings}
    assert sections == {
        "Headline findings",
        "Areas for priority action",
        "What needs to improve?",
        "Strengths",
        "Main findings",
        "Practice study: effective practice",
        "Practice study: area for improvement",
    }
    # The "Context" section and the "Next steps" are about the inspection, not findings.
    assert not any("The inspectorates recognise the complexities" in f.text for f in report.findings)
    assert not any("written statement of proposed action" in f.text for f in report.findings)


@pytest.mark.corpus
@needs_corpus
def test_solihull_jtai_sub_items_and_footnote():
    report = _letter("80554_solihull/joint area child protection inspection - 21 february 2022.pdf")
    assert report.lead_inspector == "Yvette Stanley"
    first = _texts(report, "priority_action")[0]
    assert first.startswith(
        "Leaders of the local safeguarding children partnership need to take urgent action"
    )
    assert "This includes: - ensuring that there is sufficient multi-agency capacity within the MASH" in first
    assert first.count(" - ensuring that") == 3
    headline = report.findings[0]
    assert "The Local Safeguarding Children Partnership (LSCP – Solihull's multi-agency" in headline.text
    assert not any("lead representatives for safeguarding partnerships" in f.text for f in report.findings)


@pytest.mark.corpus
@needs_corpus
def test_kirklees_jtai_heading_over_two_lines():
    report = _letter("80478_kirklees/joint area child protection inspection - 18 august 2022.pdf")
    assert (report.start_date, report.end_date) == (date(2022, 6, 27), date(2022, 7, 1))
    heading = "Multi-agency practice with children who are at risk of, or experiencing, criminal exploitation"
    under = [f for f in report.findings if f.section == heading]
    assert under[0].text.startswith("Children in Kirklees benefit from the strong relationships")
    assert not any(f.text.startswith("as of 1 July 2022") for f in report.findings)  # a footnote


@pytest.mark.corpus
@needs_corpus
@pytest.mark.parametrize("row", EXPECTED, ids=[row["file"].split("/")[0] for row in EXPECTED])
def test_corpus_letter(row):
    report = parse_file(CORPUS / "dev" / row["file"])
    assert report.kind == row["kind"]
    assert report.title == row["title"]
    assert report.authority_name == row["authority"]
    assert str(report.letter_date or "") == row["letter_date"]
    assert (str(report.start_date), str(report.end_date)) == (row["start_date"], row["end_date"])
    assert report.lead_inspector == row["lead_inspector"]
    assert report.judgements == []
    kinds = [finding.kind for finding in report.findings]
    assert kinds.count("priority_action") == int(row["priority_actions"])
    assert kinds.count("area_for_improvement") == int(row["areas_for_improvement"])
    assert kinds.count("strength") == int(row["strengths"])
    assert kinds.count("narrative") == int(row["narrative"])
    if report.letter_date:
        assert report.start_date <= report.end_date < report.letter_date
    for finding in report.findings:
        assert finding.section and finding.area is None
        assert finding.page is not None and 1 <= finding.page <= report.source.pages
        assert len(finding.text) > 10
        assert not FURNITURE.search(finding.text), finding.text
