"""The fuzzing harness itself: it sees a traceback, a multi-line error, a bad exit code and a hang."""

from __future__ import annotations

import sys
import time

from . import known
from .harness import Hang, call, guard, problem


def test_an_escaping_exception_is_a_crash_at_its_site():
    o = call(lambda: 1 // 0)
    kind, sig = problem(o)
    assert kind == "crash" and sig.startswith("ZeroDivisionError@test_fuzz_harness.py:")


def test_exit_codes_and_the_one_line_error():
    def two_lines():
        print("paraspec: error: a\nb", file=sys.stderr)
        return 2

    assert problem(call(lambda: 0)) is None
    assert problem(call(lambda: 7)) == ("crash", "exit code 7")
    assert problem(call(two_lines)) == ("crash", "exit 2 with 2-line stderr")
    assert known.match("trace", "crash", "exit 2 with 2-line stderr") is None  # fixed: no class lists it


def test_a_listed_class_matches_its_channel_and_signature(monkeypatch):
    monkeypatch.setitem(known.KNOWN, "lines", (("trace",), "crash", r"^exit 2 with ([02-9]|\d\d+)-line", "x"))
    assert known.match("trace", "crash", "exit 2 with 2-line stderr") == "lines"
    assert known.match("cli", "crash", "exit 2 with 2-line stderr") is None
    assert known.is_class("lines", "crash", "exit 2 with 0-line stderr")
    assert not known.is_class("two-line-error", "crash", "exit 2 with 2-line stderr")  # fixed


def test_a_hang_is_caught_by_the_guard_even_under_except_exception():
    def stubborn():
        while True:
            try:
                time.sleep(5)
            except Exception:  # the guard's exception is not an Exception
                pass

    o = None
    try:
        with guard(1):
            stubborn()
    except Hang:
        o = "hang"
    assert o == "hang"


def test_every_reproducer_names_a_known_class():
    names = [r[1] for r in known.REPRODUCERS]
    assert len(names) == len(set(names))
    assert {r[0] for r in known.REPRODUCERS} <= set(known.KNOWN) | set(known.FIXED)
    assert not set(known.KNOWN) & set(known.FIXED)


def test_mutations_never_change_the_shared_hostile_values():
    """A hostile container put into a document was the shared constant itself: later mutations of the
    document (a key added, items duplicated) grew it across examples, until the strategies broke
    (RecursionError, FlakyStrategyDefinition) in a long run of several channels in one process."""
    from hypothesis import HealthCheck, given, settings

    from .strategies import HOSTILE, mutated_json

    before = repr(HOSTILE)

    @settings(max_examples=200, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(mutated_json({"a": [1, {"b": 2}], "c": {"d": [3]}}, max_ops=6))
    def draw(doc):
        pass

    draw()
    assert repr(HOSTILE) == before
