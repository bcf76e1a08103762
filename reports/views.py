from collections.abc import Callable
from functools import wraps

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from chat import selectors as chat_selectors

from . import charts, exports, selectors, services
from .forms import PeriodForm


def staff_who_chat(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The staff console's rule: logged-in staff (else the admin's login page) with the
    permission to chat with visitors (else 403)."""

    @staff_member_required
    @never_cache
    @require_GET
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not chat_selectors.user_can_chat(request.user):
            raise PermissionDenied("You do not have the permission to chat with visitors.")
        return view(request, *args, **kwargs)

    return wrapped


@staff_who_chat
def report_page(request: HttpRequest) -> HttpResponse:
    """The report of the days asked (``?start=&end=``, the last 30 by default)."""
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return render(request, "reports/report.html", {"form": form}, status=400)
    report = _report(form)
    return render(
        request,
        "reports/report.html",
        {"form": form, "report": report, "charts": charts.chart_data(report)},
    )


@staff_who_chat
def report_csv(request: HttpRequest) -> HttpResponse:
    """The same report as CSV (``exports``), streamed."""
    form = PeriodForm(request.GET)
    if not form.is_valid():
        errors = [error for errors in form.errors.values() for error in errors]
        return HttpResponse(
            "\n".join(errors) + "\n", status=400, content_type="text/plain; charset=utf-8"
        )
    report = _report(form)
    return StreamingHttpResponse(
        exports.csv_lines(report),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{exports.filename(report)}"'},
    )


def _report(form: PeriodForm) -> selectors.Report:
    # The figures a report reads are kept per conversation: those a message changed since
    # are computed again first.
    services.figures_refresh(period=form.period)
    return selectors.report(period=form.period)
