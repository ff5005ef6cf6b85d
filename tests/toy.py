"""A toy machine for testing the engines: a counter with a bug at a known depth."""

from __future__ import annotations

import attrs

from paraspec.model.core import Machine, require


@attrs.frozen
class Count:
    x: int = 0
    y: int = 0


@attrs.frozen
class IncX:
    pass


@attrs.frozen
class IncY:
    pass


@attrs.frozen
class Reset:
    pass


class Toy(Machine):
    """x and y count up to `limit`; IncY is rejected (rule TOY-1) when y == x."""

    name = "toy"
    limit = 5
    deadlock_is_error = False

    def init(self):
        yield Count()

    def actions(self, s):
        yield IncX()
        yield IncY()

    def step(self, s, a):
        if isinstance(a, IncX):
            require(s.x < self.limit, "TOY-2", "x at limit")
            return attrs.evolve(s, x=s.x + 1)
        if isinstance(a, IncY):
            require(s.y < s.x, "TOY-1", "y may not pass x")
            return attrs.evolve(s, y=s.y + 1)
        raise TypeError(a)


class DeadlockingToy(Toy):
    name = "toy_deadlock"
    deadlock_is_error = True


class BuggyToy(Toy):
    """Raises a plain exception (a model bug) when x reaches 3."""

    def step(self, s, a):
        t = super().step(s, a)
        if t.x == 3:
            raise ZeroDivisionError("bug in the model")
        return t
