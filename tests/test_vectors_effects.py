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
