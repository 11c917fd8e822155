"""Factories for rows: tests build what they need, fixtures stay reference data."""

import datetime
import hashlib

import factory
from django.utils import timezone

from inspections.choices import AuthorityType, FindingKind, Grade, InspectionKind, JudgementArea, Region
from inspections.models import Authority, Finding, Inspection, Judgement, Theme


class AuthorityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Authority

    short_name = factory.Sequence(lambda n: f"Testshire {n}")
    name = factory.LazyAttribute(lambda a: f"{a.short_name} County Council")
    slug = factory.Sequence(lambda n: f"testshire-{n}")
    gss_code = factory.Sequence(lambda n: f"E99{n:06d}")  # a range no real authority uses
    region = Region.EAST_MIDLANDS
    type = AuthorityType.COUNTY


class InspectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Inspection

    authority = factory.SubFactory(AuthorityFactory)
    kind = InspectionKind.ILACS
    title = factory.LazyAttribute(
        lambda i: f"Inspection of {i.authority.short_name} local authority children's services"
    )
    start_date = datetime.date(2022, 5, 9)
    end_date = datetime.date(2022, 5, 20)
    lead_inspector = "Alex Example"
    source_filename = factory.Sequence(lambda n: f"report-{n}.pdf")
    sha256 = factory.Sequence(lambda n: hashlib.sha256(f"report {n}".encode()).hexdigest())
    parsed_at = factory.LazyFunction(timezone.now)
    parser_version = "test"


class JudgementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Judgement

    inspection = factory.SubFactory(InspectionFactory)
    area = JudgementArea.OVERALL_EFFECTIVENESS
    grade = Grade.GOOD


class FindingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Finding

    inspection = factory.SubFactory(InspectionFactory)
    kind = FindingKind.NARRATIVE
    section = "The experiences and progress of children who need help and protection"
    area = JudgementArea.HELP_AND_PROTECTION
    order = factory.Sequence(lambda n: n + 1)
    page = 2
    text = "Social workers visit children regularly and see them alone."


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme

    slug = factory.Sequence(lambda n: f"theme-{n}")
    name = factory.Sequence(lambda n: f"Theme {n}")
    description = "A practice theme."
    phrases = ""
