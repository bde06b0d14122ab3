"""MLflow at the edge: the only package that imports mlflow, split by job.

- `config`: where runs are tracked (``mlflow.yml``, ``MLFLOW_TRACKING_URI``);
- `probe`: can the store be used (seconds, before any work);
- `log`: the `Tracker` that logs a run (parent, children per arm, metrics, artifacts);
- `read`: reading runs back (`augment compare`);
- `model`: the generator as a pyfunc model from code, and loading it back without running it;
- `classifier_model`: the retrained downstream classifier likewise (skops or a weights-only
  ``state_dict``), for ``mlflow models serve`` and ``augment predict``;
- `model_files`: the loader both share (plain files, SHA-256 checked, one-line errors);
- `fluent`: MLflow's process-wide tracking URI pointed at augment's store for a call only;
- `suite`: a benchmark-suite result as an experiment.

Names are imported lazily (PEP 562): ``check_reachable`` does not pay for MLflow's import.
"""

from augment._lazy import lazy_exports

_PUBLIC = {
    "TrackingConfig": ".config",
    "load_tracking_config": ".config",
    "check_reachable": ".probe",
    "Tracker": ".log",
    "comparison": ".read",
    "run_tags": ".read",
    "GeneratorModel": ".model",
    "load_generator": ".model",
    "log_generator": ".model",
    "set_generator_model": ".model",
    "ClassifierModel": ".classifier_model",
    "load_classifier": ".classifier_model",
    "log_classifier": ".classifier_model",
    "set_classifier_model": ".classifier_model",
    "log_suite": ".suite",
}

__all__ = sorted(_PUBLIC)
__getattr__, __dir__ = lazy_exports(__name__, _PUBLIC)
