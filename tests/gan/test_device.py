"""The GPU path: the over-sampler fitted and sampled on CUDA (skipped where there is no GPU)."""

import numpy as np
import pandas as pd
import pytest
import torch

from augment import ConditionalGANOverSampler

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")


@needs_cuda
def test_fit_resample_on_cuda_gives_the_planned_rows_and_classes():
    rng = np.random.default_rng(0)
    y = np.where(rng.random(120) < 0.8, "no", "yes")
    X = pd.DataFrame(
        {
            "income": rng.normal(50, 10, 120) + (y == "yes") * 20,
            "city": rng.choice(["Lyon", "Paris", "Nice"], 120),
        }
    )
    sampler = ConditionalGANOverSampler(epochs=1, device="cuda", random_state=0)
    X_res, y_res = sampler.fit_resample(X, y)
    assert sampler.generator_.device_.type == "cuda"
    counts = pd.Series(y_res).value_counts()
    assert counts["yes"] == counts["no"] == (y == "no").sum()  # balanced: "auto"
    assert X_res.shape == (len(y_res), 2) and list(X_res.columns) == ["income", "city"]
    assert set(X_res["city"][len(X) :]) <= {"Lyon", "Paris", "Nice"}
    assert X_res.dtypes.to_dict() == X.dtypes.to_dict()
