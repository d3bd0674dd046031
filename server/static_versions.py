"""Scripts, stylesheets and fonts are linked with their content's hash (``?v=…``), and a
request that names the current hash may be kept by the browser for a year.

Without it every load of a screen asks again for each file (a 304 each): seven round trips
before the clerk's screen can show its desk, all queued on the one worker with the desk's own
read. With it a reload (a clerk's F5, a board after a restart) asks only for the page and its
data. A file that changes gets a new hash, so its new URL is asked for at once; a request with
an old or no hash is answered as before (revalidated each time), so nothing stale is pinned.
"""

from __future__ import annotations

import hashlib
import os
import threading
from typing import Any

from flask import Flask, request
from flask.wrappers import Response

YEAR = 365 * 24 * 3600
VERSION_ARG = "v"


class StaticVersions:
    """The hash of each static file, read once and again only when its mtime or size moves."""

    def __init__(self) -> None:
        self._known: dict[str, tuple[int, int, str]] = {}
        self._lock = threading.Lock()

    def of(self, folder: str, filename: str) -> str | None:
        path = os.path.realpath(os.path.join(folder, filename))
        if not path.startswith(os.path.realpath(folder) + os.sep):
            return None  # url_for of a path outside the folder: the route refuses it anyway
        try:
            stat = os.stat(path)
        except OSError:
            return None
        with self._lock:
            known = self._known.get(path)
        if known and known[:2] == (stat.st_mtime_ns, stat.st_size):
            return known[2]
        digest = hashlib.blake2b(digest_size=8)
        try:
            with open(path, "rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 16), b""):
                    digest.update(chunk)
        except OSError:
            return None
        version = digest.hexdigest()
        with self._lock:
            self._known[path] = (stat.st_mtime_ns, stat.st_size, version)
        return version


def _static_folder(app: Flask, endpoint: str) -> str | None:
    if endpoint == "static":
        return app.static_folder
    blueprint = app.blueprints.get(endpoint.rsplit(".", 1)[0])
    return blueprint.static_folder if blueprint is not None else None


def _is_static(endpoint: str | None) -> bool:
    return endpoint is not None and (endpoint == "static" or endpoint.endswith(".static"))


def init_static_versions(app: Flask) -> None:
    """Add ``?v=<hash>`` to every ``url_for`` of a static file (the app's and each
    blueprint's), and a year's ``Cache-Control`` to answers for the current hash."""
    versions = StaticVersions()
    app.extensions["hallq.static_versions"] = versions

    @app.url_defaults
    def _add_version(endpoint: str, values: dict[str, Any]) -> None:
        if not _is_static(endpoint) or VERSION_ARG in values or "filename" not in values:
            return
        folder = _static_folder(app, endpoint)
        if folder is None:
            return
        version = versions.of(folder, str(values["filename"]))
        if version is not None:
            values[VERSION_ARG] = version

    @app.after_request
    def _keep_if_current(response: Response) -> Response:
        asked = request.args.get(VERSION_ARG)
        if not asked or response.status_code not in (200, 304) or not _is_static(request.endpoint):
            return response
        folder = _static_folder(app, request.endpoint or "")
        filename = (request.view_args or {}).get("filename")
        if folder is None or filename is None or versions.of(folder, filename) != asked:
            return response
        response.cache_control.public = True
        response.cache_control.max_age = YEAR
        response.cache_control.immutable = True
        response.cache_control.no_cache = None
        return response
