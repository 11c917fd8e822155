"""The single inspection framework (SIF) parser, on the damaged Rutland seed text and on corpus reports.

Every expectation was checked by reading the report's text.
"""

from datetime import date
from pathlib import Path

import pytest

from inspections.parsing import parse_file

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "fixtures" / "seeds" / "rutland-2016-single-inspection.txt"
CORPUS = ROOT.parent / "shared" / "corpus"


def corpus(test):
    """A test that reads the shared report corpus: marked so, and skipped where the corpus is absent."""
    return pytest.mark.corpus(
        pytest.mark.skipif(not CORPUS.exists(), reason="no shared report corpus here")(test)
    )


RI = "requires_improvement"


@pytest.fixture(scope="module")
def rutland():
    return parse_file(SEED)


def texts(report, kind, area=None):
    return [f.text for f in report.findings if f.kind == kind and f.area == area]


def test_seed_title_page(rutland):
    assert rutland.kind == "sif"
    assert rutland.authority_name == "Rutland County Council"
    assert rutland.title == (
        "Inspection of services for children in need of help and protection, children looked after and care "
        "leavers and Review of the effectiveness of the Local Safeguarding Children Board"
    )
    assert (rutland.start_date, rutland.end_date) == (date(2016, 11, 14), date(2016, 12, 7))
    assert rutland.published_date == date(2017, 2, 13)
    assert rutland.letter_date is None
    assert rutland.lead_inspector == "Karen Wareing"
    assert rutland.warnings == []


def test_seed_judgements_come_from_label_and_grade_printed_together(rutland):
    # The grid on the first page lost its labels; each grade below is printed beside its label in the body.
    assert {(j.area, j.grade) for j in rutland.judgements} == {
        ("overall_effectiveness", RI),  # "Childrens services in Rutland requires improvement to be good"
        ("help_and_protection", RI),
        ("in_care", RI),
        ("adoption", RI),  # "The graded judgement for adoption performance is that it requires improvement"
        ("care_leavers", "good"),  # "... experience and progress of care leavers is that it is good"
        ("leadership", RI),
        ("lscb", "good"),  # "The Local Safeguarding Children Board is good"
    }


def test_seed_recommendations(rutland):
    recommendations = texts(rutland, "recommendation")
    assert len(recommendations) == 17
    assert recommendations[0] == (
        "Ensure that senior leaders have access to comprehensive, high-quality performance management "
        "information in order to understand frontline practice and fully hold senior managers to account."
    )
    # two sentences of one recommendation, with no blank line between them
    assert recommendations[2].endswith(
        "as circumstances for children change. Improve social workers understanding of neglect and the "
        "impact on children."
    )
    # re-joined across a page break
    assert recommendations[9] == (
        "When children go missing, ensure that social workers and managers fully understand the risks and "
        "vulnerabilities of the young people and take appropriate action. Ensure that the information "
        "gathered during return-home interviews is used to reduce risk and inform individual planning and "
        "broader service needs."
    )
    assert recommendations[-1] == (
        "Increase the extent to which workers consider the long-term arrangements when placing children "
        "looked after with foster carers, so that more are able to stay put when they become 18 years old."
    )
    # the LSCB review's recommendations lost their first lines in the copy: what is left is kept, and
    # shown to open mid-sentence rather than passed off as whole
    assert texts(rutland, "recommendation", "lscb") == [
        "…management when children are going missing from home or care.",
        "…sufficiently probing.",
        "…wider community.",
    ]
    headless = [f.text for f in rutland.findings if f.text.startswith("…")]
    assert "…are undertaken and published when the criteria are met." in " ".join(headless)
    assert not [f.text for f in rutland.findings if f.text[:1].islower()]


def test_seed_summary_for_children_bullets_keep_their_continuation_lines(rutland):
    bullets = [f.text for f in rutland.findings if f.section == "Summary for children and young people"]
    assert len(bullets) == 11
    assert bullets[9] == (
        "Young people leaving care receive a good service from staff who know them well. Staff make sure that "
        "they keep in touch with people and support them to live independently, stay in education or find a "
        "job. They also help them to keep healthy and to find somewhere to live where they feel safe."
    )


