import dataclasses

import numpy as np
import pandas as pd
import pytest

import augment.arms
from augment import InvalidDataError, TabularCGAN, load_dataset
from augment.arms import (
    ArmResult,
    applicable_arms,
    default_names,
    generator_arms,
    get,
    names,
    register,
    run_arm,
    training_set,
)
from augment.arms._common import targets
from augment.arms._registry import Draw
from augment.balance import balance_plan
from augment.data import dataset_from_frame, make_splits
from augment.experiment.generation import draw, run_selector
from augment.gan import TabularGANConfig
from augment.selection import DEFAULT_POOL


def test_smote_and_gan_reach_the_plan(wine_splits):
    s = wine_splits
    plan = balance_plan(s.train.y, "auto")
    target = np.bincount(s.train.y).max()
    X, y = training_set("smote", s, plan, 0)
    assert (np.bincount(y) == target).all()
    gan = TabularCGAN(TabularGANConfig(epochs=1, hidden=16), random_state=0, progress=False)
    gan.fit(s.train.X, s.train.y)
    X, y = training_set("gan", s, plan, 0, gan)
    assert (np.bincount(y) == target).all()
    assert list(X.columns) == list(s.train.X.columns)
    # the real rows come first, untouched
    pd.testing.assert_frame_equal(X.iloc[: len(s.train)], s.train.X)


def test_smotenc_on_mixed_types(mixed_csv):
    data = load_dataset(mixed_csv, label="outcome")
    s = make_splits(data, 0.3, 0, [], 0.1)
    plan = balance_plan(s.train.y)
    X, y = training_set("smote", s, plan, 0)
    assert set(X["city"]) <= {"Lyon", "Paris", "Nice"}
    assert X.dtypes.to_dict() == data.X.dtypes.to_dict()
    assert np.bincount(y)[0] == np.bincount(y)[1]


def test_run_arm_metrics_per_seed(wine_splits):
    s = wine_splits
    res = run_arm("baseline", s, balance_plan(s.train.y), [0, 1], "logistic_regression")
    assert len(res.per_seed) == 2
    assert res.confusion.sum() == 2 * len(s.test)


def test_string_only_table_uses_smoten():
    df = pd.DataFrame({"a": list("xyzxyzxyzxyz") * 2, "y": ["p"] * 18 + ["q"] * 6})
    data = dataset_from_frame(df, "y", "t")
    s = make_splits(data, 0.25, 0, [], 0.1)
    X, y = training_set("smote", s, balance_plan(s.train.y), 0)
    assert np.bincount(y)[0] == np.bincount(y)[1]


# --- issue 14: what the mutants of augment/arms showed untested -----------------------------


def _tiny_gan(s):
    return TabularCGAN(TabularGANConfig(epochs=1, hidden=16), random_state=0, progress=False).fit(
        s.train.X, s.train.y
    )


def test_an_all_zero_plan_leaves_every_table_arm_with_the_train_split(wine_splits):
    s = wine_splits
    zero = {c: 0 for c in range(s.train.n_classes)}
    gan = _tiny_gan(s)
    for arm in ("baseline", "smote", "random_oversample", "gan", "class_weight"):
        X, y = training_set(arm, s, zero, 0, gan)
        pd.testing.assert_frame_equal(X, s.train.X, obj=arm)
        np.testing.assert_array_equal(y, s.train.y, err_msg=arm)


def test_draw_keeps_typical_rows_of_a_pool_only_when_given_the_gan_arms_selector(wine_splits):
    s = wine_splits
    gan = _tiny_gan(s)
    first, y_first = draw(gan, {1: 4, 0: 0}, None, 3)
    # seed * 1000 + the class's position in the sorted plan (class 0 counts, with 0 rows)
    expected = gan.sample(4, 1, random_state=3001)
    pd.testing.assert_frame_equal(first, expected.reset_index(drop=True))
    assert y_first.tolist() == [1] * 4 and y_first.dtype == np.int64
    typical, y_typ = draw(gan, {1: 4}, run_selector(s.train), 3, like=s.train.X)
    pool = gan.sample(DEFAULT_POOL * 4, 1, random_state=3000).astype(s.train.X.dtypes.to_dict())

    def keys(frame):
        return pd.util.hash_pandas_object(frame, index=False).tolist()

    assert set(keys(typical)) <= set(keys(pool)) and len(typical) == 4
    unfiltered = gan.sample(4, 1, random_state=3000).astype(s.train.X.dtypes.to_dict())
    assert keys(typical) != keys(unfiltered)  # chosen from the pool, not its first rows
    assert y_typ.tolist() == [1] * 4


