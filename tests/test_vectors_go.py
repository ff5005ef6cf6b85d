"""The Go adapter (issue 20, item 6): a second implementation of the ``runtime`` suite,
written in Go from docs/vectors.md, the schemas and docs/vectors-mapping.md, builds with
the standard library alone and answers every case of a small runtime suite as the
reference does. The adapter tests are skipped where ``go`` is not installed (``.ci/run``
installs it).

The suite here is made cheaply: seeded random walks of relay blocks through the reference
model (``paraspec vectors generate --machine runtime`` takes minutes; ``make vectors`` runs
the adapter on the whole generated suite)."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from paraspec.checker.registry import build, load_all
from paraspec.checker.vectors.cases import FORMAT, config_json, dump, encode_input, encode_state, execute
from paraspec.checker.vectors.runner import Status, run_cases
from paraspec.checker.vectors.suite import load_suite
from paraspec.model.handlers import handlers_for

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "examples" / "adapters" / "go"



def write_walks(out: Path, walks: int = 40, depth: int = 6, seed: int = 7, reading: str = "seed") -> int:
    """Cases from seeded random walks of the ``runtime`` machine at ``tiny`` under ``reading``: each
    step is a case (accepted or rejected) with the reference answer; a walk goes on from accepted steps."""
    load_all()
    m = build("runtime", "tiny", overrides={"reading": reading})
    base = out / "tiny" / "runtime"
    (base / "relay_block").mkdir(parents=True)
    (base / "config.json").write_text(dump(config_json(m)))
    rng = random.Random(seed)
    inits = list(m.init())
    n = 0
    for _ in range(walks):
        s = rng.choice(inits)
        for _ in range(depth):
            actions = list(m.actions(s))
            if not actions:  # the machine's last explored block
                break
            a = actions[rng.randrange(len(actions))]
            h = handlers_for("runtime", [type(a)])[0]
            answer = execute(h, m, s, a)
            name = f"walk_{n:03d}"
            case = {"format": FORMAT, "id": f"tiny/{h.qualified}/{name}", "machine": "runtime",
                    "handler": h.qualified, "preset": "tiny", "kind": "coverage", "shape": "random walk",
                    "description": f"step {n} of a seeded random walk", "rules": [],
                    "pre_state": encode_state(m, s), "input": encode_input(a), **answer}
            (base / "relay_block" / f"{name}.json").write_text(dump(case))
            n += 1
            if "ok" in answer["output"]:
                s = h.run(m, s, a)
    return n


@pytest.fixture(scope="module")
def adapter(tmp_path_factory) -> str:
    if shutil.which("go") is None:
        pytest.skip("go is not installed (apt-get install golang-go)")
    tmp = tmp_path_factory.mktemp("goadapter")
    env = dict(os.environ, GOFLAGS="-mod=mod", GOPROXY="off", GO111MODULE="on")
    env.setdefault("GOCACHE", str(tmp / "cache"))
    exe = tmp / "adapter"
    p = subprocess.run(["go", "build", "-o", str(exe), "."], cwd=SOURCE, env=env, capture_output=True, text=True,
                       timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    return str(exe)


@pytest.fixture(scope="module")
def walks(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("walks")
    write_walks(out)
    return out


@pytest.fixture(scope="module")
def sdk_walks(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sdk_walks")
    write_walks(out, reading="sdk", seed=11)
    return out


@pytest.mark.parametrize("reading", ["seed", "sdk"])
def test_the_go_adapter_passes_every_case_of_a_runtime_suite(adapter, walks, sdk_walks, reading):
    cases = load_suite(walks if reading == "seed" else sdk_walks)
    assert {c.config["reading"] for c in cases} == {reading}
    assert len(cases) >= 150
    kinds = {json.dumps(e.split(":")[0]) for c in cases for e in c.data["post_state"]["events"]}
    assert {'"enacted"', '"timed_out"', '"session_change"', '"call"'} <= kinds  # the walks reach deep blocks
    # and disputes in the inherent (INC-32, INC-33): opened, concluded, the chain reverted
    assert {'"dispute_initiated"', '"dispute_concluded"', '"revert"'} <= kinds
    assert {"INC-32", "DSP-9"} <= {c.data["output"].get("err") for c in cases}
    assert any("err" in c.data["output"] for c in cases)
    results = run_cases(cases, adapter, timeout=120)
    bad = [(r.id, r.message) for r in results if r.status != Status.PASS]
    assert not bad, bad[:3]


def test_a_wrong_expectation_fails_with_the_first_difference(adapter, walks, tmp_path):
    """The comparison is real: one case whose expected post-state is altered (an availability
    vote the block never cast) fails, and the report names the field."""
    out = tmp_path / "suite"
    shutil.copytree(walks, out)
    for path in sorted((out / "tiny" / "runtime" / "relay_block").glob("*.json")):
        case = json.loads(path.read_text())
        pending = case["post_state"]["inclusion"]["pending"]
        if "ok" in case["output"] and pending:
            pending[0][1]["votes"] ^= 1
            path.write_text(dump(case))
            break
    else:
        pytest.fail("no accepted case leaves a candidate pending")
    results = run_cases(load_suite(out), adapter, timeout=120)
    failed = [r for r in results if r.status == Status.FAIL]
    assert len(failed) == 1
    assert "post_state.inclusion.pending[0][1].votes" in failed[0].message


def test_other_handlers_are_unsupported(adapter, tmp_path):
    req = {"id": "tiny/availability/end_block/x", "handler": "availability/end_block", "config": {},
           "pre_state": {}, "input": {"action": "EndBlock", "args": {}}}
    p = subprocess.run([adapter], input=json.dumps(req) + "\nnot json\n", capture_output=True, text=True, timeout=120)
    lines = [json.loads(x) for x in p.stdout.splitlines()]
    assert p.returncode == 0 and len(lines) == 2
    assert lines[0]["id"] == req["id"] and "unsupported" in lines[0]
    assert "error" in lines[1]


def test_a_record_schema_carries_its_whole_docstring():
    """What ``signers: null`` means was in the second paragraph of BackedCandidate's docstring,
    which the schema used to drop: the Go adapter had to guess it."""
    schema = json.loads((ROOT / "checker" / "schemas" / "runtime.relay_block.schema.json").read_text())
    assert "the backers themselves" in schema["$defs"]["BackedCandidate"]["description"]
