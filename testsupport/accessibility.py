"""axe-core, the accessibility engine (the npm package, installed by ``make`` from
package-lock.json), run inside a page that Playwright drives.

The checks are WCAG 2.1 A and AA. A page with a strict Content-Security-Policy refuses
injected scripts: open it in a context made with ``bypass_csp=True``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def require_axe() -> None:
    """Skip (fail in CI) unless ``npm ci`` installed axe-core."""
    if AXE.exists():
        return
    message = f"{AXE} is missing: run `npm ci` (make does)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def axe_violations(page, *, include: str | None = None) -> list[str]:
    """The WCAG 2.1 AA violations axe finds on the page (or in ``include``, a selector),
    one line each: the rule, its impact, and the elements at fault."""
    require_axe()
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    results = page.evaluate(
        """async ([include, tags]) => {
            const context = include ? { include: [include] } : document;
            const result = await window.axe.run(context, {
                runOnly: { type: "tag", values: tags },
                resultTypes: ["violations"],
            });
            return result.violations.map(v => ({
                id: v.id,
                impact: v.impact,
                help: v.help,
                targets: v.nodes.map(n => n.target.join(" ") + (
                    n.failureSummary ? " (" + n.failureSummary.replace(/\\s+/g, " ") + ")" : ""
                )),
            }));
        }""",
        [include, WCAG_AA],
    )
    return [f"{v['id']} ({v['impact']}): {v['help']}: " + "; ".join(v["targets"]) for v in results]
