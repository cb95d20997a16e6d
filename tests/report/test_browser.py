"""The report as a person sees it: headless Chromium loads the page written for a seeded
workspace, with no console error, every chart drawn with data, and screenshots (desktop and
phone width) saved under the test's temporary folder.

Outside CI, the test skips with the reason when Chromium is not installed; in CI (``CI`` set)
a missing browser is a failure, because ``.ci/run`` installs Debian's ``chromium``.
"""

from __future__ import annotations

import os
import struct
from datetime import date

import pytest

from feedsync.report import write_report
from tests.report.cdp import Browser, chromium_path
from tests.report.test_figures import NOW, seeded  # noqa: F401  (the seeded workspace fixture)

pytestmark = pytest.mark.slow

CHART_CHECK = """
(() => [...document.querySelectorAll('svg.chart')].map(svg => {
  const marks = [...svg.querySelectorAll('rect.bar, circle.point, polyline.series')];
  const drawn = marks.filter(m => { const b = m.getBBox(); return b.width > 0 || b.height > 0; });
  const box = svg.getBoundingClientRect();
  return {title: svg.querySelector('title').textContent, points: Number(svg.dataset.points),
          marks: marks.length, drawn: drawn.length, width: box.width, height: box.height};
}))()
"""


def _need_browser() -> None:
    if chromium_path() is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: .ci/run must install Debian's chromium")
        pytest.skip("chromium is not installed (apt-get install chromium); CI installs it")


def _png_size(path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


def test_report_renders_in_chromium_with_every_chart_drawn(seeded, tmp_path):  # noqa: F811
    _need_browser()
    workspace, catalog = seeded
    page = tmp_path / "report.html"
    write_report(workspace, catalog.db, page, since=date(2026, 3, 1), now=NOW)
    with Browser(tmp_path / "profile") as browser:
        visit = browser.visit(page.as_uri(), CHART_CHECK)
        desktop = browser.screenshot(tmp_path / "report-desktop.png")
        phone = browser.screenshot(tmp_path / "report-phone.png", width=390)
    assert visit.console_errors == []
    charts = visit.result
    assert len(charts) == 9, charts  # three channels × (money, orders, listings)
    for chart in charts:
        assert chart["points"] > 0 and chart["marks"] > 0, chart
        assert chart["drawn"] == chart["marks"], f"a mark of {chart['title']!r} drew nothing"
        assert chart["width"] > 100 and chart["height"] > 30, chart
    desktop_w, desktop_h = _png_size(desktop)
    phone_w, _ = _png_size(phone)
    assert desktop_w >= 1000 and desktop_h > 900  # the whole page, not one screen
    assert phone_w == 390
    print(f"screenshots: {desktop} {phone}")
