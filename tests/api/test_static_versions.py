"""Static files are linked with their content's hash and kept a year by the browser when the
hash asked for is the current one; anything else is revalidated as before."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from hallq.server.static_versions import YEAR, StaticVersions

LINKED = re.compile(r'(?:src|href)="(/(?:[\w-]+/)?static/[^"?]+)\?v=([0-9a-f]{16})"')


def _linked(html: str) -> dict[str, str]:
    return dict(LINKED.findall(html))


@pytest.mark.parametrize("page", ["/counter", "/kiosk", "/display", "/office"])
def test_every_script_and_stylesheet_of_a_screen_carries_its_hash(client, page) -> None:
    html = client.get(page).get_data(as_text=True)
    linked = _linked(html)
    assert linked, html[:400]
    unversioned = re.findall(r'(?:src|href)="(/(?:[\w-]+/)?static/[^"?]+)"', html)
    assert unversioned == []
    assert "/static/js/hallq-client.js" in linked


def test_the_current_hash_is_kept_a_year_and_the_file_is_the_same(client) -> None:
    path, version = next(iter(_linked(client.get("/counter").get_data(as_text=True)).items()))
    kept = client.get(f"{path}?v={version}")
    plain = client.get(path)
    assert kept.status_code == 200 and plain.status_code == 200
    assert kept.data == plain.data
    assert kept.cache_control.max_age == YEAR
    assert kept.cache_control.public and kept.cache_control.immutable
    assert not kept.cache_control.no_cache
    # Without a hash, or with an old one, the browser asks again each time.
    for other in (plain, client.get(f"{path}?v=0123456789abcdef")):
        assert other.cache_control.max_age != YEAR
        assert not other.cache_control.immutable


def test_a_blueprints_static_file_is_versioned_too(client) -> None:
    linked = _linked(client.get("/counter").get_data(as_text=True))
    own = [p for p in linked if p.startswith("/counter/static/")]
    assert own, linked
    answer = client.get(f"{own[0]}?v={linked[own[0]]}")
    assert answer.status_code == 200 and answer.cache_control.max_age == YEAR


def test_a_changed_file_gets_a_new_hash(tmp_path: Path) -> None:
    versions = StaticVersions()
    script = tmp_path / "screen.js"
    script.write_text("var a = 1;\n")
    first = versions.of(str(tmp_path), "screen.js")
    assert first is not None and re.fullmatch(r"[0-9a-f]{16}", first)
    assert versions.of(str(tmp_path), "screen.js") == first  # read once
    script.write_text("var a = 22;\n")
    stat = script.stat()
    os.utime(script, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert versions.of(str(tmp_path), "screen.js") not in (None, first)


def test_no_hash_for_a_missing_file_or_one_outside_the_folder(tmp_path: Path) -> None:
    (tmp_path / "inside").mkdir()
    (tmp_path / "secret.txt").write_text("x")
    versions = StaticVersions()
    assert versions.of(str(tmp_path / "inside"), "gone.js") is None
    assert versions.of(str(tmp_path / "inside"), "../secret.txt") is None
