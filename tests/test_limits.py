"""Limits in the schema and at load (issue 26.5): every numeric config key has a range, YAML
aliases are bounded, image sizes are checked from the header, column dtypes are normalised at
load and labels are compared as the user wrote them.

The config tests walk the schema, so a numeric key added later without a range fails here."""

from __future__ import annotations

import math
import re
import struct
import subprocess
import sys
import time
import zlib
from typing import Any

import numpy as np
import pytest
from _cli import augment_process
from _values import _types
from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel

from augment.config import RunConfig, build_config, load_config
from augment.exceptions import ConfigError, InvalidDataError

SEED_MAX = 2**32 - 1  # numpy's legacy seeding and scikit-learn's random_state allow [0, SEED_MAX]

# --- every numeric key has a range ---------------------------------------------------------


def _numeric_fields(model: type[BaseModel], prefix: str = ""):
    """(dotted key, field, alternatives) of every int / float field of ``model``, recursively;
    the key as a YAML config writes it (a field's alias: ``seeds`` for ``n_classifier_seeds``)."""
    for field_name, field in model.model_fields.items():
        name = field.alias or field_name
        options = [t for t in _types(field.annotation) if t is not type(None)]
        if len(options) == 1 and isinstance(options[0], type) and issubclass(options[0], BaseModel):
            yield from _numeric_fields(options[0], f"{prefix}{name}.")
        elif int in options or float in options:
            yield f"{prefix}{name}", field, options


NUMERIC = list(_numeric_fields(RunConfig))
INTS = [(k, f) for k, f, options in NUMERIC if float not in options]
FLOATS = [(k, f) for k, f, options in NUMERIC if float in options]
# what the acceptance checks set besides the key under test, so the checks across keys
# (seeds >= gan.seeds, gan.seed + gan.seeds - 1 <= SEED_MAX) hold at every bound
CONTEXT = {"seeds": 1000, "gan": {"seeds": 1}}


def _nested(key: str, value: Any, base: dict | None = None) -> dict:
    """``{"a": {"b": value}}`` for key ``a.b``, merged into a copy of ``base``."""
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in (base or {}).items()}
    node = out
    *parents, leaf = key.split(".")
    for p in parents:
        node = node.setdefault(p, {})
    node[leaf] = value
    return out


def _bounds(field) -> tuple[int, int]:
    """The smallest and largest value an int field allows (from its ge/gt and le/lt)."""
    low = high = None
    for m in field.metadata:
        if isinstance(m, Ge):
            low = m.ge
        elif isinstance(m, Gt):
            low = m.gt + 1
        elif isinstance(m, Le):
            high = m.le
        elif isinstance(m, Lt):
            high = m.lt - 1
    return low, high


def test_the_schema_has_numeric_keys_of_every_section():
    keys = {k.split(".")[0] for k, _ in INTS} | {k.rsplit(".", 1)[0] for k, _ in INTS}
    assert {"seeds", "data", "gan", "gan.tabular", "gan.image", "orchestration"} <= keys
    assert "gan.tabular.pac" in dict(INTS) and "gan.image.translate" in dict(FLOATS)


@pytest.mark.parametrize("key,field", INTS, ids=[k for k, _ in INTS])
def test_every_int_key_has_a_range_that_is_enforced(key, field):
    low, high = _bounds(field)
    assert low is not None and high is not None, f"{key} needs a lower and an upper bound"
    if key.endswith("seed"):  # numpy's and scikit-learn's seeds
        assert (low, high) == (0, SEED_MAX), key
    for bad in (low - 1, high + 1, 2**64):
        with pytest.raises(ConfigError) as err:
            build_config(_nested(key, bad))
        msg = str(err.value)
        assert f"{key}: Input should be" in msg and "\n" not in msg, msg
    with pytest.raises(ConfigError, match=f"{key}: .*less than or equal to {high}"):
        build_config(_nested(key, high + 1))
    for good in (low, high):  # the bounds themselves are allowed
        cfg = build_config(_nested(key, good, CONTEXT))
        node = cfg.model_dump()  # read back by the YAML keys, as written
        for part in key.split("."):
            node = node[part]
        assert node == good


@pytest.mark.parametrize("key,field", FLOATS, ids=[k for k, _ in FLOATS])
def test_every_float_key_is_finite(key, field):
    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(ConfigError, match=f"{key}: "):
            build_config(_nested(key, bad))


