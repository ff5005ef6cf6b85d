"""Hostile input on every channel: each reproducer of issue 17 (defects 4, 5 and 6, and the
size limits) as a regression test, and Hypothesis strategies that mutate a valid file of
each channel (ITF trace, runtime scenario and machine playbook, vector case, ``config.json``,
adapter response, adapter request) and run it through the real entry point, in-process
(``paraspec.checker.cli.main``): the exit code is 0, 1 or 2, no exception escapes, and an
exit 2 is one line on stderr.

The limits themselves live in ``checker/limits.py`` and are listed in ``docs/limits.md``.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import re
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paraspec.checker import limits
from paraspec.checker.cli import main

ROOT = Path(__file__).resolve().parent.parent

FUZZ = settings(max_examples=25, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])


def cli(*argv: str, stdin: bytes | None = None, collapse: bool = True) -> tuple[int, str, str]:
    """``paraspec ARGV`` in-process: (exit code, stdout, stderr). An exception escapes.
    ``collapse``: stdout with every run of white space made one space (rich wraps long lines)."""
    out, err = io.StringIO(), io.StringIO()
    old_in = sys.stdin
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(argv))
    finally:
        sys.stdin = old_in
    return code, " ".join(out.getvalue().split()) if collapse else out.getvalue(), err.getvalue()


def assert_well_behaved(code: int, out: str, err: str) -> None:
    assert code in (0, 1, 2), (code, err[-2000:])
    assert "Traceback" not in err and "Traceback" not in out
    if code == 2:
        assert err.endswith("\n") and err.count("\n") == 1 and err.startswith("paraspec: error: "), err[-2000:]


# -- valid files of each channel -------------------------------------------------------------------

_NOTE0 = {"status": "NO_CANDIDATE", "votes": {"#bigint": "0"}, "age": {"#bigint": "0"}, "noted": {"#bigint": "0"},
          "enacted": {"#bigint": "0"}, "timed_out": {"#bigint": "0"}}


def itf_trace() -> dict:
    """A paraspec ITF trace (availability, mutant av_no_signature_check: a forged bitfield accepted)."""
    para = dict(_NOTE0)
    return {
        "#meta": {"format": "ITF", "source": "paraspec", "machine": "availability", "preset": "tiny",
                  "description": "forged bitfield", "mutant": "av_no_signature_check",
                  "parameters": {"preset": "tiny", "n_validators": 4}},
        "vars": ["paras", "signed", "mbt::actionTaken", "mbt::nondetPicks"],
        "states": [
            {"#meta": {"index": 0}, "paras": [para, para], "signed": {"#bigint": "0"},
             "mbt::actionTaken": "init", "mbt::nondetPicks": {}},
            {"#meta": {"index": 1}, "paras": [para, para], "signed": {"#bigint": "1"},
             "mbt::actionTaken": "SignBitfield",
             "mbt::nondetPicks": {"validator": {"#bigint": "0"}, "bits": {"#bigint": "0"},
                                  "length": {"#bigint": "2"}, "signer": {"#bigint": "1"}}},
        ],
    }


def itf_rejected_trace() -> dict:
    """A one-state trace whose final (rejected) input is in ``#meta.rejected``."""
    t = itf_trace()
    t["states"] = t["states"][:1]
    del t["#meta"]["mutant"]
    t["#meta"]["rejected"] = {"action": "SignBitfield", "rule": "AV-4", "reason": "forged",
                              "args": {"validator": {"#bigint": "0"}, "bits": {"#bigint": "0"},
                                       "length": {"#bigint": "2"}, "signer": {"#bigint": "1"}}}
    return t


def runtime_scenario() -> dict:
    return {"description": "tiny", "preset": "tiny", "genesis": {"validators": 4, "random_seed": 1},
            "blocks": [
                {"backed_candidates": [{"para": 0, "head": 1, "backers": "group"}], "expect": "ok"},
                {"bitfields": [{"validators": "all", "bits": "10"}], "repeat": 2},
                {"bitfields": [{"validators": {"range": [0, 2]}, "bits": [0], "length": 2}]},
                {"session_change": {"validators": [0, 1, 2, 3], "random_seed": 3}},
            ]}


def playbook() -> dict:
    return json.loads((ROOT / "checker" / "scenarios" / "halts_A.json").read_text())


