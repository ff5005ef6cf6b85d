import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from hypothesis import settings  # noqa: E402

settings.register_profile("ci", max_examples=60, deadline=None)
settings.register_profile("dev", max_examples=30, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


#: The test files that take longest, longest first. ``make test`` hands whole files to its two workers
#: (``--dist loadfile --no-loadscope-reorder``) in collection order, which this list decides: the long
#: files start first and the short ones fill in at the end, so the workers finish together. (xdist's
#: own order, by number of tests, left files of few but long tests, such as test_spine.py, for the
#: end, with one worker idle.) Each figure is the file alone on a quiet 2-core machine, estimated from
#: runs on a loaded one (s4 tests helper, stop 22+1); a file not listed runs after these, by name.
SLOW_FILES = [
    "tests/test_manifest.py",       # every machine exhaustively on its pinned configurations
    "tests/test_checkpoint.py",     # ~75 s: killed and resumed subprocess searches (availability trio)
    "tests/test_spine.py",          # inclusion tiny in full: 506,365 states
    "tests/test_vectors.py",        # the default vector suite generated once (module fixture)
    "tests/test_mutants.py",        # every mutant killed
    "tests/test_parallel.py",       # ~35 s: one and two workers on availability trio and inclusion
    "tests/test_authors_doc.py",    # ~15 s: the authors' tutorial as a shell script
    "tests/test_authors.py",        # ~14 s: paraspec subprocesses on a loaded spec
    "tests/test_upgrades.py",
    "tests/test_vectors_runner.py",
    "tests/test_symbolic_proofs.py",
    "tests/test_avail_core.py",     # ~10 s: against SPIN's and Quint's counts
    "tests/test_vectors_effects.py",
    "tests/test_symbolic_agreement.py",
    "tests/test_cli.py",
    "tests/test_hostile_inputs.py",
    "tests/test_cli_explains.py",
]


def pytest_collection_modifyitems(config, items):
    rank = {name: k for k, name in enumerate(SLOW_FILES)}
    order = sorted(range(len(items)), key=lambda k: (rank.get(items[k].nodeid.split("::")[0], len(rank)), k))
    items[:] = [items[k] for k in order]