def test_seeds_of_the_issue_are_config_errors(tmp_path):
    for text, key in [
        ("data: {split_seed: -1}\n", "data.split_seed"),
        ("gan: {seed: 18446744073709551616}\n", "gan.seed"),
    ]:
        p = tmp_path / "c.yml"
        p.write_text(text)
        with pytest.raises(ConfigError, match=f"{key}: Input should be"):
            load_config(p)


def test_generator_seeds_stay_in_range():
    # generator i has GAN seed gan.seed + i: the last one must be a valid seed too
    with pytest.raises(ConfigError, match=r"gan.seed \(4294967295\) \+ gan.seeds \(2\) - 1"):
        build_config({"gan": {"seed": SEED_MAX}, "seeds": 2})
    assert build_config({"gan": {"seed": SEED_MAX}, "seeds": 1}).n_generators == 1
    assert build_config({"gan": {"seed": SEED_MAX - 1}, "seeds": 5}).n_generators == 2


# --- sampling_strategy: the shapes imbalanced-learn allows, checked in the schema ------------


@pytest.mark.parametrize(
    "value",
    [
        "most",
        "",
        0,
        0.0,
        -0.5,
        1.5,
        math.nan,
        math.inf,
        True,
        [1, 2],
        {"a": -1},
        {"a": 1.5},
        {"a": True},
        {"a": "x"},
        {"a": 10**12},
        {"a": None},
    ],  # fmt: skip
)
def test_sampling_strategy_shape_is_checked_in_the_schema(value):
    with pytest.raises(ConfigError, match=r"sampling_strategy: .*(not allowed|target count)"):
        build_config({"sampling_strategy": value})


@pytest.mark.parametrize("value", ["auto", "minority", "all", 0.5, 1, 1.0, {"a": 10, 3: 0}])
def test_valid_sampling_strategies_pass_the_schema(value):
    assert build_config({"sampling_strategy": value}).sampling_strategy == value


# --- YAML: aliases bounded, paths that are not files -----------------------------------------


