"""Settings come from the environment, with safe local defaults and a strict production mode."""

import gc
import subprocess
import sys

import pytest

from inspections import gunicorn_conf

from .conftest import ROOT, child_environment, database_url

KEY = "k" * 20 + "9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1"


def check(**env):
    """`manage.py check` in a child process with these variables set (one given as None: unset)."""
    environment = child_environment(**{name: value for name, value in env.items() if value is not None})
    for name in ("SECRET_KEY", "DJANGO_ENV", *env):
        if env.get(name) is None:
            environment.pop(name, None)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_a_real_secret_key():
    result = check(DJANGO_ENV="production", ALLOWED_HOSTS="archive.example.org")
    assert result.returncode != 0
    assert "Production needs a real SECRET_KEY" in result.stderr
    short = check(DJANGO_ENV="production", SECRET_KEY="too-short", ALLOWED_HOSTS="archive.example.org")
    assert short.returncode != 0


@pytest.mark.django_db
def test_production_starts_with_a_real_secret_key_and_database_url():
    result = check(
        DJANGO_ENV="production",
        SECRET_KEY=KEY,
        ALLOWED_HOSTS="archive.example.org",
        DATABASE_URL=database_url(),
    )
    assert result.returncode == 0, result.stderr


def test_production_refuses_the_embedded_postgresql():
    result = check(
        DJANGO_ENV="production", SECRET_KEY=KEY, ALLOWED_HOSTS="archive.example.org", DATABASE_URL=None
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "Production needs a real PostgreSQL server: set DATABASE_URL" in result.stderr


def test_local_use_needs_nothing_set():
    assert check().returncode == 0


def test_a_gunicorn_worker_sets_the_objects_made_at_start_aside_from_the_garbage_collector():
    gc.unfreeze()
    try:
        gunicorn_conf.post_worker_init(worker=None)
        assert gc.get_freeze_count() > 1000  # the site's modules, Django's and the test's own
    finally:
        gc.unfreeze()
