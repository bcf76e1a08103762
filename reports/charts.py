"""What the report page's charts draw (``reports.js``), from the page's JSON: the same
numbers as the tables beside them."""

from __future__ import annotations

from typing import Any

from .selectors import OUTCOMES, Report


def chart_data(report: Report) -> dict[str, Any]:
    return {
        "days": {
            "labels": [day.day.isoformat() for day in report.days],
            "values": [day.conversations for day in report.days],
        },
        "outcomes": {
            "labels": list(OUTCOMES.values()),
            "values": [report.outcomes[name] for name in OUTCOMES],
        },
        "scores": {
            "labels": [f"{score}/5" for score in report.scores],
            "values": list(report.scores.values()),
        },
    }
