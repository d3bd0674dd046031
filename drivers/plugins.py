"""Drivers found through entry points: printer connections, speech engines, pad protocols.

A package declares what it brings in its pyproject.toml, e.g.::

    [project.entry-points."hallq.printer_connections"]
    tcp = "hallq.drivers.printer.network:NetworkConnection"   # URL scheme -> connection class

    [project.entry-points."hallq.speech"]
    espeak = "hallq.drivers.speech.espeak:EspeakEngine"       # engine name -> engine class

    [project.entry-points."hallq.pad_protocols"]
    v1 = "hallq.drivers.serial.pad_v1:PadProtocolV1"          # protocol name -> protocol class

and the agent that needs one asks ``load(PRINTER_CONNECTIONS, "tcp")``. A name nobody provides
is an ``UnknownPlugin`` error listing the names there are; one that cannot be imported is a
``BrokenPlugin`` naming its entry point. Nothing is imported until it is asked for.

Like all of ``drivers/``, this knows nothing of halls, tickets or the server.
"""

from __future__ import annotations

import importlib.metadata
from typing import Any

PRINTER_CONNECTIONS = "hallq.printer_connections"
SPEECH = "hallq.speech"
PAD_PROTOCOLS = "hallq.pad_protocols"
GROUPS = (PRINTER_CONNECTIONS, SPEECH, PAD_PROTOCOLS)

_WHAT = {
    PRINTER_CONNECTIONS: "printer connection (URL scheme)",
    SPEECH: "speech engine",
    PAD_PROTOCOLS: "pad protocol",
}


class PluginError(LookupError):
    """A driver cannot be had by that name."""


class UnknownPlugin(PluginError):
    """No installed package provides that name in that group."""

    def __init__(self, group: str, name: str, available: list[str]) -> None:
        self.group, self.name, self.available = group, name, available
        there = ", ".join(available) if available else "none is installed"
        super().__init__(f"no {_WHAT[group]} {name!r}; available: {there} ({group} entry points)")


class BrokenPlugin(PluginError):
    """The entry point is there, but what it names cannot be imported (or is ambiguous)."""


def _check(group: str) -> None:
    if group not in GROUPS:
        raise ValueError(f"unknown driver group {group!r}; the groups are: {', '.join(GROUPS)}")


def _describe(entry_point: importlib.metadata.EntryPoint) -> str:
    dist = getattr(entry_point, "dist", None)
    source = f" of {dist.name} {dist.version}" if dist is not None else ""
    return f"{entry_point.group} entry point '{entry_point.name} = {entry_point.value}'{source}"


def _entry_points(group: str) -> list[importlib.metadata.EntryPoint]:
    _check(group)
    return list(importlib.metadata.entry_points(group=group))


def names(group: str) -> list[str]:
    """The names installed in ``group``, sorted (e.g. ``["file", "serial", "tcp", "usb"]``)."""
    return sorted({entry_point.name for entry_point in _entry_points(group)})


def load(group: str, name: str) -> Any:
    """What ``name`` stands for in ``group`` (a class), imported now."""
    found = [entry_point for entry_point in _entry_points(group) if entry_point.name == name]
    if not found:
        raise UnknownPlugin(group, name, names(group))
    if len(found) > 1:
        raise BrokenPlugin(
            f"several packages provide the {_WHAT[group]} {name!r}: "
            f"{'; '.join(_describe(ep) for ep in found)}. Uninstall all but one."
        )
    try:
        return found[0].load()
    except Exception as exc:
        raise BrokenPlugin(
            f"the {_WHAT[group]} {name!r} cannot be loaded ({_describe(found[0])}): "
            f"{type(exc).__name__}: {exc}"
        ) from exc
