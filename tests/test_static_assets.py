"""Static files: the stylesheet is served by WhiteNoise as in production, and no page loads anything
(stylesheets, scripts, fonts, images) from another host."""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command

from .pages import PAGE_TYPES, build_archive

# Where a page names something the browser fetches by itself, as opposed to a link a person follows.
RESOURCE_ATTRIBUTES = {
    "link": ["href"],
    "script": ["src"],
    "img": ["src", "srcset"],
    "source": ["src", "srcset"],
    "iframe": ["src"],
    "video": ["src", "poster"],
    "audio": ["src"],
    "embed": ["src"],
    "object": ["data"],
    "input": ["src"],
}
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)|@import\s+['"]([^'"]+)""")


class _Resources(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls, self._in_style = [], False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "link" and attributes.get("rel") in ("canonical", "alternate"):
            return  # addresses of this page, not something fetched
        for name in RESOURCE_ATTRIBUTES.get(tag, []):
            for candidate in (attributes.get(name) or "").split(","):
                if candidate.strip():
                    self.urls.append(candidate.split()[0])
        self.urls += css_urls(attributes.get("style") or "")
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.urls += css_urls(data)


def css_urls(css: str) -> list[str]:
    return [a or b for a, b in CSS_URL.findall(css)]


def is_external(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.netloc) or parts.scheme not in ("", "data")


def test_site_css_is_served_by_whitenoise_under_a_cache_busting_name(client, db, settings, tmp_path):
    """Production's static set-up: collectstatic into STATIC_ROOT, compressed manifest storage."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0, ignore_patterns=["admin"])

    home = client.get("/").content.decode()
    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', home)[1]
    assert re.fullmatch(r"/static/css/site\.[0-9a-f]{12}\.css", stylesheet)
    response = client.get(stylesheet)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert "immutable" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == (settings.STATIC_ROOT / stylesheet[8:]).read_bytes()
    compressed = client.get(stylesheet, headers={"Accept-Encoding": "gzip"})
    assert compressed["Content-Encoding"] == "gzip"
    icon = re.search(r'<link rel="icon" href="([^"]+)"', home)[1]
    assert re.fullmatch(r"/static/favicon\.[0-9a-f]{12}\.svg", icon)
    assert client.get(icon).status_code == 200
    assert client.get("/favicon.ico")["Location"] == icon


def test_stylesheets_fetch_nothing_from_another_host():
    for path in ["css/site.css"]:
        with open(finders.find(path), encoding="utf-8") as handle:
            css = handle.read()
        assert [url for url in css_urls(css) if is_external(url)] == [], path
        assert "@font-face" not in css  # the system's own fonts: nothing to download


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGE_TYPES)
def test_page_loads_nothing_from_another_host(client, name):
    archive = build_archive()
    response = client.get(PAGE_TYPES[name](archive))
    assert response.status_code == 200
    parser = _Resources()
    parser.feed(response.content.decode())
    assert parser.urls, "every page has at least its stylesheet"
    assert [url for url in parser.urls if is_external(url)] == []


@pytest.mark.django_db
def test_every_page_links_an_icon_that_is_found_and_favicon_ico_leads_to_it(client):
    home = client.get("/").content.decode()
    icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', home)[1]
    response = client.get(icon)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    assert b"".join(response.streaming_content).startswith(b"<svg")
    # Browsers ask for /favicon.ico whatever the page says: it leads to the same icon.
    legacy = client.get("/favicon.ico", follow=True)
    assert legacy.redirect_chain == [(icon, 302)]
    assert legacy.status_code == 200


def test_the_icon_fetches_nothing_from_another_host():
    with open(finders.find("favicon.svg"), encoding="utf-8") as handle:
        svg = handle.read()
    assert "href" not in svg and "<script" not in svg
