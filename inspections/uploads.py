"""Staff uploads in the admin: receive report files, read each once, preview, publish.

    receive (size limit, SHA-256, the one parse) -> StagedReport -> preview (+ corrections) -> publish

Each uploaded file becomes a row of its uploader's (models.StagedReport). A file is parsed once, on
receipt, and what the parser read is stored on the row: the data contract's JSON (themes included),
with the name as printed, the whole text and the parser's warnings. Its bytes are staged in the default
storage as ``staging/<sha256>`` (named by content, never by the uploader), until it is published or
removed. A refused file's row keeps its reason, not its bytes. The preview and publishing read the
row, never the file's text again; staff's corrections are stored on the row, so the preview is the
same after signing out and in again, in another browser. The same file uploaded again by the same
person is the same row, and is not read again. Rows and files untouched for STAGING_MAX_AGE are
swept. Staged files are never served: no URL reads them.

Publishing goes through services.report_ingest with the stored reading, so a file is stored whole or
not at all, its findings, judgements, themes and search words exactly as the ingest command stores them.
"""

import dataclasses
import difflib
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.html import format_html

from . import themes
from .authority_names import AuthorityMatcher, core
from .choices import FindingKind, Grade, InspectionKind, JudgementArea
from .contract import report_as_contract, report_from_contract
from .models import STAGED_LIVE, Authority, Inspection, StagedReport, StagedStatus, Theme
from .parsing import PARSER_VERSION, ParsedReport, ReportRefused, parse_report
from .services import Overrides, authority_for, inspection_reparse, report_ingest, sha256_of

STAGING_DIR = "staging"
STAGING_MAX_AGE = timedelta(days=2)
# Frameworks whose reports grade the authority; the letters and visits do not.
GRADED_KINDS = {
    InspectionKind.SLAC,
    InspectionKind.LAC_2012,
    InspectionKind.CHILD_PROTECTION_2012,
    InspectionKind.SIF,
    InspectionKind.ILACS,
}
REPORT_FILE_TYPES = ".pdf,.txt,.md,application/pdf,text/plain,text/markdown"


# Receiving files -----------------------------------------------------------------------------------


class CappedUploadHandler(TemporaryFileUploadHandler):
    """Streams a large upload to a temporary file, but writes nothing past the report size limit.

    The file keeps its true size, so it is refused by size before anything reads it; whatever a
    client sends, the disk holds at most the limit per file.
    """

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) <= settings.REPORT_MAX_UPLOAD_BYTES:
            self.file.write(raw_data)


def upload_handlers(request) -> list:
    """Django's default handlers, with the temporary-file one capped at the size limit."""
    return [MemoryFileUploadHandler(request), CappedUploadHandler(request)]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field taking several files (Django docs, "Uploading multiple files")."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": REPORT_FILE_TYPES}))
        # An empty file is refused by the parser with its reason, without failing the whole batch.
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single_file_clean = super().clean
        if isinstance(data, list | tuple):
            return [single_file_clean(item, initial) for item in data]
        return [single_file_clean(data, initial)]


class UploadForm(forms.Form):
    files = MultipleFileField(
        label="Report files",
        help_text="PDF, .txt or .md; choose as many as you like. Nothing is published until you have "
        "checked the preview.",
    )


def receive(files, *, uploader, max_bytes: int) -> list[str]:
    """Stage each uploaded file as a row of `uploader`'s, reading each new file once; return what
    staff should be told of files that were staged already (they are not read again)."""
    remove_stale_staging()
    notes: list[str] = []
    names: dict[int, str] = {}  # row -> the name it was first uploaded under in this upload
    for upload in files:
        staged, again = _receive_one(upload, uploader, max_bytes)
        filename = _filename(upload)
        if staged.pk in names:
            notes.append(f"{filename} is the same file as {names[staged.pk]}, above: it is shown once.")
        elif again:
            notes.append(
                f"{filename} was uploaded before"
                + (f" as {staged.filename}" if staged.filename != filename else "")
                + ": it is shown below as it was read then."
            )
        names.setdefault(staged.pk, filename)
    return notes


def _filename(upload) -> str:
    return Path(upload.name or "unnamed file").name[:300]


