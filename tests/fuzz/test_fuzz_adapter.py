"""Channel 5: the adapter protocol, both ways.

* Requests: generated request lines (real requests of a generated suite, mutated; raw bytes, blank
  lines, CRLF, a missing final newline) on the stdin of ``paraspec adapter`` (in-process, stdin a strict
  UTF-8 text stream like the real one). Every non-blank line must get exactly one JSON object line.
  ``Reference.answer`` is also called directly with mutated requests: it must never raise and its
  answer must be writable as JSON.
* Responses: generated response lines judged by the runner (``checker.vectors.runner.judge``), and
  whole ``paraspec vectors run`` runs against a fake adapter that prints a generated response (which
  may be several lines, or not JSON, or huge) for every request.
"""

from __future__ import annotations

import io
import json
import shutil
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from .harness import call, fuzz_settings, judge, known_collector, run_cli
from .strategies import HOSTILE, _fresh, dumps, mutated_bytes, mutated_json


@st.composite
def request_stream(draw, requests: list[dict]) -> bytes:
    lines = []
    for _ in range(draw(st.integers(1, 4))):
        seed = draw(st.sampled_from(requests))
        doc = draw(mutated_json(seed)) if draw(st.integers(0, 5)) else seed
        line = draw(mutated_bytes(dumps(doc))).replace(b"\n", b" ")
        lines.append(line)
        if draw(st.integers(0, 9)) == 0:
            lines.append(draw(st.sampled_from([b"", b"   ", b"\t", b"\r"])))
    sep = draw(st.sampled_from([b"\n", b"\n", b"\r\n"]))
    return sep.join(lines) + (sep if draw(st.integers(0, 5)) else b"")


def _protocol_break(data: bytes, out: str) -> str | None:
    # the real stdin splits at "\n" only (not at \r, \x0b, \x85 ...); serve() skips blank lines
    expected = sum(1 for ln in data.split(b"\n") if ln.decode("utf-8", "replace").strip())
    got = out.split("\n")[:-1]
    if len(got) != expected or not out.endswith("\n") and expected:
        return f"protocol: {expected} request lines, {len(got)} response lines"
    for ln in got:
        try:
            if not isinstance(json.loads(ln), dict):
                return "protocol: a response line is not a JSON object"
        except ValueError:
            return "protocol: a response line is not JSON"
    return None


def test_fuzz_adapter_requests(seeds):
    @fuzz_settings(40, 700)
    @given(request_stream(seeds.requests), st.sampled_from([[], [], ["--mutant", "cfg_any_member"]]))
    def one(data, tail):
        stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="strict", newline="\n")
        o = run_cli(["adapter"] + tail, stdin)
        broken = _protocol_break(data, o.out) if o.exc is None and o.code == 0 else None
        judge("adapter", o, f"printf %s {data[:1500]!r} | paraspec adapter {' '.join(tail)}", broken)

    with known_collector():
        one()


def test_fuzz_reference_answer(seeds):
    from paraspec.checker.vectors.serve import Reference

    ref = Reference()

    @fuzz_settings(60, 800)
    @given(st.sampled_from(seeds.requests).flatmap(mutated_json) | st.sampled_from(HOSTILE).map(_fresh))
    def one(req):
        def answer():
            resp = ref.answer(req)
            line = json.dumps(resp, separators=(",", ":"))
            return 0 if isinstance(resp, dict) and "\n" not in line else 3

        judge("adapter", call(answer), f"Reference().answer({dumps(req)[:1500]})")

    with known_collector():
        one()


@st.composite
def response_bytes(draw, seed: dict) -> bytes:
    doc = draw(mutated_json(seed)) if draw(st.integers(0, 5)) else seed
    return draw(mutated_bytes(dumps(doc)))


def test_fuzz_runner_judges_responses(seeds):
    from paraspec.checker.vectors.runner import Status, judge as judge_response
    from paraspec.checker.vectors.suite import Case

    cases = [Case(rel, data, next(c for r, c in seeds.configs if r.rsplit("/", 1)[0] == rel.rsplit("/", 2)[0]))
             for rel, data in seeds.cases]
    seeds_resp = [{"id": c.id, **c.expected()} for c in cases]

    @fuzz_settings(60, 800)
    @given(st.integers(0, len(cases) - 1).flatmap(lambda i: st.tuples(st.just(i), response_bytes(seeds_resp[i]))))
    def one(pick):
        i, raw = pick
        raw = raw.replace(b"\n", b" ")

        def run():
            status, msg, in_sync = judge_response(cases[i], raw)
            ok = status in Status.ALL and isinstance(msg, str) and isinstance(in_sync, bool)
            return 0 if ok else 3

        judge("adapter", call(run), f"runner.judge(case {cases[i].id}, {raw[:1500]!r})")

    with known_collector():
        one()


def test_fuzz_runner_against_a_hostile_adapter(seeds):
    base = Path(tempfile.mkdtemp(prefix="fuzz-adapter-"))
    try:
        suite = base / "suite"
        for rel, case in seeds.cases[:3]:
            (suite / rel).parent.mkdir(parents=True, exist_ok=True)
            (suite / rel).write_text(json.dumps(case))
        for rel, cfg in seeds.configs:
            (suite / rel).parent.mkdir(parents=True, exist_ok=True)
            (suite / rel).write_text(json.dumps(cfg))
        first = seeds.cases[0][1]
        seed_resp = {"id": first["id"], "output": first["output"], "post_state": first["post_state"]}

        @fuzz_settings(25, 400)
        @given(st.lists(response_bytes(seed_resp), min_size=1, max_size=3),
               st.sampled_from([[], ["--junit", "{tmp}/r.xml", "--json", "{tmp}/r.json"], ["--verbose"]]))
        def one(responses, tail):
            with tempfile.TemporaryDirectory() as tmp:
                resp = Path(tmp) / "resp"
                resp.write_bytes(b"\n".join(responses) + b"\n")
                adapter = Path(tmp) / "adapter.sh"
                adapter.write_text(f'while IFS= read -r line; do cat "{resp}"; done\n')
                argv = ["vectors", "run", str(suite), "--adapter", f"sh {adapter}", "--timeout", "30"]
                argv += [a.replace("{tmp}", tmp) for a in tail]
                judge("adapter", run_cli(argv), f"paraspec vectors run SUITE --adapter A (A prints "
                                                f"{b'|'.join(responses)[:1500]!r} per request) {' '.join(tail)}")

        with known_collector():
            one()
    finally:
        shutil.rmtree(base, ignore_errors=True)
