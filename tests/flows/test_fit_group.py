"""`flows.generators.FitGroup`: the fits of one run stop together."""

from __future__ import annotations

import pytest


def test_a_fit_starting_after_the_run_stopped_is_stopped_as_an_echo():
    """A fit task that starts after its run's FitGroup stopped (the run failed meanwhile) stops
    its fit and raises FitStopped, whose task record the CLI drops as an echo of the cause."""
    from augment.experiment.fit_process import FitStopped
    from flows.generators import FitGroup

    class Fit:  # FitGroup only ever calls stop()
        stopped = False

        def stop(self):
            self.stopped = True

    group, late = FitGroup(), Fit()
    group.stop()
    with pytest.raises(FitStopped):
        group.add(late)
    assert late.stopped
