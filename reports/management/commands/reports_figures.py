"""``manage.py reports_figures [--days N]``: compute ahead the figures the reports keep of
each conversation, so that no report has to compute many at once (the first ones after an
upgrade would compute every conversation of their period's)."""

import time

from django.core.management.base import BaseCommand, CommandError

from reports import conf, services
from reports.periods import Period


class Command(BaseCommand):
    help = (
        "Compute the figures the reports keep of each conversation started in the last DAYS "
        "days (a year by default): those never computed, and those a message made stale."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, default=conf.get("REPORTS_MAX_DAYS"))

    def handle(self, *args, days: int, **options) -> None:
        if days < 1:
            raise CommandError(f"--days must be 1 or more, not {days}.")
        started = time.perf_counter()
        computed = services.figures_refresh(period=Period.last(days))
        self.stdout.write(
            f"Computed the figures of {computed} conversation{'s' if computed != 1 else ''} "
            f"of the last {days} days in {time.perf_counter() - started:.1f} s."
        )
