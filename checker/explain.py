"""Why a check failed, in one line: the closing line of every ``paraspec check`` that exits non-zero names
the failing properties and the reason of each (violated, vacuous, or unwitnessed because the search was bounded
or because no reachable state satisfies it), so a log read from the bottom says what went wrong."""

from __future__ import annotations

from .results import Result, Verdict

__all__ = ["why", "failing_line", "bound_text"]


def bound_text(r: Result) -> str:
    """How a run that did not cover every reachable state was bounded (never ``None``)."""
    if r.stopped == "violation":  # a mutant run stops once the properties it must violate are violated
        return "the stop at the violation"
    if r.stopped:
        return r.stopped
    if r.engine.startswith(("simulation", "vector-simulation")):
        return "random walks"
    return "bounded search"


def why(r: Result, verdict: str) -> str:
    if verdict == Verdict.UNWITNESSED:
        return ("unwitnessed (bounded by " + bound_text(r) + ": a longer search may reach it)" if not r.complete
                else "unwitnessed (no reachable state satisfies it)")
    if verdict == Verdict.VACUOUS:
        return "vacuous (its witness never fired)"
    return verdict


def failing_line(results: list[Result]) -> str | None:
    """``failing (n): m.p (violated); m.q (unwitnessed ...)`` or None when everything passed (a ``--mutant``
    run lists its machine as ``m[mutant]``: there a violation is the expected catch)."""
    parts = []
    for r in results:
        label = r.machine + (f"[{r.mutant}]" if r.mutant else "")
        for pr in r.properties:
            if not pr.ok:
                parts.append(f"{label}.{pr.property.name} ({why(r, pr.verdict)})")
        if r.deadlock_trace is not None:
            parts.append(f"{label}: deadlock")
        if r.error is not None:
            parts.append(f"{label}: model error ({r.error.message})")
    if not parts:
        return None
    return f"failing ({len(parts)}): " + "; ".join(parts)


def survivors_line(survivors) -> str:
    """The closing line of ``check --all-mutants`` when some mutant survived: ``(Result, missing kills)``."""
    parts = [f"{r.mutant} ({'model error' if r.error is not None else 'not violated: ' + ', '.join(missing)})"
             for r, missing in survivors]
    return f"mutants surviving ({len(parts)}): " + "; ".join(parts)
