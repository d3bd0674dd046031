"""The kiosk's touch screen as its tests drive it: opened paired with a device, a service
touched and its ticket awaited."""

from __future__ import annotations

from typing import Any

from tests.support.browser import LiveHall, collect_errors


def open_kiosk(context, live: LiveHall, device: str = "kiosk-1", clock: bool = False):
    page = context.new_page()
    page.errors = collect_errors(page)
    if clock:
        page.clock.install()
    page.goto(f"{live.url}/kiosk#token={live.token(device)}")
    page.locator("button.service").first.wait_for()
    return page


def service_button(page, code: str):
    return page.locator(f"button.service[data-service={code}]")


def press(page, code: str) -> dict[str, Any]:
    """Touch a service; return the API's answer (the ticket) once the ticket screen shows it."""
    with page.expect_response(
        lambda r: r.url.endswith("/api/v1/tickets") and r.request.method == "POST"
    ) as answer:
        service_button(page, code).click()
    ticket = answer.value.json()
    page.locator("#ticket").wait_for(state="visible")
    return ticket
