"""Seeds of the fuzzing suite (valid inputs made by the real tool) and its end-of-session counts.

Counts of inputs tried, crashes and hangs per channel are written to ``out/fuzz-counts.json`` (or
``$PARASPEC_FUZZ_REPORT``) and printed at the end of the session.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from . import harness

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "checker" / "scenarios"


class Seeds:
    def __init__(self, root: Path):
        self.root = root
        self.traces: list[dict] = []
        self.machine_scenarios: list[dict] = []
        self.runtime_scenarios: list[dict] = []
        self.suite: Path = root / "suite"
        self.cases: list[tuple[str, dict]] = []  # (path relative to the suite, case)
        self.configs: list[tuple[str, dict]] = []
        self.requests: list[dict] = []


@pytest.fixture(scope="session")
def seeds(tmp_path_factory) -> Seeds:
    from paraspec.checker.cli import main
    from paraspec.checker.vectors.generate import Options, generate
    from paraspec.checker.vectors.suite import load_suite

    s = Seeds(tmp_path_factory.mktemp("fuzz-seeds"))
    tdir = s.root / "traces"
    for machine, mutant in (("availability", "av_no_signature_check"), ("halts", None)):
        argv = ["check", machine, "--trace-dir", str(tdir), "--quiet", "--max-states", "3000"]
        if mutant:
            argv += ["--mutant", mutant]
        main(argv)
    s.traces = [json.loads(p.read_text()) for p in sorted(tdir.glob("*.itf.json"))][:6]
    assert s.traces, "no seed trace was written"
    s.machine_scenarios = [json.loads(p.read_text()) for p in sorted(SCENARIOS.glob("*.json"))]
    s.runtime_scenarios = [json.loads(p.read_text()) for p in sorted((SCENARIOS / "runtime").glob("*.json"))
                           if "polkadot" not in p.name]
    generate(s.suite, Options(machines=("configuration",), presets=("tiny",), max_states=50, per_shape=1))
    cases = load_suite(s.suite)
    for c in cases[:: max(1, len(cases) // 6)][:6]:
        s.cases.append((c.path, c.data))
        s.requests.append(c.request())
    s.configs = [(str(p.relative_to(s.suite)), json.loads(p.read_text())) for p in sorted(s.suite.glob("*/*/config.json"))]
    return s


def pytest_sessionfinish(session, exitstatus):
    if not harness.TRIED:
        return
    path = Path(os.environ.get("PARASPEC_FUZZ_REPORT", ROOT / "out" / "fuzz-counts.json"))
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:  # under xdist each worker writes its own counts
        path = path.with_name(f"{path.stem}.{worker}{path.suffix}")
    try:
        data = harness.write_summary(path)
    except OSError:
        return
    session.config._fuzz_summary = (path, data)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    path, data = getattr(config, "_fuzz_summary", (None, None))
    if data is None:
        return
    tr = terminalreporter
    tr.section("fuzz")
    for ch, row in data["channels"].items():
        tr.write_line(f"{ch:10} tried {row['tried']:6}  crashes {row['crashes']:5}  hangs {row['hangs']:3}")
    t = data["total"]
    tr.write_line(f"{'total':10} tried {t['tried']:6}  crashes {t['crashes']:5}  hangs {t['hangs']:3}   ({path})")
    for sig in data["sites"]:
        tr.write_line(f"  site {sig}")