CONFIG = {"preset": "trio", "n_validators": 3, "n_parachains": 2, "chain_availability_period": 2,
          "free_core_bit": "disregard", "max_candidates": 2}
_PARA = {"status": "NO_CANDIDATE", "votes": 0, "age": 0, "noted": 0, "enacted": 0, "timed_out": 0}
CASE = {"format": "paraspec-vector/1", "id": "trio/availability/end_block/cover_000", "machine": "availability",
        "handler": "availability/end_block", "preset": "trio", "kind": "coverage", "shape": "paras=none",
        "description": "EndBlock(note=0) is accepted", "rules": ["AV-6"],
        "pre_state": {"paras": [_PARA, _PARA], "signed": 0}, "input": {"action": "EndBlock", "args": {"note": 0}},
        "output": {"ok": None}, "post_state": {"paras": [_PARA, _PARA], "signed": 0}}
RESPONSE = {"id": CASE["id"], "output": {"ok": None}, "post_state": CASE["post_state"]}
REQUEST = {"id": "r", "handler": "availability/end_block", "config": CONFIG, "pre_state": CASE["pre_state"],
           "input": CASE["input"]}


def write_suite(root: Path, case: bytes | dict = CASE, config: bytes | dict = CONFIG, name: str = "cover_000") -> Path:
    d = root / "trio" / "availability" / "end_block"
    d.mkdir(parents=True, exist_ok=True)
    for path, body in ((d / f"{name}.json", case), (root / "trio" / "availability" / "config.json", config)):
        path.write_bytes(body if isinstance(body, bytes) else json.dumps(body).encode())
    return root


def scripted_adapter(tmp: Path, lines: dict[str, bytes] | list[bytes]) -> str:
    """An adapter command answering the request of case id ``k`` with ``lines[k]`` (a list:
    every request with its first line); it needs no paraspec, so it starts fast."""
    if isinstance(lines, list):
        lines = {"": lines[0]}
    data = tmp / "responses.json"
    data.write_text(json.dumps({k: v.hex() for k, v in lines.items()}))
    script = tmp / "scripted_adapter.py"
    script.write_text(
        "import json, sys\n"
        f"lines = {{k: bytes.fromhex(v) for k, v in json.load(open({str(data)!r})).items()}}\n"
        "for req in sys.stdin.buffer:\n"
        "    rid = json.loads(req).get('id')\n"
        "    sys.stdout.buffer.write(lines.get(rid, lines.get('')) + b'\\n'); sys.stdout.buffer.flush()\n")
    return f"{sys.executable} -S -I {script}"


def echo_adapter(tmp: Path) -> str:
    """An adapter that answers every request with its pre-state unchanged."""
    script = tmp / "echo_adapter.py"
    script.write_text(
        "import json, sys\n"
        "for line in sys.stdin:\n"
        "    r = json.loads(line)\n"
        "    print(json.dumps({'id': r['id'], 'output': {'ok': None}, 'post_state': r['pre_state']}), flush=True)\n")
    return f"{sys.executable} -S -I {script}"


def _mutated(base: dict, fn) -> dict:
    t = copy.deepcopy(base)
    fn(t)
    return t


def dump(obj) -> bytes:
    return json.dumps(obj).encode()


# -- regressions: defect 4 (encodings and sizes) ---------------------------------------------------

BIG = b"1" * 5000
DEEP = b"[" * 100_000 + b"]" * 100_000
NON_UTF8 = '"d\udcffe"'  # a description holding the byte 0xff once encoded with surrogateescape


def with_raw(obj, marker: str, raw: bytes) -> bytes:
    return json.dumps(obj).encode().replace(json.dumps(marker).encode(), raw, 1)


def non_utf8(obj) -> bytes:
    return json.dumps(obj).encode().replace(b'"tiny"', b'"ti\xffny"', 1).replace(b'"trio"', b'"tr\xffio"', 1)


