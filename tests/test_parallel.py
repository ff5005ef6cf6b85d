"""Parallel search over worker processes: the same states, verdicts and traces as one process."""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from paraspec.checker.explicit import Checker
from paraspec.checker.manifest import load, problems
from paraspec.checker.parallel import Pool, WorkerDied
from paraspec.checker.registry import build, properties_of
from paraspec.model.config import get_preset
from tests.toy import Count, Toy

ROOT = Path(__file__).resolve().parent.parent
PINS = load(ROOT / "tests" / "manifest.toml")


@pytest.mark.parametrize("machine,preset,mutant,overrides", [
    ("availability", "trio", None, {}),
    ("inclusion", "tiny", None, {"max_candidates": 1}),
    ("availability", "trio", "av_unavailable_still_counted", {}),
    ("inclusion", None, "inc_unvoted_never_ages", {}),
])
def test_two_workers_agree_with_one(machine, preset, mutant, overrides):
    m = build(machine, preset, mutant, overrides)
    props = properties_of(machine)
    one = Checker(m).with_properties(props).with_engine("explicit").run()
    two = Checker(m).with_properties(props).with_engine("explicit").with_workers(2).run()
    assert two.engine == "bfsx2"
    assert (one.states, one.depth, one.transitions, one.rejections, one.deadlocks) == \
        (two.states, two.depth, two.transitions, two.rejections, two.deadlocks)
    for a, b in zip(one.properties, two.properties):
        assert (a.property.name, a.verdict, a.witnessed) == (b.property.name, b.verdict, b.witnessed)
        assert a.trace == b.trace
    if mutant is None:  # the one-process run is the pinned one (test_manifest.py runs these pins nowhere else)
        pins = [p for p in PINS if p.matches(one)]
        assert len(pins) == 1 and problems(pins[0], one) == [], [problems(p, one) for p in pins]


def test_parallel_symmetry_and_stop_on_violation():
    m = build("avail_core", None, "ac_timeout_early")
    props = properties_of("avail_core")
    one = Checker(m).with_properties(props).with_engine("explicit").with_symmetry().with_max_depth(10) \
        .with_stop_on_violation(["timeout_exactly_at_period"]).run()
    two = Checker(m).with_properties(props).with_engine("explicit").with_symmetry().with_max_depth(10) \
        .with_stop_on_violation(["timeout_exactly_at_period"]).with_workers(2).run()
    assert one.states == two.states and one.stopped == two.stopped == "violation"
    assert [p.verdict for p in one.properties] == [p.verdict for p in two.properties]


# -- the pool owns its workers: a worker that dies is an error, a close never waits on one -----------

_SEARCH_PID = os.getpid()


class _DiesInAWorker(Toy):
    """Steps normally in the search process; a worker process that steps it exits at once."""

    name = "toy_dies_in_a_worker"

    def step(self, s, a):
        if os.getpid() != _SEARCH_PID:
            self.in_a_worker()
        return super().step(s, a)

    def in_a_worker(self):
        os._exit(7)


class _HangsInAWorker(_DiesInAWorker):
    """A worker process that steps it sleeps for an hour."""

    name = "toy_hangs_in_a_worker"

    def in_a_worker(self):
        time.sleep(3600)


def test_a_worker_that_dies_stops_the_search_with_an_error():
    """A worker that exits mid-chunk is reported, not waited for (a ``multiprocessing.Pool``
    loses the task of a dead worker and its ``imap`` waits for good: run in a subprocess so that
    such a hang fails the test)."""
    code = ("import sys; sys.path.insert(0, sys.argv[1])\n"
            "from tests.test_parallel import _DiesInAWorker\nfrom paraspec.model.config import get_preset\n"
            "from paraspec.checker.explicit import Checker\n"
            "r = Checker(_DiesInAWorker(get_preset('tiny'))).with_engine('explicit').with_workers(2).run()\n"
            "print(r.error.message if r.error else 'no error', r.complete)\n")
    p = subprocess.run([sys.executable, "-c", code, str(ROOT)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    assert "WorkerDied: worker process" in p.stdout and "exit code 7" in p.stdout and "False" in p.stdout, p.stdout


def test_close_stops_busy_workers_and_ends_the_level():
    pool = Pool(2, _HangsInAWorker(get_preset("tiny")), [], False)
    procs = list(pool.processes)
    assert len(procs) == 2 and all(p.is_alive() for p in procs)
    got = []
    reader = threading.Thread(target=lambda: got.extend(pool.expand([(0, Count())], 0, lambda fp: False)),
                              daemon=True)
    reader.start()  # its worker sleeps in ``step``: the level waits for it
    reader.join(0.5)
    closer = threading.Thread(target=pool.close, daemon=True)
    closer.start()
    closer.join(120)
    assert not closer.is_alive(), "close waited on a busy worker"
    assert all(p.exitcode is not None for p in procs)  # killed and reaped
    reader.join(120)
    assert not reader.is_alive() and len(got) == 1 and isinstance(got[0], WorkerDied), got