def test_targets_are_counts_plus_plan_for_planned_classes_only(wine_splits):
    counts = np.bincount(wine_splits.train.y)
    got = targets(wine_splits.train, {0: 0, 1: 1, 2: 5})
    assert got == {1: int(counts[1]) + 1, 2: int(counts[2]) + 5}


def test_smote_on_images_reaches_the_plan_on_flattened_pixels():
    digits = load_dataset("builtin:digits")
    s = make_splits(digits.subset(np.arange(300)), 0.3, 0, ["8", "9"], 0.2)
    plan = balance_plan(s.train.y)
    X, y = training_set("smote", s, plan, 0)
    assert X.shape[1] == 64 and (np.bincount(y) == np.bincount(s.train.y).max()).all()
    np.testing.assert_array_equal(X[: len(s.train)], s.train.features_2d())


def test_no_applicable_arm_is_an_error_naming_each_reason(wine_splits):
    with pytest.raises(InvalidDataError, match=r"no arm left to run: smotenc: .+"):
        applicable_arms(["smotenc"], wine_splits)
    assert applicable_arms(["baseline", "smotenc"], wine_splits)[0] == ["baseline"]


def test_registering_the_same_arm_again_is_fine_another_with_its_name_is_not():
    arm = get("baseline")
    assert register(arm) is arm
    with pytest.raises(ValueError, match="'baseline' is already registered"):
        register(dataclasses.replace(arm, help="another"))
    assert get("baseline") is arm
    with pytest.raises(dataclasses.FrozenInstanceError):
        Draw(None, {}, 0).seed = 1  # one seed's inputs cannot change under an arm


def test_arm_result_json_round_trip_and_shape_checks():
    res = ArmResult("gan", [{"f1": 0.5}], np.array([[3, 1], [0, 2]]), [0.75, 1.0], 40)
    back = ArmResult.from_json(res.to_json(), "gan", 2)
    assert back.arm == "gan" and back.per_seed == [{"f1": 0.5}] and back.n_train == 40
    assert back.per_class_recall == [0.75, 1.0] and back.confusion.tolist() == [[3, 1], [0, 2]]
    assert ArmResult.from_json(res.to_json(), "smote", 2) is None  # another arm's result
    assert ArmResult.from_json(res.to_json(), "gan", 3) is None  # another class count
    assert ArmResult.from_json(res.to_json(), "gan", 2, n_seeds=2) is None
    assert ArmResult.from_json({"arm": "gan"}, "gan", 2) is None


def test_arm_results_merge_seeds_in_order_summing_confusions():
    a = ArmResult("gan", [{"f1": 0.5}], np.eye(2, dtype=np.int64), [1.0, 0.0], 40)
    b = ArmResult("gan", [{"f1": 0.7}], 2 * np.eye(2, dtype=np.int64), [0.5, 1.0], 41)
    m = ArmResult.merge([a, b])
    assert m.per_seed == [{"f1": 0.5}, {"f1": 0.7}] and m.confusion.tolist() == [[3, 0], [0, 3]]
    assert m.per_class_recall == [0.75, 0.5] and m.n_train == 40  # the first seed's


def test_every_public_name_of_augment_arms_exists():
    assert all(hasattr(augment.arms, name) for name in augment.arms.__all__)


def test_arms_are_listed_in_their_order_defaults_and_generator_users_marked():
    core = ["baseline", "gan", "smote", "oracle", "classical", "gan+classical"]
    extra = ["random_oversample", "smotenc", "class_weight"]
    assert [n for n in names() if n in core + extra] == core + extra  # listing and table order
    assert default_names() == core
    assert generator_arms() == ["gan", "gan+classical"]  # the flow fits a GAN for these only


def test_smote_is_seeded_by_the_draw(wine_splits):
    s = wine_splits
    plan = balance_plan(s.train.y)
    a, b, c = (training_set("smote", s, plan, seed)[0] for seed in (0, 0, 1))
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
