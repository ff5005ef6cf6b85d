"""Verdicts of the symbolic engine.

A proof attempt ends in exactly one of:

* :class:`Proved` — for every ``n`` (a lemma, ``k`` is ``None``) or, for a machine
  property, by ``k``-induction (``k`` the induction depth);
* :class:`Counterexample` — a concrete refutation: an assignment of the lemma's
  variables, or a trace of the machine (decoded, replayed on the Python model);
* :class:`Bounded` — no counterexample up to ``depth`` steps, but no proof either;
* :class:`Unknown` — the solver gave up (timeout, incompleteness) or the encoding
  cannot represent the question; never reported as safe.
"""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["Proved", "Counterexample", "Bounded", "Unknown", "Verdict", "PROVED", "COUNTEREXAMPLE", "BOUNDED",
           "UNKNOWN"]

PROVED = "proved"
COUNTEREXAMPLE = "counterexample"
BOUNDED = "bounded"
UNKNOWN = "unknown"


@attrs.frozen
class Proved:
    #: induction depth (machines); ``None`` for a lemma proved for every ``n``
    k: int | None = None
    #: auxiliary invariants the proof needed (names), if any
    strengthened_by: tuple[str, ...] = ()
    status = PROVED

    def __str__(self) -> str:
        s = "proved" if self.k is None else f"proved (k={self.k})"
        if self.strengthened_by:
            s += f" with {', '.join(self.strengthened_by)}"
        return s


@attrs.frozen
class Counterexample:
    #: machines: the replayed trace (``checker.trace.Trace``)
    trace: Any = None
    #: lemmas: the values of the lemma's variables
    assignment: dict[str, int] | None = None
    #: which obligation / property failed
    what: str = ""
    status = COUNTEREXAMPLE

    def __str__(self) -> str:
        if self.trace is not None:
            return f"counterexample ({len(self.trace)} steps)"
        if self.assignment is not None:
            values = ", ".join(f"{k}={v}" for k, v in sorted(self.assignment.items()))
            return f"counterexample to {self.what}: {values}" if self.what else f"counterexample: {values}"
        return "counterexample"


@attrs.frozen
class Bounded:
    depth: int
    #: why no proof (e.g. the k-induction step still fails at the largest k)
    reason: str = ""
    #: the counterexample to induction of the largest k tried: ``k`` states that satisfy the
    #: hypotheses, joined by steps, then a state that breaks the property (a ``Trace`` whose
    #: first state need not be reachable); ``None`` when not found
    cti: Any = attrs.field(default=None, eq=False)
    status = BOUNDED

    def __str__(self) -> str:
        s = f"bounded (no counterexample up to depth {self.depth})"
        if self.cti is not None:
            s += f"; not inductive: counterexample to induction of {len(self.cti.states)} states"
        return s


@attrs.frozen
class Unknown:
    reason: str
    status = UNKNOWN

    def __str__(self) -> str:
        return f"unknown: {self.reason}"


Verdict = Proved | Counterexample | Bounded | Unknown