def _receive_one(upload, uploader, max_bytes: int) -> tuple[StagedReport, bool]:
    """The row for one uploaded file, and whether it was staged already (the upload then changes nothing)."""
    filename = _filename(upload)
    if upload.size > max_bytes:
        size, limit = filesizeformat(upload.size), filesizeformat(max_bytes)
        if size == limit:  # just over: say it in bytes, not as "7.2 KB, over the 7.2 KB limit"
            size, limit = f"{intcomma(upload.size)} bytes", f"{intcomma(max_bytes)}-byte"
        reason = f"The file is {size}, over the {limit} limit for a report, so it was not read."
        staged = StagedReport.objects.create(
            uploader=uploader, filename=filename, size=upload.size, status=StagedStatus.REFUSED, reason=reason
        )
        return staged, False
    data = upload.read()
    sha256 = sha256_of(data)
    mine = StagedReport.objects.filter(uploader=uploader, sha256=sha256, status__in=STAGED_LIVE)
    staged = mine.first() or StagedReport(uploader=uploader, sha256=sha256, filename=filename, size=len(data))
    published = Inspection.objects.filter(sha256=sha256).first()
    try:
        if published:
            again = staged.status == StagedStatus.DUPLICATE and staged.inspection_id == published.pk
            mark_duplicate(staged, published)
            return staged, again
        if staged.pk and staged.status != StagedStatus.DUPLICATE and staged.parser_version == PARSER_VERSION:
            staged.save(update_fields=["updated_at"])  # kept from the sweep for as long again
            return staged, True
        # New, or staged by an older parser, or its published twin has been deleted: read it now.
        staged.filename, staged.size = filename, len(data)
        parse_into(staged, data)
        return staged, False
    except IntegrityError:  # the same person uploaded the same file at the same moment: theirs stands
        return mine.get(), True


def parse_into(staged: StagedReport, data: bytes) -> None:
    """Parse the file (the one time it is read), store the reading on its row and stage the file;
    or record on the row why it was refused, keeping nothing of the file. Atomic: the row and the
    staged file are saved together, or neither is."""
    try:
        report = parse_report(data, staged.filename)
    except ReportRefused as refusal:
        report, reason = None, str(refusal)
    else:
        for finding, slugs in zip(report.findings, themes.themes_for_texts(report.findings), strict=True):
            finding.themes = slugs
        reason = ""
    staged.status = StagedStatus.REFUSED if report is None else StagedStatus.PARSED
    staged.reason, staged.parser_version = reason, PARSER_VERSION
    staged.contract = report_as_contract(report, authority_for(report)) if report else None
    staged.printed_authority = report.authority_name[:300] if report else ""
    staged.text = report.text if report else ""
    staged.warnings = report.warnings if report else []
    held, stored = staged.file.name, None
    try:
        with transaction.atomic():
            if report is None:
                staged.file = ""
            elif not held:
                staged.file.save(staged.sha256, ContentFile(data), save=False)
                stored = staged.file.name
            staged.save()
    except BaseException:
        if stored:
            default_storage.delete(stored)
        staged.file = held or ""
        raise
    if report is None and held:
        default_storage.delete(held)


def mark_duplicate(staged: StagedReport, inspection: Inspection) -> None:
    """The file is in the archive already (as `inspection`): the row says so and its staged copy goes."""
    _settle(staged, StagedStatus.DUPLICATE, inspection=inspection)


def refuse(staged: StagedReport, reason: str) -> None:
    _settle(staged, StagedStatus.REFUSED, reason=reason)


def discard(uploader, pk) -> StagedReport | None:
    """Remove one of `uploader`'s files from the preview (not a published one); its staged copy goes."""
    if not str(pk).isdigit():
        return None
    staged = StagedReport.objects.filter(uploader=uploader, pk=pk, status__in=STAGED_LIVE).first()
    if staged:
        _settle(staged, StagedStatus.DISCARDED)
    return staged


def _settle(staged: StagedReport, status: str, **values) -> None:
    """Set the outcome of a row still live (one published meanwhile, in another window, stays as it is),
    and let its staged file go once the row no longer holds it."""
    held = staged.file.name
    values = {"status": status, "file": "", **values}
    if staged.pk is not None:
        live = StagedReport.objects.filter(pk=staged.pk, status__in=STAGED_LIVE)
        if not live.update(**values, updated_at=timezone.now()):
            return
    for name, value in values.items():
        setattr(staged, name, value)
    if staged.pk is None:
        staged.save()
    if held:
        default_storage.delete(held)


