"""Staff uploads in the admin: receive report files, preview what the parser reads, publish.

    receive (size limit, SHA-256, refusal) -> stage -> preview (+ corrections) -> publish

An uploaded file's bytes are staged in the default storage as ``staging/<sha256>``: content-addressed,
so the name is never taken from the user, the same file is staged once, and large PDFs stay out of
the session. The session holds only each batch's list of files (name, size, hash, status and the
corrections staff made), so a preview survives reloads and single-file publishing. A staged file is
deleted when it is published or removed, and any left behind are swept after STAGING_MAX_AGE. Staged
files are never served: no URL reads them.

Publishing goes through services.report_ingest, so a file is stored whole or not at all, exactly as the
ingest command stores it.
"""

import dataclasses
import difflib
import re
import secrets
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
from django.db import transaction
from django.db.models import F
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.html import format_html

from . import themes
from .authority_names import AuthorityMatcher, core
from .choices import FindingKind, Grade, InspectionKind, JudgementArea
from .models import Authority, Inspection, Theme
from .parsing import ParsedReport, ReportRefused, parse_report
from .services import Overrides, authority_for, inspection_reparse, report_ingest, sha256_of

STAGING_DIR = "staging"
STAGING_MAX_AGE = timedelta(days=2)
SESSION_KEY = "report_uploads"
MAX_BATCHES = 10  # per session: older batches are forgotten (their staged files are swept by age)

READY, REFUSED, DUPLICATE, PUBLISHED = "ready", "refused", "duplicate", "published"
STATUS_LABELS = {
    READY: "Ready to publish",
    REFUSED: "Refused",
    DUPLICATE: "Already published",
    PUBLISHED: "Published",
}
# Frameworks whose reports grade the authority; the letters and visits do not.
GRADED_KINDS = {
    InspectionKind.SLAC,
    InspectionKind.LAC_2012,
    InspectionKind.CHILD_PROTECTION_2012,
    InspectionKind.SIF,
    InspectionKind.ILACS,
}
REPORT_FILE_TYPES = ".pdf,.txt,.md,application/pdf,text/plain,text/markdown"
SHA256 = re.compile(r"^[0-9a-f]{64}$")


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


def receive(files, *, max_bytes: int) -> list[dict]:
    """Check and stage each uploaded file; return one batch item per file, in upload order."""
    remove_stale_staging()
    items: list[dict] = []
    for upload in files:
        item = _receive_one(upload, max_bytes)
        first = next((other for other in items if item["sha256"] and other["sha256"] == item["sha256"]), None)
        if first:
            item.update(status=REFUSED, reason=f"This is the same file as {first['filename']}, above.")
        items.append(item)
    return items


def _item(filename: str, size: int, **values) -> dict:
    return {
        "filename": filename,
        "size": size,
        "sha256": "",
        "status": REFUSED,
        "reason": "",
        "inspection_id": None,
        "corrections": None,
    } | values


def _receive_one(upload, max_bytes: int) -> dict:
    filename = Path(upload.name or "unnamed file").name
    if upload.size > max_bytes:
        size, limit = filesizeformat(upload.size), filesizeformat(max_bytes)
        if size == limit:  # just over: say it in bytes, not as "7.2 KB, over the 7.2 KB limit"
            size, limit = f"{intcomma(upload.size)} bytes", f"{intcomma(max_bytes)}-byte"
        return _item(
            filename,
            upload.size,
            reason=f"The file is {size}, over the {limit} limit for a report, so it was not read.",
        )
    data = upload.read()
    sha256 = sha256_of(data)
    existing = Inspection.objects.filter(sha256=sha256).first()
    if existing:
        return _item(filename, len(data), sha256=sha256, status=DUPLICATE, inspection_id=existing.pk)
    try:
        parse_report(data, filename)
    except ReportRefused as refusal:
        return _item(filename, len(data), sha256=sha256, reason=str(refusal))
    stage(data, sha256)
    return _item(filename, len(data), sha256=sha256, status=READY)


# The staging area ------------------------------------------------------------------------------------


def staging_name(sha256: str) -> str:
    if not SHA256.match(sha256):
        raise ValueError("Not a SHA-256 hex digest.")
    return f"{STAGING_DIR}/{sha256}"


