"""The typed JSON codec of vector states and inputs, and the handler registry."""

from __future__ import annotations

import enum
import json
import typing
from typing import Any

import attrs
import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from paraspec.checker.codec import CodecError, SchemaDefs, decode, encode, field_types, schema
from paraspec.checker.registry import build, load_all, machine_names
from paraspec.model.availability import AvailabilityState, EndBlock, SignBitfield
from paraspec.model.core import MACHINES
from paraspec.properties.core import MUTANTS
from paraspec.model.handlers import HANDLERS, generic_shape, handlers_for, snake
from paraspec.model.inclusion import Block, Collate, Drop, InclusionState, Second, Valid

load_all()


class Colour(enum.Enum):
    RED = "r"
    GREEN = "g"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


@attrs.frozen
class Leaf:
    level: Level
    n: int = 0


@attrs.frozen
class Rich:
    """A record using every shape of type the codec supports."""

    flag: bool
    name: str
    colour: Colour
    maybe: Leaf | None
    leaves: tuple[Leaf, ...]
    pair: tuple[int, str]
    members: frozenset[int]
    tags: frozenset[tuple[int, int]]
    by_name: dict[str, int]
    by_id: dict[int, Leaf]
    items: list[int]
    loose: Any = None
    raw_level: int = 0


def strategy_for(tp: Any) -> st.SearchStrategy:
    """Values of a type, for round-trip properties (ints beyond 2^53 included)."""
    if tp is Any:
        return st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                            lambda inner: st.tuples(inner, inner), max_leaves=4)
    if typing.get_origin(tp) in (typing.Union,) or type(tp).__name__ == "UnionType":
        return st.one_of([strategy_for(a) for a in typing.get_args(tp)])
    if tp is type(None):
        return st.none()
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return st.lists(strategy_for(args[0]), max_size=4).map(tuple)
        return st.tuples(*[strategy_for(a) for a in args])
    if origin is list:
        return st.lists(strategy_for(args[0]), max_size=4)
    if origin is frozenset:
        return st.frozensets(strategy_for(args[0]), max_size=4)
    if origin is dict:
        return st.dictionaries(strategy_for(args[0]), strategy_for(args[1]), max_size=3)
    if tp is bool:
        return st.booleans()
    if tp is int:
        return st.integers(min_value=-(2**70), max_value=2**70)
    if tp is str:
        return st.text(max_size=6)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return st.sampled_from(list(tp))
    if attrs.has(tp):
        hints = field_types(tp)
        return st.builds(tp, **{f.name: strategy_for(hints[f.name]) for f in attrs.fields(tp)})
    raise NotImplementedError(tp)


SPINE_TYPES = [AvailabilityState, InclusionState, SignBitfield, EndBlock, Collate, Second, Valid, Drop, Block]


def _roundtrip(x, tp):
    data = encode(x, tp)
    text = json.dumps(data)  # plain JSON, nothing Python-specific
    back = decode(json.loads(text), tp)
    return data, back


@pytest.mark.parametrize("tp", SPINE_TYPES + [Rich], ids=lambda t: t.__name__)
def test_roundtrip_random_values(tp):
    defs = SchemaDefs()
    sch = {"$defs": defs, **schema(tp, defs)}
    validator = jsonschema.Draft202012Validator(sch)

    @given(strategy_for(tp))
    def prop(x):
        data, back = _roundtrip(x, tp)
        assert back == x
        assert encode(back, tp) == data  # canonical: one encoding per value
        errors = list(validator.iter_errors(data))
        assert not errors, errors[0].message

    prop()


@pytest.mark.parametrize("name", machine_names())
def test_roundtrip_every_reachable_state_of_every_machine(name):
    """Each machine's states (a bounded exploration) survive the codec, typed by the
    state class: the reference adapter can read back what the generator writes."""
    m = build(name, None)
    st_type = type(next(iter(m.init())))
    seen = []
    frontier = list(m.init())
    for _ in range(6):
        nxt = []
        for s in frontier[:50]:
            data, back = _roundtrip(s, st_type)
            assert back == s, f"{name}: {s} does not round-trip"
            seen.append(s)
            for a in list(m.actions(s))[:8]:
                if attrs.has(type(a)):
                    _, a2 = _roundtrip(a, type(a))
                    assert a2 == a
                try:
                    nxt.append(m.step(s, a))
                except Exception:
                    pass
        frontier = nxt
    assert seen