# The staging area ------------------------------------------------------------------------------------


def staged_data(staged: StagedReport) -> bytes | None:
    try:
        with staged.file.open("rb") as handle:
            return handle.read()
    except (FileNotFoundError, ValueError):  # ValueError: no file
        return None


def remove_stale_staging(max_age: timedelta = STAGING_MAX_AGE) -> None:
    """Forget rows untouched for `max_age` (waiting, refused, published or removed: the admin log keeps
    who published what), their staged files, and any staged file no row holds that is as old (one left
    by a failure between storing the file and its row)."""
    cutoff = timezone.now() - max_age
    stale = StagedReport.objects.filter(updated_at__lt=cutoff)
    files = [name for name in stale.values_list("file", flat=True) if name]
    stale.delete()
    for name in files:
        default_storage.delete(name)
    try:
        _, names = default_storage.listdir(STAGING_DIR)
    except FileNotFoundError:
        return
    held = set(StagedReport.objects.exclude(file="").values_list("file", flat=True))
    for name in names:
        path = f"{STAGING_DIR}/{name}"
        try:
            if path not in held and default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
        except FileNotFoundError:
            continue


# Preview -----------------------------------------------------------------------------------------------


class AuthorityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, authority):
        if authority.end_date:
            return f"{authority.short_name} (until {authority.end_date.year})"
        return authority.short_name


