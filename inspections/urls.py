from django.contrib import admin
from django.urls import include, path

from . import views, views_alerts, views_compare
from .feeds import FindingSearchFeed
from .page_cache import cached_page

# Public pages, exports and API answers are cached whole under the archive's version (page_cache.py);
# not the alerts' pages (personal) nor a report's file (served from storage).
urlpatterns = [
    path("", cached_page(views.home), name="home"),
    path("findings/", cached_page(views.finding_search), name="finding-search"),
    path("findings.csv", cached_page(views.findings_csv), name="finding-csv"),
    path("findings.atom", cached_page(FindingSearchFeed()), name="finding-feed"),
    path("findings/<int:pk>/similar/", cached_page(views_compare.finding_similar), name="finding-similar"),
    path("compare/", cached_page(views_compare.compare), name="compare"),
    path("alerts/", views_alerts.alert_subscribe, name="alert-subscribe"),
    path("alerts/requested/", views_alerts.alert_requested, name="alert-requested"),
    path("alerts/confirm/<str:token>/", views_alerts.alert_confirm, name="alert-confirm"),
    path("alerts/unsubscribe/<str:token>/", views_alerts.alert_unsubscribe, name="alert-unsubscribe"),
    path("authorities/", cached_page(views.authority_list), name="authority-list"),
    path("authorities/<slug:slug>/", cached_page(views.authority_detail), name="authority-detail"),
    path("inspections/<int:pk>/", cached_page(views.inspection_detail), name="inspection-detail"),
    path("inspections/<int:pk>/source", views.inspection_source, name="inspection-source"),
    path("inspections/<int:pk>/report.pdf", views.inspection_report, name="inspection-report"),
    path("themes/", cached_page(views.theme_list), name="theme-list"),
    path("themes/<slug:slug>/", cached_page(views.theme_detail), name="theme-detail"),
    path("api/", include("inspections.api")),
    path("favicon.ico", views.favicon, name="favicon"),
    path("admin/", admin.site.urls),
]
