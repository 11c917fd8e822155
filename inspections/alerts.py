"""Email alerts on a findings search: asked for on the search page, confirmed by a signed link sent to
the address (double opt-in), stopped by one click from any of its mails, and sent at most once a day
or a week, listing the findings published since the last mail.

"Published" means the finding's inspection entered the archive (Inspection.created_at) after the
alert's watermark; which findings is decided by the same FindingFilterSet as the search page and
the feed, over the search's stored query string.

Each mail is sent exactly once in the ordinary course, and at least once whatever happens:

1. Claim (one transaction per alert, its row locked with SKIP LOCKED so that concurrent runs share
   the work): record the mail to send (AlertDelivery, at most one per alert and day or week by a
   unique constraint), move the alert's watermark on and mark its period checked, all or nothing.
   A run killed here leaves nothing behind, and the next run claims the alert again.
2. Send (after the claim committed; one transaction per mail, its row locked the same way): hand the
   mail to the mail server, then mark it sent. A failure (the server refuses, the connection drops)
   leaves it waiting, and every later run tries it again, up to MAX_ATTEMPTS times; a run killed
   before the server accepted it leaves it waiting too. Nothing decided on is ever skipped.

The one case that can send a mail twice is a run killed in the instant between the mail server
accepting a mail and its "sent" being committed: the next run sends it again. That is the choice of
at-least-once over at-most-once: a mail lost silently can never be noticed by the reader, a
duplicate can, it needs a crash at that instant, and both copies carry the same Message-ID (made
from the delivery's row: the idempotency key), which lets mail servers and clients that honour it
show one.
"""

import contextlib
import datetime
import enum
import logging
from dataclasses import dataclass
from smtplib import SMTPException
from urllib.parse import urlsplit

import django_filters
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage, mailers
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.http import QueryDict
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.http import urlencode

from .filters import FindingFilterSet
from .models import AlertConfirmation, AlertDelivery, AlertFrequency, DeliveryStatus, Finding, Subscription
from .search import asks_for_nothing
from .templatetags.archive import quoted

logger = logging.getLogger(__name__)

CONFIRMATION_MAX_AGE = datetime.timedelta(days=7)
MAX_ATTEMPTS = 5  # sends of one mail before it is given up
MAIL_FINDINGS = 25  # findings listed in a mail; the rest are a link away
SUBJECT_LENGTH = 140
CONFIRM_SALT = "inspections.alerts.confirm"
UNSUBSCRIBE_SALT = "inspections.alerts.unsubscribe"


# The search ---------------------------------------------------------------------------------------


def search_query(data: QueryDict | None) -> str:
    """A search's query string as the FindingFilterSet reads it: its filters alone (no page or order),
    each once in the FilterSet's order, a value it would ignore left out, list values sorted and
    without repeats, dates given the wrong way round put right. Two ways of writing one search are
    one alert."""
    if not data:
        return ""
    pairs = []
    for name, declared, value in _chosen(FindingFilterSet(data)):
        if name == "q":
            pairs.append((name, value))
        elif isinstance(value, datetime.date):
            pairs.append((name, value.isoformat()))
        elif isinstance(declared, django_filters.MultipleChoiceFilter):  # each value is valid
            pairs.extend((name, item) for item in sorted({item for item in data.getlist(name) if item}))
    return urlencode(pairs)


def _chosen(filterset: FindingFilterSet):
    """(name, filter, cleaned value) of each filter the search sets, in the FilterSet's order: a value
    it would ignore (not valid, or asking for nothing) is left out; text has its spaces collapsed."""
    filterset.is_valid()
    form = filterset.form
    for name, declared in filterset.filters.items():
        value = form.cleaned_data.get(name)
        if isinstance(value, str):
            value = " ".join(value.split())
        if name in form.errors or asks_for_nothing(value) or value == "":
            continue
        yield name, declared, value


def search_filterset(query: str) -> FindingFilterSet:
    return FindingFilterSet(QueryDict(query) or None)


