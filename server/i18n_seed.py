"""Strings of screens not built yet, marked so the catalogs carry them already.

Nothing imports this module at run time; ``scripts/i18n extract`` reads it. Once the screens
that show these strings exist (and mark them themselves), this file can go.
"""

from hallq.server.catalogs import N_, translator

SEED: tuple[str, ...] = (
    # Translators: state of a ticket, a heading on the lobby board.
    N_("Waiting"),
    # Translators: heading over the ticket numbers being served on the lobby board.
    N_("Now serving"),
    # Translators: a counter (service window) by its number, e.g. "Window 3".
    N_("Window %(number)s"),
    # Translators: sign shown at a window when its clerk has stepped away.
    N_("Service paused"),
    # Translators: a queue ticket by its number, e.g. "Ticket A001".
    N_("Ticket %(number)s"),
    # Translators: on a ticket and the kiosk, how many tickets are called before yours.
    N_("%(count)s people ahead"),
    # Translators: on a ticket and the kiosk; "min" is minutes.
    N_("Estimated wait %(minutes)s min"),
    # Translators: state of a window or a service (not serving now), not a button.
    N_("Closed"),
    # Translators: state of a window or a service (serving now), not a button.
    N_("Open"),
    # Translators: button and page title of the staff login.
    N_("Sign in"),
    N_("Username"),
    N_("Password"),
    # Translators: label of the language switcher.
    N_("Language"),
)


def _plural_markers() -> None:
    """Never called: carries the plural strings for pybabel, which ``N_`` cannot mark."""
    _ = translator("en")
    # Translators: waiting count of a service on the kiosk and the lobby board.
    _.ngettext("%(num)s ticket waiting", "%(num)s tickets waiting", 0)
