import pytest

from augment import ConfigError, load_config


def test_defaults_and_overrides(tmp_path):
    p = tmp_path / "c.yml"
    p.write_text("seeds: 3\ngan:\n  epochs: 7\n")
    cfg = load_config(p, {"data.source": "builtin:wine", "gan.epochs": 2})
    assert cfg.seeds == 3 and cfg.gan.epochs == 2 and cfg.data.source == "builtin:wine"


def test_unknown_and_wrong_types_listed(tmp_path):
    p = tmp_path / "c.yml"
    p.write_text("seedz: 3\ngan:\n  epochs: many\narms: [baseline, magic]\n")
    with pytest.raises(ConfigError) as err:
        load_config(p)
    msg = str(err.value)
    assert "seedz: unknown key" in msg
    assert "gan.epochs" in msg
    assert "magic" in msg
