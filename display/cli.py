"""``hallq announcer`` (added to the ``hallq`` command through the ``hallq.commands`` entry
point): the lobby's voice."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import click

from hallq.server.stop_signals import stop_on_signals

DEFAULT_DATA_DIR = "./var"


def _options(pairs: tuple[str, ...]) -> dict[str, str]:
    found = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{pair!r}: give NAME=VALUE", param_hint="--speech-option")
        found[name.strip()] = value
    return found


@click.command("announcer")
@click.option("--server", required=True, help="the hall server, e.g. http://10.0.0.2:8000")
@click.option(
    "--token",
    envvar="HALLQ_DEVICE_TOKEN",
    required=True,
    help="a display device's token (hallq device add NAME --kind display); or HALLQ_DEVICE_TOKEN",
)
@click.option("--zone", help="announce this zone's calls (default: the device's zone, or all)")
@click.option(
    "--speech",
    default="espeak",
    show_default=True,
    help="speech engine: espeak (offline), clips (recorded WAVs), command (your own)",
)
@click.option(
    "--speech-option",
    "speech_options",
    multiple=True,
    metavar="NAME=VALUE",
    help="for the engine, e.g. voice.cmn=cmn-latn-pinyin, folder=/srv/clips, "
    "command='mytts --lang {language} --out {output} {text}'",
)
@click.option(
    "--output",
    type=click.Choice(["auto", "default", "dummy"]),
    default="auto",
    show_default=True,
    help="auto: the sound card if there is one, else no sound (and the announcer goes on)",
)
@click.option(
    "--keep",
    type=click.Path(file_okay=False, path_type=Path),
    help="also keep every announcement played as a WAV in this folder",
)
@click.option("--repeat", type=click.IntRange(1, 5), default=1, show_default=True)
@click.option("--volume", type=click.IntRange(0, 100), default=100, show_default=True)
@click.option("--quiet-hours", metavar="HH:MM-HH:MM", help="say nothing then (the hall's time)")
@click.option(
    "--max-age",
    type=float,
    default=60.0,
    show_default=True,
    help="seconds: an older call is not announced any more (logged)",
)
@click.option(
    "--cache",
    type=click.Path(file_okay=False, path_type=Path),
    help="where synthesised speech is kept (default HALLQ_DATA_DIR/speech)",
)
def announcer(
    server: str,
    token: str,
    zone: str | None,
    speech: str,
    speech_options: tuple[str, ...],
    output: str,
    keep: Path | None,
    repeat: int,
    volume: int,
    quiet_hours: str | None,
    max_age: float,
    cache: Path | None,
) -> None:
    """Announce every call of the zone: a chime, then the number and the window in each of
    the hall's languages, one announcement at a time."""
    from hallq.display.announcer import Announcer, Settings, parse_quiet_hours
    from hallq.drivers.audio import AudioError, VlcPlayer
    from hallq.drivers.plugins import PluginError
    from hallq.drivers.speech import SpeechError, open_engine

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", force=True
    )
    try:
        quiet = parse_quiet_hours(quiet_hours) if quiet_hours else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--quiet-hours") from None
    try:
        engine = open_engine(speech, _options(speech_options))
    except (PluginError, SpeechError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    if cache is None:
        cache = Path(os.environ.get("HALLQ_DATA_DIR") or DEFAULT_DATA_DIR) / "speech"
    try:
        player = VlcPlayer(output, capture_dir=keep)
    except AudioError as exc:
        raise click.ClickException(str(exc)) from None
    settings = Settings(zone=zone, repeat=repeat, volume=volume, quiet_hours=quiet, max_age=max_age)
    stop = stop_on_signals()
    voice = Announcer(server, token, engine, player, cache, settings).start()
    click.echo(
        f"Announcer: {engine.describe()} on {player.describe()} for {server}"
        + (f", zone {zone}" if zone else ""),
        err=True,
    )
    stop.wait()
    voice.stop()
    click.echo("Announcer stopped.", err=True)
