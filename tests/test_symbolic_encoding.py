"""Symbolic execution of the model's code, and the encodings it yields, checked against Python.

* the executor follows Python's ``int`` semantics exactly (Hypothesis: random expressions,
  every point of a small domain lands on exactly one path, with Python's value or
  exception);
* the machines' encodings agree with ``actions``/``step`` and the property predicates on
  every state the explicit engine reaches at small bounds, in both directions, mutants
  included; a corrupted encoding is caught.
"""

import itertools

import attrs
import pytest
import z3
from hypothesis import given
from hypothesis import strategies as st

from paraspec.checker.registry import build, load_all, properties_of
from paraspec.checker.symbolic.crosscheck import crosscheck, reachable_states
from paraspec.checker.symbolic.encoding import MachineEncoding, NoEncoding, encode
from paraspec.checker.symbolic.symexec import WIDTH, Explorer, Space, SymBool, SymInt, to_z3
from tests.toy import Toy

load_all()

# -- the executor --------------------------------------------------------------------------------------

A_VALUES = tuple(range(-3, 5))
B_VALUES = tuple(range(0, 4))
SPACE_DOMAINS = {"a": ("int", A_VALUES), "b": ("int", B_VALUES)}

leaf = st.sampled_from([("var", "a"), ("var", "b"), ("const", -2), ("const", 0), ("const", 1), ("const", 3)])
BIN = ["+", "-", "*", "//", "%", "&", "|", "^", "<<", ">>"]
UN = ["neg", "inv", "abs", "bit_count"]


def _tree(children):
    return st.one_of(
        st.tuples(st.sampled_from(BIN), children, children),
        st.tuples(st.sampled_from(UN), children),
    )


exprs = st.recursive(leaf, _tree, max_leaves=5)


def ev(t, env):
    op = t[0]
    if op == "var":
        return env[t[1]]
    if op == "const":
        return t[1]
    if op in UN:
        x = ev(t[1], env)
        return {"neg": lambda: -x, "inv": lambda: ~x, "abs": lambda: abs(x), "bit_count": lambda: x.bit_count()}[op]()
    x, y = ev(t[1], env), ev(t[2], env)
    if op in ("<<", ">>"):
        y = y % 4 if not isinstance(y, (SymInt, SymBool)) else y % 4  # keep shifts small, the same way
    return {"+": lambda: x + y, "-": lambda: x - y, "*": lambda: x * y, "//": lambda: x // y, "%": lambda: x % y,
            "&": lambda: x & y, "|": lambda: x | y, "^": lambda: x ^ y, "<<": lambda: x << y,
            ">>": lambda: x >> y}[op]()


def program(t, env):
    """Arithmetic, then control flow on the result (so paths split)."""
    r = ev(t, env)
    if r > 2:
        return r * 2
    if r == -1 or r == 0:
        return 7
    return r - 1


def _in_region(region, point):
    return all(tuple(point[n] for n in names) in rows for names, rows in region.items())


def _value(v, point):
    if isinstance(v, (SymInt, SymBool)):
        subst = [(z3.BitVec(n, WIDTH), z3.BitVecVal(x, WIDTH)) for n, x in point.items()]
        return z3.simplify(z3.substitute(to_z3(v.t), *subst)).as_signed_long()
    return v


@given(exprs)
def test_executor_follows_python_ints(tree):
    space = Space(SPACE_DOMAINS)
    ex = Explorer(space)
    paths = ex.explore(lambda: program(tree, {"a": ex.variable("a"), "b": ex.variable("b")}))
    for a, b in itertools.product(A_VALUES, B_VALUES):
        point = {"a": a, "b": b}
        try:
            want, err = program(tree, point), None
        except Exception as e:  # ZeroDivisionError, ValueError (negative shift)
            want, err = None, type(e)
        hits = [p for p in paths if _in_region(p.region, point)]
        assert len(hits) == 1, (tree, point, len(hits))
        p = hits[0]
        if err is not None:
            assert p.kind == "error" and isinstance(p.value, err), (tree, point, p.kind)
        elif p.kind == "width":
            assert abs(want) >= 1 << (WIDTH - 2)  # only values near the bit width are refused
        else:
            assert p.kind == "ok" and _value(p.value, point) == want, (tree, point)


def test_width_overflow_is_a_width_path_not_a_value():
    space = Space({"a": ("int", (0, 1, 20))})
    ex = Explorer(space)
    def fn():
        a = ex.variable("a")
        return a << 14 if a > 5 else a << 1

    kinds = sorted(p.kind for p in ex.explore(fn))
    assert kinds == ["ok", "width"]


