"""Memory of the row selection stays linear in the rows (issue 27): no buffer of candidates x
real rows, no points for the whole table or the whole pool, one copy of the points; and
herding's many small products run on one BLAS thread whatever the caller's.

The caps are shrunk with monkeypatch so that tiny tables cross them; the rows kept must be those
of `herd` on all the points, bit for bit.
"""

import tracemalloc

import numpy as np
import pandas as pd

import augment.selection as selection
from augment.selection import HerdedRows, RowSpace


def _table(rng, n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "a": rng.normal(0, 1, n),
            "b": rng.lognormal(0, 1, n),
            "c": rng.choice(["x", "y", "z"], n),
        }
    )


def test_herding_makes_points_for_one_block_and_the_real_sample_only(monkeypatch):
    monkeypatch.setattr(selection, "HERD_REAL_MAX", 50)
    monkeypatch.setattr(selection, "HERD_BLOCK", 40)
    rng = np.random.default_rng(0)
    X, y = _table(rng, 2000), np.r_[np.zeros(1500, dtype=int), np.ones(500, dtype=int)]
    cand = _table(rng, 1000)  # pool 5 x 200 rows: 5 blocks of 200 candidates
    made: list[int] = []
    points = RowSpace.points

    def recorded(self, frame):
        out = points(self, frame)
        made.append(len(out))
        return out

    monkeypatch.setattr(RowSpace, "points", recorded)
    keep = HerdedRows(X, y).choose(cand, 1, 200, np.random.default_rng(1))
    assert made and max(made) <= 200  # never the 2,000 real rows nor the 1,000 candidates
    monkeypatch.setattr(RowSpace, "points", points)
    space = RowSpace(X)
    whole = selection.herd(
        space.points(X)[y == 1], space.points(cand), 200, np.random.default_rng(1)
    )
    np.testing.assert_array_equal(keep, whole)  # the same rows as herding on all the points


def test_mean_kernel_works_in_tiles_with_the_same_sums(monkeypatch):
    rng = np.random.default_rng(2)
    C, R = rng.normal(size=(1000, 3)), rng.normal(size=(700, 3))
    whole = selection.mean_kernel(C, R, 0.3)  # one tile: 1,000 < KERNEL_ROWS
    monkeypatch.setattr(selection, "KERNEL_ROWS", 64)
    shapes: list[tuple[int, int]] = []
    sq = selection._sq_distances

    def recorded(A, B):
        shapes.append((len(A), len(B)))
        return sq(A, B)

    monkeypatch.setattr(selection, "_sq_distances", recorded)
    tiled = selection.mean_kernel(C, R, 0.3)
    assert max(a for a, _ in shapes) == 64 and max(b for _, b in shapes) == 512
    np.testing.assert_array_equal(tiled, whole)


def test_points_hold_one_copy_of_the_rows():
    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(20_000, 10)), columns=[f"x{j}" for j in range(10)])
    space = RowSpace(X)
    tracemalloc.start()
    try:
        P = space.points(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert P.shape == (20_000, 10)
    assert peak < 2 * P.nbytes  # the points and one column's temporaries, not 2-3 copies


def test_the_gan_reorders_its_encoded_rows_in_place():
    from augment.gan.tabular import _grouped_in_place

    Z = np.arange(70, dtype=np.float32).reshape(10, 7)
    order = np.array([3, 0, 6, 1, 5, 2, 4])
    want = Z[:, order]
    out = _grouped_in_place(Z, order, rows=3)  # blocks of 3, 3, 3, 1 rows
    assert out is Z
    np.testing.assert_array_equal(out, want)


def test_herding_steps_run_on_one_blas_thread(monkeypatch):
    from threadpoolctl import threadpool_info, threadpool_limits

    seen: list[int] = []
    row = selection._kernel_row

    def recorded(*args):
        seen.append(max(p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"))
        return row(*args)

    monkeypatch.setattr(selection, "_kernel_row", recorded)
    C = np.random.default_rng(4).normal(size=(50, 3))
    with threadpool_limits(2, user_api="blas"):
        keep = selection.herd_greedy(C, np.ones(50), 3, 0.5)
    assert len(keep) == 3 and seen == [1, 1, 1]
