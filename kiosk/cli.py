"""``hallq kiosk-agent`` and ``hallq emulate printer`` (added to the ``hallq`` command through
the ``hallq.commands`` and ``hallq.emulators`` entry points)."""

from __future__ import annotations

import hashlib
import http.server
import logging
import os
import threading
from pathlib import Path
from typing import Any

import click

from hallq.server.stop_signals import stop_on_signals

DEFAULT_DATA_DIR = "./var"


@click.command("kiosk-agent")
@click.option("--server", required=True, help="the hall server, e.g. http://10.0.0.2:8000")
@click.option(
    "--token",
    envvar="HALLQ_DEVICE_TOKEN",
    required=True,
    help="the kiosk's device token (hallq device add); or HALLQ_DEVICE_TOKEN",
)
@click.option(
    "--printer",
    required=True,
    help="tcp://host:9100, serial:///dev/ttyUSB0?baudrate=19200, usb://VID:PID or file://path",
)
@click.option("--paper", type=click.Choice(["80", "58"]), default="80", show_default=True)
@click.option(
    "--text",
    "text_mode",
    type=click.Choice(["image", "gb18030", "big5"]),
    default="image",
    show_default=True,
    help="image prints on every printer; gb18030/big5 use the printer's own Chinese font",
)
@click.option("--qr", "qr_mode", type=click.Choice(["native", "image"]), default="native")
@click.option("--profile", default="TM-T20II", show_default=True, help="python-escpos profile")
@click.option(
    "--max-age",
    type=float,
    default=300.0,
    show_default=True,
    help="seconds: an older job is not printed when the paper returns (reprint at the desk)",
)
@click.option(
    "--poll", type=float, default=3.0, show_default=True, help="seconds between status reads"
)
@click.option(
    "--spool",
    type=click.Path(file_okay=False, path_type=Path),
    help="where jobs wait (default HALLQ_DATA_DIR/kiosk-agent/<token's hash>)",
)
def kiosk_agent(
    server: str,
    token: str,
    printer: str,
    paper: str,
    text_mode: str,
    qr_mode: str,
    profile: str,
    max_age: float,
    poll: float,
    spool: Path | None,
) -> None:
    """Print the kiosk's tickets: take its print jobs from the server, print them, report the
    printer's state (paper out, offline) so the kiosk's screen can say so."""
    from hallq.drivers.printer import PrinterUrlError, open_printer
    from hallq.kiosk.agent import KioskAgent, Options
    from hallq.kiosk.spool import Spool

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", force=True
    )
    if spool is None:
        data = Path(os.environ.get("HALLQ_DATA_DIR") or DEFAULT_DATA_DIR)
        spool = data / "kiosk-agent" / hashlib.sha256(token.encode()).hexdigest()[:12]
    try:
        connection = open_printer(printer)
    except PrinterUrlError as exc:
        raise click.ClickException(str(exc)) from None
    options = Options(
        paper_mm=80 if paper == "80" else 58,
        text_mode=text_mode,  # type: ignore[arg-type]
        qr_mode=qr_mode,  # type: ignore[arg-type]
        profile=profile,
        max_age=max_age,
        poll_seconds=poll,
    )
    stop = stop_on_signals()
    agent = KioskAgent(server, token, connection, Spool(spool), options).start()
    click.echo(f"Kiosk agent: {connection.describe()} for {server} (spool {spool})", err=True)
    stop.wait()
    agent.stop()
    click.echo("Kiosk agent stopped.", err=True)


@click.command("printer")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=9100, show_default=True, type=int, help="0: any free port")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="write each job there as job-0001.bin and job-0001.png",
)
@click.option(
    "--control-port",
    type=int,
    help="also take the paper's state over HTTP: POST /state/ok|near_end|out|offline",
)
def emulate_printer(host: str, port: int, out: Path | None, control_port: int | None) -> None:
    """A network receipt printer (ESC/POS on a TCP port, as real ones on 9100): it keeps each
    ticket it receives, answers status queries, and can run out of paper on demand."""
    from hallq.drivers.printer.emulator import PrinterEmulator

    emulator = PrinterEmulator(host=host, port=port, out_dir=out).start()
    click.echo(f"Printer emulator on {emulator.url}", err=True)
    if out is not None:
        click.echo(f"  its tickets go to {out} (job-NNNN.png)", err=True)
    control = None
    if control_port is not None:
        control = _control_server(emulator, host, control_port)
        click.echo(
            f"  paper: curl -X POST http://{host}:{control.server_address[1]}/state/out "
            "(or ok, near_end, offline)",
            err=True,
        )
    stop = stop_on_signals()
    stop.wait()
    if control is not None:
        control.shutdown()
    emulator.stop()
    click.echo("Printer emulator stopped.", err=True)


def _control_server(emulator: Any, host: str, port: int) -> http.server.ThreadingHTTPServer:
    states = ("ok", "near_end", "out", "offline")

    class Control(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            wanted = self.path.rstrip("/").rsplit("/", 1)[-1]
            if not self.path.startswith("/state/") or wanted not in states:
                self.send_error(404, f"POST /state/{'|'.join(states)}")
                return
            emulator.state = wanted
            self.send_response(204)
            self.end_headers()

        def do_GET(self) -> None:
            body = f"{emulator.state}\n{len(emulator.jobs)} jobs\n".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            return None

    server = http.server.ThreadingHTTPServer((host, port), Control)
    threading.Thread(target=server.serve_forever, name="printer-control", daemon=True).start()
    return server
