"""Effect adequacy (issue 20): what a handler changes is changed by some case, so an
implementation that *forgets* an effect fails a case - not only the case made for the
mutant that forgets it.

Each "forgetful" adapter below is the reference adapter with one effect left out, written
on the JSON a client sees (not a mutant class of the model): votes never recorded, a
counter never advanced, a query's answer dropped. It runs on the suite without the
``mutant_*`` cases, and at least one case must fail."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest

from paraspec.checker.vectors.effects import answer_fields, case_effect, changed_fields
from paraspec.checker.vectors.generate import Options, generate
from paraspec.checker.vectors.runner import Status, run_cases
from paraspec.checker.vectors.suite import load_suite

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    out = tmp_path_factory.mktemp("effects") / "suite"
    generate(out, Options(machines=("availability", "paras"), presets=("tiny",), max_states=1500,
                          trace_limit=4000))
    return out


def forgetful(tmp_path: Path, body: str) -> str:
    """The reference adapter with ``forget(req, ans)`` applied to every answer."""
    script = tmp_path / "forgetful.py"
    head = (f"import json, sys\nsys.path.insert(0, {str(ROOT)!r})\n"
            "from paraspec.checker.registry import load_all\nfrom paraspec.checker.vectors.serve import Reference\n"
            "load_all()\nref = Reference()\n")
    loop = ("for line in sys.stdin:\n    req = json.loads(line)\n    ans = ref.answer(req)\n"
            "    if 'output' in ans and 'ok' in ans['output']:\n        forget(req, ans)\n"
            "    print(json.dumps(ans), flush=True)\n")
    script.write_text(head + textwrap.dedent(body).strip("\n") + "\n" + loop)
    return f"{sys.executable} {script}"


VOTES = '''
    def forget(req, ans):
        if req["handler"] == "availability/sign_bitfield":
            for p, q in zip(req["pre_state"]["paras"], ans["post_state"]["paras"]):
                q["votes"] = p["votes"]
'''
AGE = '''
    def forget(req, ans):
        if req["handler"] == "availability/end_block":
            for p, q in zip(req["pre_state"]["paras"], ans["post_state"]["paras"]):
                if p["status"] == q["status"] == "TO_BE_DETERMINED" and p["noted"] == q["noted"]:
                    q["age"] = p["age"]
'''
ANSWER = '''
    def forget(req, ans):
        if req["handler"] == "paras/validation_code_query":
            ans["output"]["ok"] = None
'''


@pytest.mark.parametrize("body, handler", [(VOTES, "availability/sign_bitfield"), (AGE, "availability/end_block"),
                                           (ANSWER, "paras/validation_code_query")], ids=["votes", "age", "answer"])
def test_a_forgetful_adapter_fails_a_case_that_is_not_its_mutants(suite, tmp_path, body, handler):
    cases = [c for c in load_suite(suite) if c.handler == handler and c.data["kind"] != "mutant"]
    assert cases
    results = run_cases(cases, forgetful(tmp_path, body), timeout=120)
    failed = [r for r in results if r.status == Status.FAIL]
    assert failed, f"an adapter that forgets an effect of {handler} passes all {len(cases)} of its cases"


def test_the_reference_itself_passes_those_cases(suite, tmp_path):
    cases = [c for c in load_suite(suite) if c.handler == "availability/sign_bitfield"]
    results = run_cases(cases, forgetful(tmp_path, "def forget(req, ans):\n    pass"), timeout=120)
    assert {r.status for r in results} == {Status.PASS}


def test_index_records_full_effect_coverage_per_handler(suite):
    index = json.loads((suite / "index.json").read_text())
    for key, h in index["handlers"].items():
        assert set(h["effects"]["changed_by_cases"]) == set(h["effects"]["fields"]), key
    for key, pool in index["pools"].items():
        eff = pool["rules_accepting_with_effect"]
        assert eff["without_effect"] == [] and eff["with_effect"] == eff["rules_accepting"] > 0, key
    votes = index["handlers"]["tiny/availability/sign_bitfield"]["effects"]["fields"]
    assert "paras[].votes" in votes
    assert "output.ok" in index["handlers"]["tiny/paras/validation_code_query"]["effects"]["fields"] or any(
        f.startswith("output.ok") for f in index["handlers"]["tiny/paras/validation_code_query"]["effects"]["fields"])


def test_changed_fields_generalizes_indices_and_names_answers():
    pre = {"paras": [{"votes": 0, "age": 1}, {"votes": 1, "age": 1}], "signed": 0}
    post = {"paras": [{"votes": 2, "age": 1}, {"votes": 1, "age": 2}], "signed": 1}
    assert changed_fields(pre, post) == {"paras[].votes", "paras[].age", "signed"}
    assert changed_fields(pre, pre) == set()
    assert changed_fields({"a": [1]}, {"a": [1, 2]}) == {"a"}
    assert answer_fields(None) == set()
    assert answer_fields({"group_of_core": [0, None]}) == {"output.ok.group_of_core[]"}
    assert case_effect(pre, {"output": {"err": "AV-4"}, "post_state": post}) == set()
    assert case_effect(pre, {"output": {"ok": None}, "post_state": post}) == {"paras[].votes", "paras[].age", "signed"}


def _files(out: Path) -> dict[str, bytes]:
    return {q.relative_to(out).as_posix(): q.read_bytes() for q in sorted(out.rglob("*")) if q.is_file()}


def test_a_preset_too_large_to_explore_is_sampled_deterministically_with_its_bounds_recorded(tmp_path):
    """``polkadot`` (1000 validators, 100 cores: 2**100 bitfields per validator and state) used to
    never finish; now the inputs per state and the transitions are bounded, the bounds are in
    index.json, and two runs under different hash seeds give the same bytes."""
    import os
    import subprocess

    outs = []
    for seed in ("1", "999"):
        out = tmp_path / f"s{seed}"
        p = subprocess.run([sys.executable, "-m", "paraspec", "vectors", "generate", "--out", str(out), "-q",
                            "--machine", "availability", "--preset", "polkadot", "--max-states", "100",
                            "--max-actions", "16", "--max-transitions-cut", "120"],
                           cwd=ROOT, env=dict(os.environ, PYTHONHASHSEED=seed), capture_output=True, text=True,
                           timeout=600)
        assert p.returncode in (0, 1), p.stdout + p.stderr  # 1: mutants the sample cannot tell apart
        assert "Traceback" not in p.stderr
        outs.append(out)
    a, b = (_files(o) for o in outs)
    assert a == b and len(a) > 5
    index = json.loads(a["index.json"])
    pool = index["pools"]["polkadot/availability"]
    assert pool["max_actions"] == 16 and pool["states_with_inputs_cut"] > 0
    assert index["options"]["max_transitions_cut"] == 120
    assert all(not e["complete"] for e in pool["explorations"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s1", "s999"]  # no temporary left beside them


def test_a_preset_some_machines_lack_generates_for_the_others(tmp_path, monkeypatch):
    """``--preset small`` used to be refused (and, for a machine that has it, crashed with a
    TypeError in the rule tracing); machines without it are now listed in index.json."""
    from paraspec.checker.vectors import generate as gen

    res = generate(tmp_path / "o", Options(machines=("availability", "approval"), presets=("trio",), max_states=200,
                                           trace_limit=3))  # few traced steps: positives come from the properties
    assert res.cases > 0
    assert res.index["machines_without_preset"] == {"trio": ["approval"]}
    assert all(not k.startswith("apr_") for k in res.mutation)  # no adequacy for a machine with no cases
    boom = RuntimeError("interrupted")

    def fail(*a, **k):
        raise boom

    monkeypatch.setattr(gen, "adequacy", fail)
    with pytest.raises(RuntimeError):
        generate(tmp_path / "p", Options(machines=("availability",), presets=("tiny",), max_states=200))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]  # a failed generation leaves nothing behind
