from django.urls import path

from . import views

app_name = "console"

urlpatterns = [
    path("staff/", views.staff_console, name="staff_console"),
]
