from django.urls import path

from . import views

app_name = "console"

urlpatterns = [
    path("staff/", views.staff_console, name="staff_console"),
    path("staff/canned/", views.canned_responses, name="canned_responses"),
    path("staff/canned/<int:response_id>/", views.canned_response, name="canned_response"),
]
