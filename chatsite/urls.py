from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    # The bot apps' HTTP API and its OpenAPI document.
    path("api/", include("botapps.api.urls")),
    # Django's set_language view (POST), behind the footer's language switcher.
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("chat.urls")),
    path("", include("console.urls")),
    path("", include("reports.urls")),
    path("", include("shop.urls")),
]
