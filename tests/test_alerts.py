"""Email alerts on a search: asked for, confirmed by a signed link, stopped from any mail, and each
day's or week's mail sent exactly once, listing what was published since the last."""

import datetime
import re
import smtplib
import threading
from unittest import mock
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.core import mail, signing
from django.core.mail.backends import locmem
from django.core.management import call_command
from django.db import connection, transaction
from django.http import QueryDict
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from inspections import alerts
from inspections.models import AlertConfirmation, AlertDelivery, Authority, Inspection, Subscription
from inspections.tasks import send_alerts

from .factories import AuthorityFactory, FindingFactory, InspectionFactory

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
MONDAY = datetime.datetime(2026, 11, 30, 8, 0, tzinfo=LONDON)
EMAIL = "Reader@Example.org"
ADDRESS = EMAIL.lower()
LINK = re.compile(r"http://\S+?/alerts/(?:confirm|unsubscribe)/\S+?/")


def at(days: float, hours: float = 0) -> datetime.datetime:
    return MONDAY + datetime.timedelta(days=days, hours=hours)


def publish(when: datetime.datetime, text: str = "Social workers receive regular supervision.", **fields):
    """A finding whose inspection entered the archive at `when`."""
    finding = FindingFactory(text=text, **fields)
    Inspection.objects.filter(pk=finding.inspection_id).update(created_at=when)
    return finding


def subscribed(email: str = EMAIL, query: str = "", frequency: str = "daily", when=MONDAY) -> Subscription:
    """An alert asked for and confirmed at `when`, through the services the pages use."""
    confirmation = alerts.alert_request(email=email, query=query, frequency=frequency, now=when)
    assert alerts.alert_confirm(confirmation=confirmation, now=when) == alerts.Confirmed.CONFIRMED
    return Subscription.objects.get(pk=confirmation.subscription_id)


def links(message) -> list[str]:
    return [urlsplit(url).path for url in LINK.findall(message.body)]


def ask(client, email: str = EMAIL, query: str = "q=supervision", frequency: str = "daily"):
    return client.post(reverse("alert-subscribe"), {"email": email, "frequency": frequency, "query": query})


class RefusingBackend(locmem.EmailBackend):
    """The test mail server: it refuses mail to the addresses in `refused`, and runs `before_accepting`
    and `after_accepting` (which may raise, as a process killed there would stop) around each mail."""

    refused: set[str] = set()
    before_accepting = after_accepting = staticmethod(lambda message: None)

    def send_messages(self, messages):
        for message in messages:
            type(self).before_accepting(message)
            if set(message.to) & self.refused:
                raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"5.1.1 No such mailbox")})
            super().send_messages([message])
            type(self).after_accepting(message)
        return len(messages)


@pytest.fixture
def mail_server(settings):
    settings.MAILERS = {"default": {"BACKEND": "tests.test_alerts.RefusingBackend"}}
    RefusingBackend.refused = set()
    RefusingBackend.before_accepting = RefusingBackend.after_accepting = staticmethod(lambda message: None)
    yield RefusingBackend
    RefusingBackend.refused = set()
    RefusingBackend.before_accepting = RefusingBackend.after_accepting = staticmethod(lambda message: None)


def sent_to(address: str) -> list:
    return [message for message in mail.outbox if address in message.to]


# The search, stored ------------------------------------------------------------------------------


def test_a_search_is_stored_as_the_filterset_reads_it():
    query = QueryDict(
        "sort=oldest&page=3&junk=1&q=  supervision   care &authority=rutland&authority=leeds&authority=leeds"
        "&grade=nonsense&date_from=2023-01-01&date_to=2020-01-01&kind=improvement&region="
    )
    assert alerts.search_query(query) == (
        "q=supervision+care&authority=leeds&authority=rutland&date_from=2020-01-01&date_to=2023-01-01"
        "&kind=improvement"
    )
    assert alerts.search_query(QueryDict("")) == alerts.search_query(QueryDict("page=2&sort=newest")) == ""
    # an authority the archive does not know makes the filter one the page ignores: so does the alert
    assert alerts.search_query(QueryDict("q=care&authority=nowhere")) == "q=care"


