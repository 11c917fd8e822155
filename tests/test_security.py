"""Security settings and headers: deploy checks, CSP, and files never served as something to run."""

import secrets
import subprocess
import sys

import pytest
from django.urls import reverse

from inspections.services import report_ingest

from .conftest import ROOT, SEEDS, child_environment, database_url


@pytest.fixture
def production(db):
    """Production's environment, reaching this run's test database by DATABASE_URL."""
    return {
        "DJANGO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "archive.example.org",
        "DATABASE_URL": database_url(),
        "ARCHIVE_NO_BOOTSTRAP": "1",
    }


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=child_environment(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_deploy_checks_are_clean_in_production(production):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_turns_on_hsts_secure_cookies_and_https(production):
    code = (
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.SECURE_HSTS_SECONDS >= 31536000, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_SSL_REDIRECT)"
    )
    result = manage("shell", "--no-imports", "-c", code, env=production)
    assert result.stdout.split() == ["False", "True", "True", "True", "True"], result.stderr


@pytest.mark.django_db
def test_every_page_sends_the_security_headers(client):
    response = client.get(reverse("home"))
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_a_stored_report_is_only_ever_downloaded_never_rendered(client):
    data = (SEEDS / "rutland-2011-contact-referral-assessment.txt").read_text()
    data += "\n<script>alert('stored')</script>\n"
    inspection = report_ingest(data=data.encode(), filename="report.html")
    response = client.get(reverse("inspection-source", args=[inspection.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_staff_sign_in_is_throttled_after_repeated_failures(client, django_user_model, settings):
    django_user_model.objects.create_user("editor", password="the-right-password-42", is_staff=True)
    login = reverse("admin:login")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(login, {"username": "editor", "password": "wrong"})
        assert (
            response.status_code == 200 and "Please enter the correct username" in response.content.decode()
        )

    locked = client.post(login, {"username": "editor", "password": "wrong"})
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.content.decode()
    right_password = client.post(login, {"username": "editor", "password": "the-right-password-42"})
    assert right_password.status_code == 429  # even the right password waits out the pause
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_successful_sign_in_is_not_throttled(client, django_user_model):
    django_user_model.objects.create_user("editor", password="the-right-password-42", is_staff=True)
    client.post(reverse("admin:login"), {"username": "editor", "password": "wrong"})
    response = client.post(
        reverse("admin:login"), {"username": "editor", "password": "the-right-password-42"}
    )
    assert response.status_code == 302
