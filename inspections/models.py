"""The archive's rows: authorities, their inspections, each inspection's judgements and findings,
and the practice themes findings are tagged with; the report files staff have uploaded but not yet
published (StagedReport); and the email alerts people ask for on a search (Subscription, with its
confirmation requests and the mails it was sent)."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Replace
from django.urls import reverse

from .choices import AuthorityType, FindingKind, Grade, InspectionKind, JudgementArea, Region, choice_values
from .search import (
    IN_SAMPLE,
    FindingList,
    FindingSearch,
    PageRows,
    SearchTerms,
    WordPairs,
    chosen_sort,
    default_sort,
    ordered,
    search_list,
    search_page,
)


def _in_choices(field: str, choices) -> Q:
    return Q(**{f"{field}__in": choice_values(choices)})


class AuthorityQuerySet(models.QuerySet):
    def current(self):
        return self.filter(end_date__isnull=True)


class AuthorityManager(models.Manager.from_queryset(AuthorityQuerySet)):
    def get_by_natural_key(self, gss_code):
        return self.get(gss_code=gss_code)


class Authority(models.Model):
    name = models.CharField(max_length=200, help_text="Official name, e.g. 'Rutland County Council'.")
    short_name = models.CharField(max_length=120, help_text="Everyday name, e.g. 'Rutland'.")
    slug = models.SlugField(max_length=120, unique=True, help_text="Used in the authority's web address.")
    gss_code = models.CharField(
        "GSS code",
        max_length=9,
        unique=True,
        help_text="Current ONS Government Statistical Service code, e.g. E06000017.",
    )
    former_gss_codes = ArrayField(
        models.CharField(max_length=9),
        default=list,
        blank=True,
        help_text="GSS codes this authority had before (e.g. Barnsley's E08000016), for matching old data.",
    )
    ofsted_urn = models.PositiveIntegerField(
        "Ofsted URN",
        null=True,
        blank=True,
        unique=True,
        help_text="Ofsted's unique reference number for the authority's children's services.",
    )
    dfe_code = models.CharField(
        "DfE code",
        max_length=3,
        blank=True,
        help_text="Department for Education 3-digit local authority code.",
    )
    region = models.CharField(max_length=32, choices=Region, help_text="English region.")
    type = models.CharField(max_length=32, choices=AuthorityType, help_text="Kind of council.")
    alternative_names = ArrayField(
        models.CharField(max_length=200),
        default=list,
        blank=True,
        help_text="Other names reports use for this authority (lower case), for matching a report to it.",
    )
    statistical_neighbours = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="neighbour_of",
        help_text="The DfE's statistical neighbours: the authorities most similar to this one.",
    )
    replaced_by = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="replaces",
        help_text="For a council that was reorganised: the council(s) that took over its children's services.",
    )
    start_date = models.DateField(
        null=True, blank=True, help_text="When the council came into being, if known."
    )
    end_date = models.DateField(
        null=True, blank=True, help_text="When the council was abolished; empty for a current authority."
    )

    # Copies of the authority's latest graded inspection (grades.py says which that is), kept by
    # database triggers with every write to its inspections and judgements (migration 0020), so the
    # pages list authorities with their latest grades from their own rows, with no subquery.
    graded_inspection = models.ForeignKey(
        "Inspection",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        null=True,
        editable=False,
        db_index=False,
        help_text="Its latest inspection that graded anything (a copy kept by the database).",
    )
    graded_date = models.DateField(
        null=True, editable=False, help_text="That inspection's date (a copy kept by the database)."
    )
    graded_kind = models.CharField(  # noqa: DJ001
        max_length=32,
        choices=InspectionKind,
        null=True,
        editable=False,
        help_text="That inspection's kind (a copy kept by the database).",
    )
    graded_overall = models.CharField(  # noqa: DJ001
        max_length=32,
        choices=Grade,
        null=True,
        editable=False,
        help_text="That inspection's overall effectiveness grade, empty where it gave none (a copy kept "
        "by the database).",
    )

    objects = AuthorityManager()

    class Meta:
        verbose_name_plural = "authorities"
        ordering = ["short_name"]
        constraints = [
            models.CheckConstraint(condition=_in_choices("region", Region), name="authority_region_valid"),
            models.CheckConstraint(condition=_in_choices("type", AuthorityType), name="authority_type_valid"),
            models.CheckConstraint(
                condition=Q(gss_code__regex=r"^E\d{8}$"), name="authority_gss_code_format"
            ),
            models.CheckConstraint(
                condition=Q(dfe_code="") | Q(dfe_code__regex=r"^\d{3}$"), name="authority_dfe_code_format"
            ),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(end_date__isnull=True)
                | Q(end_date__gt=F("start_date")),
                name="authority_dates_ordered",
            ),
        ]

    def __str__(self):
        return self.short_name

    def get_absolute_url(self):
        return reverse("authority-detail", args=[self.slug])

    def natural_key(self):
        return (self.gss_code,)

    @property
    def is_current(self) -> bool:
        return self.end_date is None


class Inspection(models.Model):
    authority = models.ForeignKey(
        Authority, on_delete=models.PROTECT, related_name="inspections", help_text="The authority inspected."
    )
    kind = models.CharField(max_length=32, choices=InspectionKind, help_text="Which inspection framework.")
    title = models.CharField(max_length=400, help_text="The report's title as printed.")
    start_date = models.DateField(null=True, blank=True, help_text="First day of the inspection or visit.")
    end_date = models.DateField(null=True, blank=True, help_text="Last day of the inspection or visit.")
    published_date = models.DateField(null=True, blank=True, help_text="'Report published' date, if printed.")
    letter_date = models.DateField(null=True, blank=True, help_text="Date at the top of a letter, if any.")
    date = models.GeneratedField(
        expression=Coalesce("start_date", "letter_date", "published_date"),
        output_field=models.DateField(null=True),
        db_persist=True,
        help_text="When the inspection took place: its start date, else the letter or publication date.",
    )
    lead_inspector = models.CharField(
        max_length=300, blank=True, help_text="Lead inspector, or the inspectors named in a letter."
    )
    source_file = models.FileField(
        upload_to="reports/%Y/", max_length=300, blank=True, help_text="The original report file as ingested."
    )
    source_filename = models.CharField(max_length=300, help_text="The file's name when it was ingested.")
    sha256 = models.CharField(
        "SHA-256",
        max_length=64,
        unique=True,
        help_text="SHA-256 of the source file: the same file is never ingested twice.",
    )
    page_count = models.PositiveIntegerField(
        null=True, blank=True, help_text="Pages in the PDF (none for text)."
    )
    text = models.TextField(blank=True, help_text="The full text extracted from the source file.")
    parsed_at = models.DateTimeField(help_text="When the source was last parsed.")
    parser_version = models.CharField(max_length=20, help_text="Version of the parser that read it.")
    created_at = models.DateTimeField(auto_now_add=True, help_text="When it was added to the archive.")

    class Meta:
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["authority", "date"]), models.Index(fields=["kind", "date"])]
        constraints = [
            models.CheckConstraint(
                condition=_in_choices("kind", InspectionKind), name="inspection_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(end_date__isnull=True)
                | Q(end_date__gte=F("start_date")),
                name="inspection_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="inspection_sha256_format"
            ),
        ]

    def __str__(self):
        when = self.date.strftime("%B %Y") if self.date else "undated"
        return f"{self.authority} – {self.get_kind_display()} ({when})"

    def get_absolute_url(self):
        return reverse("inspection-detail", args=[self.pk])


class Judgement(models.Model):
    inspection = models.ForeignKey(
        Inspection,
        on_delete=models.CASCADE,
        related_name="judgements",
        help_text="The inspection that graded it.",
    )
    area = models.CharField(max_length=32, choices=JudgementArea, help_text="What was judged.")
    grade = models.CharField(max_length=32, choices=Grade, help_text="The grade awarded, as printed.")

    class Meta:
        ordering = ["inspection", "area"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "area"], name="judgement_one_per_area"),
            models.CheckConstraint(condition=_in_choices("area", JudgementArea), name="judgement_area_valid"),
            models.CheckConstraint(condition=_in_choices("grade", Grade), name="judgement_grade_valid"),
        ]

    def __str__(self):
        return f"{self.get_area_display()}: {self.get_grade_display()}"


class ThemeManager(models.Manager):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Theme(models.Model):
    """A practice theme (THEMES.md) and the rules that tag findings with it.

    The rules are plain phrases, one per line, matched with English stemming against a finding's
    text (inspections.themes does the matching in SQL); supporting phrases are too common to tag alone
    and need a second of the theme's words or a heading on the theme; exclusions are longer phrases
    inside which a match does not count. Staff edit them in the admin, then re-tag the archive.
    """

    slug = models.SlugField(
        max_length=40, unique=True, help_text="Fixed identifier used in filters and exports."
    )
    name = models.CharField(max_length=120, unique=True, help_text="Name shown to users.")
    description = models.TextField(help_text="What the theme covers, in plain words.")
    phrases = models.TextField(
        blank=True,
        help_text="Words and phrases that tag a finding with this theme, one per line. Each word also "
        "matches its other forms ('assessment' matches 'assessed' and 'assessing'); the words of a "
        "phrase must appear together and in that order. Very common words ('of', 'the', 'out') are "
        "ignored, so a phrase needs at least one other word.",
    )
    supporting_phrases = models.TextField(
        blank=True,
        help_text="Words and phrases, one per line, too common to tag a finding on their own ('leaders', "
        "'culture', 'court'): one tags it together with a different one of these, or when the finding sits "
        "under a heading that mentions the theme. A finding with any of the phrases above is tagged anyway.",
    )
    exclusions = models.TextField(
        blank=True,
        help_text="Longer phrases, one per line, inside which a match does not count: e.g. "
        "'supervised contact' stops the 'supervised' in it from tagging a finding with Supervision. "
        "Each must contain one of the phrases.",
    )

    objects = ThemeManager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(slug__regex=r"^[a-z0-9]+(-[a-z0-9]+)*$"), name="theme_slug_format"
            ),
            models.CheckConstraint(
                condition=Q(exclusions="") | ~Q(phrases=""), name="theme_exclusions_need_phrases"
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("theme-detail", args=[self.slug])

    def natural_key(self):
        return (self.slug,)

    @property
    def phrase_list(self) -> list[str]:
        return rule_lines(self.phrases)

    @property
    def supporting_list(self) -> list[str]:
        return rule_lines(self.supporting_phrases)

    @property
    def exclusion_list(self) -> list[str]:
        return rule_lines(self.exclusions)

    @property
    def rules_in_words(self) -> str:
        """The rules as a sentence for the theme's page."""
        if not self.phrase_list:
            return f"No rules yet: no finding is tagged {self.name}."
        text = (
            f"A finding is tagged {self.name} when its text mentions any of: "
            f"{_quoted(self.phrase_list)}. Each word also counts in its other forms "
            "(“assessment” also matches “assessed” and “assessing”)."
        )
        if self.supporting_list:
            text += (
                f" Any of {_quoted(self.supporting_list)} tags it only together with another of these, or "
                "under a heading that mentions the theme."
            )
        if self.exclusion_list:
            text += f" A mention inside {_quoted(self.exclusion_list)} does not count."
        return text


