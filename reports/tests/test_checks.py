from django.test import override_settings

from reports import checks


def test_chart_js_missing_is_a_warning(tmp_path, monkeypatch):
    monkeypatch.setattr(checks, "CHART_JS", tmp_path / "chart.umd.js")
    [warning] = checks.check_chart_js(None)
    assert warning.id == "reports.W001"
    assert "make vendor" in warning.hint
    (tmp_path / "chart.umd.js").write_text("// Chart.js")
    assert checks.check_chart_js(None) == []


@override_settings(REPORTS_MAX_DAYS="a year", REPORTS_DEFAULT_DAYS=0)
def test_the_settings_are_checked():
    assert sorted(error.id for error in checks.check_settings(None)) == [
        "reports.E001",
        "reports.E001",
    ]
