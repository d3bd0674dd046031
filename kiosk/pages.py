"""The kiosk's pages, served by the hall server: the customer's touch screen (``/kiosk``) and
the reception desk (``/reception``). Registered through the ``hallq.pages`` entry point, so the
server knows nothing of them.

Both pages are plain HTML with their scripts in ``static/js/`` (``kiosk.js``, ``reception.js``,
served at ``/kiosk/static/js/``), and talk to the server only through the public API and the
Socket.IO namespace, like any other client. The pages carry no secret: a kiosk is paired in the
browser with its device token, staff sign in at the reception page.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

from flask import Blueprint, Flask, render_template
from flask_babel import force_locale

from hallq.server.catalogs import babel_locale
from hallq.server.queue.hall import only_hall
from hallq.server.state import hallq

bp = Blueprint(
    "kiosk",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/kiosk/static",
)


def init_pages(app: Flask) -> None:
    from hallq.kiosk import preview_api

    app.register_blueprint(bp)
    preview_api.register(app)


def _hall() -> Any:
    with hallq().db.reading() as session:
        hall = only_hall(session)
    return hall


@bp.get("/kiosk")
def kiosk_page() -> Any:
    """The customer's touch screen. It starts in the hall's first language whatever the
    browser says (a kiosk serves everyone), and its script switches language on a touch."""
    hall = _hall()
    language = hall.languages[0] if hall else None
    with force_locale(babel_locale(language)) if language else nullcontext():
        return render_template(
            "kiosk/kiosk.html",
            hall=hall.public() if hall else None,
            kiosk=hall.kiosk.public() if hall else None,
        )


@bp.get("/reception")
def reception_page() -> Any:
    """The reception desk: green-channel tickets, appointments, reprints (staff sign in)."""
    hall = _hall()
    return render_template("kiosk/reception.html", hall=hall.public() if hall else None)
