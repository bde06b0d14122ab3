"""`flows.runners`: how many arm x seed tasks run at once."""

import threading
import time

import pytest
from prefect import task

from augment.config import OrchestrationConfig
from flows.runners import make_task_runner, usable_cores

_running = threading.Condition()
_state = {"now": 0, "most": 0, "target": 1}


@task
def _busy(i: int) -> int:
    # wait (up to 5 s) until `target` tasks run together, so a slow start on a busy machine
    # cannot hide a pool that is too small or too large
    with _running:
        _state["now"] += 1
        _state["most"] = max(_state["most"], _state["now"])
        _running.notify_all()
        _running.wait_for(lambda: _state["now"] >= _state["target"], timeout=5)
    time.sleep(0.05)
    with _running:
        _state["now"] -= 1
    return i


@pytest.mark.usefixtures("prefect_harness")
def test_the_thread_pool_runs_as_many_tasks_at_once_as_there_are_cores():
    # Prefect's own default is sys.maxsize threads: all 30 CNN trainings of the default run at
    # once on 2 cores, contending for the GIL (arms x seeds took 74 s instead of 38 s)
    _state.update(now=0, most=0, target=usable_cores())
    with make_task_runner(OrchestrationConfig()) as runner:
        futures = [runner.submit(_busy, parameters={"i": i}) for i in range(usable_cores() + 6)]
        assert sorted(f.result() for f in futures) == list(range(usable_cores() + 6))
    assert _state["most"] == usable_cores()


@pytest.mark.usefixtures("prefect_harness")
def test_max_workers_overrides_the_thread_pool_size():
    _state.update(now=0, most=0, target=3)
    with make_task_runner(OrchestrationConfig(max_workers=3)) as runner:
        futures = [runner.submit(_busy, parameters={"i": i}) for i in range(8)]
        [f.result() for f in futures]
    assert _state["most"] == 3


def test_a_dask_address_is_checked_with_one_short_connect():
    import socket

    from augment.exceptions import ConfigError
    from augment.experiment.preflight import check_dask_address

    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        port = listening.getsockname()[1]
        for address in (
            f"tcp://127.0.0.1:{port}",
            f"127.0.0.1:{port}",
            f"tcp://[::ffff:127.0.0.1]:{port}",
        ):
            check_dask_address(address)
    start = time.monotonic()
    with pytest.raises(
        ConfigError, match=rf"Dask scheduler at tcp://127.0.0.1:{port} is unreachable"
    ):
        check_dask_address(f"tcp://127.0.0.1:{port}", timeout_s=2)  # closed with the socket
    assert time.monotonic() - start < 5
    check_dask_address("inproc://192.168.0.1/1234/1")  # not TCP: Dask's to judge
    for bad in ("tcp://:8786", "tcp://127.0.0.1:port"):
        with pytest.raises(ConfigError, match="--dask-address"):
            check_dask_address(bad)
