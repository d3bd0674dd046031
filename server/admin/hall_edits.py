"""The back office's changes to the hall: each one edits the hall file and loads it again.

The hall file stays the one model of a hall's configuration. An edit (rename a service, add a
window...) takes the loaded hall's file (``hall_export.file_data``), changes it, and goes
through the same checks and the same loader as ``hallq init``: what the checks refuse is
refused with their messages (:class:`HallFileRejected`) and nothing changes; what they accept
is loaded in the caller's transaction, logged with its actor and what changed, and reported as
``HallChanged`` (screens read the catalog again).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from hallq.server.admin.hall_export import file_data, file_text
from hallq.server.hall_file import HallConfig, HallConfigError, Problem, parse_hall_config
from hallq.server.hall_file.loader import load_hall
from hallq.server.models import Hall
from hallq.server.queue import ledger
from hallq.server.queue.errors import N_, Conflict, Invalid, NotFound, Term
from hallq.server.queue.events import Actor, DomainEvent, HallChanged

# The arrays of the file and the key that names an item of each.
KEYS = {"zones": "code", "services": "code", "counters": "number", "devices": "name"}
WHAT = {"zones": "zone", "services": "service", "counters": "window", "devices": "device"}
# The same words in refusals, translated with the message.
TERMS = {
    "zones": Term(N_("zone")),
    "services": Term(N_("service")),
    "counters": Term(N_("window")),
    "devices": Term(N_("device")),
}


class HallFileRejected(Invalid):
    """The edited or imported hall file fails the hall file's checks; nothing was changed."""

    def __init__(self, problems: list[Problem], *, lines: bool) -> None:
        super().__init__(
            "hall_file_invalid",
            N_("The hall file has %(count)s mistakes; nothing was changed."),
            count=len(problems),
        )
        self.problems = problems
        # Line numbers mean something only in a file the caller wrote.
        self.lines = lines

    def listed(self) -> list[dict[str, Any]]:
        return [
            {
                "where": problem.where,
                "line": problem.line if self.lines else None,
                "message": problem.message,
            }
            for problem in self.problems
        ]


@dataclass
class HallEdited:
    changes: list[dict[str, Any]]
    warnings: list[dict[str, Any]]
    config: HallConfig
    events: list[DomainEvent] = field(default_factory=list)


def hall_row(session: Session, hall_id: int) -> Hall:
    hall = session.get(Hall, hall_id)
    if hall is None:
        raise NotFound("unknown_hall", N_("This hall is not set up."))
    return hall


def current_file(session: Session, hall_id: int) -> dict[str, Any]:
    """The hall file of the hall as loaded now."""
    return file_data(hall_row(session, hall_id).config)


# -- checking and loading -----------------------------------------------------------------


def check_text(text: str, source: str, *, lines: bool = True) -> HallConfig:
    try:
        return parse_hall_config(text, source)
    except HallConfigError as error:
        raise HallFileRejected(error.problems, lines=lines) from None


def check_data(data: Mapping[str, Any]) -> HallConfig:
    """Check edited data as the hall file it would be written as."""
    return check_text(file_text(data), "edit", lines=False)


def describe_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What differs between two hall files: tables' keys, and items added, retired, changed."""
    changes: list[dict[str, Any]] = []
    for table in sorted(set(before) | set(after)):
        if table in KEYS:
            continue
        old, new = before.get(table) or {}, after.get(table) or {}
        keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        if keys:
            changes.append({"what": table, "change": "changed", "fields": keys})
    for array, key in KEYS.items():
        old_items = {item[key]: item for item in before.get(array, [])}
        new_items = {item[key]: item for item in after.get(array, [])}
        for name, item in new_items.items():
            was = old_items.get(name)
            if was is None:
                changes.append({"what": WHAT[array], "key": name, "change": "added"})
                continue
            keys = sorted(k for k in set(was) | set(item) if was.get(k) != item.get(k))
            if keys:
                changes.append(
                    {"what": WHAT[array], "key": name, "change": "changed", "fields": keys}
                )
        for name in old_items.keys() - new_items.keys():
            changes.append({"what": WHAT[array], "key": name, "change": "retired"})
    return changes


def load_checked(
    session: Session,
    actor: Actor,
    config: HallConfig,
    *,
    kind: str,
    now: dt.datetime,
    **detail: Any,
) -> HallEdited:
    """Load a checked hall file into the actor's hall, and log what changed under ``kind``."""
    hall = hall_row(session, actor.hall_id)
    if config.code != hall.code:
        raise HallFileRejected(
            [
                Problem(
                    "hall.code",
                    None,
                    f'this hall is "{hall.code}": a file of hall "{config.code}" cannot be '
                    "loaded into it",
                )
            ],
            lines=False,
        )
    before = file_data(hall.config)
    _, loaded = load_hall(session, config, demo=bool(hall.demo), now=now)
    changes = describe_changes(before, file_data(hall.config))
    ledger.append(session, actor, kind, now, changes=changes, loaded=loaded, **detail)
    warnings = [{"where": w.where, "message": w.message} for w in config.warnings]
    return HallEdited(changes, warnings, config, [HallChanged(hall.id)])


def edit(
    session: Session,
    actor: Actor,
    change: Callable[[dict[str, Any]], None],
    *,
    kind: str,
    now: dt.datetime,
    **detail: Any,
) -> HallEdited:
    """``change(data)`` edits the hall file's data in place; then check and load it."""
    data = copy.deepcopy(current_file(session, actor.hall_id))
    change(data)
    return load_checked(session, actor, check_data(data), kind=kind, now=now, **detail)


# -- edits of the file's data ---------------------------------------------------------------


def merged(table: dict[str, Any], patch: Mapping[str, Any]) -> None:
    """Set the patch's keys; None removes a key (back to the file's default)."""
    for key, value in patch.items():
        if value is None:
            table.pop(key, None)
        else:
            table[key] = value


def find(data: dict[str, Any], array: str, name: Any) -> dict[str, Any]:
    for item in data.get(array, []):
        if item.get(KEYS[array]) == name:
            return item  # type: ignore[no-any-return]
    raise NotFound(
        f"unknown_{WHAT[array]}",
        N_("There is no %(what)s %(name)s in this hall."),
        what=TERMS[array],
        name=name,
    )


def add_item(data: dict[str, Any], array: str, item: dict[str, Any]) -> None:
    name = item.get(KEYS[array])
    if any(existing.get(KEYS[array]) == name for existing in data.get(array, [])):
        raise Conflict(
            f"{WHAT[array]}_exists",
            N_("There is already a %(what)s %(name)s in this hall."),
            what=TERMS[array],
            name=name,
        )
    data.setdefault(array, []).append({k: v for k, v in item.items() if v is not None})


def change_item(data: dict[str, Any], array: str, name: Any, patch: Mapping[str, Any]) -> None:
    item = find(data, array, name)
    if KEYS[array] in patch and patch[KEYS[array]] != name:
        raise Invalid(
            "identity_fixed",
            N_("A %(what)s keeps its %(key)s: add a new one and retire this one instead."),
            what=TERMS[array],
            key=KEYS[array],
        )
    merged(item, patch)


def remove_item(data: dict[str, Any], array: str, name: Any) -> None:
    item = find(data, array, name)
    data[array] = [other for other in data[array] if other is not item]
