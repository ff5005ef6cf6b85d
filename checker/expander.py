"""Expanding one state for the explicit engine: every action, its successor's key, and
the properties evaluated on the transition and on the successor.

Runs in the search process (``checker.explicit``) or, with ``workers > 1``, in each
worker process (``checker.parallel``).
"""

from __future__ import annotations

from typing import Any, Callable

from paraspec.model.core import Rejected
from paraspec.properties.core import Kind, Property

from .fingerprint import fingerprint

__all__ = ["Expander", "Interrupted", "CHECK_EVERY"]

#: actions between two checks of the limits inside the expansion of one state
CHECK_EVERY = 256


class Interrupted(Exception):
    """A limit was reached inside the expansion of one state (``reason``: ``time_limit``,
    ``max_states``); the state's partial expansion is dropped, the state stays unexpanded."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Expander:
    """Expands states: every action, its successor's fingerprint, and the properties
    evaluated on the transition and on the successor. Runs in the search process or,
    with ``workers > 1``, in each worker (``checker.parallel``)."""

    def __init__(self, machine, props, symmetry: bool):
        self.m = machine
        self.invariants = [p for p in props if p.kind == Kind.ALWAYS]
        self.trans = [p for p in props if p.kind == Kind.TRANSITION]
        self.somes = [p for p in props if p.kind == Kind.SOMETIMES]
        self.state_witnesses = [p for p in self.invariants if p.witness is not None]
        #: (name, function) of the invariants, their witnesses and the sometimes properties
        self._inv = [(p.name, p.predicate) for p in self.invariants]
        self._wit = [(p.name, p.witness) for p in self.state_witnesses]
        self._some = [(p.name, p.predicate) for p in self.somes]
        #: ``state_info`` compiled once (``_compile_info``)
        self._info: Callable[[Any, Any], tuple] | None = None
        self.by_action: dict[type, tuple[list[Property], list[Property], int]] = {}
        #: action class -> (compiled transition checks or None, fairness label): ``check_for``
        self.checks: dict[type, tuple[Callable[..., None] | None, int]] = {}
        self.fair = tuple(machine.fairness)
        self.labels: dict[type, int] = {}
        self.canon = None
        if symmetry:
            from .symmetry import canonicalizer_for

            # a liveness family indexed by paras (``over``) is not preserved by permuting
            # the paras: keep them fixed then (validators are still permuted)
            fix = any(p.over is not None for p in props if p.kind in (Kind.EVENTUALLY, Kind.LEADS_TO))
            self.canon = canonicalizer_for(machine, fix_paras=fix)
        from .packing import layout_of

        self.layout = layout_of(machine)
        #: ``interrupt(new, tried)`` is asked every CHECK_EVERY actions of one state (``new``: how
        #: many distinct successors found so far are not stored yet; ``tried``: the actions taken so
        #: far): a limit's name stops the expansion
        self.interrupt: Callable[[int, int], str | None] | None = None

    def label_of(self, cls: type) -> int:
        got = self.labels.get(cls)
        if got is None:
            got = 0
            for i, f in enumerate(self.fair):
                if issubclass(cls, f):
                    got |= 1 << i
            self.labels[cls] = got
        return got

    def trans_for(self, cls: type):
        """(the transition properties evaluated on an input of class ``cls``, those of them with
        a witness, the fairness label of ``cls``), computed once per class."""
        got = self.by_action.get(cls)
        if got is None:
            ps = [p for p in self.trans if not p.on or issubclass(cls, p.on)]
            got = (ps, [p for p in ps if p.witness is not None], self.label_of(cls))
            self.by_action[cls] = got
        return got

    def check_for(self, cls: type) -> tuple[Callable[..., None] | None, int]:
        """(the function evaluating the transition properties of an input of class ``cls``,
        or ``None`` when none concerns it; the fairness label of ``cls``), compiled once per
        class: ``check(m, s, a, t, idx, tviol, twit)`` counts the witnesses that fire into
        ``twit`` and appends ``(name, idx)`` to ``tviol`` for each predicate that fails, in
        the order of :meth:`trans_for` (witnesses first)."""
        got = self.checks.get(cls)
        if got is None:
            tprops, twits, label = self.trans_for(cls)
            got = self.checks[cls] = (_compile_checks(tprops, twits), label)
        return got

    def key(self, s) -> tuple[Any, int]:
        """(the state to store, its fingerprint): the orbit representative under symmetry."""
        if self.canon is not None:
            rep, fp = self.canon.canonical(s)
        elif self.layout is not None:
            rep, fp = s, self.layout.code(s)
        else:
            return s, fingerprint(s)
        if fp >> 64:  # a code wider than a fingerprint: hash it
            fp = fingerprint(fp)
        return rep, fp

    def fp(self, s) -> int:
        return self.key(s)[1]

    def state_info(self, s) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        """(violated invariants, fired state witnesses, satisfied sometimes) of a state."""
        info = self._info
        if info is None:
            info = self._info = _compile_info(self._inv, self._wit, self._some)
        return info(self.m, s)

    def _reduced_successors(self, s):
        """Successors, skipping actions interchangeable with an earlier one (same orbit)."""
        m = self.m
        canon = self.canon
        for i, a in enumerate(m.actions(s)):
            if canon.redundant(s, a):
                continue
            try:
                yield i, a, m.step(s, a)
            except Rejected as r:
                yield i, a, r

    def expand(self, s, skip: Callable[[int], bool] | None = None, lazy: bool = False):
        """Expand one state.

        Returns ``(succs, tviol, twit)``: ``succs`` a list of ``(act_idx, label, rule,
        fp, state, info)`` (``rule`` the rejecting rule ID or None; for an accepted
        successor its fingerprint, and when ``skip(fp)`` is false the stored state and
        its ``state_info``); ``tviol`` the transition properties violated, as
        ``(name, act_idx)`` in action order; ``twit`` witness hits by name. ``lazy``
        (the search process, which looks each successor up once itself): every accepted
        successor carries its state and ``info`` is ``None`` (the caller computes
        ``state_info`` for the new ones only); ``skip`` is then asked only when a limit is
        checked inside a long expansion.
        """
        m = self.m
        succs = []
        tviol: list[tuple[str, int]] = []
        twit: dict[str, int] = {}
        canon = self.canon
        interrupt = self.interrupt
        fresh: set[int] | None = None if interrupt is None else set()
        checks = self.checks
        # the key of a successor: the plain fingerprint inline when there is no symmetry and no
        # compact layout (the common case), else ``key``
        key = None if canon is not None or self.layout is not None else fingerprint
        # with a compact layout and no symmetry: the layout's code, called directly
        code = self.layout.code if canon is None and self.layout is not None else None
        for n, (idx, a, t) in enumerate(m.successors(s) if canon is None else self._reduced_successors(s), 1):
            if interrupt is not None and not n % CHECK_EVERY:
                if lazy and skip is not None:  # the lookups the lazy path leaves to the caller
                    fresh = {f for _, _, r, f, _, _ in succs if r is None and not skip(f)}
                why = interrupt(len(fresh), n)
                if why is not None:
                    raise Interrupted(why)
            got = checks.get(type(a))
            check, label = got if got is not None else self.check_for(type(a))
            if check is not None:
                check(m, s, a, t, idx, tviol, twit)
            if isinstance(t, Rejected):
                succs.append((idx, 0, t.rule_id, 0, None, None))
                continue
            if key is not None:
                rep, tfp = t, key(t)
            elif code is not None:
                rep, tfp = t, code(t)
                if tfp >> 64:  # a code wider than a fingerprint: hash it (as ``key``)
                    tfp = fingerprint(tfp)
            else:
                rep, tfp = self.key(t)
            if lazy:
                succs.append((idx, label, None, tfp, rep, None))
            elif skip is not None and skip(tfp):
                succs.append((idx, label, None, tfp, None, None))
            else:
                if fresh is not None:
                    fresh.add(tfp)
                succs.append((idx, label, None, tfp, rep, self.state_info(rep)))
        return succs, tviol, twit


def _compile_checks(tprops: list[Property], twits: list[Property]) -> Callable[..., None] | None:
    """One function evaluating ``twits``' witnesses then ``tprops``' predicates on a
    transition (see :meth:`Expander.check_for`): straight-line code, no loop over
    property records per edge. ``None`` when there is nothing to evaluate."""
    if not tprops and not twits:
        return None
    scope: dict[str, Any] = {}
    lines = ["def check(m, s, a, t, idx, tviol, twit):"]
    for k, p in enumerate(twits):
        scope[f"w{k}"], scope[f"wn{k}"] = p.witness, p.name
        lines.append(f"    if w{k}(m, s, a, t):")
        lines.append(f"        twit[wn{k}] = twit.get(wn{k}, 0) + 1")
    for k, p in enumerate(tprops):
        scope[f"p{k}"], scope[f"pn{k}"] = p.predicate, p.name
        lines.append(f"    if not p{k}(m, s, a, t):")
        lines.append(f"        tviol.append((pn{k}, idx))")
    exec(compile("\n".join(lines) + "\n", "<transition checks>", "exec"), scope)
    return scope["check"]


def _compile_info(inv, wit, some) -> Callable[[Any, Any], tuple]:
    """``info(m, s)``: (violated invariants, fired witnesses, satisfied sometimes) of a state,
    as tuples of names in declaration order, evaluated by straight-line code (``inv``, ``wit``,
    ``some``: (name, function) pairs)."""
    scope: dict[str, Any] = {}
    lines = ["def info(m, s):"]
    outs = []
    for group, (tag, neg) in zip((inv, wit, some), (("i", "not "), ("w", ""), ("o", ""))):
        if not group:
            outs.append("()")
            continue
        lines.append(f"    {tag} = []")
        for k, (name, f) in enumerate(group):
            scope[f"{tag}f{k}"], scope[f"{tag}n{k}"] = f, name
            lines.append(f"    if {neg}{tag}f{k}(m, s):")
            lines.append(f"        {tag}.append({tag}n{k})")
        outs.append(f"tuple({tag})")
    lines.append(f"    return {outs[0]}, {outs[1]}, {outs[2]}")
    exec(compile("\n".join(lines) + "\n", "<state properties>", "exec"), scope)
    return scope["info"]
