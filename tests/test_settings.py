"""Settings come from the environment, with safe local defaults and a strict production mode."""

import subprocess
import sys

from .conftest import ROOT, child_environment


def check(**env):
    environment = child_environment(**env)
    for name in ("SECRET_KEY", "DJANGO_ENV"):
        if name not in env:
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


def test_production_starts_with_a_real_secret_key():
    key = "k" * 20 + "9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1"
    result = check(DJANGO_ENV="production", SECRET_KEY=key, ALLOWED_HOSTS="archive.example.org")
    assert result.returncode == 0, result.stderr


def test_local_use_needs_nothing_set():
    assert check().returncode == 0
