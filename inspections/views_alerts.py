"""The email alert pages: asking for an alert on a search, confirming it from the mailed link, and
stopping it from any of its mails. No page shows a stored address: a link in a mail can be
forwarded, and the page after asking is the same whether or not the address is known (only a form
sent back with a mistake keeps what its sender typed). The work is in alerts.py."""

from django import forms
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from . import alerts
from .models import AlertConfirmation, AlertFrequency, Subscription
from .tasks import send_confirmation


class AlertForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address like name@example.org",
            "max_length": "Enter an email address of 254 characters or fewer",
        },
    )
    frequency = forms.ChoiceField(
        choices=AlertFrequency.choices,
        initial=AlertFrequency.DAILY,
        error_messages={
            "required": "Choose how often to get emails",
            "invalid_choice": "Choose how often to get emails",
        },
    )
    query = forms.CharField(required=False, strip=False)


def _search(query: str) -> dict:
    return {
        "alert_query": query,
        "description": alerts.search_description(query),
        "search_url": alerts.search_url(query),
    }


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def alert_subscribe(request):
    """GET: the form on a page of its own, for the search in the query string. POST (from it or from
    the search page): record the request and mail the link, then say to check the inbox.

    Without a CSRF token, deliberately: asking acts for nobody signed in (the form is anonymous, and
    nothing happens until the link mailed to the address is followed), so a request forged from
    another site can do nothing a visitor cannot do here themselves, and limits on mails per address
    apply alike. Without it the search pages carry no per-visitor token, so they are cached whole
    (page_cache.py). Confirming from the mailed link keeps its token."""
    if request.method != "POST":
        query = alerts.search_query(request.GET)
        return render(request, "alerts/subscribe.html", {"alert_form": AlertForm(), **_search(query)})
    form = AlertForm(request.POST)
    query = alerts.search_query(QueryDict(request.POST.get("query", "")))
    if not form.is_valid():
        return render(request, "alerts/subscribe.html", {"alert_form": form, **_search(query)})
    confirmation = alerts.alert_request(
        email=form.cleaned_data["email"], query=query, frequency=form.cleaned_data["frequency"]
    )
    if confirmation is not None:
        send_confirmation.enqueue(confirmation.pk)
    # The same answer whatever happened, and no address in the page or the URL.
    return redirect(reverse("alert-requested") + (f"?{query}" if query else ""))


@require_safe
def alert_requested(request):
    query = alerts.search_query(request.GET)
    return render(
        request, "alerts/requested.html", {"days": alerts.CONFIRMATION_MAX_AGE.days, **_search(query)}
    )


def _bad_link(request, error: Exception, *, kind: str):
    """A link that cannot be used, said plainly: altered or cut short (400), expired (400), or for a
    request no longer kept (404)."""
    context = {
        "kind": kind,
        "days": alerts.CONFIRMATION_MAX_AGE.days,
        "search_url": reverse("finding-search"),
    }
    if isinstance(error, alerts.ExpiredLink):
        context["expired"] = True
        if error.confirmation is not None:
            context.update(_search(error.confirmation.subscription.query))
    status = 404 if isinstance(error, AlertConfirmation.DoesNotExist) else 400
    return render(request, "alerts/bad_link.html", context, status=status)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def alert_confirm(request, token):
    """GET: what the link would start, and a button. POST: start it. A GET alone never confirms,
    because mail scanners follow links in mails to check them."""
    try:
        confirmation = alerts.confirmation_from_token(token)
    except (alerts.BadLink, AlertConfirmation.DoesNotExist) as error:
        return _bad_link(request, error, kind="confirm")
    subscription = confirmation.subscription
    context = {
        "token": token,
        "frequency": confirmation.get_frequency_display().lower(),
        "unsubscribe_url": reverse("alert-unsubscribe", args=[alerts.unsubscribe_token(subscription)]),
        **_search(subscription.query),
    }
    if request.method == "POST":
        standing = alerts.alert_confirm(confirmation=confirmation)
    else:
        standing = alerts.confirmation_standing(confirmation)
        if standing == alerts.Confirmed.WAITING:
            return render(request, "alerts/confirm.html", context)
    if standing == alerts.Confirmed.STALE:
        return render(request, "alerts/bad_link.html", {**context, "kind": "stale"}, status=410)
    return render(request, "alerts/confirmed.html", context)


# One-click unsubscribing (RFC 8058): a mail client POSTs "List-Unsubscribe=One-Click" to the link in
# the mail's List-Unsubscribe header, with no cookie and so no CSRF token. CSRF protection guards an
# action a visitor's own session would allow; here the link itself is the only credential, a signed
# one that belongs to one alert and does nothing but stop it, so a page that could forge the POST
# would already have to hold the link.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def alert_unsubscribe(request, token):
    """GET: what would stop, and a button; POST (the button, or a mail client's one click): stop it."""
    try:
        subscription = alerts.subscription_from_token(token)
    except alerts.BadLink as error:
        return _bad_link(request, error, kind="unsubscribe")
    except Subscription.DoesNotExist:  # a genuine link to an alert forgotten since: nothing is sent
        return render(request, "alerts/unsubscribed.html", {"search_url": reverse("finding-search")})
    if request.method == "POST":
        alerts.alert_unsubscribe(subscription=subscription)
    context = {
        "token": token,
        "frequency": subscription.get_frequency_display().lower(),
        **_search(subscription.query),
    }
    if subscription.unsubscribed_at is not None:
        return render(request, "alerts/unsubscribed.html", context)
    return render(request, "alerts/unsubscribe.html", context)