def rule_lines(text: str) -> list[str]:
    """The non-blank lines of a theme's phrases or exclusions, trimmed."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def _quoted(items: list[str]) -> str:
    quoted = [f"“{item}”" for item in items]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


class FindingQuerySet(models.QuerySet):
    def search(self, filterset, sort: str | None = None) -> "FindingQuerySet":
        """The findings a FindingFilterSet keeps, in the order asked for (None: the search's default,
        search.default_sort), with their inspections and authorities; without the search vector or
        the report's whole text (tens of kilobytes, which would be read, detoasted and sent for
        every finding listed). For the CSV export, the feed and the API; the search page has
        search_page."""
        terms = SearchTerms.of(filterset)
        findings = (
            self.filter(*terms.conditions.values())
            .select_related("inspection__authority")
            .defer("search_vector", "inspection__text")
        )
        has_text = bool(terms.text)
        return ordered(findings, chosen_sort(sort, has_text) or default_sort(has_text), terms.text)


class FindingManager(models.Manager.from_queryset(FindingQuerySet)):
    def search_page(
        self, filterset, sort: str | None, page_number, *, per_page: int = 20, orphans: int = 3
    ) -> FindingSearch:
        """A page of the findings a FindingFilterSet keeps, in the order asked for (None: the default),
        with how many there are and every facet's counts, exact or estimated (search.engine)."""
        return search_page(
            self.get_queryset(), filterset, sort, page_number, per_page=per_page, orphans=orphans
        )

    def search_list(
        self, filterset, sort: str | None, page_number, *, per_page: int, rows: PageRows
    ) -> FindingList:
        """A page of the rows of the findings a FindingFilterSet keeps, with how many there are,
        exact or estimated as on the search page, without facets (the JSON API's; search.engine)."""
        return search_list(self.get_queryset(), filterset, sort, page_number, per_page=per_page, rows=rows)


