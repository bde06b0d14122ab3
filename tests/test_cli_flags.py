"""`augment run`'s flags for the common data keys and the --quick preset reach the config (a
config file is not needed for one's own data)."""

from __future__ import annotations

import pytest

from augment.cli.main import parser
from augment.cli.run import QUICK, _overrides
from augment.config import load_config
from augment.exceptions import ConfigError


def _cfg(*argv: str):
    return load_config(None, _overrides(parser().parse_args(["run", *argv])))


def test_data_flags_reach_the_config():
    cfg = _cfg(
        "--data", "t.csv", "--label", "y", "--imbalance-classes", "a, 1", "--imbalance-fraction",
        "0.2", "--test-size", "0.25", "--discrete", "zip,grade",
    )  # fmt: skip
    d = cfg.data
    assert (d.source, d.label, d.imbalance_classes) == ("t.csv", "y", ["a", "1"])
    assert (d.imbalance_fraction, d.test_size, d.discrete) == (0.2, 0.25, ["zip", "grade"])
    assert _cfg("--imbalance-classes", "none").data.imbalance_classes == []


def test_quick_is_a_preset_that_flags_beside_it_override():
    cfg = _cfg("--quick")
    assert (cfg.gan.epochs, cfg.n_classifier_seeds, cfg.gan.n_generators) == (
        QUICK["gan.epochs"],
        QUICK["seeds"],
        QUICK["gan.seeds"],
    )
    cfg = _cfg("--quick", "--seeds", "5")
    assert (cfg.gan.epochs, cfg.n_classifier_seeds) == (QUICK["gan.epochs"], 5)
    assert _cfg().gan.epochs != QUICK["gan.epochs"]  # without --quick, the defaults


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--imbalance-classes", ","], "--imbalance-classes ',' names nothing"),
        (["--test-size", "1.5"], "test_size"),
        (["--imbalance-fraction", "0"], "imbalance_fraction"),
    ],
)
def test_bad_flag_values_are_config_errors(argv, said):
    with pytest.raises(ConfigError, match=said):
        _cfg(*argv)