def search_description(query: str) -> str:
    """The search in words, one line: '“supervision”; Authority: Leeds, Rutland; Inspected from 1 May 2020'."""
    filterset = search_filterset(query)
    if not filterset.is_bound:
        return "All findings"
    form = filterset.form
    parts = []
    for name, declared, value in _chosen(filterset):
        if name == "q":
            parts.append(quoted(value))
        elif isinstance(value, datetime.date):
            parts.append(f"{declared.label} {value:%-d %B %Y}")
        elif isinstance(declared, django_filters.ModelMultipleChoiceFilter):  # authorities, themes
            parts.append(f"{declared.label}: {', '.join(map(str, value))}")
        else:
            labels = dict(form.fields[name].choices)
            parts.append(f"{declared.label}: {', '.join(str(labels.get(item, item)) for item in value)}")
    # one line whatever the query held: it becomes a mail's subject
    return " ".join("; ".join(parts).split()) or "All findings"


def search_url(query: str, *, newest: bool = False) -> str:
    """The search page of an alert's search (newest first, for a mail's 'see them all')."""
    if newest:
        query = f"{query}&sort=newest" if query else "sort=newest"
    return reverse("finding-search") + (f"?{query}" if query else "")


def absolute(path: str) -> str:
    """An address on the site, for a mail (SITE_URL: mails are sent where no request gives the host)."""
    return settings.SITE_URL + path


def new_findings(query: str, after: datetime.datetime, through: datetime.datetime) -> QuerySet:
    """The search's findings whose inspection entered the archive in (after, through]."""
    return search_filterset(query).qs.filter(
        inspection__created_at__gt=after, inspection__created_at__lte=through
    )


def period_start(frequency: str, moment: datetime.datetime) -> datetime.date:
    """The day, or the Monday of the week, that `moment` falls in (in the site's time zone)."""
    day = timezone.localdate(moment)
    return day - datetime.timedelta(days=day.weekday()) if frequency == AlertFrequency.WEEKLY else day


# Links --------------------------------------------------------------------------------------------


class BadLink(Exception):
    """A link that was not made here, was altered, or was cut short."""


class ExpiredLink(BadLink):
    """A confirmation link older than CONFIRMATION_MAX_AGE; the confirmation it was for, if still kept."""

    def __init__(self, confirmation: AlertConfirmation | None):
        super().__init__("expired")
        self.confirmation = confirmation


def confirmation_token(confirmation: AlertConfirmation) -> str:
    return signing.TimestampSigner(salt=CONFIRM_SALT).sign_object({"c": confirmation.pk})


def confirmation_from_token(token: str) -> AlertConfirmation:
    """The confirmation a link is for. Raises BadLink, ExpiredLink, or AlertConfirmation.DoesNotExist
    for a genuine link whose request has been deleted."""
    signer = signing.TimestampSigner(salt=CONFIRM_SALT)
    try:
        payload = signer.unsign_object(token, max_age=CONFIRMATION_MAX_AGE)
    except signing.SignatureExpired:
        payload = signer.unsign_object(token)  # genuine, only old: say which search it was for
        raise ExpiredLink(_confirmation(payload, missing_ok=True)) from None
    except (signing.BadSignature, ValueError, UnicodeDecodeError) as error:
        raise BadLink(str(error)) from None
    return _confirmation(payload)


def _confirmation(payload, *, missing_ok: bool = False) -> AlertConfirmation | None:
    if not isinstance(payload, dict) or not isinstance(payload.get("c"), int):
        raise BadLink("not a confirmation")
    found = AlertConfirmation.objects.select_related("subscription").filter(pk=payload["c"]).first()
    if found is None and not missing_ok:
        raise AlertConfirmation.DoesNotExist
    return found


