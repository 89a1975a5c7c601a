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


@pytest.mark.parametrize("sort_by", ["ticker", "date"])
def test_runs_the_contender_the_asked_number_of_times(sort_by: str) -> None:
    # The warm-up call is checked against the references, on either row order.
    times = profile_contender.main(["ours_ba", "--calls", "3", "--sort-by", sort_by, *SMALL])
    assert len(times) == 3
    assert all(t > 0 for t in times)


def as_perf(tmp_path: Path, commands: int) -> tuple[list[str], list[str], threading.Thread]:
    """FIFOs answered as perf's ``--control fifo:ctl,ack`` answers them: each command read is
    recorded, then acknowledged with "ack". Returns the script's FIFO arguments, the commands
    (filled as they arrive) and the listening thread, which stops after `commands` commands."""
    control, ack = tmp_path / "ctl", tmp_path / "ack"
    os.mkfifo(control)
    os.mkfifo(ack)
    received: list[str] = []

    def perf() -> None:
        for _ in range(commands):
            with control.open() as fifo:
                received.append(fifo.readline().strip())
            with ack.open("w") as answer:
                answer.write("ack\n")

    listener = threading.Thread(target=perf, daemon=True)
    listener.start()
    return ["--perf-control", str(control), "--perf-ack", str(ack)], received, listener


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_tells_the_profiler_to_start_then_stop_and_waits_for_its_answers(tmp_path: Path) -> None:
    fifos, commands, listener = as_perf(tmp_path, 2)
    profile_contender.main(["ours_ewm_all", "--calls", "2", *SMALL, *fifos])
    listener.join(timeout=60)
    assert commands == ["enable", "disable"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_pause_before_each_call_is_left_out_of_the_profile(tmp_path: Path) -> None:
    fifos, commands, listener = as_perf(tmp_path, 6)
    times = profile_contender.main(["ours_ba", "--calls", "3", "--pause", "0.01", *SMALL, *fifos])
    listener.join(timeout=60)
    assert len(times) == 3
    assert commands == ["enable", "disable"] * 3


@pytest.mark.parametrize(
    "argv",
    [["no_such_contender"], ["ours_ba", "--calls", "0"], ["ours_ba", "--pause", "-1"]],
)
def test_rejects_an_unknown_contender_no_calls_and_a_negative_pause(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        profile_contender.main([*argv, *SMALL])
