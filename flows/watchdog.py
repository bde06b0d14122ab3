"""A flow run started by a Prefect worker or runner leaves nothing RUNNING when it is killed.

A process worker stopped with SIGTERM (``prefect worker start``, Prefect 3.9) cancels itself
and SIGKILLs the flow-run process it started: none of our handlers runs, so the MLflow run and
the Prefect flow run would stay RUNNING (the next run on the host reaps the MLflow run, nothing
the flow run). So, in such a process, `watch` starts a small watchdog process in a session of
its own, holding the read end of a pipe. When the flow-run process ends in any way the pipe
closes; unless it ended normally (``atexit`` writes ``done``), the watchdog marks the MLflow run
KILLED if it is still RUNNING and the flow run Crashed if it is not final. It imports MLflow and
the Prefect client only then.

``python -m flows.watchdog RUN_ID FLOW_RUN_ID TRACKING_URI`` is the watchdog itself.
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys

DONE = b"done"


def watch(run_id: str, tracking_uri: str) -> None:
    """Watch this process for the MLflow run ``run_id`` when Prefect's runner started it (the
    flow run id in ``PREFECT__FLOW_RUN_ID``); otherwise (``augment run``, tests) do nothing."""
    flow_run_id = os.environ.get("PREFECT__FLOW_RUN_ID")
    if not flow_run_id:
        return
    cmd = [sys.executable, "-m", "flows.watchdog", run_id, flow_run_id, tracking_uri]
    # its own session: a signal to the flow run's process group leaves it to do its job
    # output to nowhere: the flow run's own (pipes to the worker) close when it is killed
    dog = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    atexit.register(_release, dog)


def _release(dog: subprocess.Popen) -> None:
    """A normal exit: the run's own code finished both runs; the watchdog has nothing to do."""
    try:
        dog.stdin.write(DONE)
        dog.stdin.close()
    except OSError:  # it is gone already
        pass


def _killed(run_id: str, flow_run_id: str, tracking_uri: str) -> None:
    """Mark the runs the killed process left unfinished."""
    from augment.tracking import Tracker, TrackingConfig

    note = f"the flow-run process (Prefect flow run {flow_run_id}) was killed"
    tracker = Tracker(TrackingConfig(tracking_uri=tracking_uri))
    if tracker.client.get_run(run_id).info.status == "RUNNING":
        tracker.set_tags(run_id, {"augment.note": f"{note}; marked KILLED by its watchdog"})
        tracker.finish(run_id, "KILLED")

    from prefect.client.orchestration import get_client
    from prefect.states import Crashed

    with get_client(sync_client=True) as client:
        state = client.read_flow_run(flow_run_id).state
        if state is None or not state.is_final():
            message = (
                f"{note} (SIGKILL, e.g. by a worker stopped with SIGTERM); MLflow run {run_id}"
            )
            client.set_flow_run_state(flow_run_id, Crashed(message=message))


def main(argv: list[str]) -> int:
    run_id, flow_run_id, tracking_uri = argv
    # signals to the whole job (systemd stops every process of the unit) must not stop it
    # before the flow-run process is gone: the closed pipe is what ends it
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.stdin.buffer.read() == DONE:
        return 0
    _killed(run_id, flow_run_id, tracking_uri)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
