"""`paraspec vectors run` against misbehaving adapters: garbage, crashes, hangs,
wrong answers, unsupported handlers; every case gets its own clear message and the
run goes on."""

from __future__ import annotations

import json
import os
import sys
import textwrap
import time
from pathlib import Path

import pytest

from paraspec.checker.cli import main
from paraspec.checker.vectors.generate import Options, generate
from paraspec.checker.vectors.runner import AdapterStartError, Status, run_cases
from paraspec.checker.vectors.suite import load_suite

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    out = tmp_path_factory.mktemp("small") / "suite"
    generate(out, Options(machines=("availability",), presets=("trio",), max_states=3000))
    return out


@pytest.fixture(scope="module")
def cases(small):
    return load_suite(small)


def adapter(tmp_path: Path, body: str) -> str:
    """A Python adapter: answers with the reference model unless ``misbehave(req)``
    (defined in ``body``) does something else and returns True."""
    script = tmp_path / "adapter.py"
    # the reference model is imported when first used, so that an adapter that misbehaves from its
    # first request (hangs, crashes) starts as fast as a bare Python: a per-case timeout that must
    # fire (a hang) then never competes with a cold import of paraspec on a loaded machine
    head = (f"import json, os, sys, time, subprocess\nsys.path.insert(0, {str(ROOT)!r})\n"
            "class _Lazy:\n    def __getattr__(self, name):\n        global ref\n"
            "        from paraspec.checker.registry import load_all\n"
            "        from paraspec.checker.vectors.serve import Reference\n"
            "        load_all()\n        ref = Reference()\n        return getattr(ref, name)\n"
            "ref = _Lazy()\n")
    loop = ("for line in sys.stdin:\n    req = json.loads(line)\n    if misbehave(req):\n        continue\n"
            "    print(json.dumps(ref.answer(req)), flush=True)\n")
    script.write_text(head + textwrap.dedent(body).strip("\n") + "\n" + loop)
    return f"{sys.executable} {script}"


def by_id(results):
    return {r.id: r for r in results}


def test_one_bad_case_of_each_kind_the_rest_pass(cases, tmp_path):
    ids = [c.id for c in cases if c.handler == "availability/sign_bitfield"]
    crash, hang, garbage, wrong, other_id, silent_exit = ids[3], ids[5], ids[7], ids[9], ids[11], ids[13]
    cmd = adapter(tmp_path, f'''
        def misbehave(req):
            i = req["id"]
            if i == {crash!r}:
                sys.stderr.write("thread main panicked: index out of bounds\\n"); sys.exit(101)
            if i == {hang!r}:
                time.sleep(3600)
            if i == {garbage!r}:
                print("DEBUG: got request", flush=True); return True
            if i == {wrong!r}:
                ans = ref.answer(req)
                ans["post_state"]["signed"] += 1
                print(json.dumps(ans), flush=True); return True
            if i == {other_id!r}:
                ans = ref.answer(req); ans["id"] = "something else"
                print(json.dumps(ans), flush=True); return True
            if i == {silent_exit!r}:
                os._exit(0)
            if req["handler"] == "availability/end_block":
                print(json.dumps({{"id": i, "unsupported": "end_block is not implemented yet"}}), flush=True)
                return True
            return False
    ''')
    # every restart (after the crash, the hang, the silent exit) imports paraspec again within the
    # next case's timeout: 60 s is far more than that takes on a loaded machine (the hang costs it once)
    results = run_cases(cases, cmd, timeout=60)
    assert len(results) == len(cases)
    r = by_id(results)
    assert r[crash].status == Status.ERROR
    assert "exited with status 101" in r[crash].message and "index out of bounds" in r[crash].message
    assert r[hang].status == Status.ERROR and "no response within 60 s" in r[hang].message
    assert r[garbage].status == Status.ERROR and "not JSON: 'DEBUG: got request'" in r[garbage].message
    assert r[wrong].status == Status.FAIL and r[wrong].message.startswith("post_state.signed: expected ")
    assert r[other_id].status == Status.ERROR and "does not match" in r[other_id].message
    assert r[silent_exit].status == Status.ERROR and "exited with status 0" in r[silent_exit].message
    bad = {crash, hang, garbage, wrong, other_id, silent_exit}
    for res in results:
        if res.id in bad:
            continue
        if res.handler == "availability/end_block":
            assert res.status == Status.UNSUPPORTED and "not implemented yet" in res.message
        else:
            assert res.status == Status.PASS, res


