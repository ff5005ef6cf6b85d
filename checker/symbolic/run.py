"""Running the symbolic engine: lemmas, k-induction of machines, BMC of mutants.

Shared by ``paraspec prove``, the benchmark and the tests. A run yields *items*, each
with a verdict (:mod:`checker.symbolic.verdicts`), the rule IDs it concerns, its time,
and (for machines) a counterexample trace already replayed on the Python model.
"""

from __future__ import annotations

import time
from typing import Any, Iterable

import attrs

from paraspec.model.core import Machine
from paraspec.properties.core import Property

from .bmc import MachineProof, Prover, prove_machine
from .encoding import NoEncoding
from .lemmas import Lemma, LemmaResult, all_lemmas
from .verdicts import Unknown

__all__ = ["Item", "prove_lemmas", "prove_machine_item", "bmc_mutant", "prove_wide_item", "symbolic_machines", "items_ok"]


@attrs.frozen
class Item:
    """One reported verdict."""

    #: "lemma", "k-induction", "bmc"
    engine: str
    #: lemma name, or ``machine.property`` (``machine[mutant].property``)
    name: str
    rules: tuple[str, ...]
    verdict: Any
    elapsed: float
    doc: str = ""
    machine: str | None = None
    preset: str | None = None
    mutant: str | None = None
    #: for a property: its kind ("always", "transition", "aux", "domain", ...)
    kind: str = "lemma"
    #: whether this item must be proved for the run to pass (False: expected to fail,
    #: e.g. a mutant's property)
    expect_proof: bool = True
    #: False for an informative item that does not decide the run (a mutant's counting lemma)
    decides: bool = True

    @property
    def status(self) -> str:
        return self.verdict.status

    @property
    def ok(self) -> bool:
        if not self.decides:
            return True
        if self.expect_proof:
            return self.status == "proved"
        return self.status == "counterexample"


def symbolic_machines() -> list[str]:
    """Machines that declare a symbolic domain (``Machine.symbolic_domain`` on their default
    preset): the ones ``paraspec prove`` proves by default."""
    from ..registry import build, machine_names

    return [n for n in machine_names() if build(n).symbolic_domain() is not None]


def prove_lemmas(lemmas: Iterable[Lemma] | None = None, timeout: float = 30.0) -> list[Item]:
    out = []
    for lm in (all_lemmas() if lemmas is None else lemmas):
        r: LemmaResult = lm.prove(timeout)
        out.append(Item("lemma", lm.name, lm.rules, r.verdict, r.elapsed, lm.doc, kind="lemma"))
    return out


def _prop_items(proof: MachineProof, machine: Machine, props: list[Property], engine: str,
                expect_proof: bool = True, kills: Iterable[str] = ()) -> list[Item]:
    by_name = {p.name: p for p in props}
    aux = {a.name: a for a in machine.auxiliary_invariants()}
    label = machine.name + (f"[{machine.mutant_name}]" if machine.mutant_name else "")
    kills = set(kills)
    out = []
    for name, v in proof.verdicts.items():
        p = by_name.get(name)
        if p is not None:
            kind, rules, doc = p.kind.value + (" (aux)" if p.aux else ""), p.rules, p.doc
        elif name in aux:
            kind, rules, doc = "aux", (), aux[name].doc
        else:
            kind, rules, doc = name if name in ("domain", "no_model_error", "no_width") else "aux", (), {
                "domain": "every successor of a reachable state lies in the symbolic domain",
                "no_model_error": "no enabled action makes the model raise",
                "no_width": "no value leaves the symbolic bit width",
            }.get(name, "")
        expect = expect_proof or (kills and name not in kills)
        out.append(Item(engine, f"{label}.{name}", tuple(rules), v, proof.elapsed, doc, machine.name,
                        machine.preset, machine.mutant_name, kind, expect_proof=bool(expect)))
    return out


def prove_machine_item(machine: Machine, properties: list[Property], max_k: int = 4,
                       timeout: float | None = 120.0, use_aux: bool = True,
                       declared_aux: Iterable[Property] = ()) -> tuple[MachineProof, list[Item]]:
    """k-induction of every always/transition property (and the strengthening invariants: the
    machine's ``auxiliary_invariants()`` and the properties declared ``aux=True``, which are
    then proved as auxiliary invariants; ``declared_aux`` adds those of the machine that a
    selection of ``properties`` left out)."""
    aux: list[tuple[str, Any]] = []
    props = list(properties)
    if use_aux:
        aux = [(a.name, a.fn) for a in machine.auxiliary_invariants()]
        declared = {p.name: p for p in [*props, *declared_aux] if p.kind.value == "always" and p.aux}
        aux += [(p.name, p.predicate) for p in declared.values()]
        props = [p for p in props if p.name not in declared] + list(declared.values())
    proof = prove_machine(machine, [p for p in props if not (use_aux and p.aux)], max_k=max_k, aux=aux,
                          timeout=timeout)
    return proof, _prop_items(proof, machine, props, "k-induction")


def prove_wide_item(machine: Machine, properties: list[Property], timeout: float | None = 120.0,
                    assume: Iterable[Property] = (), use_aux: bool = True) -> tuple[MachineProof, list[Item]]:
    """1-induction over bit-vectors as wide as the machine's masks (``checker.symbolic.wide``):
    for a vectorized machine, at any validator count; ``assume``: the machine's other
    invariants, candidates for the strengthening; ``use_aux``: its auxiliary invariants too."""
    from .wide import prove_wide

    start = time.perf_counter()
    verdicts, summary = prove_wide(machine, properties, timeout, assume, aux=use_aux)
    proof = MachineProof(machine.name, machine.preset, machine.mutant_name, verdicts, 1, -1,
                         time.perf_counter() - start, summary)
    return proof, _prop_items(proof, machine, properties, "k-induction")


def bmc_mutant(machine: Machine, properties: list[Property], kills: Iterable[str], depth: int = 10,
               timeout: float | None = 120.0, shortest: bool = True) -> tuple[MachineProof, list[Item]]:
    """BMC of a mutant: the properties it must break should get counterexamples."""
    start = time.perf_counter()
    kills = list(kills)
    try:
        prover = Prover(machine, properties, (), timeout)
    except NoEncoding as e:
        verdicts = {k: Unknown(f"no symbolic encoding: {e}") for k in kills}
        proof = MachineProof(machine.name, machine.preset, machine.mutant_name, verdicts, 0, -1,
                             time.perf_counter() - start, {}, str(e))
        return proof, _prop_items(proof, machine, properties, "bmc", False, kills)
    targets = [ob for ob in prover.obligations if ob.name in kills]
    verdicts, _, done = prover.bmc(depth, targets, shortest=shortest)
    proof = MachineProof(machine.name, machine.preset, machine.mutant_name, verdicts, 0, done,
                         time.perf_counter() - start, prover.enc.summary())
    return proof, _prop_items(proof, machine, properties, "bmc", False, kills)


def items_ok(items: Iterable[Item]) -> bool:
    return all(i.ok for i in items)


