"""The Ray tests (``make ray``): one local Ray with two CPUs for the whole folder."""

from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    # the hook sees every item of the session: mark only this folder's (else `make test`, which
    # deselects `ray`, would run nothing once the extra is installed)
    for item in items:
        if Path(str(item.fspath)).resolve().is_relative_to(HERE):
            item.add_marker(pytest.mark.ray)


@pytest.fixture(scope="session", autouse=True)
def local_ray():
    from paraspec.checker.distributed.runtime import connect

    yield connect(None, 2)
    ray.shutdown()