def _without_angle_brackets(field: str) -> Replace:
    text = models.TextField()
    less_than = Replace(F(field), models.Value("<"), models.Value(" "), output_field=text)
    return Replace(less_than, models.Value(">"), models.Value(" "), output_field=text)


class Finding(models.Model):
    inspection = models.ForeignKey(
        Inspection, on_delete=models.CASCADE, related_name="findings", help_text="The report it comes from."
    )
    kind = models.CharField(max_length=32, choices=FindingKind, help_text="What sort of finding it is.")
    section = models.CharField(
        max_length=300, blank=True, help_text="The heading it sat under in the report."
    )
    # NULL, not "", for "no area": the data contract says null, and the CHECK reads more plainly.
    area = models.CharField(  # noqa: DJ001
        max_length=32,
        choices=JudgementArea,
        null=True,
        blank=True,
        help_text="The judgement area its section belongs to, if any.",
    )
    order = models.PositiveIntegerField(help_text="Its position in the report, from 1.")
    page = models.PositiveIntegerField(null=True, blank=True, help_text="The PDF page it starts on.")
    number = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Its paragraph number as printed in the report (ILACS and SIF reports number their "
        "paragraphs 1 to N), or empty where the report prints none.",
    )
    text = models.TextField(help_text="The finding's whole text.")
    themes = models.ManyToManyField(
        Theme,
        through="FindingTheme",
        related_name="findings",
        blank=True,
        help_text="Practice themes the finding is about.",
    )
    search_vector = models.GeneratedField(
        # PostgreSQL's parser reads "<script>…</script>" as a tag and would index nothing inside
        # it: angle brackets become spaces first, so every word a finding shows can be found.
        expression=SearchVector(_without_angle_brackets("text"), weight="A", config="english")
        + SearchVector(_without_angle_brackets("section"), weight="C", config="english"),
        output_field=SearchVectorField(),
        db_persist=True,
        help_text="Full-text index of the text (weighted highest) and the section heading.",
    )
    # Copies of what the filters and facet counts ask of a finding's inspection, judgements and
    # themes, so a search reads one row per finding with no join. Database triggers keep them in step
    # with every write to inspections, judgements and theme tags (migration 0003, FINDING_COPIES_SQL).
    authority = models.ForeignKey(
        Authority,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        editable=False,
        null=True,
        help_text="The inspection's authority (a copy kept by the database).",
    )
    inspection_kind = models.CharField(
        max_length=32,
        choices=InspectionKind,
        editable=False,
        blank=True,
        help_text="The inspection's kind (a copy kept by the database).",
    )
    inspection_date = models.DateField(
        null=True, editable=False, help_text="The inspection's date (a copy kept by the database)."
    )
    grade = models.CharField(  # noqa: DJ001
        max_length=32,
        choices=Grade,
        null=True,
        editable=False,
        help_text="The grade of the finding's own area, or the overall grade where it has no area "
        "(a copy of the inspection's judgement kept by the database).",
    )
    theme_ids = ArrayField(
        models.BigIntegerField(),
        default=list,
        editable=False,
        help_text="The ids of the finding's themes, ascending (a copy of its tags kept by the database).",
    )

    objects = FindingManager()

    class Meta:
        ordering = ["inspection", "order"]
        indexes = [
            GinIndex(fields=["search_vector"], name="finding_search_vector_gin"),
            # Newest first, as the search pages list findings without a text query; covering every
            # facet column, so browsing counts read the index alone.
            models.Index(
                fields=["-inspection_date", "-inspection", "order"],
                name="finding_newest",
                include=["id", "authority", "inspection_kind", "kind", "grade", "theme_ids"],
            ),
            models.Index(fields=["inspection_date", "inspection", "order"], name="finding_oldest"),
            # Browsing by finding type, grade or inspection type counts its matches from these
            # (a few thousand entries) rather than from every entry of finding_newest: 6.8 -> 2.8 ms
            # a JSON API request at the real size.
            models.Index(fields=["kind"], name="finding_kind"),
            models.Index(fields=["grade"], name="finding_grade"),
            models.Index(fields=["inspection_kind"], name="finding_inspection_kind"),
            # The sample that counts are estimated from when a search matches more findings than
            # can be counted quickly (search.engine): its text index and its browsing
            # index, each a small fraction of the whole.
            GinIndex(fields=["search_vector"], name="finding_sample_search", condition=IN_SAMPLE),
            # Phrase searches look up the phrase's word pairs (filters.finding_condition).
            GinIndex(WordPairs("search_vector"), name="finding_word_pairs"),
            GinIndex(WordPairs("search_vector"), name="finding_sample_word_pairs", condition=IN_SAMPLE),
            models.Index(
                fields=["-inspection_date", "-inspection", "order"],
                name="finding_sample_newest",
                include=["id", "authority", "inspection_kind", "kind", "grade", "theme_ids"],
                condition=IN_SAMPLE,
            ),
            # Browsing by one of these columns asks the sample first how many it keeps: from these
            # (a few thousand entries at a million findings) rather than from every entry of
            # finding_sample_newest (32,000): 5-7 -> 1-3 ms a JSON API request there.
            models.Index(fields=["kind"], name="finding_sample_kind", condition=IN_SAMPLE),
            models.Index(fields=["grade"], name="finding_sample_grade", condition=IN_SAMPLE),
            models.Index(fields=["authority"], name="finding_sample_authority", condition=IN_SAMPLE),
            models.Index(
                fields=["inspection_kind"], name="finding_sample_inspection_kind", condition=IN_SAMPLE
            ),
            # The facet counts of a search without text or dates read every facet column of every
            # finding (at the archive's real size) or of the sample (at scale): from these, a
            # fifth the width of the date indexes above, which they read before (1-3 ms less a
            # browsing page at the real size, 1-5 ms at a million: docs/performance.md, part eight).
            models.Index(
                fields=["authority", "inspection_kind", "kind", "grade"],
                name="finding_facets",
                include=["theme_ids"],
            ),
            models.Index(
                fields=["authority", "inspection_kind", "kind", "grade"],
                name="finding_sample_facets",
                include=["theme_ids"],
                condition=IN_SAMPLE,
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "order"], name="finding_order_unique"),
            models.CheckConstraint(condition=_in_choices("kind", FindingKind), name="finding_kind_valid"),
            models.CheckConstraint(
                condition=Q(area__isnull=True) | _in_choices("area", JudgementArea), name="finding_area_valid"
            ),
            models.CheckConstraint(condition=Q(order__gte=1), name="finding_order_positive"),
            models.CheckConstraint(
                condition=Q(page__isnull=True) | Q(page__gte=1), name="finding_page_positive"
            ),
            models.CheckConstraint(condition=~Q(text=""), name="finding_text_not_empty"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.order} of {self.inspection}"

    def get_absolute_url(self):
        return f"{reverse('inspection-detail', args=[self.inspection_id])}#finding-{self.order}"


