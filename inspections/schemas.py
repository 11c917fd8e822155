"""The public shape of authorities, inspections and findings, declared once as django-ninja Schemas.

The JSON API returns these, and its OpenAPI document is generated from them. A finding's public
fields are made in one place, `FindingSerialiser`, whose output the API returns as `Finding` items
and the CSV export writes as its rows; `parse_report --json` writes what a report itself states
(`ReportedInspection`, `ReportedFinding`, `Judgement`), the same fields, exactly as CONTRACT.md
sets them out.
"""

import datetime
import functools
from typing import Annotated

from django.db import connection
from django.urls import get_script_prefix, reverse
from ninja import Schema
from pydantic import BeforeValidator, ConfigDict, Field

from . import models
from .choices import AuthorityType, FindingKind, Grade, InspectionKind, JudgementArea, Region
from .search import Labels, PageRows, archive_version, labels_of

SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"
Slug = Annotated[str, Field(pattern=SLUG_PATTERN)]
Id = Annotated[int, Field(ge=1)]
# A plain string: a URL type would re-encode the address the archive built.
Url = Annotated[str, Field(json_schema_extra={"format": "uri"})]


def _blank_as_none(value):
    return value or None


class Closed(Schema):
    """An item has its declared fields and no other (pydantic writes no other), and the document says so."""

    model_config = ConfigDict(json_schema_extra={"additionalProperties": False})


class InArchive(Closed):
    id: Id
    url: Url


class Judgement(Closed):
    area: JudgementArea
    grade: Grade


class ReportedInspection(Closed):
    """An inspection as its report states it: parse_report's `inspection`, and the API's inspection."""

    kind: InspectionKind
    title: str
    start_date: datetime.date | None
    end_date: datetime.date | None
    published_date: datetime.date | None
    letter_date: datetime.date | None
    lead_inspector: Annotated[str | None, BeforeValidator(_blank_as_none)]


class ReportedFinding(Closed):
    """A finding as its report states it: parse_report's findings, and the API's and CSV's finding."""

    kind: FindingKind
    section: str = Field(description="The heading it sat under in the report.")
    area: JudgementArea | None
    order: int = Field(ge=1, description="Its position in the report.")
    page: Annotated[int, Field(ge=1)] | None
    number: Annotated[int, Field(ge=1)] | None = Field(description="Its paragraph number as printed, if any.")
    text: str = Field(min_length=1, description="The finding's whole text, as plain text.")
    themes: list[Slug]


class Inspection(ReportedInspection, InArchive):
    """One inspection or visit report, with its graded judgements in the report's order."""

    authority: Slug
    judgements: list[Judgement]

    @staticmethod
    def resolve_url(inspection, context) -> str:
        return context["request"].build_absolute_uri(inspection.get_absolute_url())

    @staticmethod
    def resolve_authority(inspection) -> str:
        return inspection.authority.slug


class FindingInspection(Closed):
    id: Id
    kind: InspectionKind
    title: str
    date: datetime.date | None


class FindingAuthority(Closed):
    slug: Slug
    name: str


class Finding(ReportedFinding, InArchive):
    """One finding: a strength, area for improvement, priority action, recommendation or narrative paragraph."""

    url: Url = Field(description="The finding in its inspection's page.")
    inspection: FindingInspection
    authority: FindingAuthority


class Authority(Closed):
    """A council with children's services responsibilities."""

    slug: Slug
    name: str
    short_name: str
    gss_code: Annotated[str, Field(pattern=r"^E\d{8}$")]
    former_gss_codes: list[str]
    ofsted_urn: Annotated[int, Field(ge=0)] | None
    dfe_code: Annotated[Annotated[str, Field(pattern=r"^\d{3}$")] | None, BeforeValidator(_blank_as_none)]
    region: Region
    type: AuthorityType
    current: bool = Field(description="False for a council since abolished or merged.")
    latest_overall_grade: Grade | None

    @staticmethod
    def resolve_current(authority) -> bool:
        return authority.end_date is None

    @staticmethod
    def resolve_latest_overall_grade(authority) -> str | None:
        return getattr(authority, "latest_overall_grade", None)


@functools.lru_cache(maxsize=8)
def _inspection_path(script_prefix: str) -> str:
    """An inspection's page's path, with {} for its id, under the site's prefix (reverse reads it)."""
    return reverse("inspection-detail", args=[0]).replace("/0/", "/{}/")


