"""Value domains of the machines' state leaves, for the symbolic engine.

Bit-vector variables need bounds: the encoding of a transition is exact for states
whose leaves lie within them (the *domain*), and every engine checks that the domain is
never left: bounded model checking reports ``Unknown`` when a reachable state leaves
it, and k-induction must prove the domain inductive together with the properties. So a
domain that is too narrow can make a proof fail, never make a wrong one succeed.

Domains are declared by the machine (``Machine.symbolic_domain``, the machine contract);
a machine without a declaration gets one inferred from a bounded explicit exploration
(marked as inferred).
"""

from __future__ import annotations

from .schema import Schema, pattern_of

__all__ = ["domain_for"]


def domain_for(machine, schema: Schema, infer_states: int = 20_000) -> tuple[dict[str, tuple[int, int]], bool]:
    """Bounds per leaf path, and whether they were inferred (no declaration)."""
    pats = machine.symbolic_domain()
    int_leaves = [lf for lf in schema.leaves if lf.kind == "int" and lf.enum is None]
    if pats is not None:
        out = {}
        for lf in int_leaves:
            pat = pattern_of(lf.path)
            if pat not in pats:
                raise KeyError(f"domain of machine {machine.name!r} has no bounds for {pat!r}")
            out[lf.path] = pats[pat]
        return out, False
    return _infer(machine, schema, int_leaves, infer_states), True


def _infer(machine, schema: Schema, int_leaves, limit: int) -> dict[str, tuple[int, int]]:
    from paraspec.model.core import Rejected

    lo: dict[str, int] = {lf.path: 0 for lf in int_leaves}
    hi: dict[str, int] = {lf.path: 0 for lf in int_leaves}
    seen = set()
    frontier = list(machine.init())
    while frontier and len(seen) < limit:
        nxt = []
        for s in frontier:
            if s in seen:
                continue
            seen.add(s)
            flat = schema.flatten_concrete(s)
            for lf in int_leaves:
                v = flat[lf.path]
                lo[lf.path] = min(lo[lf.path], v)
                hi[lf.path] = max(hi[lf.path], v)
            for a in machine.actions(s):
                try:
                    nxt.append(machine.step(s, a))
                except Rejected:
                    pass
        frontier = nxt
    # widen: one more than seen, so leaving the domain is detected rather than assumed away
    return {p: (lo[p], hi[p] + 1) for p in lo}
