"""``hallq counter-agent`` (added to the ``hallq`` command through the ``hallq.commands``
entry point)."""

from __future__ import annotations

import logging

import click

from hallq.server.stop_signals import stop_on_signals

ADDRESS_HELP = "a device path or pyserial URL: /dev/ttyUSB0, rfc2217://host:port, a pty"


@click.command("counter-agent")
@click.option("--server", required=True, help="the hall server, e.g. http://10.0.0.2:8000")
@click.option(
    "--token",
    envvar="HALLQ_DEVICE_TOKEN",
    required=True,
    help="the window's device token (hallq device add --kind counter); or HALLQ_DEVICE_TOKEN",
)
@click.option("--pad", required=True, help=f"the rating pad: {ADDRESS_HELP}")
@click.option("--sign", help=f"the window's LED sign: {ADDRESS_HELP}")
@click.option("--keys", help=f"a call keypad apart from the pad: {ADDRESS_HELP}")
@click.option(
    "--protocol",
    default="v1",
    show_default=True,
    help="the pad's and keypad's protocol (a hallq.pad_protocols entry point)",
)
@click.option("--pad-address", type=click.IntRange(0, 255), default=1, show_default=True)
@click.option("--sign-address", type=click.IntRange(0, 255), default=1, show_default=True)
@click.option("--keys-address", type=click.IntRange(0, 255), default=1, show_default=True)
@click.option("--baudrate", type=click.IntRange(min=1), default=9600, show_default=True)
@click.option(
    "--rating-timeout",
    type=click.FloatRange(min=1.0),
    default=60.0,
    show_default=True,
    help="seconds the pad waits for the customer's score before the ticket is 'not rated'",
)
def counter_agent(
    server: str,
    token: str,
    pad: str,
    sign: str | None,
    keys: str | None,
    protocol: str,
    pad_address: int,
    sign_address: int,
    keys_address: int,
    baudrate: int,
    rating_timeout: float,
) -> None:
    """Run a window's devices: the customer's rating pad (its scores, its call keys), a call
    keypad and the window's LED sign. Unplugged devices are reported and reopened when they
    come back."""
    from hallq.counter.agent import CounterAgent, Options
    from hallq.drivers import plugins

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", force=True
    )
    options = Options(
        protocol=protocol,
        pad_address=pad_address,
        sign_address=sign_address,
        keys_address=keys_address,
        baudrate=baudrate,
        rating_timeout=rating_timeout,
    )
    try:
        agent = CounterAgent(server, token, pad, sign=sign, keys=keys, options=options)
    except (plugins.UnknownPlugin, plugins.BrokenPlugin, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    stop = stop_on_signals()
    agent.start()
    devices = ", ".join(f"{d.role} {d.url}" for d in agent.devices.values())
    click.echo(f"Counter agent: {devices} for {server}", err=True)
    stop.wait()
    agent.stop()
    click.echo("Counter agent stopped.", err=True)
