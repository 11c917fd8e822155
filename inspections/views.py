from django.db.models import Count, Max
from django.shortcuts import render

from .models import Authority, Finding, Inspection


def home(request):
    figures = {
        "authorities": Authority.objects.current().count(),
        "inspections": Inspection.objects.count(),
        "findings": Finding.objects.count(),
    }
    latest = Inspection.objects.select_related("authority")[:10]
    return render(request, "home.html", {"figures": figures, "latest": latest})


def authority_list(request):
    authorities = Authority.objects.current().annotate(
        inspection_count=Count("inspections"), latest_inspection=Max("inspections__date")
    )
    return render(request, "authorities/list.html", {"authorities": authorities})
