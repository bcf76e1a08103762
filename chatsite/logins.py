"""Staff log-in throttling: django-axes' check before any password is, with one exception,
and the page a locked-out log-in gets.

Axes refuses to authenticate without the request, to be sure nothing logs in around it. The
site's one log-in form is admin's (the staff console sends staff there), which always passes
the request; what calls ``authenticate()`` without one is code on the server itself (Django's
test client ``login()``, a shell): nobody at a keyboard on the other side to throttle, and no
address to record. Those are let through to the password check as Django would.
"""

from __future__ import annotations

import math

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib import admin
from django.http import HttpResponse
from django.shortcuts import render


class ThrottledLogins(AxesStandaloneBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """What a locked-out log-in gets (AXES_LOCKOUT_CALLABLE): admin's look, the limit and
    the wait in words, 429 and Retry-After."""
    wait = get_cool_off(request)
    minutes = math.ceil(wait.total_seconds() / 60) if wait else None
    response = render(
        request,
        "axes/lockout.html",
        {
            **admin.site.each_context(request),
            "title": "Too many failed log-ins",
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "minutes": minutes,
        },
        status=429,
    )
    if wait:
        response["Retry-After"] = str(int(wait.total_seconds()))
    return response