def test_a_search_is_described_in_words():
    assert alerts.search_description("") == "All findings"
    description = alerts.search_description(
        "q=supervision&authority=leeds&authority=rutland&date_from=2020-01-01&kind=improvement"
    )
    assert description == (
        "“supervision”; Authority: Leeds, Rutland; Inspected from 1 January 2020; "
        "Finding type: All improvement points"
    )
    assert "\n" not in alerts.search_description("q=one%0Atwo")  # a subject line stays one line


# Asking and confirming (double opt-in) ------------------------------------------------------------


def test_asking_mails_a_link_and_nothing_runs_until_it_is_followed_and_confirmed(client):
    response = ask(client, query="q=supervision&authority=leeds&page=2", frequency="weekly")
    assert response.status_code == 302
    assert response["Location"] == reverse("alert-requested") + "?q=supervision&authority=leeds"
    assert "Check your inbox" in client.get(response["Location"]).content.decode()

    [message] = mail.outbox
    assert message.to == [ADDRESS] and not message.cc and not message.bcc
    assert message.subject == "Confirm your email alert: “supervision”; Authority: Leeds"
    assert "http://127.0.0.1:8000/findings/?q=supervision&authority=leeds" in message.body
    subscription = Subscription.objects.get()
    assert (subscription.email, subscription.query) == (ADDRESS, "q=supervision&authority=leeds")
    assert not Subscription.objects.active().exists()

    [confirm_url] = links(message)
    page = client.get(confirm_url)  # a mail scanner following the link confirms nothing
    assert page.status_code == 200 and "Confirm and start the emails" in page.content.decode()
    assert not Subscription.objects.active().exists()

    confirmed = client.post(confirm_url)
    assert confirmed.status_code == 200
    assert "Your email alert is on" in confirmed.content.decode()
    subscription.refresh_from_db()
    assert subscription.confirmed_at and subscription.frequency == "weekly"
    assert subscription.last_sent_through == subscription.confirmed_at
    # following it again changes nothing, and says so
    again = client.get(confirm_url)
    assert "Your email alert is on" in again.content.decode()
    assert client.post(confirm_url).status_code == 200
    assert Subscription.objects.get().confirmed_at == subscription.confirmed_at


def test_asking_again_changes_the_frequency_once_confirmed_and_keeps_one_alert(client):
    subscription = subscribed(query="q=supervision", frequency="daily")
    ask(client, email=" READER@example.ORG ", query="q=supervision&sort=newest", frequency="weekly")
    assert Subscription.objects.count() == 1
    assert Subscription.objects.get().frequency == "daily"  # until the new link is followed
    client.post(links(mail.outbox[-1])[0])
    subscription.refresh_from_db()
    assert subscription.frequency == "weekly"
    assert subscription.last_sent_through == MONDAY  # it stays: nothing is listed twice or skipped


def test_the_confirm_button_needs_the_pages_csrf_token(client):
    ask(client)
    confirm_url = links(mail.outbox[0])[0]
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(confirm_url).status_code == 403
    assert not Subscription.objects.active().exists()


def test_a_form_with_mistakes_says_what_to_fix_and_records_nothing(client):
    response = ask(client, email="not an address", frequency="hourly")
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert '<a href="#alert-email">Enter an email address like name@example.org</a>' in html
    assert '<a href="#alert-frequency">Choose how often to get emails</a>' in html
    assert 'aria-invalid="true"' in html
    assert 'value="q=supervision"' in html  # the search is kept for the next try
    assert not Subscription.objects.exists() and not mail.outbox


