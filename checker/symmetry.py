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

from paraspec.model.logic import popcount

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

    def _counts(self, fields: dict[str, Any]) -> list[Any]:
        """How many validators have each signature (in ``self.signatures`` order)."""
        masks = [fields[f] if i is None else fields[f][i] for f, i in self.masks]
        full = self.full
        out = []
        for sg in self.signatures:
            x = full
            for i, mk in enumerate(masks):
                x = x & (mk if (sg >> i) & 1 else ~mk)
            out.append(popcount(x & full))
        return out

    def _with_counts(self, fields: dict[str, Any], counts: list[Any]) -> dict[str, Any]:
        """The fields with the validator masks of the representative for ``counts``."""
        new: list[Any] = [0] * len(self.masks)
        start = 0
        for sg, cnt in zip(self.signatures, counts):
            rng = ((1 << cnt) - 1) << start
            for i in range(len(self.masks)):
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

    def _canon_validators(self, fields: dict[str, Any]) -> dict[str, Any]:
        if not self.masks or self.n == 0:
            return fields
        return self._with_counts(fields, self._counts(fields))

    # -- orbit codes: the other fields packed, then the signature counts ------------------------
    def _slots(self):
        """(field, index or None, bits) of every layout element that is not a validator mask."""
        got = getattr(self, "_slot_cache", None)
        if got is None:
            masks = set(self.masks)
            got = []
            for f in self.layout.fields:
                for i in (range(f.count) if f.count is not None else (None,)):
                    if (f.name, i) not in masks:
                        got.append((f.name, i, f.bits))
            self._slot_cache = got
        return got

    @property
    def count_bits(self) -> int:
        return max(1, self.n.bit_length())

    @property
    def code_bits(self) -> int:
        """Bits of an orbit code."""
        if not self.masks:
            return self.layout.bits
        return sum(b for _, _, b in self._slots()) + self.count_bits * max(0, len(self.signatures) - 1)

    def orbit_code(self, fields: dict[str, Any], counts: list[Any]) -> Any:
        """An injective code of the validator-canonical state: its fields that are not
        masks, then the signature counts (the last is implied: they sum to n)."""
        code = 0
        off = 0
        for name, i, bits in self._slots():
            v = fields[name] if i is None else fields[name][i]
            code = code | (v << off)
            off += bits
        cb = self.count_bits
        for cnt in counts[:-1]:
            code = code | (cnt << off)
            off += cb
        return code

    def decode(self, code: Any) -> Any:
        """The representative state of an orbit code (an int, or an int64 array)."""
        values: dict[str, Any] = {f.name: ([0] * f.count if f.count is not None else 0) for f in self.layout.fields}
        off = 0
        for name, i, bits in self._slots():
            v = (code >> off) & ((1 << bits) - 1)
            if i is None:
                values[name] = v
            else:
                values[name][i] = v
            off += bits
        cb = self.count_bits
        counts = []
        rest = self.n
        for _ in self.signatures[:-1]:
            c = (code >> off) & ((1 << cb) - 1)
            counts.append(c)
            rest = rest - c
            off += cb
        counts.append(rest)
        fields = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
        return self.state_class(**self._with_counts(fields, counts))

    def canonical(self, s) -> tuple[Any, int]:
        """The orbit representative of one state and its fingerprint (its orbit code when
        the machine declares a compact layout)."""
        best = None
        best_fp = None
        for perm in self.perms:
            fields = self._permute(s, perm)
            if self.layout is not None and self.masks:
                counts = self._counts(fields)
                fp = self.orbit_code(fields, counts)
                if best_fp is None or fp < best_fp:
                    best_fp, best = fp, (fields, counts)
                continue
            rep = self.state_class(**self._canon_validators(fields))
            fp = self.layout.code(rep) if self.layout is not None else fingerprint(rep)
            if best_fp is None or fp < best_fp:
                best, best_fp = rep, fp
        if isinstance(best, tuple):
            fields, counts = best
            best = self.state_class(**self._with_counts(fields, counts))
        return best, best_fp

    def redundant(self, s, a) -> Any:
        """Whether the action ``a`` on the representative ``s`` can be skipped: it names a
        validator (or core) interchangeable in ``s`` with the previous one, so its
        successor lies in the orbit of that one's successor (the swap of the two fixes
        ``s``). True/False for one state, a boolean array for a batch. Sound only on
        representatives, where interchangeable validators are adjacent."""
        from paraspec.model.logic import And, Or

        out = False
        for cls, field in self.sym.validator_args:
            if isinstance(a, cls):
                v = getattr(a, field)
                if 0 < v < self.n and self.masks:
                    out = Or(out, And(*[((self._mask(s, f, i) >> v) & 1) == ((self._mask(s, f, i) >> (v - 1)) & 1)
                                        for f, i in self.masks]))
        if len(self.perms) > 1:
            for cls, field in self.sym.para_args:
                if isinstance(a, cls):
                    c = getattr(a, field)
                    if c > 0:
                        out = Or(out, And(*[getattr(s, f)[c] == getattr(s, f)[c - 1] for f in self.sym.para_fields]))
        return out

    @staticmethod
    def _mask(s, f, i):
        v = getattr(s, f)
        return v if i is None else v[i]

    def batch_codes(self, S) -> Any:
        """The orbit codes of a batch of states (numpy arrays in the fields)."""
        import numpy as np

        best = None
        for perm in self.perms:
            fields = self._permute(S, perm)
            if self.masks:
                code = self.orbit_code(fields, self._counts(fields))
            else:
                code = self.layout.pack(self.state_class(**fields))
            best = code if best is None else np.minimum(best, code)
        return best

    def batch_decode(self, codes) -> Any:
        if self.masks:
            return self.decode(codes)
        return self.layout.unpack(codes)


def canonicalizer_for(machine, fix_paras: bool = False) -> Canonicalizer | None:
    if machine.symmetry is None:
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
    from paraspec.model.core import Rejected

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
