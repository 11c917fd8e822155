"""The load-test command runs end to end (the figures themselves come from running it by hand)."""

import shutil

import pytest
from django.http import QueryDict

from inspections.filters import FindingFilterSet
from inspections.perf.loadtest import request_mix

from .conftest import SEEDS, python, subprocess_env
from .factories import InspectionFactory


@pytest.mark.skipif(not shutil.which("wrk"), reason="wrk is not installed (apt-get install wrk)")
@pytest.mark.django_db(transaction=True)
def test_loadtest_starts_serves_and_stops_gunicorn_with_no_errors(authorities, media_root):
    env = {**subprocess_env(), "MEDIA_ROOT": str(media_root)}
    assert (
        "Ingested 5"
        in python("manage.py", "ingest", str(SEEDS), "--no-progress", env=env, timeout=120).stdout
    )
    for cold in (False, True):
        result = python(
            "manage.py", "loadtest", "--clients", "4", "--duration", "3", "--workers", "1",
            *(["--cold"] if cold else []), env=env, timeout=180,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Errors: 0 " in result.stdout
        assert "per second" in result.stdout and "Largest worker RSS" in result.stdout
        # which figures are cached is said: after a warm-up pass, or from an empty page cache
        assert ("Warm-up: each of the" in result.stdout) is not cold
        assert ("from an empty page cache" in result.stdout) is cold


@pytest.mark.django_db
def test_the_mix_asks_each_filter_for_a_value_it_takes(authorities):
    InspectionFactory()
    searches = [path for path in request_mix() if path.startswith("/findings/?")]
    assert len(searches) > 100
    for path in searches:
        filterset = FindingFilterSet(QueryDict(path.split("?", 1)[1]))
        assert filterset.is_valid(), (path, filterset.errors)