@pytest.mark.parametrize("kind,needle", [
    ("garbage", "not JSON"),
    ("crash", "exited with status 3"),
    ("hang", "no response within 0.5 s"),
    ("array", "not a JSON object"),
    ("nofields", "lacks 'output'"),
    ("error", "adapter error: cannot decode"),
])
def test_always_misbehaving_adapter_is_reported_per_case(cases, tmp_path, kind, needle):
    body = {
        "garbage": 'print("%%%", flush=True); return True',
        "crash": 'sys.stderr.write("boom\\n"); sys.exit(3)',
        "hang": "time.sleep(60)",
        "array": 'print("[1, 2]", flush=True); return True',
        "nofields": 'print(json.dumps({"id": req["id"]}), flush=True); return True',
        "error": 'print(json.dumps({"id": req["id"], "error": "cannot decode pre_state"}), flush=True); return True',
    }[kind]
    cmd = adapter(tmp_path, f"def misbehave(req):\n    {body}\n")
    few = cases[:6]
    t0 = time.monotonic()
    # only the hanging adapter needs a short per-case timeout; the others get one that a
    # cold Python start on a loaded machine cannot exceed
    results = run_cases(few, cmd, timeout=0.5 if kind == "hang" else 120, max_crashes=3)
    assert time.monotonic() - t0 < 600
    assert [r.id for r in results] == [c.id for c in few]
    assert all(r.status != Status.PASS for r in results)
    if kind in ("crash", "hang"):
        # three attempts on the handler, then its other cases are skipped
        assert [r.status for r in results] == [Status.ERROR] * 3 + [Status.SKIPPED] * 3
        assert all(needle in r.message for r in results[:3])
        assert all("last 3 cases of availability/end_block" in r.message for r in results[3:])
    else:
        assert all(needle in r.message for r in results), [r.message for r in results]


def test_handler_that_always_crashes_is_skipped_after_max_crashes(cases, tmp_path):
    cmd = adapter(tmp_path, '''
        def misbehave(req):
            if req["handler"] == "availability/end_block":
                sys.exit(7)
            return False
    ''')
    results = run_cases(cases, cmd, timeout=120, max_crashes=2)  # no case hangs: never reached
    end = [r for r in results if r.handler == "availability/end_block"]
    sign = [r for r in results if r.handler == "availability/sign_bitfield"]
    assert [r.status for r in end[:2]] == [Status.ERROR, Status.ERROR]
    assert all(r.status == Status.SKIPPED and "last 2 cases" in r.message for r in end[2:])
    assert all(r.status == Status.PASS for r in sign)


def test_adapter_that_never_answers_stops_the_run(cases, tmp_path):
    cmd = adapter(tmp_path, "def misbehave(req):\n    sys.exit(5)\n")
    results = run_cases(cases, cmd, timeout=120, max_crashes=2)  # no case hangs: never reached
    n_end = sum(1 for c in cases if c.handler == "availability/end_block")
    expected = ([Status.ERROR] * 2 + [Status.SKIPPED] * (n_end - 2) + [Status.ERROR] * 2
                + [Status.SKIPPED] * (len(cases) - n_end - 2))
    assert [r.status for r in results] == expected  # two tries per handler, then the run gives up
    assert "never answered" in results[-1].message