def test_the_form_is_on_the_search_page_with_the_searchs_filters(client):
    html = client.get(reverse("finding-search"), {"q": "supervision", "page": "2", "sort": "oldest"}).content
    html = html.decode()
    assert "Get emails about new findings for this search" in html
    assert f'action="{reverse("alert-subscribe")}"' in html
    assert '<input type="hidden" name="query" value="q=supervision">' in html
    assert 'name="csrfmiddlewaretoken"' not in html  # no per-visitor token: the page is cached whole


def test_asking_needs_no_csrf_token_and_the_search_page_sets_no_cookie():
    strict = Client(enforce_csrf_checks=True)
    page = strict.get(reverse("finding-search"), {"q": "supervision"})
    assert not page.cookies
    response = strict.post(
        reverse("alert-subscribe"),
        {"email": "reader@example.org", "frequency": "daily", "query": "q=supervision"},
    )
    assert response.status_code == 302
    assert len(mail.outbox) == 1


def test_the_form_has_a_page_of_its_own(client):
    page = client.get(reverse("alert-subscribe"), {"q": "supervision", "authority": "rutland"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "“supervision”; Authority: Rutland" in html
    assert '<input type="hidden" name="query" value="q=supervision&amp;authority=rutland">' in html


# Links that do not work ---------------------------------------------------------------------------


def test_a_bad_link_gets_a_clear_page(client):
    ask(client)
    confirm_url = links(mail.outbox[0])[0]
    token = confirm_url.rstrip("/").rsplit("/", 1)[1]
    bad = [
        "nonsense",
        token[:-3],  # cut short
        token[:-1] + ("A" if token[-1] != "A" else "B"),  # altered
        signing.Signer(salt=alerts.UNSUBSCRIBE_SALT).sign_object({"c": 1}),  # signed for another purpose
        signing.TimestampSigner(salt=alerts.CONFIRM_SALT, key="another-key").sign_object({"c": 1}),
        signing.TimestampSigner(salt=alerts.CONFIRM_SALT).sign_object(["not", "a", "request"]),
    ]
    for token in bad:
        response = client.get(reverse("alert-confirm", args=[token]))
        assert response.status_code == 400, token
        assert "This link does not work" in response.content.decode()
        assert client.post(reverse("alert-confirm", args=[token])).status_code == 400
    for token in ["nonsense", signing.TimestampSigner(salt=alerts.CONFIRM_SALT).sign_object({"s": 1})]:
        response = client.post(reverse("alert-unsubscribe", args=[token]))
        assert response.status_code == 400
        assert "This link does not work" in response.content.decode()
    assert not Subscription.objects.active().exists()


def test_a_genuine_link_to_a_request_or_alert_no_longer_kept(client):
    ask(client)
    confirm_url = links(mail.outbox[0])[0]
    subscription = Subscription.objects.get()
    unsubscribe = reverse("alert-unsubscribe", args=[alerts.unsubscribe_token(subscription)])
    subscription.delete()
    response = client.get(confirm_url)
    assert response.status_code == 404
    assert "This link does not work" in response.content.decode()
    # an alert forgotten sends nothing: stopping it again says so, as a mail client expects
    for response in (client.get(unsubscribe), client.post(unsubscribe)):
        assert response.status_code == 200
        assert "You will get no more emails about this search" in response.content.decode()


def test_an_expired_link_says_so_and_leads_back_to_its_search(client):
    ask(client, query="q=supervision&authority=leeds")
    confirm_url = links(mail.outbox[0])[0]
    eight_days_on = timezone.now().timestamp() + 8 * 24 * 3600
    with mock.patch("django.core.signing.time", mock.Mock(time=lambda: eight_days_on)):
        page = client.get(confirm_url)
        assert client.post(confirm_url).status_code == 400
    assert page.status_code == 400
    html = page.content.decode()
    assert "This link has expired" in html
    assert 'href="/findings/?q=supervision&amp;authority=leeds"' in html
    assert not Subscription.objects.active().exists()


def test_a_link_sent_before_the_alert_was_stopped_cannot_start_it_again(client):
    ask(client)
    old_link = links(mail.outbox[0])[0]
    ask(client)
    client.post(links(mail.outbox[1])[0])  # confirmed by the newer link
    subscription = Subscription.objects.get()
    client.post(reverse("alert-unsubscribe", args=[alerts.unsubscribe_token(subscription)]))
    for link in (old_link, links(mail.outbox[1])[0]):
        for response in (client.get(link), client.post(link)):
            assert response.status_code == 410
            assert "This link has been used" in response.content.decode()
    assert not Subscription.objects.active().exists()
    # asking again sends a new link, which starts it again, from then on
    ask(client)
    client.post(links(mail.outbox[-1])[0])
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is None and subscription.confirmed_at > subscription.created_at


# Rate limits and enumeration ----------------------------------------------------------------------


def test_an_address_gets_a_few_confirmation_mails_a_day_and_the_page_never_says_so(client, settings):
    settings.ALERTS_CONFIRMATIONS_PER_DAY = 3
    answers = [ask(client, query=f"q=word{n}") for n in range(5)]
    assert len(sent_to(ADDRESS)) == 3
    assert Subscription.objects.count() == 3  # nothing is kept of a request refused
    assert {(a.status_code, a["Location"].split("?")[0]) for a in answers} == {(302, "/alerts/requested/")}
    ask(client, email="someone.else@example.org")  # the limit is the address's own
    assert len(sent_to("someone.else@example.org")) == 1
    # a day later the address may ask again
    AlertConfirmation.objects.update(created_at=timezone.now() - datetime.timedelta(hours=25))
    ask(client, query="q=word9")
    assert len(sent_to(ADDRESS)) == 4


def test_the_pages_say_the_same_whether_or_not_an_address_is_known(client, settings):
    settings.ALERTS_CONFIRMATIONS_PER_DAY = 1
    subscribed("known@example.org", query="q=supervision")
    ask(client, email="limited@example.org", query="q=other")
    pages = []
    for email in ("known@example.org", "unknown@example.org", "limited@example.org"):
        response = ask(client, email=email)
        pages.append((response.status_code, response["Location"], client.get(response["Location"]).content))
    assert pages[0] == pages[1] == pages[2]


def test_no_page_ever_shows_an_address(client):
    addresses = [ADDRESS, "reader@"]
    subscription = subscribed(query="q=supervision")
    publish(at(1))
    alerts.alerts_send(now=at(2))
    [alert] = mail.outbox
    pages = [
        client.get(reverse("finding-search"), {"q": "supervision"}),
        client.get(reverse("alert-subscribe"), {"q": "supervision"}),
        ask(client, email=EMAIL),
        ask(client, email="not an address@example.org"),
        client.get(reverse("alert-requested"), {"q": "supervision"}),
    ]
    confirm_url = links(mail.outbox[-1])[0]
    pages += [client.get(confirm_url), client.post(confirm_url), client.get(confirm_url)]
    [unsubscribe_url] = links(alert)
    pages += [client.get(unsubscribe_url), client.post(unsubscribe_url), client.get(unsubscribe_url)]
    pages += [client.get(reverse("alert-confirm", args=["bad"]))]
    for response in pages:
        text = response.content.decode().lower()
        for address in addresses:
            assert address.lower() not in text, (response.request["PATH_INFO"], address)
        assert ADDRESS not in response.get("Location", "")
    assert subscription.email == ADDRESS


# Sending: once, and only what is new ---------------------------------------------------------------


def test_an_alert_lists_what_was_published_since_and_is_sent_exactly_once_when_run_twice():
    leeds, rutland = Authority.objects.get(slug="leeds"), Authority.objects.get(slug="rutland")
    subscription = subscribed(query="q=supervision&authority=leeds")
    before = publish(at(-1), inspection__authority=leeds)  # in the archive before the alert began
    new = publish(at(0, 3), inspection__authority=leeds, number=14, kind="area_for_improvement")
    publish(at(0, 4), inspection__authority=rutland)  # another authority
    publish(at(0, 5), text="Care leavers have pathway plans.", inspection__authority=leeds)  # other words

    report = alerts.alerts_send(now=at(1))
    assert (report.checked, report.decided, report.sent) == (1, 1, 1)
    [message] = mail.outbox
    assert message.to == [ADDRESS] and not message.cc and not message.bcc
    assert message.subject == "1 new finding: “supervision”; Authority: Leeds"
    assert f"http://127.0.0.1:8000{new.get_absolute_url()}" in message.body
    assert f"{before.get_absolute_url()}\n" not in message.body
    assert "Area for improvement, paragraph 14" in message.body
    assert "http://127.0.0.1:8000/findings/?q=supervision&authority=leeds&sort=newest" in message.body

    again = alerts.alerts_send(now=at(1, 5))  # the same day: the alert was checked
    assert (again.checked, again.decided, again.sent) == (0, 0, 0)
    assert len(mail.outbox) == 1
    delivery = AlertDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.finding_count) == ("sent", 1, 1)
    subscription.refresh_from_db()
    assert subscription.last_sent_through == delivery.findings_through

    # the next day lists only what came since
    newer = publish(at(1, 2), inspection__authority=leeds)
    alerts.alerts_send(now=at(2))
    assert len(mail.outbox) == 2
    assert newer.get_absolute_url() in mail.outbox[1].body
    assert new.get_absolute_url() not in mail.outbox[1].body


def test_a_mail_can_be_stopped_in_one_click_and_is_marked_as_automatic():
    subscription = subscribed()
    publish(at(0, 3))
    alerts.alerts_send(now=at(1))
    [message] = mail.outbox
    token = alerts.unsubscribe_token(subscription)
    link = f"http://127.0.0.1:8000{reverse('alert-unsubscribe', args=[token])}"
    assert message.extra_headers["List-Unsubscribe"] == f"<{link}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    assert f"Stop these emails (one click): {link}" in message.body
    assert re.fullmatch(r"<alert\.\d+\.[0-9a-f]{20}@127\.0\.0\.1>", message.extra_headers["Message-ID"])
    assert "Message-ID" in str(message.message())  # Django keeps ours rather than making one


def test_nothing_is_sent_when_nothing_is_new():
    subscription = subscribed(query="q=supervision")
    publish(at(-2))  # before the alert began
    publish(at(0, 1), text="Care leavers have pathway plans.")  # new, but not for this search
    report = alerts.alerts_send(now=at(1))
    assert (report.checked, report.decided, report.sent) == (1, 0, 0)
    assert not mail.outbox and not AlertDelivery.objects.exists()
    subscription.refresh_from_db()
    assert subscription.period_checked == at(1).date()  # checked for the day all the same


def test_findings_still_settling_wait_for_the_next_mail(settings):
    settings.ALERTS_SETTLE_MINUTES = 10
    subscribed()
    publish(at(0, 23) + datetime.timedelta(minutes=55))  # 5 minutes before the run
    assert alerts.alerts_send(now=at(1)).sent == 0
    assert alerts.alerts_send(now=at(2)).sent == 1


def test_daily_alerts_go_each_day_and_weekly_ones_on_the_first_run_of_a_week():
    daily = subscribed("daily@example.org", frequency="daily")  # confirmed on a Monday
    weekly = subscribed("weekly@example.org", frequency="weekly")
    tuesday = publish(at(1, 2))
    alerts.alerts_send(now=at(2))  # Wednesday
    assert [message.to for message in mail.outbox] == [[daily.email]]
    alerts.alerts_send(now=at(5))  # Saturday: nothing new for the daily, the weekly waits
    assert len(mail.outbox) == 1
    alerts.alerts_send(now=at(7))  # the next Monday: the week's mail, from when the alert began
    assert [message.to for message in mail.outbox] == [[daily.email], [weekly.email]]
    assert tuesday.get_absolute_url() in mail.outbox[1].body
    alerts.alerts_send(now=at(8))
    assert len(mail.outbox) == 2
    deliveries = AlertDelivery.objects.order_by("pk")
    assert [(d.frequency, d.period_start) for d in deliveries] == [
        ("daily", at(2).date()),
        ("weekly", at(7).date()),
    ]


def test_one_frequency_at_a_time():
    subscribed("daily@example.org", frequency="daily")
    subscribed("weekly@example.org", frequency="weekly")
    publish(at(0, 2))
    assert alerts.alerts_send(frequency="weekly", now=at(7)).sent == 1
    assert [message.to for message in mail.outbox] == [["weekly@example.org"]]
    assert alerts.alerts_send(frequency="daily", now=at(7)).sent == 1


def test_a_long_list_is_cut_with_a_link_to_the_rest():
    subscribed()
    inspection = InspectionFactory()
    for order in range(1, alerts.MAIL_FINDINGS + 4):
        FindingFactory(inspection=inspection, order=order, text=f"Finding number {order}.")
    Inspection.objects.filter(pk=inspection.pk).update(created_at=at(0, 1))
    alerts.alerts_send(now=at(1))
    [message] = mail.outbox
    assert message.subject.startswith(f"{alerts.MAIL_FINDINGS + 3} new findings: All findings")
    assert "Finding number 1." in message.body and "Finding number 25." in message.body
    assert "Finding number 26." not in message.body
    assert "… and 3 more." in message.body


# Failures and crashes ----------------------------------------------------------------------------


def test_a_refused_mail_leaves_the_others_sent_and_is_sent_once_by_the_next_run(mail_server):
    for name in ("ann", "bob", "cat"):
        subscribed(f"{name}@example.org")
    publish(at(0, 2))
    mail_server.refused = {"bob@example.org"}

    first = alerts.alerts_send(now=at(1))
    assert (first.decided, first.sent, first.failed) == (3, 2, 1)
    assert sorted(m.to[0] for m in mail.outbox) == ["ann@example.org", "cat@example.org"]
    failed = AlertDelivery.objects.get(subscription__email="bob@example.org")
    assert (failed.status, failed.attempts) == ("pending", 1)
    assert "SMTPRecipientsRefused" in failed.last_error

    mail_server.refused = set()
    second = alerts.alerts_send(now=at(1, 2))  # the same day: nothing checked again, the mail retried
    assert (second.checked, second.decided, second.sent) == (0, 0, 1)
    assert sorted(m.to[0] for m in mail.outbox) == ["ann@example.org", "bob@example.org", "cat@example.org"]
    assert alerts.alerts_send(now=at(1, 4)).sent == 0
    assert len(mail.outbox) == 3
    assert set(AlertDelivery.objects.values_list("status", flat=True)) == {"sent"}


def test_a_mail_refused_every_time_is_given_up(mail_server):
    subscribed()
    publish(at(0, 2))
    mail_server.refused = {ADDRESS}
    reports = [alerts.alerts_send(now=at(1, hour)) for hour in range(alerts.MAX_ATTEMPTS + 2)]
    assert [r.failed for r in reports] == [1] * (alerts.MAX_ATTEMPTS - 1) + [0, 0, 0]
    assert [r.given_up for r in reports] == [0] * (alerts.MAX_ATTEMPTS - 1) + [1, 0, 0]
    delivery = AlertDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", alerts.MAX_ATTEMPTS)
    assert not mail.outbox


class Killed(BaseException):
    """The process stopping where it stands (SIGKILL, a power cut): nothing after it runs."""


def test_a_run_killed_midway_sends_the_rest_next_time_and_none_twice(mail_server):
    for name in ("ann", "bob", "cat"):
        subscribed(f"{name}@example.org")
    publish(at(0, 2))

    def killed_at_bob(message):
        if message.to == ["bob@example.org"]:
            raise Killed

    mail_server.before_accepting = staticmethod(killed_at_bob)
    with pytest.raises(Killed):
        alerts.alerts_send(now=at(1))
    assert [m.to[0] for m in mail.outbox] == ["ann@example.org"]
    assert AlertDelivery.objects.filter(status="pending").count() == 2  # bob's and cat's, decided on

    mail_server.before_accepting = staticmethod(lambda message: None)
    report = alerts.alerts_send(now=at(1, 1))
    assert (report.checked, report.sent) == (0, 2)
    assert sorted(m.to[0] for m in mail.outbox) == ["ann@example.org", "bob@example.org", "cat@example.org"]


def test_a_run_killed_while_claiming_records_nothing_and_the_next_run_claims_again(mail_server):
    subscription = subscribed()
    publish(at(0, 2))
    # killed after the mail was recorded, before the watermark moved: the claim's transaction undoes both
    with mock.patch.object(Subscription, "save", side_effect=Killed), pytest.raises(Killed):
        alerts.alerts_send(now=at(1))
    assert not AlertDelivery.objects.exists() and not mail.outbox
    assert Subscription.objects.get().last_sent_through == subscription.last_sent_through
    assert alerts.alerts_send(now=at(1, 1)).sent == 1
    assert alerts.alerts_send(now=at(1, 2)).sent == 0
    assert len(mail.outbox) == 1


def test_a_run_killed_before_any_mail_went_sends_them_next_time(mail_server):
    subscribed()
    publish(at(0, 2))
    with mock.patch("inspections.alerts._deliver", side_effect=Killed), pytest.raises(Killed):
        alerts.alerts_send(now=at(1))
    assert not mail.outbox and AlertDelivery.objects.get().status == "pending"
    assert alerts.alerts_send(now=at(1, 1)).sent == 1
    assert alerts.alerts_send(now=at(1, 2)).sent == 0
    assert len(mail.outbox) == 1


def test_a_run_killed_as_a_mail_was_accepted_sends_it_again_with_the_same_message_id(mail_server):
    """The guarantee chosen: at least once. Between the mail server accepting a mail and its 'sent'
    being committed, a crash sends it again; both copies carry one Message-ID."""
    subscribed()
    publish(at(0, 2))

    def killed(message):
        raise Killed

    mail_server.after_accepting = staticmethod(killed)
    with pytest.raises(Killed):
        alerts.alerts_send(now=at(1))
    mail_server.after_accepting = staticmethod(lambda message: None)
    alerts.alerts_send(now=at(1, 1))
    first, second = mail.outbox
    assert first.extra_headers["Message-ID"] == second.extra_headers["Message-ID"]
    assert first.body == second.body
    assert AlertDelivery.objects.get().status == "sent"


@pytest.mark.django_db(transaction=True)
def test_a_run_passes_over_an_alert_another_run_holds_and_the_next_run_sends_it(authorities):
    held, free = subscribed("held@example.org"), subscribed("free@example.org")
    finding = FindingFactory(inspection__authority=AuthorityFactory())
    Inspection.objects.filter(pk=finding.inspection_id).update(created_at=at(0, 2))
    locked, release = threading.Event(), threading.Event()

    def another_run():
        with transaction.atomic():
            Subscription.objects.select_for_update().get(pk=held.pk)
            locked.set()
            release.wait(30)
        connection.close()

    thread = threading.Thread(target=another_run)
    thread.start()
    try:
        assert locked.wait(30)
        report = alerts.alerts_send(now=at(1))
        assert (report.checked, report.sent) == (1, 1)
        assert [m.to for m in mail.outbox] == [[free.email]]
    finally:
        release.set()
        thread.join()
    assert alerts.alerts_send(now=at(1, 1)).sent == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["free@example.org", "held@example.org"]


# Stopping -----------------------------------------------------------------------------------------


def test_the_unsubscribe_link_shows_what_it_stops_and_a_button_stops_it(client):
    subscription = subscribed(query="q=supervision")
    publish(at(0, 2))
    alerts.alerts_send(now=at(1))
    [unsubscribe_url] = links(mail.outbox[0])
    page = client.get(unsubscribe_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Stop these emails?" in html and "“supervision”" in html
    assert Subscription.objects.active().exists()  # looking is not stopping

    stopped = client.post(unsubscribe_url)
    assert stopped.status_code == 200 and "Emails stopped" in stopped.content.decode()
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is not None
    assert client.post(unsubscribe_url).status_code == 200  # again: no change, no error
    assert "Emails stopped" in client.get(unsubscribe_url).content.decode()

    publish(at(1, 2))
    assert alerts.alerts_send(now=at(2)).checked == 0
    assert len(mail.outbox) == 1


def test_a_mail_clients_one_click_post_stops_the_alert_without_a_csrf_token():
    subscription = subscribed()
    publish(at(0, 2))
    alerts.alerts_send(now=at(1))
    header = mail.outbox[0].extra_headers["List-Unsubscribe"]
    url = urlsplit(header.strip("<>")).path
    response = Client(enforce_csrf_checks=True).post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is not None
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_mail_decided_on_before_the_alert_was_stopped_is_not_sent(mail_server):
    subscription = subscribed()
    publish(at(0, 2))
    mail_server.refused = {ADDRESS}
    alerts.alerts_send(now=at(1))
    alerts.alert_unsubscribe(subscription=subscription)
    mail_server.refused = set()
    assert alerts.alerts_send(now=at(1, 1)).cancelled == 1
    assert not mail.outbox and AlertDelivery.objects.get().status == "cancelled"


# Housekeeping, the command and the task ------------------------------------------------------------


def test_addresses_are_forgotten_once_no_link_can_start_their_alerts(client):
    ask(client, email="never@example.org")
    kept = subscribed("kept@example.org")
    stopped_long_ago = subscribed("gone@example.org")
    stopped_lately = subscribed("lately@example.org")
    AlertConfirmation.objects.update(created_at=timezone.now() - datetime.timedelta(days=8))
    stopped_long_ago.unsubscribed_at = timezone.now() - datetime.timedelta(days=8)
    stopped_long_ago.save()
    alerts.alert_unsubscribe(subscription=stopped_lately)
    assert alerts.alerts_send().removed == 2
    assert set(Subscription.objects.values_list("email", flat=True)) == {kept.email, stopped_lately.email}
    assert not AlertConfirmation.objects.exists()


def test_the_command_and_the_task_run_the_same_service(capsys):
    subscribed()
    publish(timezone.now() - datetime.timedelta(hours=1))
    Subscription.objects.update(
        last_sent_through=timezone.now() - datetime.timedelta(days=1), period_checked=None
    )
    call_command("send_alerts")
    assert "1 checked, 1 with something new; mails: 1 sent" in capsys.readouterr().out
    Subscription.objects.update(period_checked=None)
    result = send_alerts.enqueue(frequency="daily")  # the immediate backend runs it at once
    assert result.status == "SUCCESSFUL", result.errors
    assert result.return_value["checked"] == 1 and result.return_value["sent"] == 0
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    "query",
    [
        "q=<script>alert(1)</script>",
        "q=" + "a" * 5000,
        "q=%00%0d%0aBcc:%20x@example.org",
        "authority=<b>&theme=nope&date_from=2024-13-45&grade=' OR 1=1 --",
        'q="unclosed&kind=improvement&kind=improvement&page=-1&sort=<x>',
        "%ff%fe=%ff&q=日本語",
    ],
)
def test_hostile_searches_give_a_page_and_a_one_line_subject_never_an_error(client, query):
    for response in (
        client.get(f"{reverse('alert-subscribe')}?{query}"),
        client.get(f"{reverse('alert-requested')}?{query}"),
    ):
        assert response.status_code == 200
        assert "<script>alert" not in response.content.decode() and "<b>" not in response.content.decode()
    response = client.post(reverse("alert-subscribe"), {"email": EMAIL, "frequency": "daily", "query": query})
    assert response.status_code == 302
    [message] = mail.outbox
    assert "\n" not in message.subject and "\r" not in message.subject
    assert message.to == [ADDRESS] and not message.bcc
    message.message()  # the headers are well formed