@pytest.mark.parametrize("command", ["show", "replay"])
@pytest.mark.parametrize("body,needle", [
    (non_utf8(itf_trace()), "not UTF-8: byte 0xff at offset"),
    (with_raw(itf_trace(), "forged bitfield", BIG), "an integer of 5000 digits"),
    (with_raw(itf_trace(), "forged bitfield", DEEP), "nested deeper than 64"),
    (with_raw(_mutated(itf_trace(), lambda t: t["states"][1].update(signed="@")), "@",
              b'{"#bigint": "' + BIG + b'"}'), "$.states[1].signed: #bigint of 5000 characters"),
])
def test_trace_encoding_and_size(tmp_path, command, body, needle):
    p = tmp_path / "t.itf.json"
    p.write_bytes(body)
    code, out, err = cli("trace", command, str(p))
    assert code == 2 and needle in err and str(p) in err
    assert_well_behaved(code, out, err)


@pytest.mark.parametrize("doc,needle", [
    (with_raw(runtime_scenario(), "tiny", BIG), "an integer of 5000 digits"),
    (with_raw(runtime_scenario(), "tiny", DEEP), "nested deeper"),
    ({**runtime_scenario(), "genesis": {"validators": 2**64}}, "genesis.validators"),
    ({**runtime_scenario(), "genesis": {"validators": 10**9}}, "genesis.validators: more than 10000 validators"),
    ({"blocks": [{"repeat": 10**12}]}, "blocks[0].repeat: more than"),
    ({"blocks": [{"repeat": 60_000}, {"repeat": 60_000}]}, "blocks[1].repeat: the scenario applies more than"),
    ({"blocks": [{"bitfields": [{"validator": 0, "bits": [10**100]}]}]}, "blocks[0].bitfields[0].bits"),
    ({"blocks": [{"bitfields": [{"validator": 0, "bits": [10**6]}]}]}, "MAX_BIT_INDEX"),
    ({"blocks": [{"bitfields": [{"validator": 0, "bits": "1", "length": 10**15}]}]}, "length"),
    ({"blocks": [{"bitfields": [{"validators": {"range": [0, 10**9]}, "bits": "1"}]}]}, "validators.range"),
    ({"blocks": [{"session_change": {"validators": 10**9}}]}, "session_change.validators"),
    ({**playbook(), "steps": [{"action": "Round", "repeat": 10**12}]}, "steps[0].repeat: 1000000000000 is greater than the maximum of 100000 (schema rule: maximum, MAX_REPEAT)"),
])
def test_scenario_encoding_and_size(tmp_path, doc, needle):
    p = tmp_path / "s.json"
    p.write_bytes(doc if isinstance(doc, bytes) else dump(doc))
    code, out, err = cli("run", str(p))
    assert code == 2 and needle in err, err
    assert_well_behaved(code, out, err)


def test_scenarios_say_where_the_non_utf8_byte_is(tmp_path):
    """(Not a regression: ``paraspec run`` refused these before, in Python's words.)"""
    for doc in (non_utf8(runtime_scenario()), non_utf8(playbook()).replace(b'"halts"', b'"hal\xffts"')):
        p = tmp_path / "s.json"
        p.write_bytes(doc)
        code, out, err = cli("run", str(p))
        assert code == 2 and f"{p}: not UTF-8: byte 0xff at offset" in err, err


@pytest.mark.parametrize("case,config,needle", [
    (non_utf8(CASE), CONFIG, "cover_000.json: not UTF-8: byte 0xff"),
    (CASE, non_utf8(CONFIG), "config.json: not UTF-8: byte 0xff"),
    (with_raw(CASE, "EndBlock(note=0) is accepted", BIG), CONFIG, "an integer of 5000 digits"),
    (CASE, with_raw(CONFIG, "disregard", DEEP), "nested deeper"),
])
def test_vector_files_encoding_and_size(tmp_path, case, config, needle):
    suite = write_suite(tmp_path / "suite", case, config)
    code, out, err = cli("vectors", "run", str(suite), "--adapter", "false")
    assert code == 2 and needle in err, err
    assert_well_behaved(code, out, err)


@pytest.mark.parametrize("bad", [
    dump(RESPONSE).replace(b'"signed": 0', b'"signed": ' + BIG),
    dump(RESPONSE).replace(b'"signed": 0', b'"signed": ' + DEEP),
])
def test_one_hostile_adapter_response_fails_that_case_only(tmp_path, bad):
    suite = write_suite(tmp_path / "suite")
    write_suite(suite, {**CASE, "id": "trio/availability/end_block/cover_001"}, name="cover_001")
    ok = dump({**RESPONSE, "id": "trio/availability/end_block/cover_001"})
    adapter = scripted_adapter(tmp_path, {CASE["id"]: bad, "trio/availability/end_block/cover_001": ok})
    code, out, err = cli("vectors", "run", str(suite), "--adapter", adapter, "--timeout", "120")
    assert code == 1, err
    assert "1 passed" in out and "1 error" in out
    assert_well_behaved(code, out, err)


