import datetime

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import IntegrityError, connection, transaction

from inspections.models import Finding

from .factories import AuthorityFactory, FindingFactory, InspectionFactory, JudgementFactory

pytestmark = pytest.mark.django_db


def rejects(make_row):
    """The database itself refuses the row (a constraint, not just form validation)."""
    with pytest.raises(IntegrityError), transaction.atomic():
        make_row()


def test_constraints_reject_values_outside_the_contract():
    inspection = InspectionFactory()
    rejects(lambda: InspectionFactory(kind="annual_review"))
    rejects(lambda: JudgementFactory(inspection=inspection, grade="satisfactory"))
    rejects(lambda: JudgementFactory(inspection=inspection, area="schools"))
    rejects(lambda: FindingFactory(inspection=inspection, kind="opinion"))
    rejects(lambda: FindingFactory(inspection=inspection, area="schools"))
    rejects(lambda: AuthorityFactory(region="scotland"))
    rejects(lambda: AuthorityFactory(gss_code="S12000034"))


def test_inspection_dates_must_be_in_order():
    rejects(
        lambda: InspectionFactory(start_date=datetime.date(2022, 5, 20), end_date=datetime.date(2022, 5, 9))
    )
    one_day = InspectionFactory(start_date=datetime.date(2020, 10, 13), end_date=datetime.date(2020, 10, 13))
    assert one_day.pk


def test_one_judgement_per_area_per_inspection():
    judgement = JudgementFactory()
    rejects(
        lambda: JudgementFactory(inspection=judgement.inspection, area=judgement.area, grade="inadequate")
    )
    JudgementFactory(inspection=judgement.inspection, area="lscb")


def test_finding_orders_are_unique_within_an_inspection_and_start_at_one():
    finding = FindingFactory(order=1)
    rejects(lambda: FindingFactory(inspection=finding.inspection, order=1))
    rejects(lambda: FindingFactory(inspection=finding.inspection, order=0))
    FindingFactory(order=1)  # another inspection's first finding


def test_the_same_source_file_cannot_be_stored_twice():
    inspection = InspectionFactory()
    rejects(lambda: InspectionFactory(sha256=inspection.sha256))
    rejects(lambda: InspectionFactory(sha256="not-a-hash"))


def test_inspection_date_is_the_start_date_else_the_letter_date():
    inspection = InspectionFactory(start_date=None, end_date=None, letter_date=datetime.date(2011, 6, 9))
    inspection.refresh_from_db()
    assert inspection.date == datetime.date(2011, 6, 9)


def test_search_vector_is_generated_stemmed_and_weighted():
    strong = FindingFactory(
        text="Supervision of social workers is regular and reflective.", section="Leadership"
    )
    FindingFactory(text="Children are seen alone.", section="Supervision arrangements")
    FindingFactory(text="Care leavers have good accommodation.", section="Care leavers")
    matches = Finding.objects.filter(search_vector=SearchQuery("supervised", config="english"))
    assert set(matches.values_list("text", flat=True)) == {
        "Supervision of social workers is regular and reflective.",
        "Children are seen alone.",
    }
    strong.refresh_from_db()
    assert "'supervis':1A" in strong.search_vector


def test_search_uses_the_gin_index():
    FindingFactory.create_batch(3)
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM inspections_finding "
            "WHERE search_vector @@ websearch_to_tsquery('english', 'supervision')"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
    assert "finding_search_vector_gin" in plan
