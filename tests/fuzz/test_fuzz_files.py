"""Channels 2 and 3: ITF trace files (``paraspec trace show|replay FILE``) and scenario files
(``paraspec run FILE``: machine playbooks of ``checker/scenario.py`` and runtime scenarios of
``checker/runtime_scenario.py``), each a real file made by the tool or shipped with it, mutated."""

from __future__ import annotations

import tempfile

from hypothesis import given
from hypothesis import strategies as st

from .harness import fuzz_settings, judge, known_collector, run_cli
from .strategies import mutated_file


def _run_file(channel: str, data: bytes, argv_head: list[str], argv_tail: list[str], suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/input{suffix}"
        with open(path, "wb") as f:
            f.write(data)
        argv = argv_head + [path] + argv_tail
        judge(channel, run_cli(argv), f"paraspec {' '.join(argv_head)} FILE {' '.join(argv_tail)}; "
                                      f"FILE = {data[:1500]!r}{'...' if len(data) > 1500 else ''}")


def test_fuzz_trace_files(seeds):
    @fuzz_settings(60, 2000)
    @given(st.sampled_from(seeds.traces).flatmap(mutated_file),
           st.sampled_from([["trace", "show"], ["trace", "show"], ["trace", "replay"]]),
           st.sampled_from([[], ["--full"]]))
    def one(data, head, tail):
        _run_file("trace", data, head, tail if head[1] == "show" else [], ".itf.json")

    with known_collector():
        one()


def test_fuzz_scenario_files(seeds):
    @fuzz_settings(60, 2000)
    @given(st.sampled_from(seeds.machine_scenarios + seeds.runtime_scenarios * 2).flatmap(mutated_file),
           st.sampled_from([[], ["--json"], ["--json", "--timing", "--compact"], ["--quiet"], ["--no-state", "--json"]]))
    def one(data, tail):
        _run_file("scenario", data, ["run"], tail, ".json")

    with known_collector():
        one()
