"""ITF traces: writing, reading back (ours and Quint's), and clear errors on malformed files."""

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paraspec.checker import itf
from paraspec.checker.explicit import Checker
from paraspec.checker.results import Verdict
from paraspec.checker.registry import build, properties_of

DATA = Path(__file__).parent / "data"


def counterexample():
    m = build("availability", None, "av_timeout_off_by_one")
    props = [p for p in properties_of("availability") if p.name == "undetermined_within_timeout"]
    r = Checker(m).with_properties(props).with_stop_on_violation().run()
    assert r.properties[0].verdict == Verdict.VIOLATED
    return m, r.properties[0].trace


def test_written_trace_has_itf_shape(tmp_path):
    m, tr = counterexample()
    path = itf.write(tr, tmp_path / "t.itf.json", m.view)
    obj = json.loads(path.read_text())
    assert obj["vars"] == ["paras", "signed", "mbt::actionTaken", "mbt::nondetPicks"]
    assert obj["#meta"]["machine"] == "availability" and obj["#meta"]["mutant"] == "av_timeout_off_by_one"
    assert [s["#meta"]["index"] for s in obj["states"]] == list(range(len(tr.states)))
    assert obj["states"][0]["mbt::actionTaken"] == "init"
    assert obj["states"][1]["mbt::actionTaken"] == "EndBlock"
    assert obj["states"][1]["mbt::nondetPicks"] == {"note": {"#bigint": "1"}}
    assert obj["states"][0]["signed"] == {"#bigint": "0"}
    assert not list(tmp_path.glob("*.tmp"))


def test_round_trip(tmp_path):
    m, tr = counterexample()
    path = itf.write(tr, tmp_path / "t.itf.json", m.view)
    back = itf.load(path)
    assert len(back.states) == len(tr.states)
    last = back.states[-1]
    assert last["paras"][0]["status"] == "TO_BE_DETERMINED"
    assert last["paras"][0]["age"] == m.config.chain_availability_period


def test_reads_quint_trace():
    tr = itf.load(DATA / "quint_sample.itf.json")
    assert tr.vars[:2] == ("cores", "votes")
    assert tr.loop == 0
    s1 = tr.states[1]
    assert s1["cores"][0] == {"tag": "Occupied", "value": {"age": 0}}
    assert s1["votes"] == frozenset({(0, 2)})
    assert s1["mbt::nondetPicks"]["v"] == {"tag": "Some", "value": 2}


@given(st.recursive(
    st.integers(-(2**70), 2**70) | st.booleans() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.frozensets(st.integers(0, 9), max_size=3).map(frozenset)
    | st.dictionaries(st.text("abc", min_size=1, max_size=3), inner, max_size=3),
    max_leaves=10))
def test_value_encoding_round_trips(v):
    back = itf.decode_value(json.loads(json.dumps(itf.encode_value(v))))
    assert back == v
    assert type(back) is type(v)


@pytest.mark.parametrize("text,where", [
    ("not json", "not JSON"),
    ("[1, 2]", "$"),
    ('{"vars": ["x"]}', "$.states"),
    ('{"vars": "x", "states": []}', "$.vars"),
    ('{"vars": ["x"], "states": [{"y": 1}]}', "$.states[0].x"),
    ('{"vars": ["x"], "states": [{"x": {"#bigint": "12a"}}]}', "$.states[0].x"),
    ('{"vars": ["x"], "states": [{"x": {"#foo": 1}}]}', "$.states[0].x"),
    ('{"vars": ["x"], "states": [{"x": 1.5}]}', "$.states[0].x"),
    ('{"vars": ["x"], "states": [{"x": {"#map": [[1]]}}]}', "$.states[0].x.#map[0]"),
    ('{"vars": ["x"], "states": [{"x": 1}], "loop": 3}', "$.loop"),
])
def test_malformed_files_name_the_field(tmp_path, text, where):
    p = tmp_path / "bad.itf.json"
    p.write_text(text)
    with pytest.raises(itf.ItfError) as e:
        itf.load(p)
    msg = str(e.value)
    assert str(p) in msg and where in msg and "\n" not in msg
