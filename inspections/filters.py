"""The FilterSets: one definition of each filter, shared by the pages, the CSV export and the JSON API."""

import calendar
import copy
import datetime
import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Exists, OuterRef, Q, QuerySet

from .choices import (
    IMPROVEMENT_KINDS,
    AuthorityType,
    FindingKindFilter,
    Grade,
    InspectionKind,
    JudgementArea,
    Region,
)
from .models import Authority, Finding, Inspection, Judgement, Theme
from .search import IMPROVEMENT, archive_version, asks_for_nothing, labels_of, text_condition

MAX_QUERY_LENGTH = 200


def kinds_chosen(values) -> list[str]:
    """The finding kinds the finding-type filter's values stand for ("improvement": several)."""
    kinds = (kind for value in values for kind in (IMPROVEMENT_KINDS if value == IMPROVEMENT else [value]))
    return list(dict.fromkeys(map(str, kinds)))


def finding_condition(name: str, value) -> Q | None:
    """What one finding filter keeps, on the finding's own row (its copies of its inspection's
    authority, kind and date, of the grade that applies to it and of its themes); None when the
    value asks for nothing. The FilterSet and the search's one pass (search.engine) both use it."""
    if asks_for_nothing(value):
        return None
    match name:
        case "q":
            return text_condition(value.strip()) if value.strip() else None
        case "authority":
            return Q(authority__in=[authority.pk for authority in value])
        case "region":
            return Q(authority__in=Authority.objects.filter(region__in=value).values("pk"))
        case "inspection_kind":
            return Q(inspection_kind__in=value)
        case "date_from":
            return Q(inspection_date__gte=value)
        case "date_to":
            return Q(inspection_date__lte=value)
        case "theme":
            return Q(theme_ids__overlap=[theme.pk for theme in value])
        case "kind":
            return Q(kind__in=kinds_chosen(value))
        case "grade":
            # the grade of the finding's own area, or the overall grade where it has no area
            return Q(grade__in=value)
    raise ValueError(f"No finding filter is called {name!r}.")


# The model choices' querysets, as functions: each FilterSet deep-copies its filters, and a queryset
# is costly to deep-copy, a function free (django-filter calls it once the form is built).
def authority_choices(request) -> QuerySet:
    return Authority.objects.only("slug", "short_name")


def theme_choices(request) -> QuerySet:
    return Theme.objects.only("slug", "name")


def _loaded(model, **values):
    """An instance of the model with these fields loaded and the others deferred, as .only() loads it."""
    names = [field.attname for field in model._meta.concrete_fields if field.attname in values]
    return model.from_db(DEFAULT_DB_ALIAS, names, [values[name] for name in names])


def labelled_authorities(slugs) -> dict[str, Authority]:
    """The authorities with these slugs, from the slugs and names each process holds for the
    archive's version (search.labels_of): loaded as authority_choices loads them, with no query, their
    short_name the name searches show (the full name where two authorities share a short name)."""
    labels = labels_of(archive_version(), Finding.objects.all())
    return {
        slug: _loaded(Authority, id=pk, slug=slug, short_name=name)
        for pk, (slug, name, _) in labels.authorities.items()
        if slug in slugs
    }


def labelled_themes(slugs) -> dict[str, Theme]:
    """The themes with these slugs, as labelled_authorities finds authorities."""
    labels = labels_of(archive_version(), Finding.objects.all())
    return {
        slug: _loaded(Theme, id=pk, slug=slug, name=name)
        for pk, (slug, name) in labels.themes.items()
        if slug in slugs
    }


class LabelledChoiceField(django_filters.fields.ModelMultipleChoiceField):
    """Slugs of authorities or themes, checked against the labels the search holds anyway rather
    than by a query of their own (half a millisecond a search); the chosen ones, in the order given,
    loaded as the queryset loads them. A slug that is not one is the same error as ever."""

    def __init__(self, *args, labelled, **kwargs):
        self.labelled = labelled
        super().__init__(*args, **kwargs)

    def _check_values(self, value):
        try:
            given = list(dict.fromkeys(map(str, value)))
        except TypeError:
            raise ValidationError(self.error_messages["invalid_list"], code="invalid_list") from None
        for slug in given:
            self.validate_no_null_characters(slug)
        found = self.labelled(set(given))
        for slug in given:
            if slug not in found:
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": slug}
                )
        return [found[slug] for slug in given]


