"""Symmetry reduction: one representative state per orbit.

A machine declares its interchangeable sets with a :class:`model.symmetry.Symmetry`
(``machine.symmetry``): validators (the bits of some bitmask fields) and paras/cores
(the entries of some tuple fields). The group is every permutation of the validators
combined with every permutation of the cores.

Canonical form. For a fixed order of the cores, the orbit of a state under the
validator permutations is determined by how many validators have each *signature*
(the vector of their bits across all the validator masks): the representative gives
validators ``0..c1-1`` the first signature, the next ``c2`` the second, and so on.
Over the core permutations (``k!`` of them, ``k`` small) the representative with the
least code is taken. The text is arithmetic on ints, so it runs on one state and on a
numpy batch (``checker.vector``) alike.

Soundness: the declaration promises that ``actions``/``step`` and every property are
invariant under the group, so the quotient graph has the same reachable verdicts;
for liveness, a fair cycle in the quotient lifts to a fair lasso in the full graph
(see :func:`lift_path`). ``tests/test_symmetry.py`` checks that reduced and full
searches agree on every property and mutant of the machines that declare symmetry.
"""

from __future__ import annotations

import itertools
from typing import Any, Callable

from model.logic import popcount

from .fingerprint import fingerprint
from .packing import layout_of

__all__ = ["Canonicalizer", "canonicalizer_for", "lift_path"]


class Canonicalizer:
    """``fix_paras``: keep the paras/cores in place (only validators are permuted), for
    properties indexed by a para (``over``), which the para permutations do not preserve."""

    def __init__(self, machine, fix_paras: bool = False):
        sym = machine.symmetry
        self.machine = machine
        self.sym = sym
        self.layout = layout_of(machine)
        example = next(iter(machine.init()))
        self.state_class = type(example)
        #: every validator mask: (field, index in the tuple or None)
        self.masks: list[tuple[str, int | None]] = []
        for f in sym.validator_masks:
            v = getattr(example, f)
            if isinstance(v, tuple):
                self.masks += [(f, i) for i in range(len(v))]
            else:
                self.masks.append((f, None))
        self.n = sym.n_validators
        self.full = (1 << self.n) - 1
        k = sym.n_paras if sym.para_fields else 1
        self.perms = (list(itertools.permutations(range(k))) if sym.para_fields and not fix_paras
                      else [tuple(range(k))])
        m = len(self.masks)
        #: signature classes, most bits first (deterministic)
        self.signatures = sorted(range(1 << m), key=lambda sg: (-bin(sg).count("1"), sg))
        self.para_fields = set(sym.para_fields)
        self.names = [a.name for a in __import__("attrs").fields(self.state_class)]

    # -- the canonical form ------------------------------------------------------------------
    def _permute(self, s, perm) -> dict[str, Any]:
        out = {}
        for name in self.names:
            v = getattr(s, name)
            if name in self.para_fields:
                v = tuple(v[perm[i]] for i in range(len(perm)))
            out[name] = v
        return out

    def _canon_validators(self, fields: dict[str, Any]) -> dict[str, Any]:
        if not self.masks or self.n == 0:
            return fields
        masks = [fields[f] if i is None else fields[f][i] for f, i in self.masks]
        full = self.full
        new = [0] * len(masks)
        start = 0
        for sg in self.signatures:
            x = full
            for i, mk in enumerate(masks):
                x = x & (mk if (sg >> i) & 1 else ~mk)
            cnt = popcount(x & full)
            rng = ((1 << cnt) - 1) << start
            for i in range(len(masks)):
                if (sg >> i) & 1:
                    new[i] = new[i] | rng
            start = start + cnt
        out = dict(fields)
        for (f, i), v in zip(self.masks, new):
            if i is None:
                out[f] = v
            else:
                cur = out[f]
                out[f] = cur[:i] + (v,) + cur[i + 1:]
        return out

    def canonical(self, s) -> tuple[Any, int]:
        """The orbit representative of one state and its fingerprint (its code when the
        machine declares a compact layout)."""
        best = None
        best_fp = None
        for perm in self.perms:
            rep = self.state_class(**self._canon_validators(self._permute(s, perm)))
            fp = self.layout.code(rep) if self.layout is not None else fingerprint(rep)
            if best_fp is None or fp < best_fp:
                best, best_fp = rep, fp
        return best, best_fp

    def batch_codes(self, S) -> Any:
        """The representatives' codes of a batch of states (numpy arrays in the fields)."""
        import numpy as np

        best = None
        for perm in self.perms:
            rep = self.state_class(**self._canon_validators(self._permute(S, perm)))
            code = self.layout.pack(rep)
            best = code if best is None else np.minimum(best, code)
        return best


def canonicalizer_for(machine, fix_paras: bool = False) -> Canonicalizer | None:
    if getattr(machine, "symmetry", None) is None:
        return None
    return Canonicalizer(machine, fix_paras)


def lift_path(machine, canon_fp: Callable[[Any], int], init_states, fps: list[int], closing: int | None = None):
    """A concrete run through the orbits ``fps`` (fingerprints of representatives).

    From each concrete state, the action taken is the first one of ``actions`` whose
    successor lies in the next orbit: by symmetry one exists. Returns (states,
    actions). With ``closing`` (an index into ``fps``: a cycle ``fps[closing:]`` back
    to ``fps[closing]``), the cycle is followed again until the concrete state repeats,
    and the index where the concrete loop starts is returned as a third value.
    """
    from model.core import Rejected

    start = next(s for s in init_states if canon_fp(s) == fps[0])
    states = [start]
    actions = []

    def advance(x, target):
        for a in machine.actions(x):
            try:
                t = machine.step(x, a)
            except Rejected:
                continue
            if canon_fp(t) == target:
                return a, t
        raise AssertionError("symmetry lifting failed: the machine is not symmetric as declared")

    for target in fps[1:]:
        a, t = advance(states[-1], target)
        actions.append(a)
        states.append(t)
    if closing is None:
        return states, actions
    # follow the cycle until the concrete state at its start repeats (at most the
    # group's order rounds); the run then returns from states[-1] to states[loop]
    seen = {states[closing]: closing}
    for _ in range(10_000):
        for j, target in enumerate(fps[closing:]):
            a, t = advance(states[-1], target)
            if j == 0 and t in seen:
                actions.append(a)  # the closing action, back to states[loop]
                return states, actions, seen[t]
            actions.append(a)
            states.append(t)
            if j == 0:
                seen[t] = len(states) - 1
    raise AssertionError("symmetry lifting did not close the cycle")
