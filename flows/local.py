"""The one door from the CLI into the flow: a local session that boots Prefect's temporary API
(unless a server is configured) while the caller checks the run, then runs the checked run.

    with LocalSession(cache_dir / "prefect", echo=verbose) as session:
        prepared = preflight(cfg)          # a user mistake here: the server's state is discarded
        summary = session.run(prepared)    # or RunFailed(run_id, marked_failed)

Only `flows.server` is imported up front: the server starts before the flow's heavy imports.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flows.server import TemporaryAPI, start_temporary_api


class LocalSession:
    """Prefect's temporary API for one run, started on entry and stopped on exit; its state
    folder is discarded when the block fails before `run` began (nothing written)."""

    def __init__(self, state_dir: str | Path, echo: bool = False) -> None:
        self.state_dir, self.echo = Path(state_dir), echo
        self.api: TemporaryAPI | None = None
        self._ran = False

    def __enter__(self) -> LocalSession:
        self.api = start_temporary_api(self.state_dir, echo=self.echo)
        return self

    def run(self, prepared, progress: bool = False) -> dict[str, Any]:
        """The flow over ``prepared`` (which passed `augment.experiment.preflight.preflight`):
        returns the summary, or raises `RunFailed` once its MLflow run was opened."""
        from flows.augmentation import run_local

        self._ran = True
        return run_local(prepared, progress=progress, api=self.api)

    def __exit__(self, kind, err, tb) -> None:
        if self.api is None:
            return
        try:
            if err is not None and not self._ran:
                self.api.discard()  # a check failed: not even the server's state folder
        finally:
            self.api.stop()