def test_seed_paragraphs_are_rejoined_across_page_breaks(rutland):
    summary = [f.text for f in rutland.findings if f.section == "Executive summary" and f.area is None]
    assert summary[0].startswith("Childrens services in Rutland require improvement to be good. While no")
    assert (
        "Decisions for children to become looked after are appropriate, but cumulative risks are not always "
        "identified or acted upon quickly enough. When children become looked after, not all permanence "
        "options are always considered, which results in delays in securing permanence for some children."
    ) in summary
    plans = next(f for f in rutland.findings if f.text.startswith("Some recent plans using a recognised"))
    assert (plans.kind, plans.area, plans.section) == (
        "narrative",
        "help_and_protection",
        "Inspection findings",
    )
    assert (
        "Contingency planning is not clearly stated, so when circumstances do not improve for" in plans.text
    )
    assert plans.text.endswith("it is not clear what needs to happen next. (Recommendation)")


def test_seed_findings_by_judgement_section(rutland):
    areas = {}
    for finding in rutland.findings:
        areas.setdefault((finding.area, finding.section), 0)
        areas[(finding.area, finding.section)] += 1
    assert set(areas) == {
        (None, "Executive summary"),
        (None, "Recommendations"),
        (None, "Summary for children and young people"),
        ("help_and_protection", "Summary"),
        ("help_and_protection", "Inspection findings"),
        ("in_care", "Summary"),
        ("in_care", "Inspection findings"),
        ("adoption", "Adoption performance"),
        ("care_leavers", "Experience and progress of care leavers"),
        ("leadership", "Summary"),
        ("leadership", "Inspection findings"),
        ("lscb", "Executive summary"),
        ("lscb", "Recommendations"),
        ("lscb", "Inspection findings the Local Safeguarding Children Board"),
    }
    lscb_summary = texts(rutland, "narrative", "lscb")
    assert lscb_summary[0].startswith("This Local Safeguarding Children Board is well run and effective.")


def test_seed_leaves_out_contents_statistics_and_boilerplate(rutland):
    text = " ".join(f.text for f in rutland.findings)
    for left_out in (
        "Ofsted produces this report",
        "7,716 children",  # "Children living in this area"
        "31 children and young people were the subject of a child protection plan",
        "Lead inspector",
        "Information about this inspection",
        "Piccadilly Gate",
        "residential special schools that look after children for 295 days",  # a footnote
    ):
        assert left_out not in text


