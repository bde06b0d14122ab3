import numpy as np
import pandas as pd
import pytest
from imblearn.pipeline import Pipeline
from imblearn.utils.estimator_checks import parametrize_with_checks
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from augment import ConditionalGANOverSampler

FAST = {"epochs": 1, "random_state": 0}


def _table(n=120, seed=0):
    rng = np.random.default_rng(seed)
    y = np.where(rng.random(n) < 0.8, "no", "yes")
    X = pd.DataFrame(
        {
            "age": rng.integers(18, 80, n),
            "income": rng.normal(50, 10, n) + (y == "yes") * 20,
            "city": pd.Series(rng.choice(["Lyon", "Paris", "Nice"], n), dtype=object),
            "member": rng.random(n) < 0.5,
            "joined": pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 500, n), "D"),
        }
    )
    return X, y


@parametrize_with_checks([ConditionalGANOverSampler(**FAST)])
def test_imblearn_estimator_checks(estimator, check):
    check(estimator)


def test_dataframe_in_dataframe_out_same_dtypes():
    X, y = _table()
    X_res, y_res = ConditionalGANOverSampler(**FAST).fit_resample(X, y)
    assert isinstance(X_res, pd.DataFrame)
    assert X_res.dtypes.to_dict() == X.dtypes.to_dict()
    assert (np.unique(y_res, return_counts=True)[1] == (y == "no").sum()).all()
    pd.testing.assert_frame_equal(X_res.iloc[: len(X)], X)  # real rows first, untouched
    assert set(X_res["city"]) <= {"Lyon", "Paris", "Nice"}


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        ("auto", {"no": 88, "yes": 88}),
        ("minority", {"no": 88, "yes": 88}),
        ("all", {"no": 88, "yes": 88}),
        ("not minority", {"no": 88, "yes": 32}),
        (0.5, {"no": 88, "yes": 44}),
        ({"yes": 40}, {"no": 88, "yes": 40}),
        (lambda y: {"yes": 50}, {"no": 88, "yes": 50}),
    ],
)
def test_every_sampling_strategy_form(strategy, expected):
    X, y = _table()
    assert dict(zip(*np.unique(y, return_counts=True), strict=True)) == {"no": 88, "yes": 32}
    _, y_res = ConditionalGANOverSampler(sampling_strategy=strategy, **FAST).fit_resample(X, y)
    assert dict(zip(*np.unique(y_res, return_counts=True), strict=True)) == expected