class LabelledChoiceFilter(django_filters.ModelMultipleChoiceFilter):
    field_class = LabelledChoiceField


class _FiltersCopiedOnce(dict):
    """A FilterSet's declared filters, which each FilterSet copies (django-filter deep-copies them,
    with their widgets, choices and querysets: half a millisecond a search). Each filter is copied
    on its own, sharing what it declares, which no request changes: a request sets only each copy's
    `model` and `parent`."""

    def __deepcopy__(self, memo):
        return {name: self._copy(filter_) for name, filter_ in self.items()}

    @staticmethod
    def _copy(filter_):
        copied = copy.copy(filter_)
        if filter_.method is not None:
            copied.method = filter_.method  # its FilterMethod calls the copy's parent, not the original's
        return copied


class _FieldsCopiedOnce(dict):
    """A filter form's fields, which each form copies (Django deep-copies them, with their widgets and
    every choice: half a millisecond a search). Each field is copied on its own, sharing its widget
    and choices, which nothing changes once the form class is built: the filter forms' fields are
    only read (cleaned and rendered), never altered for one request."""

    def __deepcopy__(self, memo):
        return {name: copy.copy(field) for name, field in self.items()}


class FilterSet(django_filters.FilterSet):
    """A FilterSet whose form class is built once, and whose filters and fields are copied without
    their declarations: django-filter builds a field for every filter and a new form class on every
    request, and deep-copies every filter and field, though they never change (a millisecond a search)."""

    @classmethod
    def get_filters(cls):
        return _FiltersCopiedOnce(super().get_filters())

    def get_form_class(self):
        form_class = type(self).__dict__.get("_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            form_class.base_fields = _FieldsCopiedOnce(form_class.base_fields)
            type(self)._form_class = form_class
        return form_class


# Inspection dates: each given whole under its filter's name (date_from=2018-01-01, as every address
# shared so far has it) or in the day, month and year boxes GOV.UK's forms ask for a date with
# (date_from_day, date_from_month, date_from_year); a year, or a month and year, alone is a period.
DATE_PARTS = ("day", "month", "year")
DATE_FILTERS = {"date_from": False, "date_to": True}  # each filter: whether a period counts to its end
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
YEAR_OR_MONTH = re.compile(r"(?P<year>[0-9]{4})(?:-(?P<month>[0-9]{1,2}))?")


class DatePartsInput(forms.Widget):
    """A date given whole under the filter's name, else its day, month and year boxes as typed."""

    def value_from_datadict(self, data, files, name):
        whole = data.get(name)
        if whole:
            return whole
        parts = [str(data.get(f"{name}_{part}", "")).strip() for part in DATE_PARTS]
        return parts if any(parts) else whole


class PartialDateField(forms.DateField):
    """A date, or a period a year (2018) or a month and year (3 2018, 2018-03) long, which stands for
    its first day in a "from" filter and its last in a "to" filter (ending): from 2018 to 2019 is both
    whole years. Boxes that make no date get a message saying what to type instead."""

    widget = DatePartsInput

    def __init__(self, *, ending: bool = False, **kwargs):
        self.ending = ending
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, list):
            return self.from_parts(*value)
        if isinstance(value, str) and (period := YEAR_OR_MONTH.fullmatch(value.strip())):
            return self.from_parts("", period["month"] or "", period["year"])
        return super().to_python(value)

    def from_parts(self, day: str, month: str, year: str) -> datetime.date:
        if not year:
            raise ValidationError("Enter a year, for example 2018.")
        if not re.fullmatch(r"[0-9]{4}", year):
            raise ValidationError("Enter the year as four digits, for example 2018.")
        if day and not month:
            raise ValidationError("Enter a month as well as the day.")
        if not re.fullmatch(r"([0-9]{1,2})?", day):
            raise ValidationError("Enter the day as a number, for example 27.")
        month_number = 0
        if re.fullmatch(r"[0-9]{1,2}", month):
            month_number = int(month)
        elif len(month) >= 3 and month[:3].lower() in MONTHS:  # "March" or "Mar", as people type them
            month_number = MONTHS.index(month[:3].lower()) + 1
        if month and not 1 <= month_number <= 12:
            raise ValidationError("Enter the month as a number from 1 to 12, for example 3 for March.")
        try:
            if day:
                return datetime.date(int(year), month_number, int(day))
            if month_number:
                last = calendar.monthrange(int(year), month_number)[1] if self.ending else 1
                return datetime.date(int(year), month_number, last)
            return datetime.date(int(year), 12, 31) if self.ending else datetime.date(int(year), 1, 1)
        except ValueError:
            raise ValidationError("Enter a real date: there is no such day.") from None