class FindingTheme(models.Model):
    """A finding's theme, as the theme's rules found it (inspections.themes writes these rows)."""

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, help_text="The finding tagged.")
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, help_text="The theme it was tagged with.")
    matched = models.CharField(
        max_length=300,
        blank=True,
        help_text="The theme's phrases that matched the finding's text, in the order they first occur "
        "(comma-separated): why the finding carries the theme.",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["finding", "theme"], name="finding_theme_unique")]
        indexes = [models.Index(fields=["theme", "finding"])]

    def __str__(self):
        return f"{self.theme} on {self.finding}"


class SearchWord(models.Model):
    """A word found in findings' text (lower case), for suggesting a spelling when a search finds
    nothing: a trigger adds the words of every finding inserted (migration 0011), and a trigram
    index finds the closest in a millisecond, however many findings there are."""

    word = models.CharField(primary_key=True, max_length=40, help_text="The word, in lower case.")

    class Meta:
        indexes = [GinIndex(fields=["word"], name="search_word_trigrams", opclasses=["gin_trgm_ops"])]

    def __str__(self):
        return self.word


class Lexeme(models.Model):
    """A lexeme of findings' text (English stemming, as the search reads it) and how many findings
    hold it: how telling a word is, for finding similar findings (inspections.similar). Database
    triggers keep the counts as findings are inserted, deleted or have their text changed (migration
    0014), so reading a finding's rarest words is one indexed lookup however large the archive."""

    lexeme = models.TextField(
        primary_key=True, help_text="The lexeme, as to_tsvector('english', …) writes it."
    )
    findings = models.PositiveIntegerField(help_text="How many findings' text holds it.")

    def __str__(self):
        return f"{self.lexeme} ({self.findings})"


