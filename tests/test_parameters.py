"""Parameters mean what they say.

For every machine and every numeric parameter it declares, a changed value either
changes what is explored (the states and transitions reached, the rules that reject, the
answers reported), or is refused with a usage error (exit 2) that names the machine's
parameters. Nothing is clamped or remapped silently, and every report carries the
values used.
"""

from __future__ import annotations

import functools
import json
import re
from collections import deque

import attrs
import pytest

from paraspec.checker.cli import main
from paraspec.checker.fingerprint import fingerprint
from paraspec.checker.registry import UsageError, build, get_machine_class, load_all, machine_names
from paraspec.model.core import Rejected

load_all()

#: states explored per configuration: enough for every parameter below to show
LIMIT = 6000
RULE = re.compile(r"\([A-Z]{2,4}-D?\d+\)")


def _numeric(cls) -> list[str]:
    fields = {f.name: f for f in attrs.fields(cls.Params)}
    return [n for n in cls.parameter_names() if fields[n].type in (int, "int")]


CASES = [(m, p) for m in machine_names() for p in _numeric(get_machine_class(m))]


def _explore(machine, limit: int = LIMIT) -> frozenset:
    """What a bounded breadth-first exploration sees: the initial states, the states,
    the accepted transitions with their answers, and the rejections with their rules."""
    seen: dict[int, None] = {}
    seen_things: set = set()
    frontier = deque()
    for s in machine.init():
        fp = fingerprint(s)
        seen_things.add(("init", fp))
        if fp not in seen:
            seen[fp] = None
            frontier.append(s)
            seen_things.add(("state", fp))
    while frontier and len(seen) < limit:
        s = frontier.popleft()
        sf = fingerprint(s)
        for _, a, nxt in machine.successors(s):
            if isinstance(nxt, Rejected):
                seen_things.add(("rejected", sf, fingerprint(a), nxt.rule_id))
                continue
            nf = fingerprint(nxt)
            seen_things.add(("step", sf, fingerprint(a), nf, fingerprint(machine.answer(s, a, nxt))))
            if nf not in seen:
                seen[nf] = None
                seen_things.add(("state", nf))
                frontier.append(nxt)
    return frozenset(seen_things)


@functools.lru_cache(maxsize=None)
def _explore_built(machine: str, overrides: tuple, limit: int) -> frozenset:
    """:func:`_explore` of a machine on its default preset, once per configuration."""
    return _explore(build(machine, overrides=dict(overrides) or None), limit)


def _variants(value: int) -> list[int]:
    return [value + 1, value - 1] if value > 0 else [value + 1]


@pytest.mark.parametrize("machine,param", CASES, ids=[f"{m}.{p}" for m, p in CASES])
def test_a_changed_parameter_changes_the_exploration_or_is_refused(machine, param):
    cls = get_machine_class(machine)
    # a parameter read only under one reading is varied under that reading
    reading = dict([cls.parameter_conditions[param]]) if param in cls.parameter_conditions else {}
    base = build(machine, overrides=reading or None)
    value = getattr(base.params, param)
    base_seen = _explore_built(machine, tuple(reading.items()), LIMIT)
    outcomes = []
    for v in _variants(value):
        try:
            m = build(machine, overrides={**reading, param: v})
        except UsageError as e:  # refused: one line naming the machine and the rule it breaks
            assert machine in str(e) and "\n" not in str(e) and RULE.search(str(e)), str(e)
            outcomes.append((v, "refused"))
            continue
        assert getattr(m.params, param) == v, "the value used is the value given"
        assert m.parameter_values()[param] == v
        same = _explore(m) == base_seen
        if same:  # a bound's effect can lie deeper than the first LIMIT states: look further once
            same = _explore(m, 10 * LIMIT) == _explore_built(machine, tuple(reading.items()), 10 * LIMIT)
        outcomes.append((v, "same" if same else "changed"))
    # the parameter is wired in: some value changes the exploration (a value between
    # two explored inputs, such as a size limit between the offered sizes, may not), or
    # every value tried is refused
    assert any(o == "changed" for _, o in outcomes) or all(o == "refused" for _, o in outcomes), (
        f"{machine}: setting {param} (default {value}) changes nothing explored: {outcomes}")


def test_a_conditional_parameter_is_refused_outside_its_reading():
    for name in machine_names():
        cls = get_machine_class(name)
        for param, (field, value) in cls.parameter_conditions.items():
            base = build(name)
            if getattr(base.params, field) == value:
                continue
            with pytest.raises(UsageError, match=f"reads it only when {field}={value}"):
                build(name, overrides={param: getattr(base.params, param) + 1})


def test_a_field_the_machine_does_not_read_is_refused(capsys):
    for name in machine_names():
        cls = get_machine_class(name)
        with pytest.raises(UsageError) as e:
            build(name, overrides={"no_such_parameter": 1})
        assert "its parameters:" in str(e.value)
        for p in cls.parameter_names():
            assert p in str(e.value)


def test_an_unknown_preset_is_refused_not_remapped(capsys):
    for name in machine_names():
        cls = get_machine_class(name)
        assert cls.default_preset in cls.presets
        for preset, params in cls.presets.items():
            assert isinstance(params, cls.Params), (name, preset)
            assert params.name == preset, (name, preset)
        assert main(["check", name, "--preset", "no_such_preset"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "no_such_preset" in err
        assert f"the presets of {name}: {', '.join(cls.presets)}" in err
        with pytest.raises(UsageError, match=f"its presets: {', '.join(cls.presets)}"):
            build(name, "no_such_preset")
    # a preset one selected machine lacks is refused for the run, not skipped or remapped
    assert main(["check", "halts", "disputes", "--preset", "small"]) == 2
    assert "not a preset of disputes" in capsys.readouterr().err


def test_disputes_honours_seven_validators(tmp_path):
    out = tmp_path / "r.json"
    assert main(["check", "disputes", "--set", "n_validators=7", "--max-states", "3000", "--json", str(out),
                 "-q"]) in (0, 1)
    (r,) = json.loads(out.read_text())["results"]
    assert r["parameters"]["n_validators"] == 7 and r["parameters"]["preset"] == "tiny"
    assert build("disputes", overrides={"n_validators": 7}).params.n_validators == 7


def test_reports_and_traces_record_the_parameters(tmp_path):
    from paraspec.checker import itf

    report, junit, traces = tmp_path / "r.json", tmp_path / "r.xml", tmp_path / "t"
    rc = main(["check", "availability", "--preset", "trio", "--set", "max_candidates=1", "--mutant",
               "av_threshold_half", "--json", str(report), "--junit", str(junit), "--trace-dir", str(traces), "-q"])
    assert rc == 1
    (r,) = json.loads(report.read_text())["results"]
    assert r["parameters"]["preset"] == "trio" and r["parameters"]["max_candidates"] == 1
    assert r["parameters"]["n_validators"] == 3
    assert 'name="param.max_candidates" value="1"' in junit.read_text()
    files = sorted(traces.glob("*.itf.json"))
    assert files
    meta = json.loads(files[0].read_text())["#meta"]
    assert meta["parameters"]["max_candidates"] == 1 and meta["overrides"] == {"max_candidates": 1}
    assert itf.load(files[0]).meta["parameters"]["n_validators"] == 3
