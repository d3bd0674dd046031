"""What installed packages add to the server, found through entry points.

A client package (the kiosk, the lobby display, the counter, or a vendor's) declares in its
pyproject.toml::

    [project.entry-points."hallq.pages"]
    kiosk = "hallq.kiosk.pages:init_pages"      # a callable taking the Flask app

    [project.entry-points."hallq.commands"]
    kiosk = "hallq.kiosk.cli:kiosk"             # a click command or group: `hallq kiosk …`

``create_app`` calls ``init_pages(app)`` last, so each page plugin registers its blueprints
on a finished app; a plugin that cannot be loaded stops the start with a ``PluginError``
naming it. The ``hallq`` command calls ``add_commands(main)``: a command is imported only when
it runs or ``hallq --help`` describes it (keep a command's module light and import the rest
inside the command), and one that cannot be loaded says so when used, leaving every other
command working. A plugin's command never replaces one of ``hallq``'s own.

This module imports no Flask: the ``hallq`` command imports it at every start.
"""

from __future__ import annotations

import importlib.metadata
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from flask import Flask

PAGES = "hallq.pages"
COMMANDS = "hallq.commands"
# Subcommands of `hallq emulate` (a printer, a counter pad...): each a click command.
EMULATORS = "hallq.emulators"


class PluginError(RuntimeError):
    """An installed plugin could not be loaded or refused to set itself up."""


def describe(entry_point: importlib.metadata.EntryPoint) -> str:
    """``hallq.pages entry point 'kiosk = hallq.kiosk.pages:init' of hallq-kiosk 1.0``."""
    dist = getattr(entry_point, "dist", None)
    source = f" of {dist.name} {dist.version}" if dist is not None else ""
    return f"{entry_point.group} entry point '{entry_point.name} = {entry_point.value}'{source}"


def _failure(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def entry_points(group: str) -> list[importlib.metadata.EntryPoint]:
    """The group's entry points in a stable order (by name, then distribution)."""
    found = importlib.metadata.entry_points(group=group)

    def key(ep: importlib.metadata.EntryPoint) -> tuple[str, str]:
        dist = getattr(ep, "dist", None)
        return ep.name, dist.name if dist is not None else ""

    return sorted(found, key=key)


# --- pages ------------------------------------------------------------------------------------


def init_pages(app: Flask) -> None:
    """Let every ``hallq.pages`` plugin register its blueprints on ``app``."""
    for entry_point in entry_points(PAGES):
        try:
            register = entry_point.load()
        except Exception as exc:
            raise PluginError(
                f"the {describe(entry_point)} cannot be loaded: {_failure(exc)}. "
                "Reinstall or uninstall that package."
            ) from exc
        if not callable(register):
            raise PluginError(
                f"the {describe(entry_point)} is not a callable taking the Flask app "
                f"(it is {type(register).__name__})."
            )
        try:
            register(app)
        except Exception as exc:
            raise PluginError(
                f"the {describe(entry_point)} failed to add its pages: {_failure(exc)}"
            ) from exc


# --- commands ---------------------------------------------------------------------------------


class PluginCommand(click.Command):
    """Stands in the ``hallq`` group for a plugin's command until it is needed."""

    def __init__(self, entry_point: importlib.metadata.EntryPoint) -> None:
        super().__init__(entry_point.name)
        self.entry_point = entry_point
        self._command: click.Command | None = None

    def load(self) -> click.Command:
        """The plugin's command; a ClickException naming the entry point if it cannot load."""
        if self._command is None:
            try:
                command = self.entry_point.load()
            except Exception as exc:
                raise click.ClickException(
                    f"the command {self.name!r} cannot be loaded ({describe(self.entry_point)}): "
                    f"{_failure(exc)}. Reinstall or uninstall that package."
                ) from exc
            if not isinstance(command, click.Command):
                raise click.ClickException(
                    f"the command {self.name!r} is not a click command "
                    f"({describe(self.entry_point)} is a {type(command).__name__})."
                )
            self._command = command
        return self._command

    def _loaded_or_none(self) -> click.Command | None:
        try:
            return self.load()
        except click.ClickException:
            return None

    # `hallq --help` asks these of every command.
    @property  # type: ignore[override]
    def hidden(self) -> bool:
        command = self._loaded_or_none()
        return command.hidden if command is not None else False

    @hidden.setter
    def hidden(self, value: bool) -> None:
        pass  # the plugin's own command decides

    def get_short_help_str(self, limit: int = 45) -> str:
        command = self._loaded_or_none()
        if command is None:
            return f"(cannot be loaded: `hallq {self.name}` says why)"
        return command.get_short_help_str(limit)

    # Running it (or `hallq NAME --help`): the plugin's command parses and runs.
    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        return self.load().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        return self.load().invoke(ctx)


def add_commands(group: click.Group, entry_group: str = COMMANDS) -> None:
    """Add every plugin of ``entry_group`` (default ``hallq.commands``) to ``group``, each
    loaded when first used."""
    for entry_point in entry_points(entry_group):
        taken = group.commands.get(entry_point.name)
        if isinstance(taken, PluginCommand) and taken.entry_point.value == entry_point.value:
            # The same package seen twice (an editable install's metadata beside the source
            # tree, found again through the working directory): nothing to warn about.
            continue
        if taken is not None:
            owner = (
                f"taken by the {describe(taken.entry_point)}"
                if isinstance(taken, PluginCommand)
                else "one of hallq's own"
            )
            click.echo(
                f"warning: the {describe(entry_point)} is ignored: "
                f"the command {entry_point.name!r} is {owner}.",
                err=True,
            )
            continue
        group.add_command(PluginCommand(entry_point))