def test_int_typed_field_holding_an_intenum_is_an_integer():
    x = Rich(True, "a", Colour.RED, None, (), (1, "b"), frozenset(), frozenset(), {}, {}, [], None,
             raw_level=Level.HIGH)
    assert encode(x, Rich)["raw_level"] == 2
    assert encode(x, Rich)["colour"] == "RED"


def test_sets_and_maps_are_sorted_canonically():
    x = Rich(False, "", Colour.GREEN, Leaf(Level.LOW), (Leaf(Level.HIGH, 3),), (0, ""), frozenset({3, 1, 2}),
             frozenset({(2, 1), (1, 2)}), {"b": 1, "a": 2}, {2: Leaf(Level.LOW), 1: Leaf(Level.HIGH)}, [3, 1])
    d = encode(x, Rich)
    assert d["members"] == [1, 2, 3]
    assert d["tags"] == [[1, 2], [2, 1]]
    assert list(d["by_name"]) == ["a", "b"]
    assert [k for k, _ in d["by_id"]] == [1, 2]
    assert d["maybe"] == {"level": "LOW", "n": 0}


@pytest.mark.parametrize("mutate,path,needle", [
    (lambda d: d.pop("signed"), "$.signed", "missing field"),
    (lambda d: d.update(extra=1), "$.extra", "unknown field"),
    (lambda d: d.update(signed="0"), "$.signed", "expected an integer, got string"),
    (lambda d: d.update(signed=True), "$.signed", "expected an integer, got boolean"),
    (lambda d: d.update(signed=1.5), "$.signed", "expected an integer, got number"),
    (lambda d: d["paras"][1].update(status="MAYBE"), "$.paras[1].status", "'MAYBE' is not one of"),
    (lambda d: d["paras"][0].update(votes=None), "$.paras[0].votes", "expected an integer, got null"),
    (lambda d: d.update(paras={}), "$.paras", "expected an array"),
])
def test_decode_errors_name_the_field(mutate, path, needle):
    m = build("availability", "tiny")
    d = encode(next(iter(m.init())), AvailabilityState)
    mutate(d)
    with pytest.raises(CodecError) as e:
        decode(d, AvailabilityState)
    assert e.value.path == path
    assert needle in str(e.value)


def test_decode_rejects_duplicate_set_elements_and_map_keys():
    with pytest.raises(CodecError, match="twice"):
        decode([1, 1], frozenset[int])
    with pytest.raises(CodecError, match="twice"):
        decode([[1, 2], [1, 3]], dict[int, int])
    with pytest.raises(CodecError, match="2 elements"):
        decode([1], tuple[int, str])


# -- handlers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name,expected", [("SignBitfield", "sign_bitfield"), ("EndBlock", "end_block"),
                                           ("Block", "block"), ("ProcessUMPMessage", "process_ump_message"),
                                           ("Valid", "valid")])
def test_snake(name, expected):
    assert snake(name) == expected


def test_spine_handlers_are_declared_once_per_action_kind():
    assert set(HANDLERS["availability"]) == {"sign_bitfield", "end_block"}
    assert set(HANDLERS["inclusion"]) == {"collate", "statement", "drop", "bitfield", "block"}
    assert HANDLERS["inclusion"]["statement"].actions == (Second, Valid)
    for machine, hs in HANDLERS.items():
        classes = [c for h in hs.values() for c in h.actions]
        assert len(classes) == len(set(classes)), machine


