"""Cross-engine agreement: the explicit and the symbolic engine give the same verdicts.

For a machine (or a mutant) and a depth bound ``k``, both engines decide, for every
property: whether it is violated within ``k`` steps (and the length of the shortest
counterexample), whether its witness fires (the situation it is about is reached),
and, for a ``sometimes`` property, whether it is witnessed. The explicit engine is
breadth-first search with ``max_depth = k``; the symbolic one is bounded model checking
to depth ``k`` over the encoding (transition properties on the transitions out of the
states at depth below ``k``, as the explicit engine expands them).
"""

from __future__ import annotations

from typing import Iterable

import attrs

from paraspec.model.core import Rejected
from paraspec.properties.core import Kind, Property

from ..explicit import Checker
from ..results import Verdict
from .bmc import Prover
from .verdicts import Unknown

__all__ = ["Row", "agreement", "explicit_side", "symbolic_side"]


@attrs.frozen
class Row:
    machine: str
    mutant: str | None
    preset: str
    depth: int
    property: str
    kind: str
    #: "violated" / "holds" / "witnessed" / "unwitnessed" / "unknown: ..."
    explicit: str
    symbolic: str
    #: shortest counterexample (violated) or None
    explicit_length: int | None = None
    symbolic_length: int | None = None
    #: whether the property's witness fires within the bound (always/transition)
    explicit_witness: bool | None = None
    symbolic_witness: bool | None = None

    @property
    def agrees(self) -> bool:
        return (self.explicit == self.symbolic and self.explicit_length == self.symbolic_length
                and self.explicit_witness == self.symbolic_witness)


def explicit_side(machine, props: list[Property], depth: int) -> dict[str, tuple[str, int | None, bool | None]]:
    r = Checker(machine).with_properties(props).with_max_depth(depth).run()
    if r.error is not None:
        raise RuntimeError(f"model error: {r.error.message}")
    out = {}
    for pr in r.properties:
        p = pr.property
        if p.kind in (Kind.ALWAYS, Kind.TRANSITION):
            v = "violated" if pr.verdict == Verdict.VIOLATED else "holds"
            out[p.name] = (v, len(pr.trace) if pr.trace is not None and v == "violated" else None,
                           pr.witnessed > 0 if p.witness is not None else None)
        elif p.kind == Kind.SOMETIMES:
            out[p.name] = ("witnessed" if pr.verdict == Verdict.WITNESSED else "unwitnessed", None, None)
    return out


def _transition_confirm(p: Property, fn):
    def confirm(m, s) -> bool:
        for a in m.actions(s):
            if p.on and not isinstance(a, p.on):
                continue
            try:
                t = m.step(s, a)
            except Rejected as r:
                t = r
            except Exception:
                continue
            if fn(m, s, a, t):
                return True
        return False

    return confirm


def symbolic_side(machine, props: list[Property], depth: int,
                  timeout: float | None = None) -> dict[str, tuple[str, int | None, bool | None]]:
    prover = Prover(machine, props, (), timeout)
    prover.transition_depth = depth - 1
    enc = prover.enc
    targets = [ob for ob in prover.obligations if ob.prop is not None]
    reach: list[tuple] = []
    for p in props:
        if p.kind == Kind.SOMETIMES:
            reach.append((p.name, enc.holds(p), p.predicate, depth))
        elif p.kind == Kind.ALWAYS and p.witness is not None:
            reach.append(("witness:" + p.name, enc.witness(p), p.witness, depth))
        elif p.kind == Kind.TRANSITION and p.witness is not None:
            reach.append(("witness:" + p.name, enc.witness(p), _transition_confirm(p, p.witness), depth - 1))
    verdicts, found, _ = prover.bmc(depth, targets, reach)
    out = {}
    for p in props:
        if p.kind in (Kind.ALWAYS, Kind.TRANSITION):
            v = verdicts[p.name]
            if v.status == "counterexample":
                res, n = "violated", len(v.trace)
            elif v.status == "bounded":
                res, n = "holds", None
            else:
                res, n = f"unknown: {v}", None
            w = None
            if p.witness is not None:
                got = found["witness:" + p.name]
                w = f"unknown: {got}" if isinstance(got, Unknown) else got is not None
            out[p.name] = (res, n, w)
        elif p.kind == Kind.SOMETIMES:
            got = found[p.name]
            if isinstance(got, Unknown):
                out[p.name] = (f"unknown: {got}", None, None)
            else:
                out[p.name] = ("witnessed" if got is not None else "unwitnessed", None, None)
    return out


def agreement(machine, props: Iterable[Property], depth: int, timeout: float | None = None) -> list[Row]:
    """One row per property: the two engines' verdicts at the same bound."""
    props = [p for p in props if p.kind in (Kind.ALWAYS, Kind.TRANSITION, Kind.SOMETIMES)]
    ex = explicit_side(machine, props, depth)
    sy = symbolic_side(machine, props, depth, timeout)
    rows = []
    for p in props:
        e, s = ex[p.name], sy[p.name]
        rows.append(Row(machine.name, machine.mutant_name, machine.preset, depth, p.name, p.kind.value,
                        e[0], s[0], e[1], s[1], e[2], s[2]))
    return rows