def test_int_inside_model_code_stays_symbolic():
    """``int(x)`` in model modules (inclusion's ``last_exit``) keeps the symbolic value."""
    import paraspec.model.inclusion as inc

    space = Space({"a": ("int", (1, 2, 3))})
    ex = Explorer(space, modules=[inc])
    paths = ex.explore(lambda: vars(inc)["int"](ex.variable("a")) + 1)
    assert len(paths) == 1 and isinstance(paths[0].value, SymInt)
    assert "int" not in vars(inc)  # restored after the exploration


# -- machine encodings against the explicit engine ----------------------------------------------------

CROSSCHECKS = [  # machines with their property formulas; mutants: their transitions
    ("availability", "trio", None, 6, {}),
    ("inclusion", "trio", None, None, {"max_candidates": 1}),  # every reachable state
    ("availability", "trio", "av_unavailable_still_counted", 5, {}),
    ("availability", "trio", "av_free_bits_counted", 3, {}),
    ("inclusion", "trio", "inc_second_core", 5, {"max_candidates": 1}),
]


@pytest.mark.parametrize("machine,preset,mutant,depth,overrides", CROSSCHECKS,
                         ids=[f"{c[0]}-{c[1]}-{c[2]}-{c[3]}" for c in CROSSCHECKS])
def test_encoding_agrees_with_step_on_reachable_states(machine, preset, mutant, depth, overrides):
    m = build(machine, preset, mutant, overrides)
    enc = encode(m)
    states = reachable_states(m, depth)
    assert len(states) > 150
    checks, bad = crosscheck(enc, states, properties_of(machine) if mutant is None else [])
    assert not bad, "\n".join(map(str, bad[:5]))
    assert checks >= len(states) * len(enc.steps)


def test_encoding_facts():
    enc = encode(build("inclusion", "trio", None, {"max_candidates": 1}))
    s = enc.summary()
    assert s["leaves"] == 21 and s["actions"] == len(enc.alphabet) == len(enc.labels)
    assert not s["inferred_domain"]
    # every action the explicit engine offers anywhere is in the alphabet (checked by crosscheck);
    # and the alphabet has no action the machine never offers
    offered = {a for st_ in reachable_states(enc.machine) for a in enc.machine.actions(st_)}
    assert offered <= set(enc.alphabet)
    # the alphabet is what actions() offers in some state of the domain: a few more (e.g. a
    # Valid statement from the only member of a one-validator group, who already seconded)
    assert len(set(enc.alphabet) - offered) <= 2


def test_mutant_encoding_reuses_the_parts_it_cannot_change():
    base = encode(build("inclusion", "trio", None, {"max_candidates": 1}))
    mut = encode(build("inclusion", "trio", "inc_wrong_exit", {"max_candidates": 1}))
    assert mut.base is base and mut.reused > 0
    # drop() is overridden: the Drop steps are re-encoded, the others reused
    for j, a in enumerate(mut.alphabet):
        same = mut.steps[j] is base.steps[base.alphabet.index(a)]
        assert same == (type(a).__name__ != "Drop"), a


def test_corrupted_encoding_is_caught():
    m = build("availability", "trio")
    enc = MachineEncoding(m)
    j = next(i for i, a in enumerate(enc.alphabet) if type(a).__name__ == "EndBlock")
    path = "paras[0].age"
    enc.steps[j] = attrs.evolve(enc.steps[j], next={**enc.steps[j].next, path: enc.steps[j].next[path] + 1})
    _, bad = crosscheck(enc, reachable_states(m, 3), [])
    assert bad and "paras[0].age" in str(bad[0])
    enc2 = MachineEncoding(m)
    enc2.steps[0] = attrs.evolve(enc2.steps[0], enabled=z3.Not(enc2.steps[0].enabled))
    _, bad = crosscheck(enc2, reachable_states(m, 2), [])
    assert bad and "enabled" in str(bad[0])


@attrs.frozen
class SetState:
    seen: frozenset = frozenset()


class SetMachine(Toy):
    name = "setmachine"

    def init(self):
        yield SetState()

    def actions(self, s):
        return []


def test_state_without_encoding_says_which_field():
    from paraspec.model.config import PRESETS

    with pytest.raises(NoEncoding, match="seen"):
        MachineEncoding(SetMachine(PRESETS["tiny"]))


def test_domain_inferred_for_a_machine_without_declaration():
    from paraspec.model.config import PRESETS

    enc = MachineEncoding(Toy(PRESETS["tiny"]))
    assert enc.inferred_domain
    _, bad = crosscheck(enc, reachable_states(enc.machine), [])
    assert not bad
