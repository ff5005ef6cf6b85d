"""The Ray tests (``make ray``): one local Ray with two CPUs for the whole folder."""

import pytest

ray = pytest.importorskip("ray")


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.ray)


@pytest.fixture(scope="session", autouse=True)
def local_ray():
    from paraspec.checker.distributed.runtime import connect

    yield connect(None, 2)
    ray.shutdown()
