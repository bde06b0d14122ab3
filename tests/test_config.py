import pytest

from augment import ConfigError, load_config
from augment.config import build_config


def test_defaults_and_overrides(tmp_path):
    p = tmp_path / "c.yml"
    p.write_text("seeds: 3\ngan:\n  epochs: 7\n")
    cfg = load_config(p, {"data.source": "builtin:wine", "gan.epochs": 2})
    assert cfg.n_classifier_seeds == 3 and cfg.gan.epochs == 2 and cfg.data.source == "builtin:wine"


def test_unknown_and_wrong_types_listed(tmp_path):
    p = tmp_path / "c.yml"
    p.write_text("seedz: 3\ngan:\n  epochs: many\narms: [baseline, magic]\n")
    with pytest.raises(ConfigError) as err:
        load_config(p)
    msg = str(err.value)
    assert "seedz: unknown key" in msg
    assert "gan.epochs" in msg
    assert "magic" in msg


def test_unquoted_integer_labels_in_imbalance_classes_are_accepted(tmp_path):
    # the issue: `imbalance_classes: [1]` was refused ("Input should be a valid string")
    import numpy as np
    import pandas as pd

    from augment.experiment import prepare

    rng = np.random.default_rng(0)
    pd.DataFrame({"x": rng.normal(size=90), "y": np.repeat([0, 1, 2], 30)}).to_csv(
        tmp_path / "t.csv", index=False
    )
    p = tmp_path / "c.yml"
    p.write_text(
        f"data:\n  source: {tmp_path / 't.csv'}\n  label: y\n  imbalance_classes: [1, '2']\n"
    )
    cfg = load_config(p)
    assert cfg.data.imbalance_classes == ["1", "2"]
    _, splits = prepare(cfg.data)
    assert splits.reduced_classes == ["1", "2"]
    assert splits.train.class_counts()["1"] < splits.train.class_counts()["0"]


def test_an_imbalance_class_of_another_type_says_how_to_write_it(tmp_path):
    p = tmp_path / "c.yml"
    p.write_text("data:\n  imbalance_classes: [yes, [1]]\n")
    with pytest.raises(ConfigError) as err:
        load_config(p)
    assert "data.imbalance_classes" in str(err.value) and "(quoted)" in str(err.value)


def test_an_integer_imbalance_class_the_data_lacks_names_the_key():
    from augment.data import load_dataset, make_splits
    from augment.exceptions import InvalidDataError

    cfg = build_config({"data": {"source": "builtin:wine", "imbalance_classes": [1, 2]}})
    with pytest.raises(InvalidDataError, match=r"\['1', '2'\] \(data.imbalance_classes\)"):
        make_splits(load_dataset("builtin:wine"), 0.3, 0, cfg.data.imbalance_classes, 0.1)
