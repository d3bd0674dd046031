"""The lobby board (``/display``), served by the hall server: the latest call, huge, with the
window to go to; the last calls; each window's number; the people waiting per service; the
date, a clock and the supervisor's notice. Registered through the ``hallq.pages`` entry point,
so the server knows nothing of it.

The page is plain HTML with its script in ``static/js/display.js`` (served at
``/display/static/js/``). It talks to the server only through the public API and the Socket.IO
namespace, like any other client, and carries no secret: a board is paired once in the browser
with its display device's token (typed, or from a pairing link ``/display#token=…``).
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

from flask import Blueprint, Flask, render_template, url_for
from flask_babel import force_locale

from hallq.server.catalogs import babel_locale
from hallq.server.queue.hall import only_hall
from hallq.server.state import hallq

bp = Blueprint(
    "display",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/display/static",
)

# How many previous calls the board lists under the latest one. A fixed number of rows: the
# page runs for weeks, so nothing on it may grow with the calls.
RECENT_ROWS = 6


def init_pages(app: Flask) -> None:
    app.register_blueprint(bp)


def _hall() -> Any:
    with hallq().db.reading() as session:
        hall = only_hall(session)
    return hall


@bp.get("/display")
def display_page() -> Any:
    """The lobby board. The server renders it in the hall's first language; its script then
    takes every language of the hall in turn, from catalogs it loads once."""
    hall = _hall()
    language = hall.languages[0] if hall else None
    # Where the browser catalogs live, for a hall behind a path-prefix proxy too: the script
    # puts the language in place of the marker.
    catalog_url = url_for("i18n.messages_json", lang="LANG")
    with force_locale(babel_locale(language)) if language else nullcontext():
        return render_template(
            "display/display.html",
            hall=hall.public() if hall else None,
            catalog_url=catalog_url,
            recent_rows=RECENT_ROWS,
        )
