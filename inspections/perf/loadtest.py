"""`manage.py loadtest`: gunicorn on loopback, hammered by wrk with a mix of real requests, then stopped.

The load test starts gunicorn itself (on 127.0.0.1 only), builds the request mix from the archive's
own data (searches with and without filters, facets, authority and inspection pages, CSV exports
and the JSON API), runs wrk (Debian's `wrk` package: `apt-get install wrk`), samples the workers'
memory every second, and prints throughput, latency percentiles, errors and memory. It always
stops what it started.
"""

import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import psutil
from django.conf import settings
from django.core.cache import caches

from ..models import Authority, Inspection, Theme
from .benchmark import machine_speed_ms

SEARCH_WORDS = [
    "supervision", "assessment", "care leavers", '"management oversight"', "neglect OR exploitation",
    "planning -drift", "early help", "domestic abuse", "audit", "placement stability",
]  # fmt: skip
WRK_SCRIPT = """
local paths = {%(paths)s}
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%%d duration_us=%%d errors_status=%%d errors_connect=%%d "
    .. "errors_read=%%d errors_write=%%d errors_timeout=%%d p50=%%d p95=%%d p99=%%d max=%%d\\n",
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""
# The load the site should hold (issue #20), judged on what wrk reports.
TARGET_RATE = 150
TARGET_P95_MS = 500
TARGET_RSS_MB = 250


class LoadTestError(Exception):
    """The load test could not run, or requests failed under load."""


def request_mix(seed: int = 7) -> list[str]:
    """About two hundred real requests, weighted like the site's use: mostly searches."""
    chooser = random.Random(seed)
    authorities = list(Authority.objects.current().values_list("slug", flat=True))
    themes = list(Theme.objects.values_list("slug", flat=True)) or [""]
    inspections = list(Inspection.objects.order_by("?").values_list("pk", flat=True)[:40])
    if not inspections:
        raise LoadTestError("The archive is empty: ingest some reports (or run `synth`) first.")
    paths = []
    for _ in range(60):
        paths.append("/findings/?" + urlencode({"q": chooser.choice(SEARCH_WORDS)}))
    values = {
        "authority": authorities,
        "kind": ["area_for_improvement", "strength", "recommendation", "narrative"],
        "grade": ["good", "requires_improvement", "outstanding", "inadequate"],
    }
    for _ in range(50):
        query = {"q": chooser.choice(SEARCH_WORDS), "theme": chooser.choice(themes)}
        chosen = chooser.choice(list(values))  # one more filter, with a value it takes
        query[chosen] = chooser.choice(values[chosen])
        paths.append("/findings/?" + urlencode({key: value for key, value in query.items() if value}))
    for _ in range(20):
        paths.append("/findings/?" + urlencode({"region": "london", "kind": "area_for_improvement"}))
    for _ in range(25):
        paths.append(f"/authorities/{chooser.choice(authorities)}/")
    for _ in range(25):
        paths.append(f"/inspections/{chooser.choice(inspections)}/")
    for _ in range(10):
        paths.append("/findings.csv?" + urlencode({"authority": chooser.choice(authorities)}))
    for _ in range(10):
        paths.append("/api/findings?" + urlencode({"q": chooser.choice(SEARCH_WORDS)}))
    paths += ["/", "/authorities/", "/themes/"] * 3
    chooser.shuffle(paths)
    return paths


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_command(port: int, *more: str, app: str = "inspections.wsgi") -> list[str]:
    """gunicorn as production runs it (inspections/gunicorn_conf.py), on a loopback port."""
    return [sys.executable, "-m", "gunicorn", "-c", "python:inspections.gunicorn_conf", app,
            "--bind", f"127.0.0.1:{port}", "--log-level", "warning", *more]  # fmt: skip


def warm_up(port: int, paths: list[str], log) -> None:
    """Each distinct request asked once, one after another, as a site that has been serving them has
    them cached: the load then measures the site as served, not its first minute after a change."""
    started = time.perf_counter()
    distinct = list(dict.fromkeys(paths))
    for path in distinct:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=600) as response:
            response.read()
    log(
        f"Warm-up: each of the {len(distinct)} distinct requests asked once first, in "
        f"{time.perf_counter() - started:.1f} s, so the load's answers come from the page cache "
        "(page_cache.py) as on a site that has served them since the archive last changed; "
        "`--cold` starts from an empty cache instead."
    )