def unsubscribe_token(subscription: Subscription) -> str:
    """A subscription's own unsubscribe link: it never expires, as old mails must keep working
    (a key rotated into SECRET_KEY_FALLBACKS keeps them working too)."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object({"s": subscription.pk})


def subscription_from_token(token: str) -> Subscription:
    """Raises BadLink, or Subscription.DoesNotExist for a genuine link to an alert since deleted."""
    try:
        payload = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, UnicodeDecodeError) as error:
        raise BadLink(str(error)) from None
    if not isinstance(payload, dict) or not isinstance(payload.get("s"), int):
        raise BadLink("not an unsubscribe link")
    return Subscription.objects.get(pk=payload["s"])


# Asking, confirming, stopping ----------------------------------------------------------------------


def alert_request(
    *, email: str, query: str, frequency: str, now: datetime.datetime | None = None
) -> AlertConfirmation | None:
    """Record a request for an alert and a confirmation to mail (confirmation_send), unless the
    address has had ALERTS_CONFIRMATIONS_PER_DAY in the last 24 hours: then None, and nothing is
    written. Either way the page says the same, so nobody learns whether an address is known."""
    email = email.strip().lower()
    now = now or timezone.now()
    with transaction.atomic():
        # One request per address at a time, so that concurrent ones cannot both pass the limit.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 7))", [f"alert:{email}"])
        recent = AlertConfirmation.objects.filter(
            subscription__email=email, created_at__gt=now - datetime.timedelta(days=1)
        )
        if recent.count() >= settings.ALERTS_CONFIRMATIONS_PER_DAY:
            logger.info("Alert confirmation not sent: the address had its day's requests")
            return None
        subscription, _ = Subscription.objects.get_or_create(
            email=email, query=query, defaults={"frequency": frequency}
        )
        return AlertConfirmation.objects.create(subscription=subscription, frequency=frequency)


class Confirmed(enum.StrEnum):
    """Where a confirmation link stands."""

    WAITING = "waiting"  # not followed yet: following it starts the alert
    CONFIRMED = "confirmed"  # the alert runs (now, or already did from this link)
    STALE = "stale"  # the alert was stopped after this link was sent: it needs a new one


def confirmation_standing(confirmation: AlertConfirmation) -> Confirmed:
    """A link followed once is used; one sent before its alert was stopped cannot start it again."""
    stopped = confirmation.subscription.unsubscribed_at
    if confirmation.used_at is not None:
        return Confirmed.CONFIRMED if stopped is None else Confirmed.STALE
    if stopped is not None and stopped > confirmation.created_at:
        return Confirmed.STALE
    return Confirmed.WAITING


def alert_confirm(*, confirmation: AlertConfirmation, now: datetime.datetime | None = None) -> Confirmed:
    """Start the alert a confirmation link is for (or change its frequency); how the link stands after."""
    now = now or timezone.now()
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().get(pk=confirmation.subscription_id)
        confirmation = AlertConfirmation.objects.select_for_update().get(pk=confirmation.pk)
        confirmation.subscription = subscription
        standing = confirmation_standing(confirmation)
        if standing != Confirmed.WAITING:
            return standing
        if subscription.confirmed_at is None or subscription.unsubscribed_at is not None:
            # From now on: the first mail is in the next day or week, and lists what came after now.
            subscription.unsubscribed_at = None
            subscription.last_sent_through = now
            subscription.period_checked = period_start(confirmation.frequency, now)
        subscription.confirmed_at = now
        subscription.frequency = confirmation.frequency
        subscription.save()
        confirmation.used_at = now
        confirmation.save(update_fields=["used_at"])
    return Confirmed.CONFIRMED


def alert_unsubscribe(*, subscription: Subscription, now: datetime.datetime | None = None) -> None:
    """Stop an alert (a mail already decided on is not sent). Doing it again changes nothing."""
    Subscription.objects.filter(pk=subscription.pk, unsubscribed_at__isnull=True).update(
        unsubscribed_at=now or timezone.now()
    )
    subscription.refresh_from_db(fields=["unsubscribed_at"])


# Mails --------------------------------------------------------------------------------------------


def _headers(subscription: Subscription | None, message_id: str | None = None) -> dict[str, str]:
    headers = {"Auto-Submitted": "auto-generated"}  # RFC 3834: no out-of-office replies, please
    if subscription is not None:
        link = absolute(reverse("alert-unsubscribe", args=[unsubscribe_token(subscription)]))
        headers["List-Unsubscribe"] = f"<{link}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058: a POST stops it
    if message_id:
        headers["Message-ID"] = message_id
    return headers


def _subject(text: str) -> str:
    return text if len(text) <= SUBJECT_LENGTH else text[: SUBJECT_LENGTH - 1].rstrip() + "…"


def confirmation_message(confirmation: AlertConfirmation) -> EmailMessage:
    subscription = confirmation.subscription
    description = search_description(subscription.query)
    context = {
        "description": description,
        "search_url": absolute(search_url(subscription.query)),
        "frequency": confirmation.get_frequency_display().lower(),
        "confirm_url": absolute(reverse("alert-confirm", args=[confirmation_token(confirmation)])),
        "days": CONFIRMATION_MAX_AGE.days,
        "site_url": absolute("/"),
    }
    return EmailMessage(
        subject=_subject(f"Confirm your email alert: {description}"),
        body=render_to_string("alerts/email/confirm.txt", context),
        to=[subscription.email],
        headers=_headers(None),
    )


def confirmation_send(confirmation_id: int) -> bool:
    """Mail a confirmation link (the task send_confirmation runs this). False if the request has gone."""
    confirmation = AlertConfirmation.objects.select_related("subscription").filter(pk=confirmation_id).first()
    if confirmation is None:
        return False
    confirmation_message(confirmation).send()
    return True


def message_id(delivery: AlertDelivery) -> str:
    """The mail's Message-ID, the same every time this delivery is sent (its idempotency key); the
    keyed hash of its row and creation keeps it unique across databases."""
    digest = salted_hmac(
        "inspections.alerts.message-id",
        f"{delivery.pk}:{delivery.created_at.isoformat()}",
        algorithm="sha256",
    )
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<alert.{delivery.pk}.{digest.hexdigest()[:20]}@{host}>"


def _listed(finding: Finding) -> dict:
    inspection = finding.inspection
    return {
        "where": f"{inspection.authority.short_name}, {inspection.get_kind_display()}"
        + (f", {inspection.date:%-d %B %Y}" if inspection.date else ""),
        "kind": finding.get_kind_display() + (f", paragraph {finding.number}" if finding.number else ""),
        "text": " ".join(finding.text.split()),
        "url": absolute(finding.get_absolute_url()),
    }


def alert_message(delivery: AlertDelivery, findings: list[Finding], total: int) -> EmailMessage:
    subscription = delivery.subscription
    description = search_description(subscription.query)
    context = {
        "total": total,
        "description": description,
        "findings": [_listed(finding) for finding in findings[:MAIL_FINDINGS]],
        "more": max(total - MAIL_FINDINGS, 0),
        "search_url": absolute(search_url(subscription.query, newest=True)),
        "frequency": delivery.get_frequency_display().lower(),
        "unsubscribe_url": absolute(reverse("alert-unsubscribe", args=[unsubscribe_token(subscription)])),
        "site_url": absolute("/"),
    }
    return EmailMessage(
        subject=_subject(f"{total} new finding{'s' if total != 1 else ''}: {description}"),
        body=render_to_string("alerts/email/alert.txt", context),
        to=[subscription.email],
        headers=_headers(subscription, message_id(delivery)),
    )


# Sending ------------------------------------------------------------------------------------------


@dataclass
class SendReport:
    """What a run of alerts_send did."""

    checked: int = 0  # alerts checked for new findings in this day or week
    decided: int = 0  # mails decided on (those with something new)
    sent: int = 0  # mails the mail server accepted, of this run's and earlier runs'
    failed: int = 0  # refused this time; tried again by the next run
    given_up: int = 0  # refused MAX_ATTEMPTS times
    cancelled: int = 0  # stopped, or nothing left to list, before they could go
    removed: int = 0  # alerts forgotten: never confirmed, or stopped, for longer than a link lasts

    def __str__(self):
        return (
            f"Alerts: {self.checked} checked, {self.decided} with something new; mails: {self.sent} sent, "
            f"{self.failed} to try again, {self.given_up} given up, {self.cancelled} not needed; "
            f"{self.removed} alert(s) never confirmed or stopped, forgotten."
        )


def _due(frequency: str, period: datetime.date) -> QuerySet:
    return (
        Subscription.objects.active()
        .filter(frequency=frequency)
        .filter(Q(period_checked__isnull=True) | Q(period_checked__lt=period))
    )


def alerts_send(*, frequency: str | None = None, now: datetime.datetime | None = None) -> SendReport:
    """Check every alert due (of one frequency, or both) and send each its mail; then send every mail
    still waiting from earlier runs. Safe to run at any time, as often as wanted, and concurrently."""
    now = now or timezone.now()
    # Findings that entered the archive in the last ALERTS_SETTLE_MINUTES wait for the next mail: an
    # ingest's transaction may not have committed yet, and a finding dated before a watermark but
    # committed after it would never be sent.
    cutoff = now - datetime.timedelta(minutes=settings.ALERTS_SETTLE_MINUTES)
    report = SendReport(removed=_sweep(now))
    for each in [frequency] if frequency else AlertFrequency.values:
        period = period_start(each, now)
        for pk in list(_due(each, period).values_list("pk", flat=True)):
            _claim(pk, each, period, cutoff, report)
    pending = list(AlertDelivery.objects.filter(status=DeliveryStatus.PENDING).values_list("pk", flat=True))
    if pending:
        mail = mailers.default  # one connection for the run, where the backend keeps one open
        try:
            for pk in pending:
                _deliver(pk, mail, report)
        finally:
            with contextlib.suppress(Exception):
                mail.close()
    return report


def _claim(pk: int, frequency: str, period: datetime.date, cutoff: datetime.datetime, report) -> None:
    with transaction.atomic():
        subscription = _due(frequency, period).select_for_update(skip_locked=True).filter(pk=pk).first()
        if subscription is None:
            return  # another run has it, or it changed since it was listed
        report.checked += 1
        after = subscription.last_sent_through
        through = max(after, cutoff)
        count = new_findings(subscription.query, after, through).count() if through > after else 0
        if count:
            AlertDelivery.objects.create(
                subscription=subscription,
                period_start=period,
                frequency=frequency,
                findings_after=after,
                findings_through=through,
                finding_count=count,
            )
            report.decided += 1
        subscription.last_sent_through = through
        subscription.period_checked = period
        subscription.save(update_fields=["last_sent_through", "period_checked"])


def _deliver(pk: int, mail, report: SendReport) -> None:
    with transaction.atomic():
        delivery = (
            AlertDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("subscription")
            .filter(pk=pk, status=DeliveryStatus.PENDING)
            .first()
        )
        if delivery is None:
            return  # sent, or being sent, by another run
        subscription = delivery.subscription
        findings = new_findings(subscription.query, delivery.findings_after, delivery.findings_through)
        total = findings.count() if subscription.unsubscribed_at is None else 0
        if not total:
            delivery.status = DeliveryStatus.CANCELLED
            delivery.save(update_fields=["status"])
            report.cancelled += 1
            return
        listed = list(
            findings.select_related("inspection__authority")
            .defer("search_vector", "inspection__text")
            .order_by(F("inspection_date").desc(nulls_last=True), "inspection_id", "order")[:MAIL_FINDINGS]
        )
        message = alert_message(delivery, listed, total)
        delivery.attempts += 1
        try:
            mail.open()
            if mail.send_messages([message]) != 1:
                raise SMTPException("the mail server took nothing")
        except Exception as error:  # whatever the mail server or the network did: this mail waits
            delivery.last_error = f"{type(error).__name__}: {error}"[:2000]
            given_up = delivery.attempts >= MAX_ATTEMPTS
            delivery.status = DeliveryStatus.FAILED if given_up else DeliveryStatus.PENDING
            delivery.save(update_fields=["attempts", "last_error", "status"])
            logger.warning("Alert mail %s not sent (attempt %s): %s", pk, delivery.attempts, error)
            report.given_up += given_up
            report.failed += not given_up
            with contextlib.suppress(Exception):
                mail.close()  # the next mail opens a new connection
            return
        delivery.status = DeliveryStatus.SENT
        delivery.sent_at = timezone.now()
        delivery.save(update_fields=["attempts", "status", "sent_at"])
        report.sent += 1


def _sweep(now: datetime.datetime) -> int:
    """Forget confirmation links once expired, and the addresses of alerts that no link can start
    any more: never confirmed, or stopped before the last link that could restart them expired."""
    expired = now - CONFIRMATION_MAX_AGE
    AlertConfirmation.objects.filter(created_at__lt=expired).delete()
    _, deleted = Subscription.objects.filter(
        Q(confirmed_at__isnull=True, confirmations__isnull=True) | Q(unsubscribed_at__lt=expired)
    ).delete()
    return deleted.get(Subscription._meta.label, 0)
