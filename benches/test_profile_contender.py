"""``profile_contender.py`` on a small frame: it runs the contender it is given, and switches a
profiler on and off through the FIFOs perf's ``--control`` reads and answers on."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import profile_contender

SMALL = ["--tickers", "6", "--days", "300", "--window", "60", "--subset-tickers", "2"]


def test_runs_the_contender_the_asked_number_of_times() -> None:
    times = profile_contender.main(["ours_ba", "--calls", "3", *SMALL])
    assert len(times) == 3
    assert all(t > 0 for t in times)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_tells_the_profiler_to_start_then_stop_and_waits_for_its_answers(tmp_path: Path) -> None:
    control, ack = tmp_path / "ctl", tmp_path / "ack"
    os.mkfifo(control)
    os.mkfifo(ack)
    commands: list[str] = []

    def perf() -> None:
        # What perf does with `--control fifo:ctl,ack`: read a command, answer "ack".
        for _ in range(2):
            with control.open() as fifo:
                commands.append(fifo.readline().strip())
            with ack.open("w") as answer:
                answer.write("ack\n")

    listener = threading.Thread(target=perf, daemon=True)
    listener.start()
    fifos = ["--perf-control", str(control), "--perf-ack", str(ack)]
    profile_contender.main(["ours_ewm_all", "--calls", "2", *SMALL, *fifos])
    listener.join(timeout=60)
    assert commands == ["enable", "disable"]


@pytest.mark.parametrize(
    "argv",
    [["no_such_contender"], ["ours_ba", "--calls", "0"], ["ours_ba", "--pause", "-1"]],
)
def test_rejects_an_unknown_contender_no_calls_and_a_negative_pause(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        profile_contender.main([*argv, *SMALL])


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_pause_before_each_call_is_left_out_of_the_profile(tmp_path: Path) -> None:
    control, ack = tmp_path / "ctl", tmp_path / "ack"
    os.mkfifo(control)
    os.mkfifo(ack)
    commands: list[str] = []

    def perf() -> None:
        for _ in range(6):
            with control.open() as fifo:
                commands.append(fifo.readline().strip())
            with ack.open("w") as answer:
                answer.write("ack\n")

    listener = threading.Thread(target=perf, daemon=True)
    listener.start()
    fifos = ["--perf-control", str(control), "--perf-ack", str(ack)]
    times = profile_contender.main(["ours_ba", "--calls", "3", "--pause", "0.01", *SMALL, *fifos])
    listener.join(timeout=60)
    assert len(times) == 3
    assert commands == ["enable", "disable"] * 3
