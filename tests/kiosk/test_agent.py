"""The kiosk agent's own rules, with the real spool on disk and the printer emulator, without a
server (tests/e2e/test_kiosk_agent.py runs it against ``hallq serve``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from pathlib import Path
from typing import Any

import pytest

from hallq.drivers.printer import PrinterState, open_printer
from hallq.drivers.printer.emulator import PrinterEmulator
from hallq.kiosk.agent import KioskAgent, Options
from hallq.kiosk.spool import Spool

NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)


def _job(job_id: int, *, made: dt.datetime = NOW) -> dict[str, Any]:
    return {
        "id": job_id,
        "queued_at": made.isoformat(),
        "ticket": {
            "id": job_id,
            "number": f"A{job_id:03d}",
            "service": "property-transfer",
            "service_name": "物業過戶",
            "documents": ["身份證明文件"],
            "language": "zh-Hant",
            "priority": "normal",
            "people_ahead": 0,
            "eta_minutes": 5,
            "issued_at": "2026-11-30T10:00:00+08:00",
            "status_url": "https://q.example.org/t/abc",
            "hall_name": "海港產權過戶服務大廳",
            "footer": None,
        },
    }


class Answers:
    """Stands in for the Socket.IO client: connected, and keeps what the agent answers."""

    connected = True

    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []

    def call(self, event: str, data: Any, **_: Any) -> Any:
        self.sent.append((event, data))
        return {"ok": True}

    def disconnect(self) -> None:
        self.connected = False


@pytest.fixture
def printer() -> Any:
    with PrinterEmulator(port=0) as emulator:
        yield emulator


def _agent(tmp_path: Path, emulator: PrinterEmulator, **options: Any) -> tuple[KioskAgent, Answers]:
    agent = KioskAgent(
        "http://hall.invalid",
        "hqd_x",
        open_printer(emulator.url),
        Spool(tmp_path / "spool"),
        Options(poll_seconds=0.05, **options),
        clock=lambda: NOW.timestamp() + 1,
    )
    answers = Answers()
    agent.client = answers  # type: ignore[assignment]
    return agent, answers


def _drain(agent: KioskAgent) -> None:
    """Passes of the job loop, as its thread makes them, until nothing more happens."""
    while agent.work_once():
        pass


def test_a_job_prints_once_however_often_it_comes(tmp_path: Path, printer: Any) -> None:
    agent, answers = _agent(tmp_path, printer)
    agent.take(_job(7))
    agent.take(_job(7))  # the server sends it again on a reconnect
    _drain(agent)
    agent.take(_job(7))  # again, after it was answered: answered again, not printed again
    _drain(agent)
    printer.wait_for_job(1)
    assert len(printer.jobs) == 1
    assert answers.sent == [("print.result", {"id": 7, "ok": True})] * 2
    agent.printer.close()


def test_a_job_cut_short_by_a_crash_is_not_printed_again(tmp_path: Path, printer: Any) -> None:
    spool = Spool(tmp_path / "spool")
    spooled, _ = spool.add(_job(3), NOW.timestamp())
    spooled.state = "printing"  # the agent died while sending it
    spool.save(spooled)
    agent, answers = _agent(tmp_path, printer)
    agent.recover()
    _drain(agent)
    assert printer.jobs == []
    assert answers.sent == [("print.result", {"id": 3, "ok": False, "reason": "interrupted"})]
    agent.take(_job(3))  # sent again: still not printed
    _drain(agent)
    assert printer.jobs == []
    agent.printer.close()


def test_jobs_wait_for_paper_and_old_ones_are_not_printed(tmp_path: Path, printer: Any) -> None:
    printer.state = "out"
    agent, answers = _agent(tmp_path, printer, max_age=60)
    agent.take(_job(1))
    agent.take(_job(2, made=NOW - dt.timedelta(minutes=5)))  # pressed five minutes ago
    _drain(agent)
    assert printer.jobs == []  # nothing to a printer without paper
    # The old one is answered at once, whatever the printer; the new one waits.
    assert answers.sent == [("print.result", {"id": 2, "ok": False, "reason": "too_old"})]
    assert [j.state for j in agent.spool.jobs()] == ["received"]
    assert [(j.id, j.state) for j in agent.spool.answered()] == [(2, "failed")]
    printer.state = "ok"
    _drain(agent)
    printer.wait_for_job(1)
    assert len(printer.jobs) == 1
    assert answers.sent[1:] == [("print.result", {"id": 1, "ok": True})]
    assert agent.spool.jobs() == []  # nothing left to do
    assert [(j.id, j.answered) for j in agent.spool.answered()] == [(1, True), (2, True)]
    agent.printer.close()


def test_unanswered_results_wait_for_the_server(tmp_path: Path, printer: Any) -> None:
    agent, answers = _agent(tmp_path, printer)
    answers.connected = False
    agent.take(_job(9))
    _drain(agent)
    printer.wait_for_job(1)
    assert answers.sent == []
    assert [(j.state, j.answered) for j in agent.spool.jobs()] == [("printed", False)]
    answers.connected = True
    _drain(agent)
    assert answers.sent == [("print.result", {"id": 9, "ok": True})]
    assert len(printer.jobs) == 1
    agent.printer.close()


def test_a_malformed_job_is_ignored(tmp_path: Path, printer: Any) -> None:
    agent, _answers = _agent(tmp_path, printer)
    for bad in (None, "job", {"id": "7"}, {"ticket": {}}):
        agent.take(bad)
    assert agent.spool.jobs() == []
    agent.printer.close()


def test_the_spool_keeps_whole_files_only(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    first, new = spool.add(_job(1), 1.0)
    assert new and spool.add(_job(1), 2.0) == (first, False)
    (tmp_path / "spool" / "job-000000000002.tmp").write_text("{half a fi")  # a crash mid-write
    spool.add(_job(3), 3.0)
    assert [j.id for j in spool.jobs()] == [1, 3]
    assert (tmp_path / "spool").stat().st_mode & 0o077 == 0


def test_answered_jobs_are_kept_apart_and_forgotten_after_a_day(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    for n, answered_at in ((1, 100.0), (2, 5_000.0)):
        job, _ = spool.add(_job(n), 1.0)
        job.state, job.answered, job.answered_at = "printed", True, answered_at
        spool.save(job)
    spool.add(_job(3), 2.0)
    # A pass over the work to do reads only the job still to print.
    assert [j.id for j in spool.jobs()] == [3]
    assert sorted(p.name for p in (tmp_path / "spool").glob("job-*")) == ["job-000000000003.json"]
    assert [j.id for j in spool.answered()] == [1, 2]
    # Known still: sent again, it is not new (answered again, never printed again).
    assert spool.add(_job(1), 9.0)[1] is False
    assert (tmp_path / "spool" / "answered").stat().st_mode & 0o077 == 0
    # Sent again and not yet answered again: back among the work to do, in one place only.
    again = spool.get(2)
    assert again is not None
    again.answered = False
    spool.save(again)
    assert [j.id for j in spool.jobs()] == [2, 3] and [j.id for j in spool.answered()] == [1]
    # A crash between writing the answer and removing the job to do: the job to do wins.
    (tmp_path / "spool" / "answered" / "job-000000000002.json").write_text(
        (tmp_path / "spool" / "job-000000000002.json")
        .read_text()
        .replace('"answered": false', '"answered": true')
    )
    found = spool.get(2)
    assert found is not None and found.answered is False
    spool.forget_answered(older_than=1_000.0)
    assert [j.id for j in spool.answered()] == [2]
    assert spool.get(1) is None
    spool.forget_answered(older_than=10_000.0)  # forgetting an answer keeps the job to do
    assert spool.answered() == [] and [j.id for j in spool.jobs()] == [2, 3]


def test_the_agent_clears_out_old_answers_now_and_then(tmp_path: Path, printer: Any) -> None:
    agent, _answers = _agent(tmp_path, printer)
    agent.take(_job(1))
    _drain(agent)
    (answered,) = agent.spool.answered()
    later = (answered.answered_at or 0) + 24 * 3600 + 1
    agent.clock = lambda: later
    agent.work_once()
    assert agent.spool.answered() == []
    agent.printer.close()


def test_a_job_coming_during_a_pass_prints_without_waiting_for_the_poll(
    tmp_path: Path, printer: Any
) -> None:
    agent, answers = _agent(tmp_path, printer)
    agent.options = dataclasses.replace(agent.options, poll_seconds=60.0)
    one_pass = agent.work_once
    passes = 0

    def pass_with_a_press_in_it() -> bool:
        # The press lands after the pass looked at the spool and before the loop waits.
        nonlocal passes
        passes += 1
        progressed = one_pass()
        if passes == 1:
            agent.take(_job(1))
        return progressed

    agent.work_once = pass_with_a_press_in_it  # type: ignore[method-assign]
    loop = threading.Thread(target=agent._work, daemon=True)
    loop.start()
    try:
        job = printer.wait_for_job(1, timeout=5)
        assert job is not None
    finally:
        agent._stopped.set()
        agent._poke()
        loop.join(5)
    assert not loop.is_alive()
    assert answers.sent[0] == ("print.result", {"id": 1, "ok": True})
    agent.printer.close()


def test_the_printers_state_is_told_on_change_and_again_now_and_then(
    tmp_path: Path, printer: Any
) -> None:
    agent, answers = _agent(tmp_path, printer)
    now = [NOW.timestamp()]
    agent.clock = lambda: now[0]

    def told() -> list[str]:
        return [data["status"] for event, data in answers.sent if event == "device.status"]

    agent._report(PrinterState.OK)
    agent._report(PrinterState.OK)
    assert told() == ["ok"]
    agent._report(PrinterState.PAPER_OUT)
    assert told() == ["ok", "paper_out"]
    now[0] += 30
    agent._report(PrinterState.PAPER_OUT)
    assert told() == ["ok", "paper_out"]
    now[0] += 31  # a minute: told again, though nothing changed
    agent._report(PrinterState.PAPER_OUT)
    assert told() == ["ok", "paper_out", "paper_out"]
    agent.printer.close()