def test_hanging_adapter_and_its_children_are_killed(cases, tmp_path):
    pidfile = tmp_path / "child.pid"
    cmd = adapter(tmp_path, f'''
        def misbehave(req):
            child = subprocess.Popen(["sleep", "60"])
            open({str(pidfile)!r}, "w").write(str(child.pid))
            time.sleep(60)
    ''')
    # the adapter hangs on its first request, before it imports paraspec: 20 s is far more than a
    # bare Python start takes on a loaded machine
    results = run_cases(cases[:1], cmd, timeout=20)
    assert results[0].status == Status.ERROR
    pid = int(pidfile.read_text())
    # up to 60 s for the kill to land on a loaded machine (a zombie awaiting its reaper counts as gone)
    assert _wait_gone(pid), f"the adapter's child {pid} survived"


def test_unstartable_adapter():
    with pytest.raises(AdapterStartError, match="cannot start 'no-such-adapter-xyz'"):
        run_cases([], "no-such-adapter-xyz --flag")


def test_exitfirst_stops_at_the_first_failure(cases):
    results = run_cases(cases, f"{sys.executable} -m paraspec adapter --mutant av_no_signature_check",
                        exitfirst=True)
    assert results[-1].status == Status.FAIL
    assert all(r.status == Status.PASS for r in results[:-1]) and len(results) < len(cases)


# -- the command line ------------------------------------------------------------------------------------


def run_cli(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_misbehaving_adapter_messages(small, tmp_path, capsys):
    cmd = adapter(tmp_path, 'def misbehave(req):\n    print("not json", flush=True); return True\n')
    code, out, err = run_cli(capsys, "vectors", "run", str(small), "--adapter", cmd, "--handler",
                             "availability/end_block", "--json", str(tmp_path / "r.json"))
    assert code == 1
    assert "ERROR trio/availability/end_block/cover_000: adapter printed a line that is not JSON" in out
    report = json.loads((tmp_path / "r.json").read_text())
    assert not report["ok"] and report["counts"]["error"] == len(report["cases"]) > 0


def test_cli_unsupported_is_a_failure_unless_allowed(small, tmp_path, capsys):
    cmd = adapter(tmp_path, '''
        def misbehave(req):
            if req["handler"] == "availability/end_block":
                print(json.dumps({"id": req["id"], "unsupported": "no"}), flush=True); return True
            return False
    ''')
    code, out, _ = run_cli(capsys, "vectors", "run", str(small), "--adapter", cmd, "-q")
    assert code == 1 and "unsupported" in out
    code, out, _ = run_cli(capsys, "vectors", "run", str(small), "--adapter", cmd, "-q", "--allow-unsupported")
    assert code == 0 and "conforms" in out


@pytest.mark.parametrize("make,argv_tail,needle", [
    (None, ["--adapter", "no-such-adapter-xyz"], "--adapter: cannot start 'no-such-adapter-xyz'"),
    (None, ["--adapter", "x", "--handler", "nosuch/*"], "no cases match"),
    (None, ["--adapter", "x", "--timeout", "0"], "--timeout"),
    ("badjson", ["--adapter", "x"], "trio/availability/end_block/cover_000.json: not JSON"),
    ("missingfield", ["--adapter", "x"], "trio/availability/end_block/cover_000.json: field 'post_state' is missing"),
    ("errstate", ["--adapter", "x"], "field 'post_state' differs from 'pre_state'"),
    ("noconfig", ["--adapter", "x"], "trio/availability/config.json: missing"),
    ("moved", ["--adapter", "x"], "do not match the case's directory"),
])
def test_cli_bad_suite_or_arguments_one_line_exit_2(small, tmp_path, capsys, make, argv_tail, needle):
    import shutil

    suite = tmp_path / "s"
    shutil.copytree(small, suite)
    case = suite / "trio/availability/end_block/cover_000.json"
    if make == "badjson":
        case.write_text("{ not json")
    elif make == "missingfield":
        d = json.loads(case.read_text())
        del d["post_state"]
        case.write_text(json.dumps(d))
    elif make == "errstate":
        d = json.loads(next(suite.glob("trio/availability/sign_bitfield/rule_AV-4_negative.json")).read_text())
        d["post_state"] = {"paras": [], "signed": 9}
        (suite / "trio/availability/sign_bitfield/rule_AV-4_negative.json").write_text(json.dumps(d))
    elif make == "noconfig":
        (suite / "trio/availability/config.json").unlink()
    elif make == "moved":
        case.rename(suite / "trio/availability/sign_bitfield/cover_999.json")
    code, out, err = run_cli(capsys, "vectors", "run", str(suite), *argv_tail)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("paraspec: error:"), err
    assert needle in err, err


@pytest.mark.parametrize("argv,needle", [
    (["vectors", "generate", "--out", "{tmp}/o", "--preset", "huge"], "--preset huge: not a preset of"),
    (["vectors", "generate", "--out", "{tmp}/o", "--machine", "nosuch"], "unknown machine 'nosuch'"),
    (["vectors", "generate", "--out", "{tmp}/file"], "exists and is not a directory"),
    (["vectors", "generate", "--out", "{tmp}/full"], "not a vector suite"),
    (["vectors", "generate", "--out", "/nonexistent/dir/o"], "does not exist"),
    (["vectors", "generate", "--out", "{tmp}/o", "--max-states", "0"], "--max-states"),
    (["vectors", "run", "{tmp}/nodir", "--adapter", "x"], "not a directory"),
    (["vectors"], "required: ACTION"),
    (["adapter", "--mutant", "nosuch"], "unknown mutant 'nosuch'"),
])
def test_cli_bad_generate_arguments(tmp_path, capsys, argv, needle):
    (tmp_path / "file").write_text("x")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "precious.txt").write_text("keep me")
    code, out, err = run_cli(capsys, *[a.format(tmp=tmp_path) for a in argv])
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("paraspec: error:"), err
    assert needle in err, err
    assert (tmp_path / "full" / "precious.txt").read_text() == "keep me"