class FindingTally(models.Model):
    """How many findings share each combination of the columns the search's facets count (a finding's
    copies of its authority, inspection type and grade, and its own type): all of them (no theme),
    and those of each theme. Database triggers keep the counts in the same transaction as every
    write to the findings (migration 0019), so a search without text or dates counts its facets
    from these rows (hundreds at the real size, thousands at a million) rather than from every
    finding, exactly, at any size (search.engine). A combination that no finding has is no row."""

    theme = models.ForeignKey(
        Theme,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        null=True,
        db_index=False,  # the unique constraint's index begins with it
        help_text="The theme whose findings are counted; empty: every finding, whatever its themes.",
    )
    authority = models.ForeignKey(
        Authority,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        null=True,
        help_text="The findings' inspection's authority (indexed: an authority's page counts its themes here).",
    )
    inspection_kind = models.CharField(
        max_length=32, choices=InspectionKind, blank=True, help_text="The findings' inspection's kind."
    )
    kind = models.CharField(max_length=32, choices=FindingKind, help_text="The findings' type.")
    grade = models.CharField(  # noqa: DJ001
        max_length=32,
        choices=Grade,
        null=True,
        help_text="The grade that applies to the findings (Finding.grade); empty where none does.",
    )
    findings = models.IntegerField(help_text="How many findings have all of the above.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["theme", "authority", "inspection_kind", "kind", "grade"],
                name="finding_tally_unique",
                nulls_distinct=False,
            ),
        ]

    def __str__(self):
        return f"{self.findings} findings"