def stage(data: bytes, sha256: str) -> None:
    name = staging_name(sha256)
    if default_storage.exists(name):
        return
    saved = default_storage.save(name, ContentFile(data))
    if saved != name:  # staged meanwhile by another request: keep one copy
        default_storage.delete(saved)


def staged_data(sha256: str) -> bytes | None:
    try:
        with default_storage.open(staging_name(sha256), "rb") as handle:
            return handle.read()
    except (FileNotFoundError, ValueError):
        return None


def unstage(sha256: str) -> None:
    if SHA256.match(sha256):
        default_storage.delete(staging_name(sha256))


def remove_stale_staging(max_age: timedelta = STAGING_MAX_AGE) -> None:
    try:
        _, names = default_storage.listdir(STAGING_DIR)
    except FileNotFoundError:
        return
    cutoff = timezone.now() - max_age
    for name in names:
        path = f"{STAGING_DIR}/{name}"
        try:
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
        except FileNotFoundError:
            continue


# Batches (in the session) ----------------------------------------------------------------------------


class UploadBatch:
    """One upload's files, remembered in the session under a random token."""

    def __init__(self, session, token: str, items: list[dict]):
        self.session, self.token, self.items = session, token, items

    @classmethod
    def create(cls, session, items: list[dict]) -> "UploadBatch":
        batch = cls(session, secrets.token_urlsafe(12), items)
        batch.save()
        return batch

    @classmethod
    def load(cls, session, token: str) -> "UploadBatch | None":
        batches = session.get(SESSION_KEY, {})
        return cls(session, token, batches[token]["items"]) if token in batches else None

    def save(self) -> None:
        batches = self.session.get(SESSION_KEY, {})
        batches[self.token] = {"created": timezone.now().isoformat(), "items": self.items}
        newest = sorted(batches.items(), key=lambda pair: pair[1]["created"])[-MAX_BATCHES:]
        self.session[SESSION_KEY] = dict(newest)

    def item(self, sha256: str) -> dict | None:
        return next((item for item in self.items if item["sha256"] == sha256 and sha256), None)

    def remove(self, sha256: str) -> dict | None:
        item = self.item(sha256)
        if item:
            self.items.remove(item)
            if item["status"] == READY and not any(other["sha256"] == sha256 for other in self.items):
                unstage(sha256)
        return item


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
        """The cleaned values, as the session stores them."""
        cleaned = self.cleaned_data
        return {
            "authority": cleaned["authority"].pk,
            "kind": cleaned["kind"],
            "start_date": cleaned["start_date"].isoformat() if cleaned["start_date"] else None,
            "end_date": cleaned["end_date"].isoformat() if cleaned["end_date"] else None,
        }


@dataclass
class Entry:
    """One file of a batch as the preview page shows it."""

    item: dict
    data: bytes | None = None
    report: ParsedReport | None = None
    matched: Authority | None = None
    form: PublishForm | None = None
    judgements: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    finding_kinds: list[tuple[str, int]] = dataclasses.field(default_factory=list)
    finding_themes: list[tuple[str, int]] = dataclasses.field(default_factory=list)
    warnings: list[str] = dataclasses.field(default_factory=list)
    inspection: Inspection | None = None
    same: Inspection | None = None  # the same inspection, already published from another file
    suggestions: list[Authority] = dataclasses.field(default_factory=list)  # for an unmatched name
    replaced: str = ""  # what publishing replaced, for the log

    @property
    def status(self) -> str:
        return self.item["status"]

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def filename(self) -> str:
        return self.item["filename"]

    @property
    def sha256(self) -> str:
        return self.item["sha256"]

    @property
    def ready(self) -> bool:
        return self.status == READY

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


def entries(batch: UploadBatch, data=None) -> list[Entry]:
    """Every file of the batch with its preview; forms bound to `data` (a POST) when given."""
    matcher = AuthorityMatcher(Authority.objects.all())
    result = [_entry(item, data, matcher) for item in batch.items]
    _warn_of_repeats_within(result)
    return result