def test_generic_handlers_for_an_undeclared_machine():
    from tests.toy import IncX, IncY

    hs = handlers_for("toy", [IncX, IncY])
    assert [(h.name, h.actions, h.generic) for h in hs] == [("inc_x", (IncX,), True), ("inc_y", (IncY,), True)]
    # a declared machine gets generic handlers only for the action kinds it leaves out
    extra = attrs.frozen(type("ExtraKind", (), {"__annotations__": {"x": int}}))
    names = [h.name for h in handlers_for("availability", [SignBitfield, EndBlock, extra])]
    assert names == ["end_block", "extra_kind", "sign_bitfield"]


def test_generic_shape_abstracts_integers_and_keeps_enums():
    m = build("inclusion", "tiny")
    s = next(iter(m.init()))
    assert generic_shape(m, s) == "(((IDLE,0,0),(IDLE,0,0)),(-,-),0,(0,0),(0,0))"


def test_every_machine_has_handlers(monkeypatch):
    from paraspec.checker.vectors.cases import explored_action_classes

    for name in MACHINES:
        m = build(name, None)
        hs = handlers_for(name, explored_action_classes(m))
        assert hs, name
        covered = {c for h in hs for c in h.actions}
        assert set(explored_action_classes(m)) <= covered
        _halted_lookup_is_the_full_explorations(monkeypatch, m, explored_action_classes(m))
    m = build("rescue", None, sorted(n for n, x in MUTANTS.items() if x.machine == "rescue")[0])  # a mutant's
    _halted_lookup_is_the_full_explorations(monkeypatch, m, explored_action_classes(m), unknown=True)


def _halted_lookup_is_the_full_explorations(monkeypatch, m, classes, unknown=False):
    """resolve_handler explores a machine not seen yet (a mutant's, in the adequacy measure and
    `paraspec adapter --mutant`) only until the action class of the handler asked for appears: it
    gives the handler the full bounded exploration gives; a name no class has is still an error
    naming the known handlers, and that exploration, run to its end, is kept as the full one."""
    from paraspec.checker.vectors import cases as cases_mod
    from paraspec.checker.vectors.cases import VectorError

    for h in handlers_for(m.name, classes):
        monkeypatch.setattr(cases_mod, "_ACTION_CLASSES", {})
        monkeypatch.setattr(cases_mod, "_FIRST_OF_NAME", {})
        assert cases_mod.resolve_handler(m, h.name) == h, (m.name, h.name)
        assert cases_mod._ACTION_CLASSES == {}
    if not unknown:
        return
    monkeypatch.setattr(cases_mod, "_ACTION_CLASSES", {})
    with pytest.raises(VectorError, match="has no handler 'no_such'"):
        cases_mod.resolve_handler(m, "no_such")
    assert cases_mod._ACTION_CLASSES == {(type(m), m.params): classes}


def test_a_machine_without_declarations_gets_generic_handlers_end_to_end(tmp_path, monkeypatch):
    """A machine that declares no handler, shape or sampling still gets a suite: one
    generic handler per action kind, the generic shape, and the reference adapter
    serves it."""
    from paraspec.checker.vectors.generate import Options, generate
    from paraspec.checker.vectors.runner import judge
    from paraspec.checker.vectors.serve import Reference
    from paraspec.checker.vectors.suite import load_suite
    from tests.toy import Toy

    monkeypatch.setitem(MACHINES, "toy", Toy)
    res = generate(tmp_path / "v", Options(machines=("toy",), presets=("tiny",)))
    cases = load_suite(tmp_path / "v")
    assert {c.handler for c in cases} == {"toy/inc_x", "toy/inc_y"}
    assert res.index["pools"]["tiny/toy"]["explorations"][0]["complete"]
    # 21 states in 3 shapes (x, y zero or positive, y <= x); every (shape, action kind) once
    shapes = {(c.data["shape"], c.data["input"]["action"]) for c in cases}
    assert len(shapes) == len(cases) == 6
    errs = [c for c in cases if "err" in c.data["output"]]
    assert errs and all(c.data["post_state"] == c.data["pre_state"] for c in errs)
    ref = Reference()
    for c in cases:
        raw = json.dumps(ref.answer(c.request())).encode()
        assert judge(c, raw)[0] == "pass", c.id