class PublishForm(forms.Form):
    """The corrections staff can make to what the parser read, before publishing."""

    authority = AuthorityChoiceField(
        queryset=Authority.objects.order_by("short_name", "end_date"),
        empty_label="— choose the authority —",
        error_messages={"required": "Choose the authority this report is about."},
    )
    kind = forms.ChoiceField(label="Inspection type", choices=InspectionKind.choices)
    start_date = forms.DateField(
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        help_text="First day of the inspection or visit; empty if the report gives none.",
    )
    end_date = forms.DateField(
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        help_text="Last day of the inspection or visit; empty if the report gives none.",
    )
    # Offered only where the same inspection (authority, type, date) is already published.
    replace_existing = forms.BooleanField(
        required=False,
        label="Replace the existing inspection",
        help_text="The same inspection is already published from another file: publish this file in its "
        "place (its findings, judgements and file are swapped in one step, and the change is logged).",
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The last day cannot be before the first day.")
        return cleaned

    def corrections(self) -> dict:
        """The cleaned values, as StagedReport.corrections stores them."""
        cleaned = self.cleaned_data
        return {
            "authority": cleaned["authority"].pk,
            "kind": cleaned["kind"],
            "start_date": cleaned["start_date"].isoformat() if cleaned["start_date"] else None,
            "end_date": cleaned["end_date"].isoformat() if cleaned["end_date"] else None,
        }


@dataclass
class Entry:
    """One staged file as the preview page shows it."""

    staged: StagedReport
    report: ParsedReport | None = None  # rebuilt from the stored reading, without the whole text
    matched: Authority | None = None
    form: PublishForm | None = None
    judgements: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    finding_kinds: list[tuple[str, int]] = dataclasses.field(default_factory=list)
    finding_themes: list[tuple[str, int]] = dataclasses.field(default_factory=list)
    warnings: list[str] = dataclasses.field(default_factory=list)
    same: Inspection | None = None  # the same inspection, already published from another file
    suggestions: list[Authority] = dataclasses.field(default_factory=list)  # for an unmatched name
    replaced: str = ""  # what publishing replaced, for the log

    @property
    def status(self) -> str:
        return self.staged.status

    @property
    def status_label(self) -> str:
        return self.staged.get_status_display()

    @property
    def filename(self) -> str:
        return self.staged.filename

    @property
    def sha256(self) -> str:
        return self.staged.sha256

    @property
    def ready(self) -> bool:
        return self.staged.ready

    @property
    def inspection(self) -> Inspection | None:
        """The inspection it was published as, or the one already holding the same file."""
        return self.staged.inspection

    @property
    def kind_label(self) -> str:
        return InspectionKind(self.report.kind).label

    @property
    def chosen(self) -> dict:
        """Authority, kind and dates as they will be published: the form's if valid, else as read."""
        if self.form is not None and self.form.is_bound and self.form.is_valid():
            return self.form.cleaned_data
        initial = self.form.initial if self.form is not None else {}
        return {
            "authority": Authority.objects.filter(pk=initial.get("authority")).first(),
            "kind": initial.get("kind"),
            "start_date": _as_date(initial.get("start_date")),
            "end_date": _as_date(initial.get("end_date")),
        }


def _as_date(value) -> date | None:
    if isinstance(value, str):
        return date.fromisoformat(value)
    return value


def report_of(staged: StagedReport, *, text: str = "") -> ParsedReport:
    """What the parser read from a staged file, from its row: no file is read."""
    return report_from_contract(
        staged.contract, authority_name=staged.printed_authority, text=text, warnings=staged.warnings
    )


def entries(uploader, data=None) -> list[Entry]:
    """Every file `uploader` has staged (not removed), oldest first, with its preview; forms bound to
    `data` (a POST) when given."""
    staged = list(
        StagedReport.objects.filter(uploader=uploader)
        .listed()
        .select_related("inspection__authority")
        .defer("text")  # the whole text is read only to publish
    )
    _settle_published_meanwhile(staged)
    for row in staged:
        if row.ready and row.parser_version != PARSER_VERSION:
            _read_again(row)
    matcher = AuthorityMatcher(Authority.objects.all())
    result = [_entry(row, data, matcher) for row in staged]
    _warn_of_repeats_within(result)
    return result


def _settle_published_meanwhile(staged: list[StagedReport]) -> None:
    """A waiting file that is in the archive now (published by someone else, or by `ingest`)."""
    waiting = {row.sha256: row for row in staged if row.ready}
    for published in Inspection.objects.filter(sha256__in=waiting).select_related("authority"):
        mark_duplicate(waiting[published.sha256], published)


def _read_again(staged: StagedReport) -> None:
    """The parser has changed since the file was staged: read it again, once, with the new one."""
    data = staged_data(staged)
    if data is None:
        refuse(staged, str(StagedCopyGone()))
    else:
        parse_into(staged, data)


def _entry(staged: StagedReport, data, matcher: AuthorityMatcher) -> Entry:
    entry = Entry(staged)
    if not staged.ready:
        return entry
    entry.report = report = report_of(staged)
    entry.matched = authority_for(report, matcher)
    if entry.matched is None and report.authority_name:
        entry.suggestions = closest_authorities(report.authority_name)
    initial = staged.corrections or {
        "authority": entry.matched.pk if entry.matched else None,
        "kind": report.kind,
        "start_date": report.start_date,
        "end_date": report.end_date,
    }
    entry.form = PublishForm(data, prefix=f"staged-{staged.pk}", initial=initial)
    entry.judgements = [(JudgementArea(j.area).label, Grade(j.grade).label) for j in report.judgements]
    kinds = Counter(finding.kind for finding in report.findings)
    entry.finding_kinds = [(label, kinds[value]) for value, label in FindingKind.choices if kinds[value]]
    entry.finding_themes = _theme_counts(report)
    entry.same = same_inspection(entry)
    if entry.same is None:
        del entry.form.fields["replace_existing"]
    entry.warnings = _warnings(entry)
    return entry


def keep_corrections(entry: Entry) -> None:
    """Store the corrections of a valid form on the file's row, so the preview keeps them."""
    corrections = entry.form.corrections()
    if corrections != entry.staged.corrections:
        entry.staged.corrections = corrections
        entry.staged.save(update_fields=["corrections", "updated_at"])


def same_inspection(entry: Entry) -> Inspection | None:
    """The inspection already published from another file with this one's authority, type and date."""
    chosen = entry.chosen
    when = _when(chosen, entry.report)
    if not (chosen["authority"] and when):
        return None
    return (
        Inspection.objects.filter(authority=chosen["authority"], kind=chosen["kind"], date=when)
        .exclude(sha256=entry.sha256)
        .first()
    )


def closest_authorities(printed: str, count: int = 3) -> list[Authority]:
    """The authorities whose names are spelt most like a name the matcher could not place ("Wiggan"
    -> Wigan), current ones first; the generic words ("Council", "Borough of") are left out."""
    names: dict[str, Authority] = {}
    for authority in Authority.objects.order_by(F("end_date").asc(nulls_first=True), "short_name"):
        names.setdefault(core(authority.short_name), authority)
    close = difflib.get_close_matches(core(printed), list(names), n=count, cutoff=0.6)
    return [names[name] for name in close]


def _theme_counts(report: ParsedReport) -> list[tuple[str, int]]:
    """The findings' themes as tagged on receipt (publishing tags them again with the rules of the day)."""
    counts = Counter(slug for finding in report.findings for slug in finding.themes)
    names = dict(Theme.objects.filter(slug__in=counts).values_list("slug", "name"))
    return sorted(
        ((names.get(slug, slug), count) for slug, count in counts.items()), key=lambda p: (-p[1], p[0])
    )


def _when(chosen: dict, report: ParsedReport) -> date | None:
    """The date the archive files the inspection under (Inspection.date)."""
    return chosen["start_date"] or report.letter_date or report.published_date


def _warnings(entry: Entry) -> list[str]:
    report, chosen = entry.report, entry.chosen
    warnings = list(report.warnings)
    kind = chosen["kind"]
    if kind in GRADED_KINDS and not report.judgements:
        warnings.append(
            f"No graded judgements were read, though {InspectionKind(kind).label} reports normally have them."
        )
    if not chosen["start_date"]:
        warnings.append("No start date: the report's first day of inspection was not read.")
    if not chosen["end_date"]:
        warnings.append("No end date: the report's last day of inspection was not read.")
    if not report.findings:
        warnings.append("No findings were read from this report.")
    if entry.same:
        warnings.append(
            format_html(
                "Already published: the same inspection is in the archive from another file ({}): "
                "<a href='{}'>{}</a>. It can be published only in its place (“Replace the existing "
                "inspection” below).",
                entry.same.source_filename,
                entry.same.get_absolute_url(),
                entry.same,
            )
        )
    return warnings


def _warn_of_repeats_within(staged_entries: list[Entry]) -> None:
    seen: dict[tuple, str] = {}
    for entry in staged_entries:
        if not entry.ready or entry.report is None:
            continue
        chosen = entry.chosen
        key = (getattr(chosen["authority"], "pk", None), chosen["kind"], _when(chosen, entry.report))
        if None in key:
            continue
        if key in seen:
            entry.warnings.append(f"The same inspection as {seen[key]}, above.")
        else:
            seen[key] = entry.filename


# Publishing ----------------------------------------------------------------------------------------------


class AlreadyPublished(Exception):
    """The same inspection is published from another file, and staff did not choose to replace it."""

    def __init__(self, inspection: Inspection):
        super().__init__(
            f"{inspection} is already published from another file ({inspection.source_filename}). Tick "
            "“Replace the existing inspection” to publish this file in its place."
        )
        self.inspection = inspection


class NoLongerWaiting(Exception):
    """The file was published or removed meanwhile (in another window), or swept as stale."""


class StagedCopyGone(ReportRefused):
    def __init__(self):
        super().__init__("The staged copy of this file has gone. Upload it again.")


def publish(entry: Entry, *, log) -> Inspection:
    """Store one previewed file from its stored reading with the staff's corrections, atomically;
    `log(inspection)` records it in the same transaction. A failure anywhere leaves no row and no stored
    file behind, and the file still staged.

    The same inspection already published from another file is refused (AlreadyPublished) unless staff
    chose to replace it: then it is deleted and this one stored in the same transaction, and its old
    file removed once that has committed (publishing runs outside any other transaction)."""
    chosen = entry.form.cleaned_data
    same = same_inspection(entry)
    if same and not chosen.get("replace_existing"):
        raise AlreadyPublished(same)
    overrides = Overrides(
        authority=chosen["authority"],
        kind=chosen["kind"],
        start_date=chosen["start_date"],
        end_date=chosen["end_date"],
    )
    stored = replaced_file = None
    try:
        with transaction.atomic():
            staged = StagedReport.objects.select_for_update().filter(pk=entry.staged.pk).first()
            if staged is None or not staged.ready:
                raise NoLongerWaiting(f"{entry.filename} was published or removed meanwhile.")
            data = staged_data(staged)
            if data is None:
                raise StagedCopyGone
            # Dates as staff left them, emptied ones included (Overrides keeps what was read for an empty one).
            report = dataclasses.replace(
                report_of(staged, text=staged.text),
                start_date=chosen["start_date"],
                end_date=chosen["end_date"],
            )
            if same:
                entry.replaced = f"{same} (#{same.pk}, from {same.source_filename})"
                replaced_file = same.source_file.name
                same.delete()
            inspection = report_ingest(
                data=data, filename=staged.filename, overrides=overrides, report=report
            )
            stored = inspection.source_file.name
            staging_file = staged.file.name
            staged.status, staged.inspection, staged.file = StagedStatus.PUBLISHED, inspection, ""
            staged.save()
            log(inspection)
    except BaseException:
        if stored:
            Inspection.source_file.field.storage.delete(stored)
        raise
    # Committed: the replaced inspection's file and the staged copy go too.
    if replaced_file:
        Inspection.source_file.field.storage.delete(replaced_file)
    default_storage.delete(staging_file)
    entry.staged = staged
    return inspection


def publish_message(entry: Entry, inspection: Inspection) -> str:
    """What the admin log records: the file, and what staff changed from what the parser read."""
    report, chosen = entry.report, entry.form.cleaned_data
    changes = []
    if entry.matched != chosen["authority"]:
        read_as = f"read as '{report.authority_name}'" if report.authority_name else "no name read"
        changes.append(f"authority set to {chosen['authority'].short_name} ({read_as})")
    if chosen["kind"] != report.kind:
        read_as = InspectionKind(report.kind).label
        changes.append(f"type set to {InspectionKind(chosen['kind']).label} (read as {read_as})")
    for field in ("start_date", "end_date"):
        if chosen[field] != getattr(report, field):
            changes.append(f"{field.replace('_', ' ')} set to {chosen[field] or 'none'}")
    message = f"Uploaded from {entry.filename} (SHA-256 {entry.sha256[:12]}…)"
    if entry.replaced:
        message += f", replacing {entry.replaced}"
    return message + (f"; staff corrected: {', '.join(changes)}." if changes else ".")


# Re-parsing --------------------------------------------------------------------------------------------


def reparse(inspection: Inspection, *, log) -> list[str]:
    """Re-read an inspection's stored source with the current parser (services.inspection_reparse);
    return what changed. `log(inspection, changes)` records it in the same transaction."""
    with transaction.atomic():
        before = snapshot(inspection)
        inspection_reparse(inspection=inspection)
        changes = describe_changes(before, snapshot(inspection))
        log(inspection, changes)
    return changes


def snapshot(inspection: Inspection) -> dict:
    """What a re-parse can change, to compare before and after."""
    return {
        "fields": {
            "title": inspection.title,
            "lead inspector": inspection.lead_inspector,
            "start date": inspection.start_date,
            "end date": inspection.end_date,
            "published date": inspection.published_date,
            "letter date": inspection.letter_date,
            "pages": inspection.page_count,
        },
        "judgements": dict(inspection.judgements.values_list("area", "grade")),
        "findings": Counter(inspection.findings.values_list("kind", "section", "text")),
    }


def describe_changes(before: dict, after: dict) -> list[str]:
    """What changed between two snapshots, in words staff can check."""
    changes = []
    if before["findings"] != after["findings"]:
        new = sum((after["findings"] - before["findings"]).values())
        gone = sum((before["findings"] - after["findings"]).values())
        changes.append(
            f"findings {before['findings'].total()} → {after['findings'].total()} "
            f"({new} new or reworded, {gone} no longer read)"
        )
    for area in sorted(before["judgements"].keys() | after["judgements"].keys()):
        old, new = before["judgements"].get(area), after["judgements"].get(area)
        if old != new:
            label = JudgementArea(area).label
            changes.append(f"{label}: {_grade(old)} → {_grade(new)}")
    for name, old in before["fields"].items():
        new = after["fields"][name]
        if old != new:
            changes.append(f"{name}: {old or 'none'} → {new or 'none'}")
    return changes


def _grade(grade: str | None) -> str:
    return Grade(grade).label.lower() if grade else "not graded"
