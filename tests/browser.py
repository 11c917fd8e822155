"""Helpers for the real-browser tests: Debian's Chromium driven by Playwright, checked with axe-core."""

from pathlib import Path
from urllib.parse import urlsplit

from axe_playwright_python.sync_playwright import Axe

from .conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_MISSING = f"no Chromium at {CHROMIUM} (CI installs Debian's chromium package in .ci/run)"
# Playwright must never fetch a browser of its own: it drives the system Chromium with these flags.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "screenshots"
# WCAG 2.0, 2.1 and 2.2 at levels A and AA, plus axe's best practices (landmarks, heading order).
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}

# The rules whose outcome depends on the width of the window, for a second pass at phone width.
AXE_LAYOUT_OPTIONS = {
    "runOnly": {"type": "rule", "values": ["target-size", "scrollable-region-focusable", "region"]},
    "resultTypes": ["violations"],
}

_axe = Axe()


def axe_violations(page, options=AXE_OPTIONS) -> str:
    """axe-core's report of the page's accessibility violations; empty when there are none."""
    results = _axe.run(page, options=options)
    return results.generate_report() if results.violations_count else ""


def screenshot(page, name: str) -> Path:
    """Save the whole page as screenshots/<name>.png for people to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=True, animations="disabled")
    return path


def focused(page) -> dict:
    """What has the keyboard focus, and how its focus indicator is drawn."""
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            const box = el.getBoundingClientRect();
            return {
                tag: el.tagName.toLowerCase(), id: el.id, name: el.name || "", value: el.value || "",
                type: el.type || "", text: (el.innerText || "").trim(), checked: !!el.checked,
                outlineStyle: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth),
                outlineColor: style.outlineColor, boxShadow: style.boxShadow,
                visible: box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0
                    && box.top < innerHeight && box.left < innerWidth,
            };
        }"""
    )


def tab_to(page, matches, limit: int = 80) -> dict:
    """Press Tab until the focused element satisfies `matches` (a predicate on `focused()`)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        element = focused(page)
        if matches(element):
            return element
    raise AssertionError(f"Tab never reached the element wanted within {limit} presses")


def has_visible_focus(element: dict) -> bool:
    """A solid outline at least 2px wide (WCAG 2.4.7, and 2.4.13's thickness), on screen."""
    return element["visible"] and element["outlineStyle"] != "none" and element["outlineWidth"] >= 2


def from_another_host(url: str, site: str) -> bool:
    """Whether the browser fetched `url` from somewhere other than the site (inline data aside)."""
    parts = urlsplit(url)
    return parts.scheme not in ("data", "blob", "about") and parts.netloc != urlsplit(site).netloc
