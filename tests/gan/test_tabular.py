import numpy as np
import pandas as pd
import pytest
import torch

from augment import InvalidDataError, TabularCGAN, load_dataset
from augment.gan import TabularGANConfig
from augment.transform import TabularTransformer

CFG = TabularGANConfig(epochs=2, batch_size=32, hidden=32)


def test_transformer_roundtrip(mixed_csv):
    X = load_dataset(mixed_csv, label="outcome").X
    t = TabularTransformer().fit(X)
    back = t.inverse_transform(t.transform(X))
    pd.testing.assert_frame_equal(back[["city", "member"]], X[["city", "member"]])
    np.testing.assert_allclose(back["income"], X["income"], rtol=1e-4)
    assert (back["age"] == X["age"]).all() and back["age"].dtype == X["age"].dtype


def test_fit_sample_exact_class_and_dtypes(mixed_csv):
    data = load_dataset(mixed_csv, label="outcome")
    gan = TabularCGAN(CFG, discrete=data.discrete, random_state=0, progress=False)
    gan.fit(data.X, data.y)
    rows = gan.sample(37, 1)
    assert len(rows) == 37
    assert list(rows.columns) == list(data.X.columns)
    assert rows.dtypes.to_dict() == data.X.dtypes.to_dict()
    assert set(rows["city"]) <= {"Lyon", "Paris", "Nice"}
    assert rows["age"].between(data.X["age"].min(), data.X["age"].max()).all()
    assert len(gan.history.rows) == 2


def test_same_seed_same_samples():
    data = load_dataset("builtin:wine")
    a = (
        TabularCGAN(CFG, random_state=3, progress=False)
        .fit(data.X, data.y)
        .sample(20, 2, random_state=1)
    )
    b = (
        TabularCGAN(CFG, random_state=3, progress=False)
        .fit(data.X, data.y)
        .sample(20, 2, random_state=1)
    )
    c = (
        TabularCGAN(CFG, random_state=4, progress=False)
        .fit(data.X, data.y)
        .sample(20, 2, random_state=1)
    )
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_unknown_class_is_named():
    data = load_dataset("builtin:wine")
    gan = TabularCGAN(CFG, random_state=0, progress=False).fit(data.X, data.y)
    with pytest.raises(InvalidDataError, match=r"unknown class label\(s\) \['9'\]"):
        gan.sample(5, 9)


def test_condition_sampler_rows_match_their_condition(mixed_csv):
    from augment.transform.conditions import ConditionSampler

    data = load_dataset(mixed_csv, label="outcome")
    t = TabularTransformer(data.discrete).fit(data.X)
    Z = t.transform(data.X)
    s = ConditionSampler(t.spans_, 2).fit(Z, data.y)
    gen = torch.Generator().manual_seed(0)
    rows, c, cond, jk = s.sample_train(4000, gen)
    assert (data.y[rows.numpy()] == c.numpy()).all()  # exact class
    cats = [sp for sp in t.spans_ if sp.role == "category"]
    for j, sp in enumerate(cats):
        pick = jk[:, 0] == j
        got = Z[rows[pick].numpy(), sp.start : sp.end].argmax(1)
        assert (got == jk[pick, 1].numpy()).all()  # the row has the fixed category
    assert (cond.sum(1) == 1).all() and cond.shape[1] == s.cond_dim
    # log-frequency: both classes drawn about equally although one is 3x rarer
    assert abs(c.float().mean().item() - 0.5) < 0.05


