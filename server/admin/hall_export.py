"""The hall file of a loaded hall, written back out: the back office's export, and the data its
edits change before they are checked and loaded like any hall file.

The hall's row keeps the loaded configuration as plain data (``Hall.config``, written by
``hall_file.loader``); this turns it back into the hall file's tables. Loading the written
file gives the same configuration, so export, import and edits never disagree. Comments of
the original file are not kept: the database never had them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import tomli_w

from hallq.server.queue.hours import WEEKDAYS

# Tables of Hall.config named differently in the hall file; the others keep their names.
_RENAMED = {"rules": "queue"}
# Keys of Hall.config that are not tables of the file.
_NOT_TABLES = frozenset(
    {"code", "name", "timezone", "languages", "announce", "public_url", "warnings"}
)
_ARRAYS = ("zones", "services", "counters", "devices")
_DATE_LISTS = frozenset({"holidays", "extra_working_days"})


def _kept(table: Mapping[str, Any]) -> dict[str, Any]:
    """TOML has no null: a key whose value is None is left out (the file's default)."""
    return {key: value for key, value in table.items() if value is not None}


def _dates(key: str, value: Any) -> Any:
    # Calendar days are written as TOML dates (the hall file also reads "2026-12-25").
    if key in _DATE_LISTS and isinstance(value, list):
        return [dt.date.fromisoformat(v) if isinstance(v, str) else v for v in value]
    return value


def _hall(config: Mapping[str, Any]) -> dict[str, Any]:
    return _kept(
        {
            "code": config["code"],
            "timezone": config["timezone"],
            "languages": list(config["languages"]),
            "announce": list(config["announce"]),
            "public_url": config.get("public_url"),
            "name": dict(config["name"]),
        }
    )


def _service(service: Mapping[str, Any]) -> dict[str, Any]:
    documents = service.get("documents") or {}
    return _kept(
        {
            "code": service["code"],
            "prefix": service["prefix"],
            "zone": service["zone"],
            "target_wait": service["target_wait"],
            "daily_cap": service.get("daily_cap"),
            "typical_minutes": service.get("typical_minutes"),
            "name": dict(service["name"]),
            # No documents at all is written as no table (the file's way of saying so).
            "documents": {lang: list(items) for lang, items in documents.items()}
            if any(documents.values())
            else None,
            # A closed day is left out, as a person writes it.
            "hours": {
                day: list(service["hours"][day]) for day in WEEKDAYS if service["hours"].get(day)
            },
        }
    )


def _profile(tiers: list[list[list[Any]]]) -> list[Any]:
    """Tiers of [code, weight]: a list of codes when every weight is 1, else a table."""
    profile: list[Any] = []
    for tier in tiers:
        if all(float(weight) == 1.0 for _code, weight in tier):
            profile.append([code for code, _weight in tier])
        else:
            profile.append({code: weight for code, weight in tier})
    return profile


def _counter(counter: Mapping[str, Any]) -> dict[str, Any]:
    return _kept(
        {
            "number": counter["number"],
            "zone": counter["zone"],
            "name": counter.get("name"),
            "profile": _profile(counter["tiers"]),
        }
    )


def _device(device: Mapping[str, Any]) -> dict[str, Any]:
    # A counter device's zone is its counter's: the file leaves it out.
    zone = None if device.get("counter") is not None else device.get("zone")
    return _kept(
        {
            "name": device["name"],
            "kind": device["kind"],
            "zone": zone,
            "counter": device.get("counter"),
        }
    )


def file_data(config: Mapping[str, Any]) -> dict[str, Any]:
    """The hall file's tables for a hall's stored configuration (``Hall.config``)."""
    data: dict[str, Any] = {"hall": _hall(config)}
    for key, value in config.items():
        if key in _NOT_TABLES or key in _ARRAYS or not isinstance(value, Mapping):
            continue
        table = {k: _dates(k, v) for k, v in _kept(value).items()}
        # A sub-table with None everywhere (no kiosk footer) is simply absent.
        data[_RENAMED.get(key, key)] = {
            k: _kept(v) if isinstance(v, Mapping) else v for k, v in table.items()
        }
    data["zones"] = [{"code": z["code"], "name": dict(z["name"])} for z in config["zones"]]
    data["services"] = [_service(s) for s in config["services"]]
    data["counters"] = [_counter(c) for c in config["counters"]]
    devices = [_device(d) for d in config.get("devices", [])]
    if devices:
        data["devices"] = devices
    return data


HEADER = (
    "# HallQ hall file, written by HallQ's back office.\n"
    "# Load it with `hallq init --config FILE`, or import it in the back office.\n\n"
)


def file_text(data: Mapping[str, Any]) -> str:
    """The hall file as TOML text (names and documents as written, Chinese unescaped)."""
    return HEADER + tomli_w.dumps(data)


def file_name(code: str, now: dt.datetime) -> str:
    return f"{code}-{now.strftime('%Y%m%d-%H%M')}.toml"
