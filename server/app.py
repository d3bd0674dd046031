"""The Flask application factory: everything is built here, nothing at import time."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Request
from flask_openapi3 import Info, OpenAPI, Server

from hallq.server import db as dbmod
from hallq.server import i18n, masking, pages, plugins, realtime, static_versions, wire
from hallq.server.api import register_api
from hallq.server.auth_cache import CallerCache
from hallq.server.offload import Offload
from hallq.server.queue.eta import Estimator
from hallq.server.state import HallQ, utcnow

HERE = Path(__file__).parent


def _secret_key(data_dir: Path) -> str:
    """A per-installation secret, made once and kept in the data directory."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def settings_from_env(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    env = os.environ if env is None else env
    return {
        "HALLQ_DATA_DIR": str(dbmod.data_dir(dict(env))),
        "HALLQ_DATABASE_URL": dbmod.database_url(dict(env)),
        "HALLQ_REDIS_URL": env.get("HALLQ_REDIS_URL") or None,
        "HALLQ_ASYNC_MODE": env.get("HALLQ_ASYNC_MODE", "threading"),
        "HALLQ_PUBLIC_URL": env.get("HALLQ_PUBLIC_URL") or None,
        # Other origins whose pages may open the realtime socket (comma-separated URLs).
        "HALLQ_ALLOWED_ORIGINS": [
            o.strip() for o in env.get("HALLQ_ALLOWED_ORIGINS", "").split(",") if o.strip()
        ],
        # Keys and the Socket.IO channel in a shared Redis start with it (several halls, tests).
        "HALLQ_REDIS_PREFIX": env.get("HALLQ_REDIS_PREFIX") or "hallq",
    }


class HallRequest(Request):
    """A POST without a body reads as ``{}``: optional-only bodies (cancel's reason) may be
    left out, and a missing required field is named instead of "not an object"."""

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        if self.method == "POST" and not self.content_length and not self.get_data(cache=True):
            return {}
        return super().get_json(force=force, silent=silent, cache=cache)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the server: ``config`` overrides what the environment says (tests use it)."""
    app = OpenAPI(
        __name__,
        info=Info(
            title="HallQ",
            version=f"{wire.PROTOCOL_VERSION}.0",
            description="Queue and kiosk system for service halls: the public API v1.",
        ),
        servers=[Server(url="/", description="this hall server")],
        security_schemes={"bearer": {"type": "http", "scheme": "bearer"}},
        doc_ui=False,
        static_folder=str(HERE / "static"),
        template_folder=str(HERE / "templates"),
        validation_error_status=422,
    )
    app.request_class = HallRequest
    app.config.update(settings_from_env())
    app.config.update(
        # Big enough for any request of the API; a flood is refused before it is read.
        MAX_CONTENT_LENGTH=64 * 1024,
        JSON_SORT_KEYS=False,
        HALLQ_DEFAULT_LANGUAGE="zh-Hant",
    )
    if config:
        app.config.update(config)
    dbmod.make_private(Path(app.config["HALLQ_DATA_DIR"]))
    app.config.setdefault("SECRET_KEY", _secret_key(Path(app.config["HALLQ_DATA_DIR"])))

    database = dbmod.Database(app.config["HALLQ_DATABASE_URL"])
    state = HallQ(
        db=database,
        estimator=Estimator(database.reading, now=app.config.get("HALLQ_CLOCK") or utcnow),
        clock=app.config.get("HALLQ_CLOCK") or utcnow,
        callers=CallerCache.for_database(app.config["HALLQ_DATABASE_URL"]),
        public_url=app.config.get("HALLQ_PUBLIC_URL"),
        offload=Offload(app.config.get("HALLQ_ASYNC_MODE", "threading")),
    )
    app.extensions["hallq"] = state

    # Phone numbers and customers' names never reach a log file whole.
    masking.install_log_masking()
    static_versions.init_static_versions(app)
    i18n.init_i18n(app)
    register_api(app)
    pages.init_pages(app)
    realtime.init_realtime(app)
    plugins.init_pages(app)
    return app