@pytest.mark.parametrize("line,needle", [
    (b'{"id": "a", "x": "\xff"}', "not UTF-8"),
    (b'{"id": ' + BIG + b'}', "digits"),
    (DEEP, "nested deeper"),
])
def test_reference_adapter_answers_hostile_requests(line, needle):
    code, out, err = cli("adapter", stdin=line + b"\n" + dump(REQUEST) + b"\n", collapse=False)
    assert code == 0, err
    first, second = [json.loads(x) for x in out.splitlines()]
    assert needle in first["error"] and second["output"] == {"ok": None}


# -- regressions: defect 5 (untrusted files are checked before the model sees them) ----------------


@pytest.mark.parametrize("command", ["show", "replay"])
@pytest.mark.parametrize("trace,needle", [
    (_mutated(itf_trace(), lambda t: t["#meta"].update(machine=["availability"])), "$.#meta.machine: must be a string"),
    (_mutated(itf_trace(), lambda t: t["#meta"].update(mutant={"a": 1})), "$.#meta.mutant"),
    (_mutated(itf_trace(), lambda t: t.update(states=[])), "$.states: is empty"),
    (_mutated(itf_rejected_trace(), lambda t: t["#meta"]["rejected"].update(args=[1, 2])),
     "$.#meta.rejected.args: must be an object"),
])
def test_trace_shape_is_checked(tmp_path, command, trace, needle):
    p = tmp_path / "t.itf.json"
    p.write_text(json.dumps(trace))
    code, out, err = cli("trace", command, str(p))
    assert code == 2 and needle in err, err
    assert_well_behaved(code, out, err)


@pytest.mark.parametrize("value,needle", [
    ("abc", "mbt::nondetPicks.validator: expected an integer, got string"),
    ({"#set": []}, "mbt::nondetPicks.validator: expected an integer, got array"),
    ({"#map": []}, "mbt::nondetPicks.validator: expected an integer"),
    (True, "mbt::nondetPicks.validator: expected an integer, got boolean"),
])
def test_replay_decodes_action_args_by_field_type(tmp_path, value, needle):
    t = itf_trace()
    t["states"][1]["mbt::nondetPicks"]["validator"] = value
    p = tmp_path / "t.itf.json"
    p.write_text(json.dumps(t))
    code, out, err = cli("trace", "replay", str(p))
    assert code == 2 and needle in err, err
    assert_well_behaved(code, out, err)


def test_replay_of_well_typed_traces_still_works(tmp_path):
    p = tmp_path / "t.itf.json"
    p.write_text(json.dumps(itf_trace()))
    assert cli("trace", "replay", str(p))[0] == 0
    p.write_text(json.dumps(itf_rejected_trace()))
    code, out, err = cli("trace", "replay", str(p))
    assert code == 0 and "every state matches" in out, err
    t = itf_rejected_trace()
    t["#meta"]["rejected"]["args"]["validator"] = "x"
    p.write_text(json.dumps(t))
    code, out, err = cli("trace", "replay", str(p))
    assert code == 2 and "$.#meta.rejected.args.validator: expected an integer" in err


@pytest.mark.parametrize("id_", [7, None, ["a"]])
def test_case_fields_are_typed(tmp_path, id_):
    suite = write_suite(tmp_path / "suite", {**CASE, "id": id_})
    code, out, err = cli("vectors", "run", str(suite), "--adapter", "false")
    assert code == 2 and "cover_000.json: field id:" in err, err
    assert_well_behaved(code, out, err)


# -- regressions: defect 6 (data is never markup) --------------------------------------------------

MARKUP = "[/x]"


@pytest.mark.parametrize("where", ["description", "value", "action", "rejected"])
def test_trace_show_prints_markup_literally(tmp_path, where):
    t = itf_rejected_trace() if where == "rejected" else itf_trace()
    if where == "description":
        t["#meta"]["description"] = f"a {MARKUP} b"
    elif where == "value":
        t["states"][-1]["paras"][0] = {**_NOTE0, "status": MARKUP}
    elif where == "action":
        t["states"][1]["mbt::actionTaken"] = MARKUP
    else:
        t["#meta"]["rejected"]["reason"] = MARKUP
    p = tmp_path / "t.itf.json"
    p.write_text(json.dumps(t))
    code, out, err = cli("trace", "show", str(p))
    assert code == 0 and MARKUP in out, err


