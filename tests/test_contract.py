"""Every machine writes its transitions one way: no ``step`` of its own, and for every
action class it meets (in a short breadth-first exploration, plus the classes it
declares in ``action_classes``) a ``process_<snake name>(state, action)`` method, which
``Machine.step`` dispatches to (``model/core.py``, ``docs/contract.md``).

The machines that still override ``step`` are listed in ``OWN_STEP``, each with its
reason; the list is exact (a listed machine that no longer overrides ``step`` fails
too, so the list shrinks as machines are converted)."""

from __future__ import annotations

import inspect
from collections import deque

import attrs
import pytest

from paraspec.checker.registry import build, load_all
from paraspec.model.core import MACHINES, Machine, require, snake_case

load_all()

#: machine -> why it overrides ``step``
OWN_STEP = {
    "runtime": "its one input is a composite action, the relay block (RelayBlock)",
    "avail_core": "vectorized: its guards are evaluated as masks over a batch of states by the numpy engine, "
                  "so step checks them before the process_<action> effect (which Machine.step dispatches)",
    "availability": "vectorized, as avail_core: step checks its rule_guards, then the process_<action> effect",
    "inclusion": "vectorized, as availability: step checks its rule_guards, then the process_<action> effect",
}

#: states explored breadth-first to collect each machine's action classes
BFS_STATES = 500


def action_classes(machine: Machine, limit: int = BFS_STATES) -> set[type]:
    """The classes of the actions ``machine`` yields in its first ``limit`` states
    (breadth-first from the initial states, through accepted inputs)."""
    seen, queue, classes = set(), deque(), set()
    for s in machine.init():
        if s not in seen:
            seen.add(s)
            queue.append(s)
    visited = 0
    while queue and visited < limit:
        s = queue.popleft()
        visited += 1
        for a in machine.actions(s):
            classes.add(type(a))
            t = machine.try_step(s, a)
            if not isinstance(t, Exception) and t not in seen:
                seen.add(t)
                queue.append(t)
    return classes


def contract_problems(cls: type[Machine], classes: set[type]) -> list[str]:
    """What in ``cls`` breaks the one way of writing transitions, for the action classes
    ``classes`` (empty when nothing does)."""
    problems = []
    if "step" in {k for c in cls.__mro__ if c is not Machine for k in vars(c)}:
        problems.append(f"{cls.__name__} overrides step")
    for a in sorted(classes, key=lambda c: c.__name__):
        name = "process_" + snake_case(a.__name__)
        method = getattr(cls, name, None)
        if method is None:
            problems.append(f"{cls.__name__} has no {name} for {a.__name__}")
            continue
        params = list(inspect.signature(method).parameters)
        if len(params) != 3:
            problems.append(f"{cls.__name__}.{name}{tuple(params)} does not take (self, state, action)")
    return problems


def test_own_step_list_names_registered_machines():
    assert set(OWN_STEP) <= set(MACHINES), set(OWN_STEP) - set(MACHINES)


@pytest.mark.parametrize("name", sorted(OWN_STEP))
def test_listed_machines_do_override_step(name):
    assert "step" in vars(MACHINES[name]), f"{name} no longer overrides step: take it off OWN_STEP"


@pytest.mark.parametrize("name", sorted(set(MACHINES) - set(OWN_STEP)))
def test_machine_has_one_process_method_per_action(name):
    machine = build(name, None)
    classes = action_classes(machine)
    assert classes, f"{name} yields no action in its first {BFS_STATES} states"
    # the classes scenarios may name (``Wait`` of the halt playbooks, which exploration
    # reaches later) are inputs too
    classes |= set((machine.action_classes or {}).values())
    assert contract_problems(type(machine), classes) == []


# -- the check itself can fail -------------------------------------------------------------------------


@attrs.frozen
class Up:
    pass


@attrs.frozen
class Down:
    pass


class _Counter(Machine):
    name = "contract_counter"

    def init(self):
        yield 0

    def actions(self, s):
        yield Up()
        yield Down()

    def process_up(self, s, a):
        require(s < 3, "CNT-1", "at the top")
        return s + 1

    def process_down(self, s, a):
        require(s > 0, "CNT-2", "at the bottom")
        return s - 1


class _OwnStep(_Counter):
    def step(self, s, a):
        return self.process_up(s, a) if isinstance(a, Up) else self.process_down(s, a)


class _Missing(_Counter):
    process_down = None


class _WrongSignature(_Counter):
    def process_down(self, s):
        return s - 1


def test_a_conforming_machine_passes():
    m = _Counter(None)
    classes = action_classes(m)
    assert classes == {Up, Down}
    assert contract_problems(_Counter, classes) == []
    assert m.step(0, Up()) == 1 and m.try_step(0, Down()).rule_id == "CNT-2"


def test_the_check_catches_each_breach():
    classes = {Up, Down}
    assert contract_problems(_OwnStep, classes) == ["_OwnStep overrides step"]
    assert contract_problems(_Missing, classes) == ["_Missing has no process_down for Down"]
    assert contract_problems(_WrongSignature, classes) == [
        "_WrongSignature.process_down('self', 's') does not take (self, state, action)"]
