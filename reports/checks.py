from pathlib import Path

from django.core.checks import Warning, register

from chat.checks import settings_errors

from . import conf

#: Chart.js, copied from npm's package (package-lock.json) by `make` and the image's build.
CHART_JS = Path(__file__).resolve().parent / "static" / "reports" / "vendor" / "chart.umd.js"


@register
def check_settings(app_configs, **kwargs):
    return settings_errors(conf.DEFAULTS, conf.get, app="reports")


@register
def check_chart_js(app_configs, **kwargs):
    """The reports page draws its charts with Chart.js, which is not committed: without it the
    page shows its tables alone (and, behind hashed static files, fails)."""
    if CHART_JS.exists():
        return []
    return [
        Warning(
            f"Chart.js is missing ({CHART_JS}): the reports page cannot draw its charts.",
            hint="Run `make vendor` (npm ci, then the copy into the reports app's static "
            "files); `make run`, `make test` and `make serve-prod` do it.",
            id="reports.W001",
        )
    ]