@pytest.mark.parametrize(("n", "batch", "pac"), [(23, 7, 10), (120, None, 10), (5, None, 10)])
def test_pacgan_handles_any_batch_size(n, batch, pac):
    from augment.gan.tabular import batch_plan

    bs, p, steps = batch_plan(n, batch, pac)
    assert bs % p == 0 and 1 <= p <= pac and bs <= n and steps >= 1
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.choice(["u", "v"], n)})
    y = np.r_[np.zeros(n - n // 2, int), np.ones(n // 2, int)]
    cfg = TabularGANConfig(epochs=1, batch_size=batch, hidden=16, pac=pac)
    gan = TabularCGAN(cfg, random_state=0, progress=False).fit(X, y)
    assert len(gan.sample(3, 1)) == 3 and len(gan.sample(0, 0)) == 0


def test_global_rng_untouched_and_nan_columns(mixed_csv):
    data = load_dataset(mixed_csv, label="outcome")
    X = data.X.copy()
    X.loc[::7, "income"] = np.nan
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    gan = TabularCGAN(CFG, discrete=data.discrete, random_state=0, progress=False).fit(X, data.y)
    assert torch.rand(1) == before
    rows = gan.sample(300, 0, random_state=0)
    assert rows["income"].dtype == X["income"].dtype
    assert rows["income"].dropna().between(X["income"].min(), X["income"].max()).all()


def test_span_activation_is_a_softmax_per_span(mixed_csv):
    from augment.gan.tabular import SpanActivation, grouped_order

    X = load_dataset(mixed_csv, label="outcome").X
    spans = TabularTransformer().fit(X).spans_
    act = SpanActivation(spans, tau=0.2)
    raw = torch.randn(64, spans[-1].end, generator=torch.Generator().manual_seed(0))
    position = np.argsort(grouped_order(spans)[0])  # encoded column -> network position
    for training in (False, True):
        out = act.train(training)(raw)
        for s in spans:
            cols = position[s.start : s.end]
            if s.kind == "tanh":
                torch.testing.assert_close(out[:, cols], torch.tanh(raw[:, cols]))
            else:  # Gumbel-softmax (when sampling too): a distribution over the span
                torch.testing.assert_close(out[:, cols].sum(1), torch.ones(64))
    # its argmax is a draw from softmax(logits): the rarer category is drawn too
    span = next(s for s in spans if s.kind == "softmax" and s.width == 2)
    cols = position[span.start : span.end]
    logits = torch.zeros(4000, spans[-1].end)
    logits[:, cols[0]] = np.log(3.0)  # p = (0.75, 0.25)
    share = (act.eval()(logits)[:, cols].argmax(1) == 1).float().mean().item()
    assert abs(share - 0.25) < 0.03


def test_loop_speedups_are_opt_in():
    from augment.gan.loop import LoopConfig

    loop = LoopConfig(epochs=1, noise_dim=2, lr_g=1e-3, lr_d=1e-3)
    assert (loop.reuse_fake, loop.gp_every, loop.fused_adam, loop.freeze_d_for_g) == (
        False,
        1,
        False,
        False,
    )


def test_class_packs_share_one_class_per_pack(mixed_csv):
    from augment.transform.conditions import ConditionSampler

    data = load_dataset(mixed_csv, label="outcome")
    t = TabularTransformer(data.discrete).fit(data.X)
    Z = t.transform(data.X)
    s = ConditionSampler(t.spans_, 2).fit(Z, data.y)
    rows, c, _, _ = s.sample_train(400, torch.Generator().manual_seed(0), pack=10)
    packs = c.view(-1, 10)
    assert (packs == packs[:, :1]).all()  # one class per pack
    assert (data.y[rows.numpy()] == c.numpy()).all()
    assert 0.3 < c.float().mean().item() < 0.7  # both classes still drawn


def _signature_table(n=240, seed=0):
    """Class 1 is rare and lives at x ~ +3, class 0 at x ~ -3: a class signature to learn."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.2).astype(int)
    X = pd.DataFrame(
        {"x": rng.normal(size=n) + np.where(y == 1, 3.0, -3.0), "z": rng.normal(size=n)}
    )
    return X, y


def test_aux_loss_makes_rows_of_the_rare_class_look_like_it(one_thread):
    # measured: 80 epochs without the aux loss, rare/common means 0.01 / -0.16 (no class
    # signature); with aux_weight 2: 2.56 / -1.39, 83% of rare rows at x > 0
    X, y = _signature_table()
    cfg = TabularGANConfig(epochs=80, hidden=32, critic_hidden=64, aux_weight=2.0)
    gan = TabularCGAN(cfg, random_state=0, progress=False).fit(X, y)
    rare, common = gan.sample(300, 1, random_state=1), gan.sample(300, 0, random_state=1)
    assert rare["x"].mean() > 1.5 and common["x"].mean() < -0.5
    assert (rare["x"] > 0).mean() > 0.7


# --- issue 14: what the mutants of gan/tabular.py showed untested ---------------------------


@pytest.mark.parametrize(
    ("n", "batch", "pac", "plan"),
    [
        (1000, None, 10, (120, 10, 8)),  # n // 8 rows, whole packs: 8 steps
        (10_000, None, 10, (500, 10, 20)),  # at most 500
        (10_000, None, 1, (500, 1, 20)),  # (without packs rounding it down)
        (3, None, 10, (2, 1, 1)),  # pac at most n // 2, at least 2 * pac rows
        (100, 64, 10, (60, 10, 1)),  # a given batch is cut to whole packs
        (100, 5, 10, (10, 10, 10)),  # but is at least one pack
    ],
)
def test_batch_plan_values(n, batch, pac, plan):
    from augment.gan.tabular import batch_plan

    assert batch_plan(n, batch, pac) == plan


def test_progress_bar_on_by_default():
    assert TabularCGAN().progress is True and TabularCGAN(progress=False).progress is False


def test_aux_classifier_is_class_balanced(one_thread):
    # 200 common rows at x ~ N(0, 1), 20 rare ones at N(2, 1): a classifier that weights the
    # classes by inverse frequency calls most rare rows rare; one that follows the counts
    # calls them common, and then the aux loss would push rare rows towards the common class
    from augment.gan.tabular import _aux_loss

    rng = np.random.default_rng(0)
    codes = np.r_[np.zeros(200, int), np.ones(20, int)]
    data = torch.tensor(rng.normal(size=220) + 2.0 * codes, dtype=torch.float32)[:, None]
    with torch.random.fork_rng():
        torch.manual_seed(0)
        loss = _aux_loss(data, codes, 2, 1.0, torch.Generator().manual_seed(0))
    rare = data[codes == 1]
    as_rare = torch.tensor([[0.0, 1.0]]).repeat(len(rare), 1)  # cond: one-hot class first
    as_common = torch.tensor([[1.0, 0.0]]).repeat(len(rare), 1)
    assert loss(rare, as_rare).item() < loss(rare, as_common).item()
    # measured: 0.30 class-balanced, 1.10 unweighted, 2.44 weighted by the counts
    assert loss(rare, as_rare).item() < np.log(2)  # most rare rows called rare
    assert not loss(rare, as_rare).requires_grad  # the classifier is frozen
