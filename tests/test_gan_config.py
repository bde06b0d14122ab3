"""One GAN config (issue 10): every model knob is reachable from the run config, defaults are
declared once (in `augment.gan_settings`), and a key for the other data kind is an error."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest
from _values import another_value

from augment.config import GANConfig, build_config
from augment.exceptions import ConfigError
from augment.gan_settings import ImageGANConfig, TabularGANConfig

KINDS = {"table": (TabularGANConfig, "tabular"), "image": (ImageGANConfig, "image")}


def _knobs(kind):
    settings, section = KINDS[kind]
    return [(kind, f.name) for f in fields(settings)]


@pytest.mark.parametrize("kind,name", _knobs("table") + _knobs("image"))
def test_every_model_knob_is_set_from_the_run_config(kind, name):
    settings, section = KINDS[kind]
    default = GANConfig().model_settings(kind)
    where = section if name in GANConfig.model_fields[section].annotation.model_fields else None
    field = next(f for f in fields(settings) if f.name == name)
    current = getattr(default, name)
    value = another_value(current, field.type)
    if isinstance(value, float) and name in ("critic_dropout", "translate", "cutout"):
        value = min(value, 0.5)
    gan = {where: {name: value}} if where else {name: value}
    got = build_config({"gan": gan}).gan.model_settings(kind)
    assert getattr(got, name) == value, (name, gan)


def test_section_defaults_are_the_models_defaults():
    assert GANConfig().tabular.model_dump().items() <= TabularGANConfig().__dict__.items()
    assert GANConfig().image.model_dump().items() <= ImageGANConfig().__dict__.items()


def test_the_run_config_keeps_its_common_defaults():
    # the run's epochs (200) override the estimators' library defaults; null batch size and
    # learning rates mean the model's own (images 32, tables chosen from the table size)
    tab, img = GANConfig().model_settings("table"), GANConfig().model_settings("image")
    assert tab.epochs == img.epochs == 200
    assert (img.batch_size, tab.batch_size) == (32, None)
    assert (img.lr_d, tab.lr_d) == (ImageGANConfig.lr_d, TabularGANConfig.lr_d)


@pytest.mark.parametrize(
    "gan,kind,message",
    [
        ({"image": {"channels": 32}}, "table", "gan.image.channels does not apply to a table"),
        ({"grid_every": 5}, "table", "gan.grid_every does not apply to a table"),
        ({"tabular": {"pac": 1}}, "image", "gan.tabular.pac does not apply to an image"),
    ],
)
def test_a_key_for_the_other_kind_is_an_error(gan, kind, message):
    cfg = build_config({"gan": gan}).gan
    with pytest.raises(ConfigError, match=message):
        cfg.check_applies(kind)
    cfg.check_applies("image" if kind == "table" else "table")  # its own kind: fine


def test_out_of_range_knob_is_a_config_error():
    with pytest.raises(ConfigError, match="gan.tabular.pac: Input should be greater than"):
        build_config({"gan": {"tabular": {"pac": 0}}})
    with pytest.raises(ConfigError, match="gan.image.colour: unknown key"):
        build_config({"gan": {"image": {"colour": True}}})


@pytest.mark.usefixtures("one_thread")
def test_checkpoint_dir_works_for_images(tmp_path):
    from augment.data import LabeledDataset
    from augment.experiment import fit_generator

    rng = np.random.default_rng(0)
    X = rng.random((24, 1, 8, 8)).astype(np.float32)
    y = np.repeat([0, 1], 12)
    train = LabeledDataset("tiny", X, y, ["a", "b"], "image")
    cfg = build_config(
        {"gan": {"epochs": 2, "eval_every": 0, "checkpoint_dir": str(tmp_path / "ck")}}
    ).gan
    fit_generator(train, cfg, progress=False)
    assert [p.name.split("-")[0] for p in (tmp_path / "ck").glob("*.pt")] == ["image"]