def test_vectors_run_prints_case_ids_and_adapter_output_literally(tmp_path):
    name = "x[bold]y[red]z"  # a case id is its path, so the markup is in the file name (no "/" there)
    suite = write_suite(tmp_path / "suite", {**CASE, "id": f"trio/availability/end_block/{name}"}, name=name)
    code, out, err = cli("vectors", "run", str(suite), "--adapter",
                         scripted_adapter(tmp_path, [b"[/x] not json [bold]"]), "--timeout", "120")
    assert code == 1, err
    assert name in out and "[/x] not json [bold]" in out
    code, out, err = cli("vectors", "run", str(suite), "--adapter",
                         scripted_adapter(tmp_path, [dump({"error": f"boom {MARKUP}"})]), "--timeout", "120")
    assert code == 1 and f"boom {MARKUP}" in out, err


def test_replay_prints_markup_in_a_model_message_literally(tmp_path):
    t = itf_rejected_trace()
    t["#meta"]["rejected"]["rule"] = MARKUP
    p = tmp_path / "t.itf.json"
    p.write_text(json.dumps(t))
    code, out, err = cli("trace", "replay", str(p))
    assert code == 1 and f"trace says {MARKUP}" in out, err


# -- the limits: one module, one page ------------------------------------------------------------


def test_limits_are_documented_in_one_place():
    page = (ROOT / "docs" / "limits.md").read_text()
    for name, (value, _) in limits.LIMITS.items():
        row = re.search(rf"^\|\s*`{name}`\s*\|\s*([0-9,_ ^*]+?)\s*\|", page, re.M)
        assert row, f"docs/limits.md has no row for {name}"
        text = row.group(1).replace(",", "").replace("_", "").replace(" ", "")
        assert (eval(text.replace("^", "**")) if "^" in text or "*" in text else int(text)) == value, name  # noqa: S307


def test_safe_loader_errors_are_one_line():
    for data in (b"\xff", BIG, DEEP, b"NaN", b'"\\ud800"', b"{", b"[1,]", b"1" * 10):
        try:
            limits.load_json_bytes(data, "x.json")
        except limits.InputError as e:
            assert "\n" not in str(e) and str(e).startswith("x.json: ")
    assert limits.load_json_bytes(b'{"a": [1, "\\ud83d\\ude00"]}', "x") == {"a": [1, "\U0001F600"]}


# -- fuzzing: mutations of a valid file of each channel, through the real entry point ------------

HOSTILE = [None, True, False, 0, -1, 2**31, 2**64, -(2**63), 1.5, "", MARKUP, "[bold]x[/bold]", "\u0000", "x" * 300,
           [], {}, [1, 2], {"a": 1}, [[[]]], {"#bigint": "12a"}, {"#bigint": 7}, {"#set": [[1], [1]]},
           {"#map": [[1]]}, {"#tup": 5}, {"#unserializable": [1]}, {"tag": "None", "value": {"#tup": []}},
           "group", "all", "ok", "EndBlock", "SignBitfield", "AV-4", {"range": [5, 2]}]
RAW = [BIG, b"[" * 70 + b"]" * 70, b"NaN", b"1e400", b'"\\ud800"', b"-0", b"1" * 900, b'{"#bigint": "' + BIG + b'"}']
_RAW_MARK = "\u0001raw{}\u0001"


def _paths(doc) -> list[tuple]:
    out, stack = [], [((), doc)]
    while stack:
        path, v = stack.pop()
        out.append(path)
        if isinstance(v, dict):
            stack.extend((path + (k,), x) for k, x in v.items())
        elif isinstance(v, list):
            stack.extend((path + (i,), x) for i, x in enumerate(v))
    return out


def _set(doc, path: tuple, value, delete: bool = False):
    if not path:
        return value
    parent = doc
    for p in path[:-1]:
        parent = parent[p]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return doc


