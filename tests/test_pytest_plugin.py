"""The pytest plugin (checker/pytest_plugin.py) on a sample downstream project, run by ``pytester`` in a
subprocess (the plugin comes in through its ``pytest11`` entry point, as it would downstream)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

BIN = Path(sys.executable).parent

# A downstream machine of its own: a counter with a property that fails at x == 2.
DOWNSTREAM = '''
import attrs
from paraspec.model.core import Machine, register_machine, require
from paraspec.properties.core import always

@attrs.frozen
class Ctr:
    x: int = 0

@attrs.frozen
class Inc:
    pass

@register_machine
class Counter(Machine):
    """counts to 3"""
    name = "downstream_counter"
    deadlock_is_error = False
    def init(self):
        yield Ctr()
    def actions(self, s):
        yield Inc()
    def step(self, s, a):
        require(s.x < 3, "DS-1", "at the limit")
        return attrs.evolve(s, x=s.x + 1)

@always("downstream_counter", ["DS-1"], witness=lambda m, s: s.x == 1)
def below_three(m, s):
    """x stays at most 3"""
    return s.x <= 3

@always("downstream_counter", ["DS-2"], witness=lambda m, s: s.x == 1)
def never_two(m, s):
    """x never reaches 2 (wrong on purpose)"""
    return s.x != 2
'''


def _run(pytester, *args):
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist", *args, timeout=300)


def test_fixture_passing_and_violated(pytester):
    pytester.makeconftest(DOWNSTREAM)
    pytester.makepyfile(test_down=textwrap.dedent('''
        import pytest
        from paraspec.checker.pytest_plugin import paraspec_properties

        def test_configuration_holds(paraspec):
            r = paraspec.check("configuration", preset="tiny")
            assert r.states == 301

        def test_mutant_is_caught(paraspec):
            paraspec.check("configuration", mutant="cfg_any_member")

        @pytest.mark.parametrize("prop", paraspec_properties("downstream_counter"))
        def test_counter(paraspec, prop):
            paraspec.check("downstream_counter", property=prop)
    '''))
    res = _run(pytester, "-v")
    res.assert_outcomes(passed=3, failed=1)
    out = res.stdout.str()
    assert "test_counter[below_three] PASSED" in out
    assert "test_counter[never_two] FAILED" in out
    # the failure names the property, its rule and why, and renders the counterexample step by step
    assert "downstream_counter.never_two (DS-2): violated" in out
    assert "counterexample (2 step(s)):" in out
    assert "State 2  <- Inc" in out and "x = 2" in out


def test_toml_one_item_per_property(pytester):
    pytester.makeconftest(DOWNSTREAM)
    pytester.makefile(".toml", paraspec=textwrap.dedent('''
        [[check]]
        machine = "downstream_counter"

        [[check]]
        machine = "configuration"
        mutant = "cfg_any_member"
    '''))
    res = _run(pytester, "-v")
    out = res.stdout.str()
    assert "paraspec.toml::downstream_counter::below_three PASSED" in out
    assert "paraspec.toml::downstream_counter::never_two FAILED" in out
    assert "paraspec.toml::configuration[cfg_any_member]::" in out
    n_cfg = out.count("paraspec.toml::configuration[cfg_any_member]::")
    res.assert_outcomes(passed=1 + n_cfg, failed=1)
    assert "State 1  <- Inc" in out and "(DS-2): violated" in out


def test_toml_bad_machine_is_a_collection_error(pytester):
    pytester.makefile(".toml", paraspec='[[check]]\nmachine = "nosuch"\n')
    res = _run(pytester)
    assert res.ret != 0
    assert "check[0]: unknown machine 'nosuch'" in res.stdout.str()


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    out = tmp_path_factory.mktemp("v") / "v"
    subprocess.run([str(BIN / "paraspec"), "vectors", "generate", "--out", str(out), "--machine", "configuration",
                    "--quiet"], check=True, timeout=300, capture_output=True)
    return out


def test_vector_replay(pytester, suite):
    good = f"{BIN / 'paraspec'} adapter"
    # an adapter that answers every request wrongly (an empty post-state)
    pytester.makepyfile(bad_adapter=textwrap.dedent('''
        import json, sys
        for line in sys.stdin:
            req = json.loads(line)
            print(json.dumps({"id": req["id"], "output": {"ok": None}, "post_state": {}}), flush=True)
    '''))
    bad = f"{sys.executable} bad_adapter.py"
    n_cases = len([p for p in (suite / "tiny" / "configuration").rglob("*.json") if p.name != "config.json"])
    assert n_cases > 0
    pytester.makepyfile(test_vec=textwrap.dedent(f'''
        def test_good(paraspec):
            results = paraspec.replay({str(suite)!r}, {good!r})
            assert len(results) == {n_cases}

        def test_bad(paraspec):
            paraspec.replay({str(suite)!r}, {bad!r})
    '''))
    pytester.makefile(".toml", paraspec=f'[[vectors]]\ndir = {str(suite)!r}\nadapter = {good!r}\n')
    res = _run(pytester, "-v")
    out = res.stdout.str()
    assert "paraspec.toml::vectors:configuration/set_configuration PASSED" in out
    assert "paraspec.toml::vectors:configuration/config_session_change PASSED" in out
    res.assert_outcomes(passed=3, failed=1)
    assert "vector case(s) fail" in out and "FAIL tiny/configuration/" in out
