"""`gan.seeds`: its default, the seeds >= gan.seeds rule (exit 2, one line) and the summary."""

from __future__ import annotations

import pytest

from augment.cli import main
from augment.config import build_config
from augment.exceptions import ConfigError
from augment.experiment.pairing import gan_seeds, generator_of
from augment.experiment.quality import per_generator_means
from augment.table import generator_lines


def test_default_is_two_generators_capped_at_seeds():
    assert build_config({}).n_generators == 2
    assert build_config({"seeds": 1}).n_generators == 1
    cfg = build_config({"seeds": 6, "gan": {"seeds": 4, "seed": 10}})
    assert cfg.n_generators == 4 and gan_seeds(cfg) == [10, 11, 12, 13]
    assert [generator_of(s, 4) for s in range(6)] == [0, 1, 2, 3, 0, 1]


def test_fewer_seeds_than_generators_is_a_config_error(mlflow_tmp, capsys):
    with pytest.raises(ConfigError, match=r"seeds \(2\) must be >= gan.seeds \(3\)"):
        build_config({"seeds": 2, "gan": {"seeds": 3}})
    with pytest.raises(ConfigError, match="gan.seeds"):
        build_config({"gan": {"seeds": 0}})
    assert main(["run", "--seeds", "2", "--gan-seeds", "3"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "seeds (2) must be >= gan.seeds (3)" in err


def test_per_generator_means_follow_the_pairing():
    rows = [
        {m: float(v) for m in ("balanced_accuracy", "macro_f1", "accuracy", "minority_recall")}
        for v in (1, 2, 3, 4, 5)
    ]
    means = per_generator_means(rows, 2)  # generator 0: seeds 0, 2, 4; generator 1: seeds 1, 3
    assert means["balanced_accuracy"] == [3.0, 3.0]
    lines = generator_lines({"gan_seeds": [0, 1], "per_generator": {"gan": means}})
    assert "2 generator(s)" in lines[0] and "s mod 2" in lines[0] and "3.000 / 3.000" in lines[1]
