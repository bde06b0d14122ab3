"""One augmentation experiment, step by step, free of orchestration and tracking.

The Prefect flow calls these in order; so can a notebook or another pipeline.

- `preflight`: load and split the data (`prepare`), check every input, key the generators.
- `pairing`: the run's K generators and the one each classifier seed uses (``s mod K``).
- `gan_fit`: fit one conditional GAN; the GAN cache key hashes its import closure
  (`augment.cache.code_version`), so it imports nothing of the rest of this package.
- `fit_process`: that fit in a child process.
- `generation`: `draw`, the one generation step (arms, checks, over-sampler).
- `quality`: the synthetic rows' quality, per generator and averaged.
- `leakage`, `memorisation`: the run's checks on the split and the synthetic rows.
- `summary`: `build_summary` and the `Summary` it makes; `verdict`: its answer in words.

The steps a caller outside needs are named here and imported lazily (PEP 562), so importing
one module of the package (the fit's child process imports `gan_fit`) loads no other. The
library imports them from their own modules.
"""

from augment._lazy import lazy_exports

# no submodule's name here: importing that submodule would overwrite the package attribute
_PUBLIC = {
    "prepare": "augment.experiment.preflight",
    "Prepared": "augment.experiment.preflight",
    "fit_generator": "augment.experiment.gan_fit",
    "draw": "augment.experiment.generation",
    "synthetic_quality": "augment.experiment.quality",
    "build_summary": "augment.experiment.summary",
    "Summary": "augment.experiment.summary",
}

__all__ = sorted(_PUBLIC)
__getattr__, __dir__ = lazy_exports(__name__, _PUBLIC)
