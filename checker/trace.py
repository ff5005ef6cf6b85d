"""Traces: a run of a machine, as states and the actions between them."""

from __future__ import annotations

from typing import Any

import attrs

from paraspec.model.core import Rejected

__all__ = ["Trace"]


@attrs.frozen
class Trace:
    machine: str
    preset: str
    mutant: str | None
    #: states[0] is initial; actions[i] leads from states[i] to states[i + 1]
    states: tuple[Any, ...]
    actions: tuple[Any, ...] = ()
    #: when the last action was rejected: the rejection (the trace then has one more
    #: action than states minus one)
    rejection: Rejected | None = attrs.field(default=None, eq=False)
    #: index where a lasso's cycle starts (liveness counterexamples)
    loop: int | None = None
    #: the ``--set`` overrides the machine was built with (field -> value), so that a
    #: replay builds the same machine
    overrides: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, m: Any, states: tuple, actions: tuple, **kw: Any) -> "Trace":
        """A trace of machine ``m`` (its name, preset, mutant and overrides)."""
        return cls(m.name, m.config.name, m.mutant_name, states, actions,
                   overrides=tuple(sorted(m.overrides.items())), **kw)

    def extend(self, action: Any, nxt: Any) -> "Trace":
        if isinstance(nxt, Rejected):
            return attrs.evolve(self, actions=self.actions + (action,), rejection=nxt)
        return attrs.evolve(self, states=self.states + (nxt,), actions=self.actions + (action,))

    def __len__(self) -> int:
        return len(self.actions)
