"""MLflow's fluent API pointed at one store for a block, never for the process.

``mlflow.start_run``, ``mlflow.pyfunc.log_model`` and ``mlflow.register_model`` take no store
argument, and downloading a ``models:/name@alias`` model or a run's model folder
(``runs:/<run>/generator``) reads the process-wide registry URI even when the download is given
a store of its own (MLflow 3.17, ``ModelsArtifactRepository._get_model_uri_infos``). So these
calls run inside `tracking_store`, which sets the process-wide tracking URI and puts it back
afterwards: a library call never leaves another caller's MLflow pointing at augment's store.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

ENV = "MLFLOW_TRACKING_URI"  # mlflow.set_tracking_uri also writes it (for subprocesses)

# one block at a time: two threads each scoping their own store would see each other's URI
_LOCK = threading.RLock()


@contextmanager
def tracking_store(uri: str) -> Iterator[None]:
    """For the block, MLflow's process-wide tracking URI (and so the registry URI, unless one
    is set) is ``uri``; afterwards both the URI and ``MLFLOW_TRACKING_URI`` are as they were."""
    import mlflow
    from mlflow.tracking._tracking_service import utils

    with _LOCK:
        before = utils._tracking_uri  # None when unset: get_tracking_uri() would give a default
        env = os.environ.get(ENV)
        mlflow.set_tracking_uri(uri)
        try:
            yield
        finally:
            mlflow.set_tracking_uri(before)  # None unsets the variable too
            if env is None:
                os.environ.pop(ENV, None)
            else:
                os.environ[ENV] = env