def test_in_imblearn_pipeline_under_cross_val_score():
    X, y = _table(150)
    pre = ColumnTransformer(
        [
            ("num", StandardScaler(), ["age", "income"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["city", "member"]),
        ]
    )
    pipe = Pipeline(
        [
            ("gan", ConditionalGANOverSampler(**FAST)),
            ("pre", pre),
            ("clf", LogisticRegression(max_iter=500)),
        ]
    )
    scores = cross_val_score(pipe, X, y, cv=3, scoring="balanced_accuracy")
    assert len(scores) == 3 and np.isfinite(scores).all()


def test_arrays_in_arrays_out_and_seeded():
    X = np.random.default_rng(1).normal(size=(60, 3))
    y = np.r_[np.zeros(45, int), np.ones(15, int)]
    a = ConditionalGANOverSampler(**FAST).fit_resample(X, y)
    b = ConditionalGANOverSampler(**FAST).fit_resample(X, y)
    assert isinstance(a[0], np.ndarray) and a[0].shape == (90, 3)
    np.testing.assert_array_equal(a[0], b[0])


def test_network_widths_and_learning_rate_reach_the_gan():
    X, y = _table()
    s = ConditionalGANOverSampler(
        epochs=1, hidden=16, critic_hidden=8, learning_rate=1e-3, random_state=0
    )
    s.fit_resample(X, y)
    cfg = s.generator_.config
    assert (cfg.hidden, cfg.critic_hidden, cfg.lr_g, cfg.lr_d) == (16, 8, 1e-3, 1e-3)
    # the fitted generator's residual blocks have the asked width
    assert s.generator_.generator_.body[0].fc.out_features == 16


def test_early_stopping_reaches_the_gan_and_keeps_the_full_data():
    X, y = _table()
    s = ConditionalGANOverSampler(epochs=6, patience=1, eval_every=1, random_state=0)
    Xr, yr = s.fit_resample(X, y)
    gan = s.generator_
    dist = [r["val_distance"] for r in gan.history_.rows]
    # patience 1: training stops at the first check whose distance is not below the best so far
    stop = next((i + 1 for i in range(1, len(dist)) if dist[i] >= min(dist[:i])), 6)
    assert len(dist) == stop and gan.best_epoch_ == int(np.argmin(dist)) + 1
    # the held-out rows only steer the GAN: the output still has every real row, in order
    pd.testing.assert_frame_equal(Xr.iloc[: len(X)].reset_index(drop=True), X)
    assert (yr == "yes").sum() == (yr == "no").sum()


def test_n_generators_share_out_the_rows_and_differ():
    X, y = _table()
    s = ConditionalGANOverSampler(epochs=2, n_generators=3, random_state=0)
    X_res, y_res = s.fit_resample(X, y)
    assert len(s.generators_) == 3 and s.generator_ is s.generators_[0]
    assert dict(zip(*np.unique(y_res, return_counts=True), strict=True)) == {"no": 88, "yes": 88}
    a, b = (g.sample(20, "yes", random_state=0) for g in s.generators_[:2])
    assert not a.equals(b)  # distinct seeds, distinct generators
    again = ConditionalGANOverSampler(epochs=2, n_generators=3, random_state=0).fit_resample(X, y)
    pd.testing.assert_frame_equal(X_res, again[0])
    # one generator: the same rows as before n_generators existed (generator 0, same seeds)
    one = ConditionalGANOverSampler(epochs=2, random_state=0).fit_resample(X, y)
    two = ConditionalGANOverSampler(epochs=2, n_generators=1, random_state=0).fit_resample(X, y)
    pd.testing.assert_frame_equal(one[0], two[0])


@pytest.mark.parametrize("selection", ["herd", "typical"])
def test_selected_rows_are_only_rows_the_generator_made(selection):
    X, y = _table()
    s = ConditionalGANOverSampler(epochs=2, random_state=0, pool=3, selection=selection)
    X_res, y_res = s.fit_resample(X, y)
    synthetic = X_res.iloc[len(X) :]
    assert len(synthetic) == 88 - 32 and (y_res[len(X) :] == "yes").all()
    # the candidates: what generator 0 made for "yes" with the sampler's own seed
    seed = int(np.random.RandomState(0).randint(np.iinfo(np.int32).max))
    made = s.generator_.sample(3 * len(synthetic), "yes", random_state=seed + 1)
    made = made.astype(X.dtypes.to_dict())

    def keys(frame):
        return set(pd.util.hash_pandas_object(frame, index=False).tolist())

    assert keys(synthetic) <= keys(made)  # every returned row is one of the generator's
    assert not keys(synthetic) & keys(X)  # and none is a real row
    # selection="all" returns the first rows generated, as before selection existed
    first = ConditionalGANOverSampler(epochs=2, random_state=0, selection="all")
    X_all, _ = first.fit_resample(X, y)
    expected = s.generator_.sample(len(synthetic), "yes", random_state=seed + 1)
    pd.testing.assert_frame_equal(
        X_all.iloc[len(X) :].reset_index(drop=True),
        expected.astype(X.dtypes.to_dict()).reset_index(drop=True),
    )


@pytest.mark.parametrize("bad", [{"selection": "best"}, {"pool": 0}])
def test_bad_selection_settings_are_refused_before_training(bad):
    from sklearn.utils._param_validation import InvalidParameterError

    X, y = _table()
    with pytest.raises(InvalidParameterError, match=next(iter(bad))):
        ConditionalGANOverSampler(epochs=1, **bad).fit_resample(X, y)


# --- issue 14: what the mutants of sampler.py showed untested ------------------------------


def test_defaults_are_the_documented_ones():
    assert ConditionalGANOverSampler().get_params() == {
        "sampling_strategy": "auto",
        "epochs": 300,
        "step_budget": None,
        "batch_size": None,
        "discrete": None,
        "pac": 10,
        "hidden": 128,
        "critic_hidden": 256,
        "learning_rate": 2e-4,
        "device": "auto",
        "random_state": None,
        "progress": False,
        "patience": None,
        "eval_every": 10,
        "aux_weight": 0.0,
        "class_packs": False,
        "n_generators": 1,
        "selection": "herd",
        "pool": 5,
        "tune_estimator": None,
        "tune_amounts": (0.25, 0.5, 1.0),
        "tune_cv": 2,
        "tune_scoring": "balanced_accuracy",
        "tune_step_budget": 20.0,
    }


@pytest.mark.parametrize(
    ("name", "lowest", "refused"),
    [
        ("epochs", 1, 0),
        ("batch_size", 2, 1),
        ("pac", 1, 0),
        ("hidden", 1, 0),
        ("critic_hidden", 1, 0),
        ("learning_rate", 1e-9, 0.0),
        ("patience", 1, 0),
        ("eval_every", 1, 0),
        ("aux_weight", 0.0, -0.1),
        ("n_generators", 1, 0),
        ("pool", 1, 0),
        ("device", "cuda", "gpu"),
        ("device", "cpu", "CPU"),
        ("progress", True, "yes"),
        ("class_packs", True, 1),
    ],
)
def test_each_parameter_bound_is_declared(name, lowest, refused):
    # validated before any training: the error names the parameter
    from sklearn.utils._param_validation import InvalidParameterError

    ConditionalGANOverSampler(**{name: lowest})._validate_params()
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
        ConditionalGANOverSampler(**{name: refused})._validate_params()


def test_a_class_asked_for_one_row_gets_exactly_one():
    X, y = _table()
    _, y_res = ConditionalGANOverSampler(sampling_strategy={"yes": 33}, **FAST).fit_resample(X, y)
    assert dict(zip(*np.unique(y_res, return_counts=True), strict=True)) == {"no": 88, "yes": 33}


def test_discrete_makes_a_numeric_column_categorical_for_frames_and_arrays():
    rng = np.random.default_rng(3)
    y = np.r_[np.zeros(70, int), np.ones(20, int)]
    frame = pd.DataFrame({"x": rng.normal(size=90), "code": rng.choice([0.0, 1.0, 10.0], 90)})

    def kinds(sampler, X):
        sampler.fit_resample(X, y)
        return {c: i["type"] for c, i in sampler.generator_.transformer_.info_.items()}

    assert kinds(ConditionalGANOverSampler(**FAST), frame)["code"] == "continuous"
    on = kinds(ConditionalGANOverSampler(discrete=["code"], **FAST), frame)
    assert on == {"x": "continuous", "code": "discrete"}
    # arrays: columns by position, named "0", "1", ... inside
    on = kinds(ConditionalGANOverSampler(discrete=[1], **FAST), frame.to_numpy())
    assert on == {"0": "continuous", "1": "discrete"}


def test_tags_tell_imblearn_strings_yes_sparse_no():
    tags = ConditionalGANOverSampler().__sklearn_tags__()
    assert tags.input_tags.string and not tags.input_tags.sparse and not tags.non_deterministic


@pytest.mark.parametrize(("n", "k"), [(10, 3), (280, 3), (5, 5), (2, 4), (0, 2)])
def test_rows_shared_out_between_generators_sum_up_larger_shares_first(n, k):
    from augment.selection import near_equal_shares

    shares = near_equal_shares(n, k)
    assert sum(shares) == n and len(shares) == k
    assert max(shares) - min(shares) <= 1 and shares == sorted(shares, reverse=True)
    assert all(isinstance(s, int) for s in shares)


def test_a_class_of_very_few_real_rows_is_warned_about_by_name():
    # the case: 1,320 rows generated from 2 real ones without a word
    X, y = _table(60)
    y = np.where(np.arange(60) < 3, "tiny", "big")
    with pytest.warns(UserWarning, match=r"class 'tiny' has 3 real row\(s\), fewer than 6"):
        ConditionalGANOverSampler(**FAST).fit_resample(X, y)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # enough rows: no warning
        y = np.where(np.arange(60) < 12, "small", "big")
        ConditionalGANOverSampler(**FAST).fit_resample(X, y)
