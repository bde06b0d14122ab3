"""The fuzzer's profiles (``AUGMENT_FUZZ_PROFILE``: ``ci`` by default, ``long`` by hand) and
their hypothesis settings; see `conftest.py`."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, Phase, settings

# examples per family: the CI profile is a smoke test of every family (14 examples, ~4 CPU
# minutes with the two models `generate` and `commands` share); the long profile finds things
PROFILES = {
    "ci": {
        "tables": 2,
        "images": 2,
        "configs": 4,
        "environments": 2,
        "generate": 2,
        "commands": 2,
    },
    "long": {
        "tables": 300,
        "images": 200,
        "configs": 300,
        "environments": 200,
        "generate": 200,
        "commands": 200,
    },
}
_COMMON = dict(
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)
settings.register_profile("ci", derandomize=True, **_COMMON)
settings.register_profile("long", derandomize=False, **_COMMON)

PROFILE = os.environ.get("AUGMENT_FUZZ_PROFILE", "ci")
if PROFILE not in PROFILES:
    raise pytest.UsageError(f"AUGMENT_FUZZ_PROFILE={PROFILE!r}; allowed: {sorted(PROFILES)}")


def fuzz_settings(family: str):
    """The hypothesis settings of ``family`` under the selected profile."""
    count = int(os.environ.get("AUGMENT_FUZZ_EXAMPLES") or PROFILES[PROFILE][family])
    return settings(settings.get_profile(PROFILE), max_examples=count)


def fuzz_seed() -> int | None:
    """The long profile's seed (printed in the summary so a run can be repeated)."""
    if PROFILE == "ci":
        return None
    given = os.environ.get("AUGMENT_FUZZ_SEED")
    return int(given) if given else None


def time_budget_s() -> float | None:
    """Seconds each fuzz test (family) may spend on examples (long profile); the examples
    left when it is spent are counted as skipped. None: no limit."""
    if PROFILE == "ci":
        return None
    return float(os.environ.get("AUGMENT_FUZZ_MINUTES", "40")) * 60
