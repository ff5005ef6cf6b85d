"""The fingerprint writes the canonical form's text directly (``checker.fingerprint.text``, issue 15):
it must be ``repr(canonical(x))`` character for character, so fingerprints, checkpoints and pinned
counts are those of the canonical form; and the fast ``Machine.successors`` must agree with
``try_step`` input by input."""

from __future__ import annotations

import enum
import hashlib

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from paraspec.checker.fingerprint import fingerprint, text
from paraspec.checker.registry import build, load_all, machine_names
from paraspec.model.core import Machine, Rejected

load_all()


class Colour(enum.Enum):
    RED = 1
    ODD = "it's"


class Flags(enum.IntFlag):
    A = 1
    B = 2


class Small(int):
    pass


@attrs.frozen
class Rec:
    a: object = 0
    b: object = ()


@attrs.frozen
class Empty:
    pass


@attrs.define
class Mutable:  # unhashable: no memo by value
    a: object = 0


EDGE = [0, -5, 2**80, True, False, None, "a'b\"c", b"x\x00", (), (1,), ((),), (None, (1,)), frozenset(),
        frozenset({1, 2, "a"}), frozenset({(1,), (2, 3)}), {1: "a", "b": (2,)}, {}, [1, [2]], set(),
        {frozenset()}, Colour.RED, Colour.ODD, Flags.A | Flags.B, Flags.A, Small(7), Rec(),
        Rec((1,), frozenset({Rec()})), Empty(), Mutable([1]), Rec(Mutable(2), [Rec()]), (Colour.RED, Rec(Colour.ODD, {1: 2}))]


def _form(x):
    """The canonical form as the module docstring defines it, without memos (``canonical``'s memo
    by value takes ``Rec(0, False)`` for an equal ``Rec(0, 0)`` seen before)."""
    if isinstance(x, enum.Enum):
        return (type(x).__name__, x.name)
    if attrs.has(type(x)):
        return (type(x).__name__,) + tuple(_form(getattr(x, f.name)) for f in attrs.fields(type(x)))
    if isinstance(x, (tuple, list)):
        return tuple(_form(y) for y in x)
    if isinstance(x, (frozenset, set)):
        return ("#set",) + tuple(sorted((_form(y) for y in x), key=repr))
    if isinstance(x, dict):
        return ("#map",) + tuple(sorted(((_form(k), _form(v)) for k, v in x.items()), key=repr))
    return int(x) if type(x) not in (int, bool) and isinstance(x, int) else x


def _old_fingerprint(x) -> int:
    return int.from_bytes(hashlib.blake2b(repr(_form(x)).encode(), digest_size=8).digest(), "little")


def test_text_is_the_repr_of_the_canonical_form_on_edge_values():
    for x in EDGE:
        for _ in range(2):  # the second time through the memos
            assert text(x) == repr(_form(x)), x
            assert fingerprint(x) == _old_fingerprint(x), x


values = st.recursive(
    st.one_of(st.integers(-3, 2**70), st.booleans(), st.none(), st.text(max_size=3), st.sampled_from(list(Colour))),
    lambda inner: st.one_of(st.tuples(inner, inner), st.lists(inner, max_size=3).map(tuple),
                            st.frozensets(st.integers(0, 9), max_size=3), st.builds(Rec, inner, inner)),
    max_leaves=8)


@given(values)
@settings(max_examples=150, deadline=None)
def test_text_is_the_repr_of_the_canonical_form(x):
    assert text(x) == repr(_form(x))
    assert fingerprint(x) == _old_fingerprint(x)


def test_equal_records_with_different_forms_are_told_apart():
    """``Rec(0, False) == Rec(0, 0)`` in Python, but their forms (and fingerprints) differ."""
    a, b = Rec(0, 0), Rec(0, False)
    assert text((a, b)) == "(('Rec', 0, 0), ('Rec', 0, False))"
    assert fingerprint(Rec(a, 1)) != fingerprint(Rec(b, 1))


def test_every_machines_states_and_successors_agree():
    """A few breadth-first levels of every machine: the fast ``successors`` gives what
    ``try_step`` gives, and every state's fingerprint is the canonical form's."""
    for name in machine_names():
        m = build(name, "tiny")
        level = list(m.init())
        for _ in range(3):
            nxt = []
            for s in level[:40]:
                assert fingerprint(s) == _old_fingerprint(s), name
                for i, a, t in m.successors(s):
                    u = m.try_step(s, a)
                    if isinstance(t, Rejected):
                        assert isinstance(u, Rejected) and u.rule_id == t.rule_id, (name, a)
                    else:
                        assert t == u, (name, a)
                        nxt.append(t)
            level = nxt


def test_a_machines_own_try_step_is_honoured():
    @attrs.frozen
    class Go:
        k: int

    class Counter(Machine):
        name = "counter_for_test"

        def init(self):
            yield 0

        def actions(self, s):
            return [Go(1), Go(2)]

        def process_go(self, s, a):
            return s + a.k

        def try_step(self, s, a):
            return Rejected("T-1", "always") if a.k == 2 else super().try_step(s, a)

    got = list(Counter(None).successors(0))
    assert got[0] == (0, Go(1), 1)
    assert isinstance(got[1][2], Rejected) and got[1][2].rule_id == "T-1"
