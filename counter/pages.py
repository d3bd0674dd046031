"""The clerk's screen (``/counter``), served by the hall server: the clerk signs in, opens a
window and works it all day: the current ticket big at the top with its running time and its
service's documents checklist, the actions (each with a keyboard shortcut), the waiting list
to call a chosen number from, the queues' and the clerk's figures, and the customer's rating
as it comes. Registered through the ``hallq.pages`` entry point, so the server knows nothing
of it.

Also here: the printable notice of the documents a customer did not bring
(``/counter/notice/<ticket_id>``), in the ticket's language.

Both pages are plain HTML with their scripts in ``static/js/`` (served at
``/counter/static/js/``). They talk to the server only through the public API and the
Socket.IO namespace, like any other client, and carry no secret: the clerk's sign-in token
lives in the browser tab's session storage, where the notice page (opened from the counter
page) finds it too.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, render_template

from hallq.server.queue.hall import only_hall
from hallq.server.state import hallq

bp = Blueprint(
    "counter",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/counter/static",
)


def init_pages(app: Flask) -> None:
    app.register_blueprint(bp)


def _hall() -> Any:
    with hallq().db.reading() as session:
        hall = only_hall(session)
    return hall


@bp.get("/counter")
def counter_page() -> Any:
    """The counter workstation, in the clerk's language (``?lang=``, the cookie, the
    browser's); its script reads everything else through the API."""
    hall = _hall()
    return render_template("counter/counter.html", hall=hall.public() if hall else None)


@bp.get("/counter/notice/<int:ticket_id>")
def notice_page(ticket_id: int) -> Any:
    """A printable notice of the missing documents. The page holds nothing of the ticket:
    its script reads the ticket with the clerk's token, then prints."""
    hall = _hall()
    return render_template(
        "counter/notice.html", hall=hall.public() if hall else None, ticket_id=ticket_id
    )