# The corpus: each report's title page, lead inspector and every grade, read from its page 1 grid and body.
REPORTS = {
    "80436_bracknell forest/children's services inspection - 14 july 2017.pdf": (
        "Bracknell Forest",
        (date(2017, 4, 28), date(2017, 5, 25), date(2017, 7, 14)),
        "Anne Waterman",
        {
            "overall_effectiveness": "good",
            "help_and_protection": "good",
            "in_care": "outstanding",
            "adoption": "outstanding",
            "care_leavers": "outstanding",
            "leadership": "good",
            "lscb": "good",
        },
    ),
    "80442_buckinghamshire/children's services inspection - 08 august 2014.pdf": (
        "Buckinghamshire County Council",
        (date(2014, 6, 3), date(2014, 6, 25), date(2014, 8, 8)),
        "Brenda McLaughlin",
        {
            "overall_effectiveness": "inadequate",
            "help_and_protection": "inadequate",
            "in_care": "inadequate",
            "adoption": RI,
            "care_leavers": RI,
            "leadership": "inadequate",
            "lscb": "inadequate",
        },
    ),
    "80460_derbyshire/children's services inspection - 11 february 2014.pdf": (
        "Derbyshire County Council",
        (date(2013, 11, 19), date(2013, 12, 11), None),  # no publication date printed
        "Fiona J Millns",
        {
            "overall_effectiveness": "good",
            "help_and_protection": "good",
            "in_care": "good",
            "adoption": "good",
            "care_leavers": "good",
            "leadership": "good",
            "lscb": RI,
        },
    ),
    "80479_knowsley/children's services inspection - 13 june 2017.pdf": (  # a re-inspection: no LSCB review
        "Knowsley Council",
        (date(2017, 3, 13), date(2017, 3, 24), date(2017, 6, 13)),
        "Shirley Bailey",
        {
            "overall_effectiveness": RI,
            "help_and_protection": RI,
            "in_care": RI,
            "adoption": "good",
            "care_leavers": "good",
            "leadership": "good",
        },
    ),
    "80496_hackney/children's services inspection - 21 september 2016.pdf": (
        "London Borough of Hackney",
        (date(2016, 7, 4), date(2016, 7, 28), date(2016, 9, 20)),  # printed 20 September
        "Jansy Kelly",
        {
            "overall_effectiveness": "good",
            "help_and_protection": "good",
            "in_care": "good",
            "adoption": "good",
            "care_leavers": "outstanding",
            "leadership": "good",
            "lscb": "outstanding",
        },
    ),
    "80517_waltham forest/children's services inspection - 20 january 2015.pdf": (
        "London Borough of Waltham Forest",
        (date(2014, 11, 4), date(2014, 11, 26), date(2015, 1, 20)),
        "John Mitchell",  # "Lead inspector: John Mitchell, Senior HMI"
        {
            "overall_effectiveness": RI,
            "help_and_protection": RI,
            "in_care": RI,
            "adoption": RI,
            "care_leavers": RI,
            "leadership": RI,
            "lscb": RI,
        },
    ),
    "80567_surrey/children's services inspection - 03 june 2015.pdf": (  # the LSCB review is not in it
        "Surrey County Council",
        (date(2014, 10, 21), date(2014, 11, 12), date(2015, 6, 3)),
        "Mary Candlin",
        {
            "overall_effectiveness": "inadequate",
            "help_and_protection": "inadequate",
            "in_care": RI,
            "adoption": "good",
            "care_leavers": RI,
            "leadership": "inadequate",
        },
    ),
    "80566_sunderland/children's services inspection - 25 july 2018.pdf": (
        "Sunderland City Council",
        (date(2018, 4, 23), date(2018, 5, 18), date(2018, 7, 25)),
        "Lisa Summers",
        {
            "overall_effectiveness": "inadequate",
            "help_and_protection": "inadequate",
            "in_care": RI,
            "adoption": "good",
            "care_leavers": RI,
            "leadership": "inadequate",
        },
    ),
}


@corpus
@pytest.mark.parametrize("path", sorted(REPORTS))
def test_corpus_report(path):
    authority, (start, end, published), lead, grades = REPORTS[path]
    report = parse_file(CORPUS / "dev" / path)
    assert report.kind == "sif"
    assert report.authority_name == authority
    assert (report.start_date, report.end_date, report.published_date) == (start, end, published)
    assert report.lead_inspector == lead
    assert {j.area: j.grade for j in report.judgements} == grades
    assert len(report.judgements) == len(grades)


@corpus
def test_corpus_numbered_paragraphs_are_all_read():
    report = parse_file(
        CORPUS / "dev" / "80436_bracknell forest/children's services inspection - 14 july 2017.pdf"
    )
    assert [f.number for f in report.findings if f.number] == list(range(1, 103))
    recommendations = [f for f in report.findings if f.kind == "recommendation"]
    assert [f.number for f in recommendations] == [1, 2, 3, 4, 5, 84, 85]
    assert [f.area for f in recommendations] == [None] * 5 + ["lscb"] * 2
    assert recommendations[0].page == 7
    assert recommendations[0].text == (
        "Ensure that performance management systems support the evaluation of the effectiveness of early help "
        "services in order to inform future planning and commissioning arrangements."
    )
    first = next(f for f in report.findings if f.number == 6)
    assert (first.area, first.section, first.page) == ("help_and_protection", "Inspection findings", 9)


@corpus
def test_corpus_2014_lists_priority_actions_strengths_and_nested_items():
    report = parse_file(CORPUS / "dev" / "80482_leicester/children's services inspection - 20 march 2015.pdf")
    priority = [f for f in report.findings if f.kind == "priority_action" and f.area is None]
    assert priority[0].number == 1
    assert priority[0].text == (
        "Put into place an effective performance management framework; this to include - comprehensive and "
        "reliable performance data - clear monitoring and quality assurance arrangements - effective "
        "performance management of teams and individuals."
    )
    assert [f.number for f in report.findings if f.kind == "strength"] == list(range(25, 36))
    lscb_priority = [f.number for f in report.findings if f.kind == "priority_action" and f.area == "lscb"]
    assert lscb_priority == [164, 165, 166]
