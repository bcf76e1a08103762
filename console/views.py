from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from chat import selectors


@staff_member_required
@never_cache
def staff_console(request: HttpRequest) -> HttpResponse:
    """The agents' console; its socket (console.routing) does the rest."""
    if not selectors.user_can_chat(request.user):
        raise PermissionDenied("You do not have the permission to chat with visitors.")
    left = selectors.left_messages()[:50]
    return render(request, "console/console.html", {"left_messages": left})