def _entry(item: dict, data, matcher: AuthorityMatcher) -> Entry:
    entry = Entry(item)
    if item["status"] == READY:
        existing = Inspection.objects.filter(sha256=item["sha256"]).first()
        if existing:  # published meanwhile, from this batch or another
            item.update(status=DUPLICATE, inspection_id=existing.pk)
    if item["status"] in (DUPLICATE, PUBLISHED):
        entry.inspection = (
            Inspection.objects.select_related("authority").filter(pk=item["inspection_id"]).first()
        )
    if item["status"] != READY:
        return entry
    entry.data = staged_data(item["sha256"])
    if entry.data is None:
        item.update(status=REFUSED, reason="The staged copy of this file has expired. Upload it again.")
        return entry
    try:
        entry.report = report = parse_report(entry.data, item["filename"])
    except ReportRefused as refusal:  # the parser has changed since the file was staged
        item.update(status=REFUSED, reason=str(refusal))
        unstage(item["sha256"])
        return entry
    entry.matched = authority_for(report, matcher)
    if entry.matched is None and report.authority_name:
        entry.suggestions = closest_authorities(report.authority_name)
    initial = item["corrections"] or {
        "authority": entry.matched.pk if entry.matched else None,
        "kind": report.kind,
        "start_date": report.start_date,
        "end_date": report.end_date,
    }
    entry.form = PublishForm(data, prefix=item["sha256"][:12], initial=initial)
    entry.judgements = [(JudgementArea(j.area).label, Grade(j.grade).label) for j in report.judgements]
    kinds = Counter(finding.kind for finding in report.findings)
    entry.finding_kinds = [(label, kinds[value]) for value, label in FindingKind.choices if kinds[value]]
    entry.finding_themes = _theme_counts(report)
    entry.same = same_inspection(entry)
    if entry.same is None:
        del entry.form.fields["replace_existing"]
    entry.warnings = _warnings(entry)
    return entry


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
    counts = Counter(slug for slugs in themes.themes_for_texts(report.findings) for slug in slugs)
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


def _warn_of_repeats_within(batch_entries: list[Entry]) -> None:
    seen: dict[tuple, str] = {}
    for entry in batch_entries:
        if not entry.ready or entry.report is None:
            continue
        chosen = entry.chosen
        key = (getattr(chosen["authority"], "pk", None), chosen["kind"], _when(chosen, entry.report))
        if None in key:
            continue
        if key in seen:
            entry.warnings.append(f"The same inspection as {seen[key]}, earlier in this batch.")
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


def publish(entry: Entry, *, log) -> Inspection:
    """Store one previewed file with the staff's corrections, atomically; `log(inspection)` records it
    in the same transaction. A failure anywhere leaves no row and no stored file behind.

    The same inspection already published from another file is refused (AlreadyPublished) unless staff
    chose to replace it: then it is deleted and this one stored in the same transaction, and its old
    file removed once that has committed (publishing runs outside any other transaction)."""
    chosen = entry.form.cleaned_data
    same = same_inspection(entry)
    if same and not chosen.get("replace_existing"):
        raise AlreadyPublished(same)
    # Dates as staff left them, emptied ones included (Overrides keeps what was read for an empty one).
    report = dataclasses.replace(entry.report, start_date=chosen["start_date"], end_date=chosen["end_date"])
    overrides = Overrides(
        authority=chosen["authority"],
        kind=chosen["kind"],
        start_date=chosen["start_date"],
        end_date=chosen["end_date"],
    )
    stored = replaced_file = None
    try:
        with transaction.atomic():
            if same:
                entry.replaced = f"{same} (#{same.pk}, from {same.source_filename})"
                replaced_file = same.source_file.name
                same.delete()
            inspection = report_ingest(
                data=entry.data, filename=entry.filename, overrides=overrides, report=report
            )
            stored = inspection.source_file.name
            log(inspection)
    except BaseException:
        if stored:
            Inspection.source_file.field.storage.delete(stored)
        raise
    if replaced_file:  # committed: the replaced inspection's file goes too
        Inspection.source_file.field.storage.delete(replaced_file)
    unstage(entry.sha256)
    entry.item.update(status=PUBLISHED, inspection_id=inspection.pk, corrections=None)
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