class PartialDateFilter(django_filters.DateFilter):
    field_class = PartialDateField


def dates_in_boxes(query):
    """The search's address with the dates typed in the boxes written whole, as links and addresses
    shared before the boxes give them (date_from_year=2018 becomes date_from=2018-01-01); the query
    itself where no box was sent. Boxes that make no date are kept as typed, for the page to say why."""
    boxed = [name for name in DATE_FILTERS if any(f"{name}_{part}" in query for part in DATE_PARTS)]
    if not boxed:
        return query
    query = query.copy()
    for name in boxed:
        keys = [f"{name}_{part}" for part in DATE_PARTS]
        parts = [query.get(key, "").strip() for key in keys]
        if any(parts):
            try:
                query[name] = PartialDateField(ending=DATE_FILTERS[name]).clean(parts).isoformat()
            except ValidationError:
                continue
        for key in keys:
            query.pop(key, None)
    return query


def date_boxes(filterset) -> list[dict]:
    """What each date filter's day, month and year boxes show: the boxes as typed where they make no
    date, else the day the filter reads (the last of a "to" period: 2018 to 31 12 2018)."""
    data, cleaned = {}, {}
    if filterset.is_bound:
        filterset.is_valid()
        data, cleaned = filterset.data, filterset.form.cleaned_data
    fields = []
    for name in DATE_FILTERS:
        errors = filterset.errors.get(name, [])
        if value := cleaned.get(name):
            shown = [str(value.day), str(value.month), str(value.year)]
        elif errors and not data.get(name):
            shown = [str(data.get(f"{name}_{part}", "")) for part in DATE_PARTS]
        else:
            shown = ["", "", ""]
        fields.append(
            {
                "name": name,
                "legend": "From" if name == "date_from" else "To",
                "errors": errors,
                "parts": [
                    {"name": part, "label": part.capitalize(), "value": value}
                    for part, value in zip(DATE_PARTS, shown, strict=True)
                ],
            }
        )
    return fields


class FindingFilterForm(forms.Form):
    """Inspection dates given the wrong way round are read the right way round, and the page says
    so: a "from" after the "to" would otherwise find nothing, with no word of why."""

    dates_swapped = False

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            # each read again as the other end: from 2020 to 2018 is the whole of 2018 to 2020
            cleaned["date_from"] = PartialDateField().clean(self["date_to"].data)
            cleaned["date_to"] = PartialDateField(ending=True).clean(self["date_from"].data)
            self.dates_swapped = True
        return cleaned


class GradedBetweenForm(forms.Form):
    """Graded dates given the wrong way round are read the right way round, as the search's are."""

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("graded_from"), cleaned.get("graded_to")
        if start and end and start > end:
            cleaned["graded_from"], cleaned["graded_to"] = end, start
        return cleaned