class StagedStatus(models.TextChoices):
    PARSED = "parsed", "Ready to publish"
    REFUSED = "refused", "Refused"
    DUPLICATE = "duplicate", "Already published"  # the same file is in the archive already
    PUBLISHED = "published", "Published"
    DISCARDED = "discarded", "Removed"


# A staff member has at most one row per file in these states: the same file uploaded again is that row.
STAGED_LIVE = [StagedStatus.PARSED, StagedStatus.REFUSED, StagedStatus.DUPLICATE]


def staging_path(staged: "StagedReport", filename: str) -> str:
    """Staged files are named by their content, never by the uploader's file name."""
    return f"staging/{staged.sha256}"


class StagedReportQuerySet(models.QuerySet):
    def waiting(self):
        return self.filter(status=StagedStatus.PARSED)

    def listed(self):
        """What the preview shows: everything but the files staff removed."""
        return self.exclude(status=StagedStatus.DISCARDED)


class StagedReport(models.Model):
    """A report file staff uploaded in the admin, read once on receipt and kept until published.

    The parser's reading is stored with it (the data contract's JSON, and what publishing needs
    beyond it), so the preview and publishing read this row, never the file again; staff's
    corrections are stored here too, so a preview outlives the session it was made in.
    """

    Status = StagedStatus

    sha256 = models.CharField(
        "SHA-256",
        max_length=64,
        blank=True,
        help_text="SHA-256 of the file; empty for a file refused by its size before it was read.",
    )
    file = models.FileField(
        upload_to=staging_path,
        max_length=200,
        blank=True,
        help_text="The staged file (never served), until it is published or removed; empty for a "
        "refused file, which is not kept.",
    )
    filename = models.CharField(max_length=300, help_text="The file's name as uploaded.")
    size = models.PositiveBigIntegerField(help_text="The file's size in bytes.")
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staged_reports",
        help_text="The staff member who uploaded it (only they see it in the preview).",
    )
    status = models.CharField(
        max_length=16, choices=StagedStatus, default=StagedStatus.PARSED, help_text="Where the file stands."
    )
    reason = models.TextField(blank=True, help_text="Why the file was refused, in words staff can act on.")
    contract = models.JSONField(
        null=True,
        blank=True,
        help_text="What the parser read, as `parse_report --json` prints it (CONTRACT.md), themes included.",
    )
    printed_authority = models.CharField(
        max_length=300, blank=True, help_text="The authority's name as printed in the report, for matching."
    )
    text = models.TextField(blank=True, help_text="The whole text extracted from the file.")
    warnings = models.JSONField(
        default=list,
        blank=True,
        help_text="What the parser noticed while reading (missing parts and the like).",
    )
    parser_version = models.CharField(
        max_length=20, blank=True, help_text="Version of the parser that read it."
    )
    corrections = models.JSONField(
        null=True,
        blank=True,
        help_text="Staff's corrections before publishing (authority id, kind, start and end dates), "
        "as the publish form takes them; empty until they change the preview.",
    )
    inspection = models.ForeignKey(
        Inspection,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The inspection it was published as, or the one already holding the same file.",
    )
    created_at = models.DateTimeField(auto_now_add=True, help_text="When it was first uploaded.")
    updated_at = models.DateTimeField(
        auto_now=True, help_text="When it last changed (uploaded again, corrected, published or removed)."
    )

    objects = StagedReportQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=_in_choices("status", StagedStatus), name="stagedreport_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(sha256="") | Q(sha256__regex=r"^[0-9a-f]{64}$"), name="stagedreport_sha256_format"
            ),
            models.CheckConstraint(
                condition=~Q(status=StagedStatus.PARSED) | (Q(contract__isnull=False) & ~Q(file="")),
                name="stagedreport_parsed_has_reading_and_file",
            ),
            models.CheckConstraint(
                condition=~Q(status=StagedStatus.REFUSED) | ~Q(reason=""),
                name="stagedreport_refused_has_reason",
            ),
            models.UniqueConstraint(
                fields=["uploader", "sha256"],
                condition=Q(status__in=STAGED_LIVE) & ~Q(sha256=""),
                name="stagedreport_one_live_row_per_file",
            ),
        ]

    def __str__(self):
        return f"{self.filename} ({self.get_status_display().lower()})"

    @property
    def ready(self) -> bool:
        return self.status == self.Status.PARSED


