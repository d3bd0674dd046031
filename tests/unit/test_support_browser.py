"""The browser fixtures: Debian's Chromium opens a local page and draws Chinese with a real font."""

import functools
import http.server
import threading
from collections.abc import Iterator

import pytest

from tests.support.browser import collect_errors

pytestmark = pytest.mark.browser

PAGE = """<!doctype html>
<html lang="zh-Hant">
<head><meta charset="utf-8"><title>HallQ</title><link rel="icon" href="data:,"></head>
<body style="font-size: 48px">
  <p id="call">請 A001 到 3 號窗口</p>
  <p id="queue">排隊</p>
</body>
</html>
"""

# Draws one character on a canvas and returns its pixels. A missing glyph is drawn as the same
# empty box whatever the character, so two different characters drawing the same pixels means
# there is no font for them.
GLYPH_PIXELS = """(ch) => {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 64;
  const g = canvas.getContext("2d");
  g.fillStyle = "#fff";
  g.fillRect(0, 0, 64, 64);
  g.fillStyle = "#000";
  g.font = "48px sans-serif";
  g.textBaseline = "top";
  g.fillText(ch, 8, 8);
  const data = g.getImageData(0, 0, 64, 64).data;
  let dark = 0;
  const bits = [];
  for (let i = 0; i < data.length; i += 4) {
    const on = data[i] < 128;
    bits.push(on ? 1 : 0);
    dark += on;
  }
  return {dark, bits: bits.join("")};
}"""


@pytest.fixture
def site(tmp_path) -> Iterator[str]:
    """A local web server for ``tmp_path`` (holding index.html) in a thread; its base URL."""
    (tmp_path / "index.html").write_text(PAGE, encoding="utf-8")
    handler = functools.partial(QuietHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="test-site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # keep the test output clean
        pass


def test_page_shows_chinese_with_a_real_font(page, site, tmp_path):
    errors = collect_errors(page)
    page.goto(site + "/index.html")

    assert page.text_content("#call") == "請 A001 到 3 號窗口"
    assert page.text_content("#queue") == "排隊"

    first, second = (page.evaluate(GLYPH_PIXELS, ch) for ch in ("排", "隊"))
    assert first["dark"] > 50 and second["dark"] > 50, "the characters drew nothing"
    assert first["bits"] != second["bits"], "both characters drew the same box: no CJK font"

    shot = tmp_path / "page.png"
    page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 2_000
    assert errors == []


@pytest.mark.parametrize("run", [1, 2])
def test_each_page_gets_a_fresh_context(page, site, run):
    page.goto(site + "/index.html")
    assert page.evaluate("localStorage.getItem('seen')") is None
    page.evaluate("localStorage.setItem('seen', '1')")
