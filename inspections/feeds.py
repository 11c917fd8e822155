"""An Atom feed of any findings search: the same filters as the page, newest findings first."""

import datetime
import re
from dataclasses import dataclass

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.http import urlencode

from .filters import FindingFilterSet
from .models import Finding

FEED_ENTRIES = 50
# Characters XML 1.0 cannot carry at all (a PDF's text can hold form feeds and other controls).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_text(text: str) -> str:
    return NOT_XML.sub(" ", text)


class FindingsAtomFeed(Atom1Feed):
    """Atom with each finding's whole text as the entry's <content> (Atom1Feed writes only a summary)."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        handler.addQuickElement("content", item["content"], {"type": "text"})


@dataclass
class FeedSearch:
    """What the feed is of: the search's filters, its query string and the site's address. The
    Feed instance is shared by every request, so nothing of one request is kept on it."""

    filterset: FindingFilterSet
    query: str  # the search's own parameters, less the page and the order
    site: str


class FindingSearchFeed(Feed):
    feed_type = FindingsAtomFeed
    author_name = "Ofsted"

    def get_object(self, request):
        query = urlencode([(k, v) for k, vs in request.GET.lists() for v in vs if k not in ("page", "sort")])
        site = request.build_absolute_uri("/").rstrip("/")
        return FeedSearch(FindingFilterSet(request.GET or None), query, site)

    def title(self, search):
        filterset = search.filterset
        query_text = filterset.search_text if filterset.is_bound else ""
        about = f"“{xml_text(query_text)}”" if query_text else "a search"
        return f"Ofsted children's services findings: {about}, newest first"

    def link(self, search):
        return reverse("finding-search") + (f"?{search.query}" if search.query else "")

    def feed_url(self, search):
        return reverse("finding-feed") + (f"?{search.query}" if search.query else "")

    def subtitle(self, search):
        return f"The newest {FEED_ENTRIES} findings from Ofsted's inspection reports that match this search."

    def items(self, search):
        findings = list(Finding.objects.search(search.filterset, "newest")[:FEED_ENTRIES])
        for finding in findings:
            finding.permalink = search.site + finding.get_absolute_url()
        return findings

    def item_title(self, finding):
        inspection = finding.inspection
        when = inspection.date.strftime("%-d %B %Y") if inspection.date else "undated"
        return xml_text(
            f"{inspection.authority.short_name}, {inspection.get_kind_display()}, {when}: "
            f"{finding.get_kind_display()}"
        )

    def item_link(self, finding):
        return finding.get_absolute_url()

    def item_guid(self, finding):
        return finding.permalink

    def item_description(self, finding):
        return None  # the whole text is the entry's content, not a summary

    def item_extra_kwargs(self, finding):
        return {"content": xml_text(finding.text)}

    def item_updateddate(self, finding):
        if finding.inspection.date:
            return datetime.datetime.combine(finding.inspection.date, datetime.time(), tzinfo=datetime.UTC)
        return timezone.localtime(finding.inspection.created_at)