# Email alerts -------------------------------------------------------------------------------------


class AlertFrequency(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"


class SubscriptionQuerySet(models.QuerySet):
    def active(self):
        """Confirmed by the address's owner and not stopped since."""
        return self.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)


class Subscription(models.Model):
    """Someone's request for emails about the new findings of one search (inspections/alerts.py).

    The address is never shown on any page: it is read only to send to it."""

    Frequency = AlertFrequency

    email = models.EmailField(
        max_length=254, help_text="Where the alerts go, in lower case. Never shown on any page."
    )
    query = models.TextField(
        blank=True,
        help_text="The search, as the query string the findings search reads (filters only, no page or "
        "order, each filter once in a fixed order, values sorted); empty for every finding.",
    )
    frequency = models.CharField(
        max_length=16,
        choices=AlertFrequency,
        default=AlertFrequency.DAILY,
        help_text="How often a mail may go: at most one a day, or one a week (from Monday), and only "
        "when something new was published.",
    )
    created_at = models.DateTimeField(auto_now_add=True, help_text="When the alert was first asked for.")
    confirmed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the address's owner last followed a confirmation link; empty until they do, and "
        "nothing is sent before.",
    )
    unsubscribed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the alert was stopped from a mail's link; empty while it runs."
    )
    last_sent_through = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Findings whose inspection entered the archive up to this moment have been considered "
        "for a mail; the next lists those after it. Set to the moment of confirmation.",
    )
    period_checked = models.DateField(
        null=True,
        blank=True,
        help_text="The first day of the last day or week (Monday) this alert was checked for new findings; "
        "it is not checked again within it.",
    )

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=_in_choices("frequency", AlertFrequency), name="subscription_frequency_valid"
            ),
            models.CheckConstraint(
                condition=Q(email=models.Func("email", function="lower")),
                name="subscription_email_lower_case",
            ),
            models.CheckConstraint(
                condition=Q(confirmed_at__isnull=True) | Q(last_sent_through__isnull=False),
                name="subscription_confirmed_has_watermark",
            ),
            # One alert per address and search; the query is hashed, as a long one (every authority
            # ticked) would not fit in a b-tree index entry.
            models.UniqueConstraint(
                "email", models.Func("query", function="md5"), name="subscription_one_per_address_and_search"
            ),
        ]

    def __str__(self):
        return f"Alert #{self.pk} ({self.get_frequency_display().lower()})"


