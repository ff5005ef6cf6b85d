"""Bounded model checking and k-induction of machine properties.

Both unroll the transition relation of :mod:`checker.symbolic.encoding`:

* **BMC** to depth ``d``: ``Init(s0) ∧ T(s0, s1) ∧ … ∧ T(s(i-1), si)`` and, at each depth
  ``i`` in turn, ``¬P(si)`` for every property not yet violated, so a counterexample
  is a shortest one (as the explicit engine's breadth-first search gives). A
  ``transition`` property is checked as the state formula "every enabled action's
  transition satisfies it", and the violating action is read from the model.
* **k-induction**: the base case is BMC to depth ``k``; the inductive step asks
  whether ``k`` consecutive distinct states (simple-path strengthening) that satisfy
  the properties, joined by transitions, can lead to a state that violates one. The
  properties are proved together (each may rely on the others); those whose step fails
  are dropped from the hypotheses until what remains is ``k``-inductive (a fixpoint).
  The domain of the encoding, "no model error" and "no value beyond the bit width" are
  proved with them: nothing is proved if they are not.

Every counterexample is decoded into a :class:`checker.trace.Trace` and **replayed on the
Python model** (the mutant, when checking one): the replay must reproduce every state
and the violation, or the result is ``Unknown`` (the encoding disagrees with the model),
never a verdict.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Iterable

import attrs
import z3

from paraspec.model.core import Machine, Rejected
from paraspec.properties.core import Kind, Property

from ..trace import Trace
from .encoding import SEL_WIDTH, MachineEncoding, NoEncoding, encode
from .limits import z3_timeout_ms
from .symexec import WIDTH, mk_and, mk_or
from .verdicts import Bounded, Counterexample, Proved, Unknown

__all__ = ["Prover", "Obligation", "ReplayMismatch", "MachineProof", "prove_machine"]


class ReplayMismatch(Exception):
    """A decoded counterexample does not replay on the Python model."""


class Obligation:
    """A state formula that must hold in every reachable state (built on first use)."""

    def __init__(self, name: str, kind: str, make: Callable[[], Any], prop: Property | None = None,
                 fn: Callable | None = None):
        self.name = name
        #: "always", "transition", "aux" (a strengthening invariant), or the built-in
        #: "domain", "no_model_error", "no_width"
        self.kind = kind
        self._make = make
        self._holds = None
        self.prop = prop
        #: aux: the Python predicate fn(m, s), to confirm counterexamples
        self.fn = fn

    @property
    def holds(self) -> Any:
        if self._holds is None:
            self._holds = self._make()
        return self._holds

    @property
    def builtin(self) -> bool:
        return self.kind in ("domain", "no_model_error", "no_width")

    def __repr__(self) -> str:
        return f"<Obligation {self.kind} {self.name}>"


@attrs.frozen
class MachineProof:
    """Verdicts of one proof run: per property (and auxiliary invariant)."""

    machine: str
    preset: str
    mutant: str | None
    verdicts: dict[str, Any]
    #: the deepest k-induction step tried and the BMC depth reached
    k: int
    depth: int
    elapsed: float
    encoding: dict[str, Any]
    #: why nothing could be proved (built-in obligations failing), if so
    note: str = ""


class _GaveUp(Exception):
    """The run stops without a verdict for what is pending: ``reason`` says why."""

    reason = "the solver gave up"

    def __init__(self, reason: str | None = None):
        super().__init__(reason or self.reason)
        if reason is not None:
            self.reason = reason


class _Deadline(_GaveUp):
    reason = "timeout"


class Prover:
    """BMC and k-induction of a machine's properties over its symbolic encoding."""

    def __init__(self, machine: Machine, properties: Iterable[Property], aux: Iterable[tuple[str, Callable]] = (),
                 timeout: float | None = None, encoding: MachineEncoding | None = None):
        self.start = time.perf_counter()
        self.deadline = None if timeout is None else self.start + timeout
        self.machine = machine
        self.enc = encoding or encode(machine, time_limit=timeout)
        enc = self.enc
        enc.set_deadline(self.deadline)  # property formulas are built on first use, within this run's time
        self.props = [p for p in properties if p.kind in (Kind.ALWAYS, Kind.TRANSITION, Kind.SOMETIMES)]
        obs: list[Obligation] = [
            Obligation("domain", "domain", enc.successor_domain_formula),
            Obligation("no_model_error", "no_model_error", lambda: z3.Not(enc.error_formula())),
            Obligation("no_width", "no_width", lambda: z3.Not(enc.width_formula())),
        ]
        for p in self.props:
            if p.kind in (Kind.ALWAYS, Kind.TRANSITION):
                obs.append(Obligation(p.name, p.kind.value, lambda p=p: enc.holds(p), p))
        for name, fn in aux:
            obs.append(Obligation(name, "aux", lambda fn=fn: enc.state_formula(fn), None, fn))
        self.obligations = obs
        self.sel = z3.BitVec("act!", SEL_WIDTH)
        self.trans = enc.transition_formula(self.sel)
        self._vars: dict[str, dict[str, Any]] = {}
        self._unrolled: dict[tuple, tuple[list, list]] = {}
        self.queries = 0
        #: obligation name -> the counterexample to induction last found for it
        self.ctis: dict[str, Trace | None] = {}
        #: check transition properties only up to this depth (None: everywhere)
        self.transition_depth: int | None = None

    # -- unrolling ---------------------------------------------------------------------------
    def _time_left(self) -> float | None:
        if self.deadline is None:
            return None
        left = self.deadline - time.perf_counter()
        if left <= 0:
            raise _Deadline()
        return left

    def vars(self, prefix: str) -> dict[str, Any]:
        v = self._vars.get(prefix)
        if v is None:
            v = self.enc.schema.variables(prefix)
            self._vars[prefix] = v
        return v

    def at(self, formula, prefix: str) -> Any:
        return self.enc.at(formula, self.vars(prefix))

    def step(self, i_prefix: str, j_prefix: str, sel) -> Any:
        pairs = [(self.enc.x[p], v) for p, v in self.vars(i_prefix).items()]
        pairs += [(self.enc.y[p], v) for p, v in self.vars(j_prefix).items()]
        pairs.append((self.sel, sel))
        return z3.substitute(self.trans, *pairs)

    def named_actions(self, i: int, sel) -> Any:
        """``fired!i!<action>`` Booleans: which action step ``i`` takes, by name."""
        return mk_and([z3.Bool(f"fired!{i}!{lab}") == (sel == j) for j, lab in enumerate(self.enc.labels)])

    def unroll(self, n: int, tag: str = "s", init: bool = True) -> tuple[list, list]:
        """Constraints of runs of at most ``n`` steps (``init``: from an initial state)
        and the step selectors. Every state is within the domain: the obligation
        "domain" (every successor stays in it) is what detects a run leaving it."""
        key = (n, tag, init)
        got = self._unrolled.get(key)
        if got is not None:
            return got
        fs = [self.at(self.enc.init_x, f"{tag}0!")] if init else []
        sels = []
        for i in range(n):
            self._time_left()  # deep unrollings take time to build
            sel = z3.BitVec(f"{tag}act!{i}", SEL_WIDTH)
            sels.append(sel)
            fs.append(self.at(self.enc.dom_x, f"{tag}{i}!"))
            fs.append(self.step(f"{tag}{i}!", f"{tag}{i + 1}!", sel))
            if tag == "s":
                fs.append(self.named_actions(i, sel))
        self._unrolled[key] = (fs, sels)
        return fs, sels

    def _check(self, formulas: list) -> Any:
        """A fresh bit-vector solver per query (faster than incremental solving here);
        returns the model, or None when unsatisfiable."""
        left = self._time_left()
        s = z3.SolverFor("QF_BV")
        if left is not None:
            s.set("timeout", z3_timeout_ms(left))
        s.add(*formulas)
        r = s.check()
        self.queries += 1
        if r == z3.unknown:
            reason = s.reason_unknown()
            if "timeout" in reason or "canceled" in reason:
                raise _Deadline()
            raise _GaveUp(f"solver: {reason}")
        return s.model() if r == z3.sat else None

    # -- decoding and replay -----------------------------------------------------------------------
    def decode_state(self, model, prefix: str):
        vals = {}
        for lf in self.enc.schema.leaves:
            v = model.eval(self.vars(prefix)[lf.path], model_completion=True)
            vals[lf.path] = z3.is_true(v) if lf.kind in ("bool", "present") else v.as_signed_long()
        return self.enc.schema.unflatten(vals)

    def decode(self, model, n_states: int, sels: list) -> tuple[list, list]:
        """States and actions of the run in the model (*stop* steps, which repeat the
        state, are left out)."""
        states = [self.decode_state(model, "s0!")]
        actions = []
        for i in range(n_states - 1):
            j = model.eval(sels[i], model_completion=True).as_long()
            if j == self.enc.stop:
                continue
            actions.append(self.enc.alphabet[j])
            states.append(self.decode_state(model, f"s{i + 1}!"))
        return states, actions

    def replay(self, states: list, actions: list) -> Trace:
        """Re-execute the decoded actions on the Python model; every state must match."""
        m = self.machine
        inits = list(m.init())
        state = next((s for s in inits if s == states[0]), None)
        if state is None:
            raise ReplayMismatch(f"decoded initial state is not an initial state of {m!r}: {states[0]!r}")
        out = [state]
        for i, a in enumerate(actions):
            if a not in list(m.actions(state)):
                raise ReplayMismatch(f"step {i}: {a!r} is not offered by actions() in the decoded state")
            try:
                state = m.step(state, a)
            except Rejected as r:
                raise ReplayMismatch(f"step {i}: the model rejects {a!r} ({r.rule_id}: {r.reason})") from None
            except Exception as e:  # the encoding took a step on which the model raises
                raise ReplayMismatch(f"step {i}: the model raises {type(e).__name__} on {a!r}: {e}") from None
            if state != states[i + 1]:
                raise ReplayMismatch(f"step {i}: after {a!r} the model reaches {state!r}, "
                                     f"the encoding {states[i + 1]!r}")
            out.append(state)
        return Trace(machine=m.name, preset=m.preset, mutant=m.mutant_name, states=tuple(out),
                     actions=tuple(actions))

    def _violating_action(self, ob: Obligation, model, prefix: str):
        per = self.enc.violating_actions(ob.prop)
        cur = self.vars(prefix)
        for j, f in per.items():
            st = self.enc.steps[j]
            val = model.eval(self.enc.at(mk_and([st.enabled, z3.Not(f)]), cur), model_completion=True)
            if z3.is_true(val):
                return st.action
        raise ReplayMismatch(f"{ob.name}: the model names no violating action")

    def counterexample(self, ob: Obligation, model, i: int, sels: list) -> Trace:
        """Decode, replay and confirm a violation of ``ob`` at depth ``i``."""
        m = self.machine
        states, actions = self.decode(model, i + 1, sels)
        tr = self.replay(states, actions)
        last = tr.states[-1]
        if ob.kind == "always":
            if ob.prop.predicate(m, last):
                raise ReplayMismatch(f"{ob.name} holds in the replayed state")
        elif ob.kind == "aux":
            if ob.fn(m, last):
                raise ReplayMismatch(f"{ob.name} holds in the replayed state")
        elif ob.kind == "transition":
            a = self._violating_action(ob, model, f"s{i}!")
            try:
                t = m.step(last, a)
            except Rejected as r:
                t = r
            if ob.prop.predicate(m, last, a, t):
                raise ReplayMismatch(f"{ob.name} holds on the replayed transition {a!r}")
            tr = tr.extend(a, t)
        elif ob.kind == "no_model_error":
            for a in m.actions(last):
                try:
                    m.step(last, a)
                except Rejected:
                    continue
                except Exception as e:
                    return tr.extend(a, Rejected("model-error", f"{type(e).__name__}: {e}"))
            raise ReplayMismatch("no action raises in the replayed state")
        return tr

    # -- BMC ---------------------------------------------------------------------------------------
    def _bad(self, obs: list[Obligation], pre: str) -> Any:
        """Some obligation fails in state ``pre`` (a successor leaving the domain is
        failing "domain"). With ``transition_depth`` set, transition properties are only
        checked in states up to that depth (the explicit engine with a depth bound does
        not expand the states at the bound)."""
        i = int(pre[1:-1]) if pre[0] == "s" and pre[1:-1].isdigit() else 0
        return mk_or([z3.Not(self.at(ob.holds, pre)) for ob in obs
                      if self.transition_depth is None or ob.kind != "transition" or i <= self.transition_depth])

    def _record(self, model, i: int, sels: list, pending: dict[str, Obligation], verdicts: dict[str, Any]) -> bool:
        """Record the pending obligations failing at depth ``i`` in ``model``."""
        pre = f"s{i}!"
        failed = [n for n, ob in pending.items()
                  if (self.transition_depth is None or ob.kind != "transition" or i <= self.transition_depth)
                  and z3.is_false(model.eval(self.at(ob.holds, pre), model_completion=True))]
        for name in failed:
            ob = pending.pop(name)
            if ob.kind == "no_width":
                verdicts[name] = Unknown(f"a value leaves the {WIDTH}-bit symbolic width at depth {i}")
            elif ob.kind == "domain":
                st = self.decode_state(model, pre)
                verdicts[name] = Unknown(f"a successor of a state at depth {i} leaves the symbolic domain "
                                         f"(state {st!r})")
            else:
                try:
                    verdicts[name] = Counterexample(trace=self.counterexample(ob, model, i, sels), what=name)
                except ReplayMismatch as e:
                    verdicts[name] = Unknown(f"counterexample does not replay on the model: {e}")
        if "domain" in failed:  # the encoding cannot follow runs beyond here
            for name in list(pending):
                verdicts[name] = Unknown(f"runs beyond depth {i} leave the symbolic domain")
            pending.clear()
        return bool(failed)

    def _failures_at(self, i: int, pending: dict[str, Obligation], verdicts: dict[str, Any]) -> bool:
        """Record every pending obligation that fails at exactly depth ``i``."""
        fi, si = self.unroll(i)
        pre = f"s{i}!"
        any_found = False
        while pending:
            model = self._check(fi + [self._bad(list(pending.values()), pre)])
            if model is None:
                break
            any_found |= self._record(model, i, si, pending, verdicts)
        return any_found

    def bmc(self, depth: int, targets: Iterable[Obligation] | None = None,
            reach: Iterable[tuple[str, Any, Callable]] = (), shortest: bool = True
            ) -> tuple[dict[str, Any], dict[str, Any], int]:
        """Search for violations within ``depth`` steps.

        Returns (verdict per obligation name: Counterexample, Bounded or Unknown;
        per ``reach`` name a Trace reaching it, or None; the depth searched). ``reach``
        items are ``(name, state formula, confirm(m, s))`` (sometimes properties,
        witnesses). Counterexamples are shortest (``shortest``): queries over growing
        depth ranges ("does anything fail at a depth in [lo, b]?") find a failing range,
        bisection the least failing depth. Otherwise the first counterexample found is
        taken.
        """
        obs = list(self.obligations if targets is None else targets)
        pending = {ob.name: ob for ob in obs}
        verdicts: dict[str, Any] = {}
        found: dict[str, Any] = {}
        done = -1
        try:
            self._drop_unencodable(pending, verdicts)
            fs, sels = self.unroll(depth)
            self._violations(depth, pending, verdicts, shortest)
            done = depth
            self._reach(fs, sels, depth, reach, found)
        except _GaveUp as e:
            for name in pending:
                verdicts[name] = Unknown(e.reason)
            pending.clear()
            for item in reach:
                found.setdefault(item[0], Unknown(e.reason))
        for name in pending:
            verdicts[name] = Bounded(done)
        return verdicts, found, done

    def _drop_unencodable(self, pending: dict[str, Obligation], verdicts: dict[str, Any]) -> None:
        """Build the formulas of the pending obligations (they are built on first use); an
        obligation the engine cannot encode leaves ``pending`` with an unknown verdict saying
        why. Running out of time while building stops the run (a timeout)."""
        for name, ob in list(pending.items()):
            try:
                ob.holds
            except NoEncoding as e:
                self._time_left()
                verdicts[name] = Unknown(f"no symbolic encoding: {e}")
                del pending[name]

    def _violations(self, depth: int, pending: dict[str, Obligation], verdicts: dict[str, Any],
                    shortest: bool) -> None:
        """Record the failures of the pending obligations within ``depth`` steps (see :meth:`bmc`)."""
        lo = 0
        while pending and lo <= depth:
            known_clear, failing_b, model, sb = self._failing_range(lo, depth, pending)
            if failing_b is None:
                break
            if not shortest:  # take the failures the model shows, at its first failing depth
                for i in range(known_clear + 1, failing_b + 1):
                    if self._record(model, i, sb, pending, verdicts):
                        break
                lo = known_clear + 1
                continue
            a = self._least_failing(known_clear + 1, failing_b, pending)
            if not self._failures_at(a, pending, verdicts):  # pragma: no cover - a has a failure
                a += 1
            lo = a

    def _failing_range(self, lo: int, depth: int, pending: dict[str, Obligation]):
        """The least depth >= lo with a failure lies in (known_clear, failing_b]: probe [lo, lo],
        [lo, lo+1], [lo, lo+3], ... ("some failure at a depth in [lo, b]?"). Returns
        (known_clear, failing_b or None, the model, the selectors of the unrolling)."""
        known_clear, failing_b = lo - 1, None
        width = 1
        while True:
            b = min(depth, lo + width - 1)
            fb, sb = self.unroll(b)
            bads = [self._bad(list(pending.values()), f"s{i}!") for i in range(known_clear + 1, b + 1)]
            model = self._check(fb + [mk_or(bads)])
            if model is not None:
                return known_clear, b, model, sb
            known_clear = b
            if b == depth:
                return known_clear, failing_b, model, sb
            width *= 2

    def _least_failing(self, a: int, b: int, pending: dict[str, Obligation]) -> int:
        """The least depth in [a, b] with a failure (one is known at ``b``), by bisection."""
        while a < b:
            mid = (a + b) // 2
            fm, _ = self.unroll(mid)
            early = mk_or([self._bad(list(pending.values()), f"s{i}!") for i in range(a, mid + 1)])
            if self._check(fm + [early]) is None:
                a = mid + 1
            else:
                b = mid
        return a

    def _reach(self, fs, sels, depth: int, reach, found: dict[str, Any]) -> None:
        """Reachability targets: one query for "any remaining target", then read off every
        target the model reaches."""
        targets = []
        for item in reach:
            name, f, confirm = item[:3]
            upto = item[3] if len(item) > 3 else depth
            targets.append((name, [self.at(f, f"s{i}!") for i in range(upto + 1)], confirm))
        while targets:
            model = self._check(fs + [mk_or([mk_or(fi) for _, fi, _ in targets])])
            if model is None:
                for name, _, _ in targets:
                    found[name] = None
                break
            states, actions = self.decode(model, depth + 1, sels)
            try:
                tr = self.replay(states, actions)
            except ReplayMismatch as e:
                for name, _, _ in targets:
                    found[name] = Unknown(f"witness does not replay on the model: {e}")
                break
            rest = []
            for name, fi, confirm in targets:
                if not any(z3.is_true(model.eval(f, model_completion=True)) for f in fi):
                    rest.append((name, fi, confirm))
                    continue
                hit = next((k for k, st in enumerate(tr.states) if confirm(self.machine, st)), None)
                found[name] = Unknown("witness not confirmed on the model") if hit is None else attrs.evolve(
                    tr, states=tr.states[:hit + 1], actions=tr.actions[:hit])
            targets = rest

    # -- k-induction -----------------------------------------------------------------------------------
    def induction_step(self, k: int, hyps: list[Obligation], goals: list[Obligation]) -> set[str]:
        """Names of the goals whose k-induction step fails under the hypotheses: ``k``
        distinct states satisfying the hypotheses, joined by transitions, then a state
        violating the goal."""
        enc = self.enc
        tag = f"k{k}s"
        fs, sels = self.unroll(k, tag, init=False)
        fs = list(fs)
        pres = [f"{tag}{i}!" for i in range(k + 1)]
        for i in range(k):
            fs.extend(self.at(h.holds, pres[i]) for h in hyps)
        for i in range(k + 1):  # simple path: pairwise distinct states
            self._time_left()
            for j in range(i + 1, k + 1):
                fs.append(z3.Not(enc.schema.equal(self.vars(pres[i]), self.vars(pres[j]))))
        failing: set[str] = set()
        remaining = list(goals)
        while remaining:
            holds = {g.name: self.at(g.holds, pres[k]) for g in remaining}
            model = self._check(fs + [mk_or([z3.Not(f) for f in holds.values()])])
            if model is None:
                break
            bad = {n for n, f in holds.items() if z3.is_false(model.eval(f, model_completion=True))}
            cti = self._cti(model, pres, sels)
            for n in bad:
                self.ctis[n] = cti
            failing |= bad
            remaining = [g for g in remaining if g.name not in bad]
        return failing

    def _cti(self, model, pres: list[str], sels: list) -> Trace | None:
        """The counterexample to induction in ``model``: its ``k + 1`` states and the steps
        between them (not replayed: its first state need not be reachable)."""
        states = [self.decode_state(model, pre) for pre in pres]
        actions = []
        for sel in sels:
            j = model.eval(sel, model_completion=True).as_long()
            if j == self.enc.stop or j >= len(self.enc.alphabet):
                return None
            actions.append(self.enc.alphabet[j])
        return Trace.of(self.machine, tuple(states), tuple(actions))

    def _inductive_subset(self, k: int, known: list[Obligation], cands: list[Obligation]) -> list[Obligation]:
        """The largest subset of ``cands`` that is k-inductive (with ``known`` invariants
        as hypotheses): drop the failing goals from the hypotheses until none fails.
        Empty when a built-in obligation (domain, no model error, no width) fails."""
        while cands:
            failing = self.induction_step(k, known + cands, cands)
            if not failing:
                return cands
            if any(ob.builtin and ob.name in failing for ob in cands):
                return []
            cands = [ob for ob in cands if ob.name not in failing]
        return []

    def prove(self, max_k: int = 4) -> MachineProof:
        """k-induction for k = 1 .. max_k; returns a verdict per obligation."""
        verdicts: dict[str, Any] = {}
        note = ""
        k_done = 0
        depth_done = -1
        proved: dict[str, int] = {}
        pending = list(self.obligations)
        try:
            for k in range(1, max_k + 1):
                base, _, depth_done = self.bmc(k, [ob for ob in pending])
                for name, v in base.items():
                    if v.status in ("counterexample", "unknown"):
                        verdicts[name] = v
                pending = [ob for ob in pending if ob.name not in verdicts]
                broken = [ob.name for ob in self.obligations
                          if ob.builtin and ob.name in verdicts and verdicts[ob.name].status != "proved"]
                if broken:
                    note = "; ".join(f"{n}: {verdicts[n]}" for n in broken)
                    break
                if not pending:
                    break
                k_done = k
                # first without the strengthening invariants, then with them, so a proof
                # says whether it needed them
                for with_aux in (False, True):
                    cands = [ob for ob in pending if with_aux or ob.kind != "aux"]
                    if with_aux and not any(ob.kind == "aux" for ob in cands):
                        break
                    known = [ob for ob in self.obligations if ob.name in proved]
                    cands = self._inductive_subset(k, known, cands)
                    if cands:
                        aux_used = tuple(ob.name for ob in cands + known if ob.kind == "aux")
                        for ob in cands:
                            proved[ob.name] = k
                            verdicts[ob.name] = Proved(k, tuple(a for a in aux_used if a != ob.name))
                        pending = [ob for ob in pending if ob.name not in proved]
                    if not pending:
                        break
                if not pending:
                    break
        except _GaveUp as e:
            for ob in pending:
                verdicts.setdefault(ob.name, Unknown(f"{e.reason} (k={k_done})"))
        for ob in self.obligations:
            if ob.name not in verdicts:
                verdicts[ob.name] = Bounded(max(depth_done, 0), f"the induction step fails up to k={k_done}",
                                            self.ctis.get(ob.name))
        m = self.machine
        return MachineProof(m.name, m.preset, m.mutant_name, verdicts, k_done, depth_done,
                            time.perf_counter() - self.start, self.enc.summary(), note)


def prove_machine(machine: Machine, properties: Iterable[Property], max_k: int = 4,
                  aux: Iterable[tuple[str, Callable]] = (), timeout: float | None = None) -> MachineProof:
    """k-induction of a machine's invariants and transition properties."""
    start = time.perf_counter()
    try:
        prover = Prover(machine, properties, aux, timeout)
    except NoEncoding as e:
        props = [p for p in properties if p.kind in (Kind.ALWAYS, Kind.TRANSITION)]
        return MachineProof(machine.name, machine.preset, machine.mutant_name,
                            {p.name: Unknown(f"no symbolic encoding: {e}") for p in props}, 0, -1,
                            time.perf_counter() - start, {}, str(e))
    return prover.prove(max_k)