def test_reference_adapter_answers_bad_requests_with_errors(tmp_path):
    """`paraspec adapter` never dies on a bad request: it answers {"error": ...}."""
    import subprocess

    reqs = [
        "not json",
        json.dumps([1]),
        json.dumps({"id": "a", "handler": "availability/sign_bitfield"}),
        json.dumps({"id": "b", "handler": "nosuch/h", "config": {}, "pre_state": {}, "input": {}}),
        json.dumps({"id": "c", "handler": "availability/nosuch", "config": {"preset": "tiny"}, "pre_state": {},
                    "input": {}}),
        json.dumps({"id": "d", "handler": "availability/end_block", "config": {"preset": "tiny", "n_validators": 0},
                    "pre_state": {}, "input": {}}),
        json.dumps({"id": "e", "handler": "availability/end_block", "config": {"preset": "tiny"},
                    "pre_state": {"paras": [], "signed": "x"}, "input": {"action": "EndBlock", "args": {"note": 0}}}),
        json.dumps({"id": "f", "handler": "availability/end_block", "config": {"preset": "tiny"},
                    "pre_state": {"paras": [], "signed": 0}, "input": {"action": "SignBitfield", "args": {}}}),
        json.dumps({"id": "g", "handler": "availability/end_block", "config": {"preset": "tiny"},
                    "pre_state": {"paras": [], "signed": 0}, "input": {"action": "EndBlock", "args": {"note": 0}}}),
    ]
    p = subprocess.run([sys.executable, "-m", "paraspec", "adapter"], input="\n".join(reqs) + "\n",
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert p.returncode == 0, p.stderr
    lines = [json.loads(x) for x in p.stdout.splitlines()]
    assert len(lines) == len(reqs)
    msgs = [x.get("error", "") for x in lines]
    assert "request is not JSON" in msgs[0]
    assert "expected a JSON object" in msgs[1]
    assert "request.config: missing" in msgs[2] and lines[2]["id"] == "a"
    assert "unknown machine 'nosuch'" in msgs[3]
    assert "has no handler 'nosuch'" in msgs[4]
    assert "n_validators" in msgs[5]
    assert "request.pre_state.signed: expected an integer, got string" in msgs[6]
    assert "'SignBitfield' is not an input of handler availability/end_block" in msgs[7]
    assert lines[8] == {"id": "g", "output": {"ok": None}, "post_state": {"paras": [], "signed": 0}}


# -- issue 17, defect 8: the adapter runner ---------------------------------------------------------------


def _gone(pid: int) -> bool:
    """The process has exited (a zombie waiting for its reaper counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat[stat.rindex(")") + 2] in "ZX"


def _wait_gone(pid: int, seconds: float = 60) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if _gone(pid):
            return True
        time.sleep(0.2)
    return False


def test_extra_output_lines_fail_only_the_case_waited_for(cases, tmp_path):
    """An adapter that prints a line besides its responses: the case being waited for gets the
    error and the stream is resynchronised (restart), so no other case is judged by a line meant for
    another one (before: the extra line was taken as the next case's answer, and that case's answer
    as the one after it)."""
    ids = [c.id for c in cases if c.handler == "availability/sign_bitfield"][:12]
    noisy = {ids[1]: '{"log": "working"}', ids[4]: "[1, 2]", ids[7]: "42", ids[9]: '{"progress": 0.5}'}
    cmd = adapter(tmp_path, f'''
        NOISY = {noisy!r}
        def misbehave(req):
            print(json.dumps(ref.answer(req)), flush=True)
            if req["id"] in NOISY:
                print(NOISY[req["id"]], flush=True)
            return True
    ''')
    chosen = [c for c in cases if c.id in ids]
    results = run_cases(chosen, cmd, timeout=120)
    victims = {ids[ids.index(i) + 1] for i in noisy}  # the line arrives while the next case waits
    bad = {r.id: r for r in results if r.status != Status.PASS}
    assert set(bad) == victims, {k: v.message for k, v in bad.items()}
    assert all("not a response" in r.message or "not a JSON object" in r.message for r in bad.values())
    assert all("restarted" in r.message for r in bad.values())


def test_response_to_another_request_fails_the_case_waited_for(cases, tmp_path):
    """An answer repeated twice: the copy is reported against the case waited for, the next case
    is judged by its own answer."""
    ids = [c.id for c in cases if c.handler == "availability/sign_bitfield"][:8]
    cmd = adapter(tmp_path, f'''
        def misbehave(req):
            print(json.dumps(ref.answer(req)), flush=True)
            if req["id"] == {ids[2]!r}:
                print(json.dumps(ref.answer(req)), flush=True)
            return True
    ''')
    results = run_cases([c for c in cases if c.id in ids], cmd, timeout=120)
    bad = [r for r in results if r.status != Status.PASS]
    assert [r.id for r in bad] == [ids[3]]
    assert "does not match the request" in bad[0].message and ids[2] in bad[0].message


def test_response_without_id_is_the_answer_to_the_request_waited_for(cases, tmp_path):
    cmd = adapter(tmp_path, '''
        def misbehave(req):
            ans = ref.answer(req); ans.pop("id", None)
            print(json.dumps(ans), flush=True); return True
    ''')
    results = run_cases(cases[:6], cmd, timeout=120)
    assert all(r.status == Status.PASS for r in results), results


@pytest.mark.parametrize("then", ["hang", "crash"])
def test_grandchild_that_calls_setsid_is_killed(cases, tmp_path, then):
    """A grandchild in a session of its own escapes a kill of the adapter's process group; the
    runner finds it by its parent links or the adapter's environment mark (also after the adapter
    died and it was re-parented) and kills it."""
    pidfile = tmp_path / "grandchild.pid"
    end = "time.sleep(120)" if then == "hang" else "sys.exit(3)"
    cmd = adapter(tmp_path, f'''
        def misbehave(req):
            child = subprocess.Popen([sys.executable, "-c", "import os, time; os.setsid(); time.sleep(300)"])
            while True:
                try:
                    if os.getsid(child.pid) == child.pid:
                        break
                except ProcessLookupError:
                    break
                time.sleep(0.05)
            open({str(pidfile)!r}, "w").write(str(child.pid))
            {end}
    ''')
    # the hanging adapter needs a timeout; 30 s is far more than a bare Python start (it hangs before
    # it imports paraspec) and the grandchild's start need
    results = run_cases(cases[:1], cmd, timeout=30 if then == "hang" else 120)
    assert results[0].status == Status.ERROR
    pid = int(pidfile.read_text())
    try:
        assert _wait_gone(pid), f"the adapter's grandchild {pid} (own session) survived"
    finally:
        if not _gone(pid):
            os.kill(pid, 9)


def _synthetic_case(i: int, pad: int):
    from paraspec.checker.vectors.suite import Case

    cid = f"tiny/m/h/case_{i}"
    data = {"id": cid, "handler": "m/h", "machine": "m", "kind": "rule", "pre_state": {},
            "input": {"action": "X", "args": {"pad": pad}}, "output": {"ok": None}, "post_state": {"pad": "x" * pad}}
    return Case(cid + ".json", data, {"preset": "tiny"})


def test_a_huge_response_line_is_read_in_linear_time(tmp_path):
    """A 48 MB response line: the reader's buffer grows in place and only new bytes are searched
    for the newline (before: the whole buffer was copied and searched on every 64 KiB read, about
    30 s for this line, so it exceeded the generous 20 s per case given here)."""
    script = tmp_path / "big.py"
    script.write_text(textwrap.dedent('''
        import json, sys
        for line in sys.stdin:
            req = json.loads(line)
            pad = "x" * req["input"]["args"]["pad"]
            # the padding inside post_state: response.schema.json admits no other keys
            sys.stdout.write(json.dumps({"id": req["id"], "output": {"ok": None}, "post_state": {"pad": pad}})
                             + "\\n")
            sys.stdout.flush()
    '''))
    chosen = [_synthetic_case(0, 10), _synthetic_case(1, 48 << 20)]  # the first one absorbs the cold start
    results = run_cases(chosen, f"{sys.executable} {script}", timeout=20)
    assert [r.status for r in results] == [Status.PASS, Status.PASS], [r.message[:200] for r in results]


def _copy_suite(small, tmp_path):
    import shutil

    suite = tmp_path / "s"
    shutil.copytree(small, suite)
    return suite


@pytest.mark.parametrize("bad_id", [5, None, ["a"], "trio/availability/end_block/other"])
def test_case_id_must_be_its_path(small, tmp_path, capsys, bad_id):
    """A case whose id is not a string (or not its path) is refused when the suite is read: one line,
    exit 2 (before: an AttributeError writing --junit, after the whole run)."""
    suite = _copy_suite(small, tmp_path)
    case = suite / "trio/availability/end_block/cover_000.json"
    d = json.loads(case.read_text())
    d["id"] = bad_id
    case.write_text(json.dumps(d))
    cmd = f"{sys.executable} -m paraspec adapter"
    code, out, err = run_cli(capsys, "vectors", "run", str(suite), "--adapter", cmd, "-q",
                             "--handler", "availability/end_block", "--junit", str(tmp_path / "j.xml"))
    assert code == 2, (out, err)
    want = "field 'id' must be the case's path" if isinstance(bad_id, str) else "field id: "
    assert err.count("\n") == 1 and want in err, err


@pytest.mark.parametrize("argv", [
    ["vectors", "run", "{tmp}/no\nsuch\rdir", "--adapter", "x"],
    ["vectors", "generate", "--out", "{tmp}/a\nb/c"],
    ["check", "availability", "--json", "{tmp}/x\ny/r.json"],
    ["check", "availability", "--preset", "tiny\nnot-a-preset"],
])
def test_control_characters_in_arguments_keep_the_error_on_one_line(tmp_path, capsys, argv):
    code, out, err = run_cli(capsys, *[a.replace("{tmp}", str(tmp_path)) for a in argv])
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("paraspec: error:"), repr(err)
    assert "\r" not in err and "\\n" in err, repr(err)