# The authorities' and themes' parts of an item, made once for the labels a process holds (a page of
# the API took as long to make them as to make its twenty items).
_references_held: dict[int, tuple[Labels, dict, dict]] = {}


def _references(labels: Labels) -> tuple[dict[int, dict], dict[int, str]]:
    held = _references_held.get(id(labels))
    if held is None or held[0] is not labels:
        authorities = {pk: {"slug": slug, "name": name} for pk, (slug, name, _) in labels.authorities.items()}
        held = (labels, authorities, {pk: slug for pk, (slug, _) in labels.themes.items()})
        _references_held.clear()
        _references_held[id(labels)] = held
    return held[1], held[2]


class FindingSerialiser:
    """A finding's public fields (`Finding`) from the columns of its row (`columns`), as dicts: the
    API's items and the CSV export's rows. The columns are the finding's own and its copies of its
    inspection's (no join but for the title); authorities' and themes' slugs and names come from the
    labels each process holds for the archive's version (search.labels_of), and each inspection's
    part is made once."""

    columns = (
        "pk", "kind", "section", "area", "order", "page", "number", "text", "theme_ids",
        "inspection_id", "inspection_kind", "inspection__title", "inspection_date", "authority_id",
    )  # fmt: skip

    def __init__(self, request, labels: Labels | None = None):
        labels = labels or labels_of(archive_version(), models.Finding.objects.all())
        site = request.build_absolute_uri("/").rstrip("/")
        self.inspection_url = site + _inspection_path(get_script_prefix())
        self.authorities, self.theme_slugs = _references(labels)
        # Caches of this serialiser's own: a CSV export meets each inspection and set of themes often.
        self._themes = functools.lru_cache(maxsize=4096)(self._themes)
        self._inspection = functools.lru_cache(maxsize=256)(self._inspection)

    # The same columns of a finding (as `f`), as SQL: building the ORM's query took longer than
    # running it (tests/test_api_schema.py checks the two give the same rows). The title is a
    # subquery, not a join: planning the join took PostgreSQL longer than running the statement.
    ROW_COLUMNS = """
        f.id, f.kind, f.section, f.area, f."order", f.page, f.number, f.text, f.theme_ids,
        f.inspection_id, f.inspection_kind,
        (SELECT i.title FROM inspections_inspection AS i WHERE i.id = f.inspection_id),
        f.inspection_date, f.authority_id
    """
    ROWS_SQL = f"SELECT {ROW_COLUMNS} FROM inspections_finding AS f WHERE f.id = ANY(%s)"

    @classmethod
    def rows(cls, ids: list[int]) -> list[tuple]:
        """The rows (`columns`) of the findings with these ids, in that order."""
        if not ids:
            return []
        with connection.cursor() as cursor:
            cursor.execute(cls.ROWS_SQL, [list(ids)])
            by_id = {row[0]: row for row in cursor.fetchall()}
        return [by_id[pk] for pk in ids if pk in by_id]

    @classmethod
    def page_rows(cls) -> PageRows:
        """The rows, as a search reads a page of them (with its count where it can: search_list)."""
        return PageRows(cls.ROW_COLUMNS, cls.rows)

    def _themes(self, theme_ids: tuple[int, ...]) -> list[str]:
        return sorted(self.theme_slugs[pk] for pk in theme_ids if pk in self.theme_slugs)

    def _inspection(self, pk: int, kind: str, title: str, date: datetime.date | None) -> tuple[dict, str]:
        return {"id": pk, "kind": kind, "title": title, "date": date}, self.inspection_url.format(pk)

    def __call__(self, row) -> dict:
        (pk, kind, section, area, order, page, number, text, theme_ids,
         inspection_id, inspection_kind, title, date, authority_id) = row  # fmt: skip
        inspection, inspection_url = self._inspection(inspection_id, inspection_kind, title, date)
        return {
            "id": pk,
            "url": f"{inspection_url}#finding-{order}",
            "kind": kind,
            "section": section,
            "area": area,
            "order": order,
            "page": page,
            "number": number,
            "text": text,
            "themes": self._themes(tuple(theme_ids)),
            "inspection": inspection,
            "authority": self.authorities[authority_id],
        }