class FindingFilterSet(FilterSet):
    q = django_filters.CharFilter(
        method="filter_condition",
        label="Search the findings",
        max_length=MAX_QUERY_LENGTH,
        help_text='Use "quotes" for a phrase, OR for either word, and - to leave a word out.',
    )
    authority = LabelledChoiceFilter(
        method="filter_condition",
        to_field_name="slug",
        queryset=authority_choices,
        labelled=labelled_authorities,
        label="Authority",
    )
    region = django_filters.MultipleChoiceFilter(
        method="filter_condition", choices=Region.choices, label="Region"
    )
    inspection_kind = django_filters.MultipleChoiceFilter(
        method="filter_condition", choices=InspectionKind.choices, label="Inspection type"
    )
    date_from = PartialDateFilter(method="filter_condition", label="Inspected from")
    date_to = PartialDateFilter(method="filter_condition", label="Inspected to", ending=True)
    theme = LabelledChoiceFilter(
        method="filter_condition",
        to_field_name="slug",
        queryset=theme_choices,
        labelled=labelled_themes,
        label="Theme",
    )
    kind = django_filters.MultipleChoiceFilter(
        method="filter_condition", choices=FindingKindFilter.choices, label="Finding type"
    )
    grade = django_filters.MultipleChoiceFilter(
        method="filter_condition", choices=Grade.choices, label="Judgement grade"
    )

    class Meta:
        model = Finding
        fields = []
        form = FindingFilterForm

    def filter_condition(self, queryset, name, value):
        condition = finding_condition(name, value)
        return queryset if condition is None else queryset.filter(condition)

    def conditions(self) -> dict[str, Q]:
        """The condition of every filter given a valid value that asks for something, by name;
        invalid values are left out, as they are from the results."""
        if not self.is_bound:
            return {}
        self.is_valid()
        conditions = {name: finding_condition(name, value) for name, value in self.form.cleaned_data.items()}
        return {name: condition for name, condition in conditions.items() if condition is not None}

    @property
    def search_text(self) -> str:
        return (self.form.cleaned_data.get("q") or "").strip() if self.is_bound and self.is_valid() else ""


class AuthorityFilterSet(FilterSet):
    # Checkboxes: the authorities page renders each choice as its own labelled control.
    region = django_filters.MultipleChoiceFilter(
        choices=Region.choices, label="Region", widget=forms.CheckboxSelectMultiple
    )
    type = django_filters.MultipleChoiceFilter(
        choices=AuthorityType.choices, label="Type of council", widget=forms.CheckboxSelectMultiple
    )
    overall_grade = django_filters.MultipleChoiceFilter(
        method="filter_overall_grade",
        choices=Grade.choices,
        label="Latest overall grade",
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Authority
        fields = []

    def filter_overall_grade(self, queryset, name, grades):
        if not grades:
            return queryset
        return queryset.filter(latest_overall_grade__in=grades)


class AuthorityListFilterSet(AuthorityFilterSet):
    """The authorities page's filters: the API's, and "graded X between dates" (an overall
    effectiveness grade given in that time: inadequate since 2018), which the API does not offer."""

    graded = django_filters.MultipleChoiceFilter(
        method="filter_graded",
        choices=Grade.choices,
        label="Graded overall",
        widget=forms.CheckboxSelectMultiple,
    )
    graded_from = django_filters.DateFilter(
        method="filter_graded", label="Graded from", widget=forms.DateInput(attrs={"type": "date"})
    )
    graded_to = django_filters.DateFilter(
        method="filter_graded", label="Graded to", widget=forms.DateInput(attrs={"type": "date"})
    )
    # Drawn together as one question on the authorities page (authorities/graded_filter.html).
    GRADED_FIELDS = ("graded", "graded_from", "graded_to")

    class Meta(AuthorityFilterSet.Meta):
        form = GradedBetweenForm

    def filter_graded(self, queryset, name, value):
        """The three graded fields are one condition, applied once (for the first field given)."""
        data = self.form.cleaned_data
        given = [field for field in self.GRADED_FIELDS if not asks_for_nothing(data.get(field))]
        if not given or name != given[0]:
            return queryset
        return queryset.filter(
            graded_between(data.get("graded"), data.get("graded_from"), data.get("graded_to"))
        )


def graded_between(grades, start, end) -> Exists:
    """Authorities given one of these overall effectiveness grades (any, if none are named) by an
    inspection dated from start to end (either may be open)."""
    judgements = Judgement.objects.filter(
        inspection__authority=OuterRef("pk"), area=JudgementArea.OVERALL_EFFECTIVENESS
    )
    if grades:
        judgements = judgements.filter(grade__in=grades)
    if start:
        judgements = judgements.filter(inspection__date__gte=start)
    if end:
        judgements = judgements.filter(inspection__date__lte=end)
    return Exists(judgements)


class InspectionFilterSet(FilterSet):
    authority = LabelledChoiceFilter(
        field_name="authority__slug",
        to_field_name="slug",
        queryset=authority_choices,
        labelled=labelled_authorities,
        label="Authority",
    )
    kind = django_filters.MultipleChoiceFilter(choices=InspectionKind.choices, label="Inspection type")
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte", label="Inspected from")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte", label="Inspected to")

    class Meta:
        model = Inspection
        fields = []
