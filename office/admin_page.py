"""The administration pages (``/office/admin``, administrators only): the hall, its zones,
services, windows, devices and users, and its hall file, each a sub-section of one page.

The page is a shell like the others: its script signs in (a clerk is refused before anything
is read; a supervisor is told the section is for administrators) and reads and changes
everything through the administration API (``/api/v1/admin/...``), so the server renders
nothing of the hall's configuration into it.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template

from hallq.office.pages import _hall, sections
from hallq.server.hall_file.schema import ANNOUNCE_LANGUAGES, LANGUAGES
from hallq.server.queue.errors import N_

# (fragment, label): the sub-sections in the page's order; the address's #fragment picks one.
SUBSECTIONS = (
    ("hall", N_("The hall")),
    ("zones", N_("Zones")),
    ("services", N_("Services")),
    ("windows", N_("Windows")),
    ("devices", N_("Devices")),
    ("users", N_("Users")),
    ("hall-file", N_("Hall file")),
)

# The week as the hall file names its days, with the words the page shows.
DAYS = (
    ("mon", N_("Monday")),
    ("tue", N_("Tuesday")),
    ("wed", N_("Wednesday")),
    ("thu", N_("Thursday")),
    ("fri", N_("Friday")),
    ("sat", N_("Saturday")),
    ("sun", N_("Sunday")),
)

# The hall file's [queue] rules the page has words for, in its order (others show by key).
QUEUE_RULES = (
    ("no_show_after_recalls", N_("Recalls before a ticket counts as a no-show")),
    ("reinstate_within_minutes", N_("A no-show may be brought back within (minutes)")),
    ("reinstate_places", N_("Places from the front a brought-back ticket rejoins at")),
    ("max_priority_in_a_row", N_("Priority tickets called in a row at most")),
    ("default_service_minutes", N_("Service time assumed before any is measured (minutes)")),
    ("service_time_window", N_("Services the estimate of service time is taken over")),
    ("follow_up_working_days", N_("Working days to close a follow-up")),
)


ROLES = (
    ("admin", N_("Administrator")),
    ("supervisor", N_("Supervisor")),
    ("clerk", N_("Clerk")),
)

DEVICE_KINDS = (
    ("kiosk", N_("Kiosk")),
    ("display", N_("Board")),
    ("counter", N_("Window's device")),
)


def admin() -> Any:
    """The administration pages, in the reader's language."""
    hall = _hall()
    return render_template(
        "office/admin.html",
        hall=hall.public() if hall else None,
        sections=sections("office.admin"),
        subsections=SUBSECTIONS,
        days=DAYS,
        queue_rules=QUEUE_RULES,
        roles=ROLES,
        device_kinds=DEVICE_KINDS,
        name_languages=LANGUAGES,
        announce_languages=ANNOUNCE_LANGUAGES,
    )


def init_admin_page(app: Flask) -> None:
    # The endpoint is the back office's (``office.admin``), as SECTIONS names it.
    app.add_url_rule("/office/admin", endpoint="office.admin", view_func=admin, methods=["GET"])