@st.composite
def mutated(draw, base) -> bytes:
    """``base`` (a JSON value) with 1 to 3 structural mutations (deletion, type swap, huge
    number, deep nesting, markup), then maybe a byte-level one (flip, 0xff, truncation)."""
    doc = copy.deepcopy(base)
    raws: list[bytes] = []
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)
        path = paths[draw(st.integers(0, len(paths) - 1))]
        op = draw(st.sampled_from(["delete", "swap", "raw", "markup"]))
        if op == "delete" and path:
            doc = _set(doc, path, None, delete=True)
        elif op == "raw":
            raws.append(draw(st.sampled_from(RAW)))
            doc = _set(doc, path, _RAW_MARK.format(len(raws) - 1))
        elif op == "markup":
            doc = _set(doc, path, draw(st.sampled_from([MARKUP, f"a{MARKUP}b", "[red]", "[/]", "[link=x]y"])))
        else:
            doc = _set(doc, path, copy.deepcopy(draw(st.sampled_from(HOSTILE))))
    data = json.dumps(doc).encode()
    for i, raw in enumerate(raws):
        data = data.replace(json.dumps(_RAW_MARK.format(i)).encode(), raw)
    byte_op = draw(st.sampled_from([None, None, "flip", "ff", "truncate"]))
    if byte_op and data:
        at = draw(st.integers(0, len(data) - 1))
        if byte_op == "flip":
            data = data[:at] + bytes([data[at] ^ (1 << draw(st.integers(0, 7)))]) + data[at + 1:]
        elif byte_op == "ff":
            data = data[:at] + b"\xff" + data[at:]
        else:
            data = data[:at]
    return data


@FUZZ
@given(data=st.one_of(mutated(itf_trace()), mutated(itf_rejected_trace())), command=st.sampled_from(["show", "replay"]))
def test_fuzz_itf_trace(tmp_path, data, command):
    p = tmp_path / "t.itf.json"
    p.write_bytes(data)
    assert_well_behaved(*cli("trace", command, str(p)))


@FUZZ
@given(data=st.one_of(mutated(runtime_scenario()), mutated(playbook())))
def test_fuzz_scenario(tmp_path, data):
    p = tmp_path / "s.json"
    p.write_bytes(data)
    assert_well_behaved(*cli("run", "--no-state", str(p)))


@FUZZ
@given(case=mutated(CASE))
def test_fuzz_vector_case(tmp_path, case):
    suite = write_suite(tmp_path / "suite", case)
    assert_well_behaved(*cli("vectors", "run", str(suite), "--adapter", echo_adapter(tmp_path), "--timeout", "120"))


@FUZZ
@given(config=mutated(CONFIG))
def test_fuzz_config_json(tmp_path, config):
    suite = write_suite(tmp_path / "suite", CASE, config)
    assert_well_behaved(*cli("vectors", "run", str(suite), "--adapter", echo_adapter(tmp_path), "--timeout", "120"))


@FUZZ
@given(response=mutated(RESPONSE))
def test_fuzz_adapter_response(tmp_path, response):
    suite = write_suite(tmp_path / "suite")
    adapter = scripted_adapter(tmp_path, [response.replace(b"\n", b" ")])
    code, out, err = cli("vectors", "run", str(suite), "--adapter", adapter, "--timeout", "120")
    assert_well_behaved(code, out, err)
    assert code in (0, 1) and "1 cases:" in out


@FUZZ
@given(request=mutated(REQUEST))
def test_fuzz_adapter_request(request):
    lines = [request.replace(b"\n", b" "), dump(REQUEST)]
    code, out, err = cli("adapter", stdin=b"\n".join(lines) + b"\n", collapse=False)
    assert code == 0, err
    answers = [json.loads(x) for x in out.splitlines()]
    assert isinstance(answers[-1], dict) and answers[-1].get("output") == {"ok": None}
    assert all(isinstance(a, dict) and ("error" in a or "output" in a) for a in answers)


@pytest.mark.parametrize("command", ["show", "replay"])
def test_trace_name_the_system_refuses_is_one_line(command):
    """A trace name over 255 bytes (ENAMETOOLONG) is refused on one line, exit 2; it raised
    OSError from the directory test before (found by `make fuzz`)."""
    name = "a" * 300
    code, out, err = cli("trace", command, name)
    assert code == 2 and "File name too long" in err
    assert_well_behaved(code, out, err)
