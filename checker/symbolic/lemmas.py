"""Parametric lemmas: facts about the model's arithmetic, proved by Z3 for every
validator count (unbounded integers, not a loop over sizes).

The lemmas are declared with the properties (``paraspec.properties.core.lemma``; the
threshold and scheduling arithmetic in ``properties/thresholds.py``), and machines declare
counting abstractions (``Machine.counting_models``), each a lemma too. A lemma is a list of
*obligations* ``premises ⇒ goal``; it is proved when Z3 shows every ``premises ∧ ¬goal``
unsatisfiable, and refuted with the values of its variables otherwise.
"""

from __future__ import annotations

import time
from typing import Any, Callable

import attrs
import z3

from paraspec.properties.core import LEMMAS, Obligation

from .counting import CannotBranch, CountingModel, counting_models, counting_obligations
from .limits import z3_timeout_ms
from .verdicts import Counterexample, Proved, Unknown

__all__ = ["Obligation", "Lemma", "LemmaResult", "all_lemmas", "get_lemma", "counting_lemma", "declared_lemma"]


@attrs.frozen
class LemmaResult:
    lemma: "Lemma"
    verdict: Any
    elapsed: float
    #: label of the obligation that failed (refuted / unknown)
    failed: str | None = None

    @property
    def ok(self) -> bool:
        return self.verdict.status == "proved"


@attrs.frozen
class Lemma:
    name: str
    rules: tuple[str, ...]
    doc: str
    build: Callable[[], list[Obligation]] = attrs.field(eq=False, repr=False)

    def obligations(self) -> list[Obligation]:
        return self.build()

    def prove(self, timeout: float = 10.0) -> LemmaResult:
        """Prove every obligation; ``timeout`` (seconds) bounds the whole lemma."""
        start = time.perf_counter()
        try:
            obligations = self.build()
        except CannotBranch as e:
            return LemmaResult(self, Unknown(f"the counting abstraction cannot follow a rule: {e}"),
                               time.perf_counter() - start)
        except Exception as e:  # an author's lemma raising while stating its obligations
            from .encoding import author_place

            return LemmaResult(self, Unknown(f"the lemma raised {type(e).__name__}: {e}{author_place(e)}"),
                               time.perf_counter() - start)
        for ob in obligations:
            left = timeout - (time.perf_counter() - start)
            if left <= 0:
                return LemmaResult(self, Unknown("timeout"), time.perf_counter() - start, ob.label)
            s = z3.Solver()
            s.set("timeout", z3_timeout_ms(left))
            s.add(*ob.premises)
            s.add(z3.Not(ob.goal))
            r = s.check()
            if r == z3.sat:
                m = s.model()
                values = {}
                for d in m.decls():
                    v = m[d]
                    if z3.is_int_value(v):
                        values[d.name()] = v.as_long()
                    elif z3.is_true(v) or z3.is_false(v):
                        values[d.name()] = z3.is_true(v)
                what = ob.label + failing_conjunct(ob.goal, m)
                return LemmaResult(self, Counterexample(assignment=values, what=what),
                                   time.perf_counter() - start, what)
            if r == z3.unknown:
                return LemmaResult(self, Unknown(f"{ob.label}: {s.reason_unknown()}"),
                                   time.perf_counter() - start, ob.label)
        return LemmaResult(self, Proved(), time.perf_counter() - start)


def failing_conjunct(goal: Any, model: Any) -> str:
    """``: <conjunct>``, the first conjunct of ``goal`` (a conjunction) false in ``model``;
    ``""`` when the goal is not a conjunction."""
    if not z3.is_and(goal):
        return ""
    for c in goal.children():
        if z3.is_false(model.eval(c, model_completion=True)):
            return f": {c} fails"
    return ""


# -- counting abstractions (checker.symbolic.counting) ------------------------------------------------


def counting_lemma(cm: CountingModel, machine_cls: type, config=None) -> Lemma:
    """The lemma "``cm``'s property holds for every n", for the machine (or a mutant class)
    that declares ``cm``; the parameters that are not symbolic are those of ``config``
    (default: the machine's default preset)."""

    def build():
        cfg = config or machine_cls.presets[machine_cls.default_preset]
        return [Obligation(label, premises, goal)
                for label, premises, goal in counting_obligations(cm, machine_cls, cfg)]

    name = cm.name if machine_cls.mutant_name is None else f"{cm.name}[{machine_cls.mutant_name}]"
    return Lemma(name, cm.rules, cm.doc, build)


def declared_lemma(decl) -> Lemma:
    """The lemma a ``LemmaDecl`` of ``paraspec.properties`` states, over Z3 integers."""
    return Lemma(decl.name, decl.rules, decl.doc, lambda: list(decl.build(z3.Ints)))


def all_lemmas() -> list[Lemma]:
    """Every lemma, in a stable order: the declared ones, then the machines' counting models."""
    from ..registry import load_all

    load_all()
    out = [declared_lemma(d) for d in LEMMAS.values()]
    out += [counting_lemma(cm, cls) for cls, cm in counting_models()]
    return out


def get_lemma(name: str) -> Lemma | None:
    return next((lm for lm in all_lemmas() if lm.name == name), None)
