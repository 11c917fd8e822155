"""Email alerts in a real browser, at desktop and phone widths: asked for from the search page,
confirmed from the mailed link, and stopped from the mail; every page checked with axe-core and
screenshotted, with a sample of the mail written beside the screenshots."""

import datetime
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from inspections.alerts import alerts_send
from inspections.models import Authority, Subscription

from .browser import CHROMIUM, CHROMIUM_MISSING, SCREENSHOTS, axe_violations, screenshot
from .factories import FindingFactory, InspectionFactory
from .pages import PHRASE, build_archive

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=CHROMIUM_MISSING),
    pytest.mark.django_db(transaction=True),  # the live server reads only committed rows
]

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
SITE = "https://archive.example.org"
ADDRESS = "reader@example.org"
SIGNUP = "Get emails about new findings for this search"


@pytest.fixture
def archive(authorities, settings):
    settings.SITE_URL = SITE  # the mails' links, as production writes them; the test follows their paths
    return build_archive()


def link(message, kind: str) -> str:
    [url] = re.findall(rf"{SITE}(/alerts/{kind}/\S+?/)", message.body)
    return url


def checked(page, name: str, width: str) -> None:
    """No axe-core violations, nothing wider than the window, and a screenshot."""
    assert axe_violations(page) == "", name
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[width][0], name
    assert ADDRESS not in page.content()
    screenshot(page, f"{name}-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_ask_for_alerts_from_a_search_confirm_them_get_one_and_stop_them(page, archive, width):
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    page.goto(f"/findings/?q={PHRASE}&authority=rutland&sort=oldest")
    signup = page.get_by_role("region", name=SIGNUP)
    expect(signup).to_be_visible()
    checked(page, "alerts-search", width)

    signup.get_by_label("Email address").fill(ADDRESS)
    signup.get_by_label(re.compile(r"^Weekly")).check()
    if width == "desktop":
        SCREENSHOTS.mkdir(exist_ok=True)
        signup.screenshot(path=SCREENSHOTS / "alerts-form.png", animations="disabled")
    signup.get_by_role("button", name="Get emails").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    expect(page.get_by_role("link", name="Back to the search")).to_have_attribute(
        "href", "/findings/?q=%22management+oversight%22&authority=rutland"
    )
    checked(page, "alerts-requested", width)

    [confirmation] = mail.outbox
    assert confirmation.to == [ADDRESS]
    page.goto(link(confirmation, "confirm"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your email alert")
    expect(page.locator(".alert-facts")).to_contain_text("“management oversight”; Authority: Rutland")
    checked(page, "alerts-confirm", width)
    page.get_by_role("button", name="Confirm and start the emails").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your email alert is on")
    expect(page.get_by_role("status")).to_contain_text("You will get an email weekly")
    checked(page, "alerts-confirmed", width)
    assert Subscription.objects.active().get().frequency == "weekly"

    # a report published after that, and the next week's run
    inspection = InspectionFactory(
        authority=Authority.objects.get(slug="rutland"),
        start_date=datetime.date(2026, 10, 5),
        end_date=datetime.date(2026, 10, 16),
    )
    FindingFactory(
        inspection=inspection,
        kind="area_for_improvement",
        number=12,
        text="The consistency and impact of management oversight of children's plans.",
    )
    FindingFactory(inspection=inspection, text="Leaders know their services well.")  # not for this search
    report = alerts_send(now=timezone.now() + datetime.timedelta(days=7, minutes=30))
    assert report.sent == 1
    alert = mail.outbox[-1]
    assert alert.subject == "1 new finding: “management oversight”; Authority: Rutland"
    if width == "desktop":
        (SCREENSHOTS / "alerts-mail.txt").write_text(
            "".join(f"{name}: {value}\n" for name, value in alert.extra_headers.items())
            + f"Subject: {alert.subject}\nTo: {alert.to[0]}\n\n{alert.body}"
        )

    page.goto(link(alert, "unsubscribe"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Stop these emails?")
    checked(page, "alerts-unsubscribe", width)
    page.get_by_role("button", name="Stop the emails").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Emails stopped")
    checked(page, "alerts-unsubscribed", width)
    assert not Subscription.objects.active().exists()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_mistake_in_the_form_and_a_broken_link_are_explained_accessibly(page, archive, width):
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    page.goto("/findings/?q=supervision")
    signup = page.get_by_role("region", name=SIGNUP)
    signup.get_by_label("Email address").fill("reader at example")
    signup.get_by_role("button", name="Get emails").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(page).to_have_title(re.compile(r"^Error: "))
    checked(page, "alerts-form-error", width)
    summary.get_by_role("link", name="Enter an email address like name@example.org").click()
    expect(page.get_by_label("Email address")).to_be_focused()
    expect(page.get_by_label("Email address")).to_have_value("reader at example")
    assert urlsplit(page.url).path == "/alerts/"

    page.goto("/alerts/confirm/not-a-real-link/")
    expect(page.get_by_role("heading", level=1)).to_have_text("This link does not work")
    checked(page, "alerts-bad-link", width)
    assert not mail.outbox
