"""Per-class recall of one suite classifier under each over-sampler, fold by fold.

Where ours is below the best classical arm on a row, this tells *how*: a shifted threshold
moves one class's recall up and the other's down; a worse boundary direction lowers both.

    OMP_NUM_THREADS=1 python benchmarks/recall_split.py vowel0 --classifier logistic_regression

Folds are the suite's (3-fold, repeat 0, seed 0); the samplers are imbalanced-learn's random
oversampling and SMOTE and `ConditionalGANOverSampler` with its defaults (``random_state=0``).
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("table", help="a suite table name, e.g. vowel0 or builtin:wine")
    p.add_argument("--classifier", default="logistic_regression")
    p.add_argument("--folds", type=int, default=3)
    a = p.parse_args(argv)

    from imblearn.over_sampling import SMOTE, RandomOverSampler
    from sklearn.metrics import recall_score

    from augment.sampler import ConditionalGANOverSampler
    from augment.suite import default_tables, load_suite_table, make_classifier, make_folds

    paths = [q for q in default_tables() if a.table in (q, Path(q).stem)]
    if not paths:
        names = ", ".join(Path(q).stem for q in default_tables())
        p.error(f"no suite table {a.table!r}; allowed: {names}")
    t = load_suite_table(paths[0])
    labels = np.unique(t.y)
    print(f"{t.name}, {a.classifier}: recall per class " + " / ".join(map(str, labels)))
    for _, fold, train, test in make_folds(t.y, a.folds, 1, 0):
        X_tr, y_tr = t.X.iloc[train].reset_index(drop=True), t.y[train]
        X_te, y_te = t.X.iloc[test].reset_index(drop=True), t.y[test]
        for name, sampler in (
            ("random_oversampling", RandomOverSampler(random_state=0)),
            ("smote", SMOTE(random_state=0)),
            ("ours", ConditionalGANOverSampler(random_state=0)),
        ):
            X_res, y_res = sampler.fit_resample(X_tr, y_tr)
            clf = make_classifier(a.classifier, t.nominal, t.numeric, False)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pred = clf.fit(X_res, y_res).predict(X_te)
            rec = recall_score(y_te, pred, labels=labels, average=None)
            print(f"fold {fold} {name:20s} " + " / ".join(f"{r:.3f}" for r in rec))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