def _bomb(indent: int, items: bool = False) -> str:
    """A billion laughs at ``indent`` spaces, 9**10 strings once expanded: mapping lines
    ``aN: &aN [...]``, or with ``items`` list items ``- &aN [...]``."""
    pad = " " * indent + ("- " if items else "")
    head = [f"&a{i}" if items else f"a{i}: &a{i}" for i in range(10)]
    lines = [f"{pad}{head[0]} [x, x, x, x, x, x, x, x, x]"]
    lines += [f"{pad}{head[i]} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    return "\n".join(lines) + "\n"


_LOAD = """
import sys, time
from augment.config import load_config
from augment.exceptions import ConfigError
start = time.perf_counter()
try:
    load_config(sys.argv[1])
except ConfigError as err:
    print(f"{time.perf_counter() - start:.3f} {err}")
"""


@pytest.mark.parametrize(
    "text",
    [
        "sampling_strategy:\n" + _bomb(2, items=True),  # the issue's report
        "sampling_strategy:\n" + _bomb(2),
        "gan:\n  tabular:\n" + _bomb(4),
        "seeds: 3\nnotes:\n" + _bomb(2),  # an unknown key: refused before the schema sees it
        "augmentations:\n  - name: Affine\n    rotate:\n" + _bomb(6),
    ],
)
def test_yaml_alias_bomb_is_refused_fast_anywhere(tmp_path, text):
    p = tmp_path / "bomb.yml"
    p.write_text(text)
    # in a process of its own, timed there: before the fix, whatever expanded the bomb hung
    proc = subprocess.run(
        [sys.executable, "-c", _LOAD, str(p)], capture_output=True, text=True, timeout=60
    )
    seconds, _, msg = proc.stdout.strip().partition(" ")
    assert re.match(rf"config file {re.escape(str(p))}: .*YAML aliases", msg), proc.stdout
    assert float(seconds) < 0.5 and "\n" not in msg


def test_recursive_alias_and_deep_nesting_are_config_errors(tmp_path):
    p = tmp_path / "c.yml"
    p.write_text("sampling_strategy: &a [*a]\n")
    with pytest.raises(ConfigError, match=rf"config file {p}: .*refers to itself"):
        load_config(p)
    p.write_text("sampling_strategy: " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(ConfigError, match=rf"config file {p}: .*nested too deeply"):
        load_config(p)


def test_a_few_aliases_are_fine(tmp_path):
    p = tmp_path / "c.yml"
    p.write_text(
        "gan:\n  seed: &s 3\n  tabular: {hidden: &w 32, critic_hidden: *w}\n"
        "data: {split_seed: *s}\nsampling_strategy: &m {a: 5}\n"
    )
    cfg = load_config(p)
    assert (cfg.data.split_seed, cfg.gan.tabular.critic_hidden) == (3, 32)


def test_config_path_that_is_not_a_readable_yaml_file(tmp_path):
    with pytest.raises(ConfigError, match=rf"config file {tmp_path} is a folder"):
        load_config(tmp_path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yml")
    p = tmp_path / "latin1.yml"
    p.write_bytes("seeds: 3 # caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=rf"config file {p} is not UTF-8 text"):
        load_config(p)
    big = tmp_path / "big.yml"
    big.write_text("seeds: 3\n" + "#" * 2_000_000 + "\n")
    with pytest.raises(ConfigError, match=rf"config file {big} is .* bytes; at most"):
        load_config(big)


def test_cli_exits_2_on_a_bomb_and_a_bad_seed_leaving_nothing(tmp_path, mixed_csv):
    bomb = "sampling_strategy:\n" + _bomb(2, items=True)  # before: hung quoting the value
    for i, text in enumerate([bomb, "data: {split_seed: -1}\n"]):
        cwd = tmp_path / f"run{i}"
        cwd.mkdir()
        (cwd / "c.yml").write_text(text)
        args = ["run", "c.yml", "--data", str(mixed_csv), "--label", "outcome", "--epochs", "1"]
        proc = augment_process(*args, "--seeds", "1", "--arms", "baseline", cwd=cwd, timeout=120)
        assert proc.returncode == 2, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("augment: error: "), proc.stderr
        assert not (cwd / "mlflow.db").exists() and not (cwd / ".augment").exists()


# --- images: the size is read from the header, before decoding --------------------------------


def _png_header_only(path, width: int, height: int) -> None:
    """A PNG whose header claims ``width`` x ``height`` 8-bit gray, with a tiny pixel stream."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    body = chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + body)


@pytest.mark.parametrize("side", [30000, 5000])  # above PIL's own bomb limit, and below it
def test_huge_image_header_is_refused_before_decoding(tmp_path, side):
    from _images import png_folder

    from augment import load_dataset

    png_folder(tmp_path, {"a": [(8, 8)] * 2, "b": [(8, 8)] * 2})
    bomb = tmp_path / "b" / "zz_bomb.png"
    _png_header_only(bomb, side, side)
    start = time.perf_counter()
    with pytest.raises(InvalidDataError) as err:
        load_dataset(tmp_path)
    msg = str(err.value)
    assert msg.startswith(f"{bomb}: ") and "pixels" in msg and "\n" not in msg, msg
    assert "at most" in msg, msg
    assert time.perf_counter() - start < 2


def test_image_that_is_not_png_or_jpeg_inside_is_refused_by_name(tmp_path):
    from _images import png_folder
    from PIL import Image

    from augment import load_dataset

    png_folder(tmp_path, {"a": [(8, 8)] * 2, "b": [(8, 8)] * 2})
    odd = tmp_path / "a" / "odd.png"
    Image.fromarray(np.zeros((8, 8), np.float32), mode="F").save(odd.with_suffix(".tif"))
    odd.with_suffix(".tif").rename(odd)  # a 32-bit float TIFF named .png
    with pytest.raises(
        InvalidDataError, match=rf"{odd}: unreadable or corrupt image: not a PNG or JPEG file"
    ):
        load_dataset(tmp_path)


@pytest.mark.parametrize("key,field", FLOATS, ids=[k for k, _ in FLOATS])
def test_every_float_key_has_a_range_that_is_enforced(key, field):
    """Found by the fuzzer (seed 20261217): `gan.tabular.tau: 18446744073709551616` ran. A
    float knob without an upper bound takes any finite value, however meaningless."""
    highs = [m for m in field.metadata if isinstance(m, Le | Lt)]
    lows = [m for m in field.metadata if isinstance(m, Ge | Gt)]
    assert highs and lows, f"{key} needs a lower and an upper bound"
    high = highs[0].le if isinstance(highs[0], Le) else highs[0].lt
    for bad in (2.0**64, high * 2 + 1):
        with pytest.raises(ConfigError, match=f"{key}: .*less than"):
            build_config(_nested(key, bad))
