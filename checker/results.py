"""What a check returns: verdicts, property results, model errors and the run's result.

Shared by every engine (``checker.explicit``, ``checker.vector``, ``checker.simulate``,
``checker.vsimulate``) and by the reports; it imports no engine.
"""

from __future__ import annotations

from typing import Any

import attrs

from paraspec.properties.core import Kind, Property

from .trace import Trace

__all__ = ["Verdict", "PropertyResult", "ModelError", "model_error", "Result", "CheckpointMismatch", "EngineUnavailable"]


class Verdict:
    HOLDS = "holds"
    VIOLATED = "violated"
    VACUOUS = "vacuous"
    WITNESSED = "witnessed"
    UNWITNESSED = "unwitnessed"
    NOT_CHECKED = "not checked"
    #: the property's own code raised an exception: the verdict is neither holds nor violated
    PROPERTY_ERROR = "property error"

    PASSING = (HOLDS, WITNESSED, NOT_CHECKED)


@attrs.frozen
class PropertyResult:
    property: Property
    verdict: str
    trace: Trace | None = None
    #: how often the property's witness (or the sometimes predicate) fired
    witnessed: int = 0
    #: wall time when the verdict was reached (seconds from start)
    at: float = 0.0

    @property
    def ok(self) -> bool:
        return self.verdict in Verdict.PASSING


@attrs.frozen
class ModelError:
    """A plain exception escaped the model: a bug, not a protocol rejection."""

    message: str
    trace: Trace | None
    detail: str = ""
    #: the name of the property whose own code raised, when one did: a *property
    #: error*, not a bug of the model
    property: str | None = None
    #: ``file:line`` of the innermost frame of the author's code that raised
    where: str = ""


def model_error(e: BaseException, trace: Trace | None, props=()) -> ModelError:
    """The :class:`ModelError` of an exception caught by an engine, naming the property whose
    predicate raised it (a frame of the traceback runs the property's code), if any."""
    import traceback

    codes = {}
    for p in props:
        for fn in (p.predicate, p.witness, p.goal):
            code = getattr(fn, "__code__", None)
            if code is not None:
                codes.setdefault(code, p.name)
    blamed, where = None, ""
    tb = e.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if blamed is None and code in codes:
            blamed = codes[code]
        where = f"{code.co_filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    return ModelError(f"{type(e).__name__}: {e}", trace, traceback.format_exc(limit=6), blamed, where)


@attrs.frozen
class Result:
    machine: str
    preset: str
    mutant: str | None
    engine: str
    states: int
    transitions: int
    depth: int
    complete: bool
    #: why the search stopped early ("max_depth", "max_states", "time_limit"), if it did
    stopped: str | None
    elapsed: float
    properties: tuple[PropertyResult, ...]
    rejections: dict[str, int]
    deadlocks: int = 0
    deadlock_trace: Trace | None = None
    error: ModelError | None = None
    #: the parameters the machine was explored with (``Machine.parameter_values``): the
    #: preset's name and every value the machine honours, overrides applied
    parameters: dict[str, Any] = attrs.field(factory=dict, eq=False)

    @property
    def ok(self) -> bool:
        if self.error is not None:
            return False
        if self.deadlock_trace is not None:
            return False
        return all(p.ok for p in self.properties)

    def verdict_of(self, name: str) -> str:
        for p in self.properties:
            if p.property.name == name:
                return p.verdict
        raise KeyError(name)


class CheckpointMismatch(ValueError):
    """A checkpoint that cannot be resumed by this check (one line for the CLI)."""


class SymmetryRefused(ValueError):
    """``--symmetry`` asked for a property the machine's symmetry does not preserve (one line)."""


class EngineUnavailable(ValueError):
    """The engine asked for cannot run this check (one line naming why, for the CLI)."""


def stop_on_reached(stop_on, violated) -> bool:
    """Whether a search asked to stop on violations (``Checker.stop_on``: ``True`` for any
    one, else the names that must all be violated) has met them (``violated``: names)."""
    if not stop_on or not violated:
        return False
    return stop_on is True or (not isinstance(stop_on, bool) and stop_on <= violated.keys())


def property_results(props, hits: dict[str, int], complete: bool, violated: dict, witnessed: dict,
                     violation_trace, witness_trace, liveness: dict | None = None,
                     error: ModelError | None = None) -> tuple[PropertyResult, ...]:
    """The verdict of every property, in order, from what an engine recorded.

    ``violated`` / ``witnessed``: name -> where (an engine's own key) the first violation
    / the first state satisfying a ``sometimes`` was met; ``violation_trace(prop, where)``
    and ``witness_trace(where)`` build their traces; ``hits``: how often each witness
    fired. An invariant whose witness never fired is vacuous when the search is
    complete. ``liveness``: the results of the liveness properties (else not checked).
    ``error``: the exception that stopped the search; when a property's predicate raised it,
    that property's verdict is a *property error*."""
    out = []
    for p in props:
        if error is not None and error.property == p.name:
            out.append(PropertyResult(p, Verdict.PROPERTY_ERROR, error.trace, hits.get(p.name, 0)))
        elif p.name in violated:
            out.append(PropertyResult(p, Verdict.VIOLATED, violation_trace(p, violated[p.name]), hits[p.name]))
        elif p.kind in (Kind.ALWAYS, Kind.TRANSITION):
            if p.witness is not None and hits[p.name] == 0 and complete:
                out.append(PropertyResult(p, Verdict.VACUOUS, None, 0))
            else:
                out.append(PropertyResult(p, Verdict.HOLDS, None, hits[p.name]))
        elif p.kind == Kind.SOMETIMES:
            if p.name in witnessed:
                out.append(PropertyResult(p, Verdict.WITNESSED, witness_trace(witnessed[p.name]), hits[p.name]))
            else:
                out.append(PropertyResult(p, Verdict.UNWITNESSED, None, 0))
        elif liveness is not None and p.name in liveness:
            out.append(liveness[p.name])
        else:
            out.append(PropertyResult(p, Verdict.NOT_CHECKED))
    return tuple(out)