class AlertConfirmation(models.Model):
    """One confirmation mail sent for a subscription: its link (signed, alerts.confirmation_token) leads
    here. Kept for a week to rate-limit requests for an address, then deleted."""

    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.CASCADE,
        related_name="confirmations",
        help_text="The alert this link would confirm.",
    )
    frequency = models.CharField(
        max_length=16, choices=AlertFrequency, help_text="The frequency asked for with this request."
    )
    created_at = models.DateTimeField(auto_now_add=True, help_text="When the link was asked for.")
    used_at = models.DateTimeField(
        null=True, blank=True, help_text="When the link was followed and confirmed; a link works once."
    )

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=_in_choices("frequency", AlertFrequency), name="alertconfirmation_frequency_valid"
            ),
        ]
        indexes = [models.Index(fields=["created_at"], name="alertconfirmation_created")]

    def __str__(self):
        return f"Confirmation #{self.pk} of {self.subscription}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"  # decided on, not yet accepted by the mail server
    SENT = "sent", "Sent"
    FAILED = "failed", "Given up"  # the mail server refused it every time it was tried
    CANCELLED = "cancelled", "Not sent"  # stopped, or nothing left to list, before it could go


class AlertDelivery(models.Model):
    """The one mail of an alert for one day or week: recorded, with the window of findings it lists,
    in the same transaction that moves the alert's watermark on, and sent after that commits."""

    Status = DeliveryStatus

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries", help_text="The alert it is for."
    )
    period_start = models.DateField(
        help_text="The day, or the Monday of the week, it is the alert's mail for (at most one each)."
    )
    frequency = models.CharField(
        max_length=16, choices=AlertFrequency, help_text="The alert's frequency when it was decided on."
    )
    findings_after = models.DateTimeField(
        help_text="It lists the findings whose inspection entered the archive after this moment …"
    )
    findings_through = models.DateTimeField(help_text="… and up to this one.")
    finding_count = models.PositiveIntegerField(help_text="How many findings it listed when decided on.")
    status = models.CharField(
        max_length=16, choices=DeliveryStatus, default=DeliveryStatus.PENDING, help_text="Where it stands."
    )
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="How many times it was handed to the mail server."
    )
    last_error = models.TextField(blank=True, help_text="What the mail server said the last time it failed.")
    created_at = models.DateTimeField(auto_now_add=True, help_text="When it was decided on.")
    sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When the mail server accepted it; empty until it does."
    )

    class Meta:
        ordering = ["pk"]
        verbose_name_plural = "alert deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "period_start"], name="alertdelivery_one_per_period"
            ),
            models.CheckConstraint(
                condition=_in_choices("status", DeliveryStatus), name="alertdelivery_status_valid"
            ),
            models.CheckConstraint(
                condition=_in_choices("frequency", AlertFrequency), name="alertdelivery_frequency_valid"
            ),
            models.CheckConstraint(
                condition=Q(findings_after__lt=F("findings_through")), name="alertdelivery_window_forward"
            ),
            models.CheckConstraint(
                condition=Q(status=DeliveryStatus.SENT, sent_at__isnull=False)
                | (~Q(status=DeliveryStatus.SENT) & Q(sent_at__isnull=True)),
                name="alertdelivery_sent_when_sent",
            ),
        ]
        indexes = [
            models.Index(
                fields=["id"], condition=Q(status=DeliveryStatus.PENDING), name="alertdelivery_pending"
            )
        ]

    def __str__(self):
        return f"Mail of {self.subscription} for {self.period_start:%-d %B %Y}"