def run_load_test(*, clients: int, duration: int, workers: int, cold: bool, log) -> None:
    """Serve, load, report through `log`; raise LoadTestError when it cannot run or requests fail."""
    wrk = shutil.which("wrk")
    if not wrk:
        raise LoadTestError(
            "wrk is not installed: `apt-get install wrk` (Debian's package), then run this again."
        )
    paths = request_mix()
    caches["pages"].clear()  # every run starts alike: from an empty page cache
    speed_before = machine_speed_ms()
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "mix.lua"
        script.write_text(WRK_SCRIPT % {"paths": ", ".join(f'"{path}"' for path in paths)})
        server = subprocess.Popen(serve_command(port, "--workers", str(workers)), cwd=settings.BASE_DIR)
        try:
            wait_until_serving(port)
            if not cold:
                warm_up(port, paths, log)
            log(
                f"Load: {clients} clients for {duration} s over {len(paths)} requests "
                f"({len(set(paths))} distinct), gunicorn with {workers} workers of 4 threads on "
                f"127.0.0.1:{port}; "
                + (
                    "from an empty page cache: the first answer to each request is worked out, later ones "
                    "come from the cache (shared by the workers) until the archive changes."
                    if cold
                    else "every answer from the page cache (see the warm-up)."
                )
            )
            memory = []
            load = subprocess.Popen(
                [wrk, "-t2", f"-c{clients}", f"-d{duration}s", "--timeout", "30s", "-s", str(script),
                 f"http://127.0.0.1:{port}"],
                stdout=subprocess.PIPE, text=True,
            )  # fmt: skip
            while load.poll() is None:
                memory.append(workers_rss(server.pid))
                time.sleep(1)
            output = load.stdout.read()
        finally:
            server.terminate()
            server.wait(timeout=30)
    log(
        f"Machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end; speed check "
        f"(bench's fixed Python loop) {speed_before:.0f} ms before and {machine_speed_ms():.0f} ms after."
    )
    report(output, memory, log)


def wait_until_serving(port: int, name: str = "gunicorn") -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5):
                return
        except OSError:
            time.sleep(0.3)
    raise LoadTestError(f"{name} did not start serving within 60 s.")


def workers_rss(master_pid: int) -> list[int]:
    try:
        return [child.memory_info().rss for child in psutil.Process(master_pid).children()]
    except psutil.Error:
        return []


def report(output: str, memory: list[list[int]], log) -> None:
    match = re.search(r"RESULT (.*)", output)
    if not match:
        raise LoadTestError(f"wrk printed no result:\n{output}")
    figures = {key: int(value) for key, value in (item.split("=") for item in match.group(1).split())}
    seconds = figures["duration_us"] / 1e6
    errors = sum(value for key, value in figures.items() if key.startswith("errors_"))
    log(
        f"Requests: {figures['requests']} in {seconds:.1f} s = {figures['requests'] / seconds:.1f} per second"
    )
    log(
        f"Latency: p50 {figures['p50'] / 1000:.0f} ms, p95 {figures['p95'] / 1000:.0f} ms, "
        f"p99 {figures['p99'] / 1000:.0f} ms, max {figures['max'] / 1000:.0f} ms"
    )
    log(
        f"Errors: {errors} (non-2xx/3xx {figures['errors_status']}, connect {figures['errors_connect']}, "
        f"read {figures['errors_read']}, write {figures['errors_write']}, timeout {figures['errors_timeout']})"
    )
    samples = [max(sample) for sample in memory if sample]
    if samples:
        third = max(len(samples) // 3, 1)
        log(
            f"Largest worker RSS: first third {max(samples[:third]) / 2**20:.0f} MB, "
            f"last third {max(samples[-third:]) / 2**20:.0f} MB, peak {max(samples) / 2**20:.0f} MB"
        )
    rate, p95, peak = figures["requests"] / seconds, figures["p95"] / 1000, max(samples, default=0) / 2**20
    misses = [
        miss
        for miss, missed in (
            (f"{rate:.1f} requests/s < {TARGET_RATE}", rate < TARGET_RATE),
            (f"p95 {p95:.0f} ms > {TARGET_P95_MS} ms", p95 > TARGET_P95_MS),
            (f"{errors} errors", errors > 0),
            (f"worker RSS {peak:.0f} MB > {TARGET_RSS_MB} MB", peak > TARGET_RSS_MB),
        )
        if missed
    ]
    log(
        f"Targets (at a million findings, 50 clients for 60 s, on 2 cores, as served): ≥ {TARGET_RATE} requests/s, "
        f"p95 ≤ {TARGET_P95_MS} ms, 0 errors, worker RSS ≤ {TARGET_RSS_MB} MB: "
        + ("met." if not misses else "missed: " + "; ".join(misses) + ".")
    )
    if errors:
        raise LoadTestError(f"{errors} request(s) failed under load.")
