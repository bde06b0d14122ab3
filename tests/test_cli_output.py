"""What a user sees off a terminal: the CLI as a subprocess, stderr read back (issue 13.1)."""

from __future__ import annotations

import os
import subprocess
import sys


def _augment(*args: str, cwd) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API", "MLFLOW_"))}
    env |= {"MLFLOW_TRACKING_URI": f"sqlite:///{cwd}/mlflow.db", "OMP_NUM_THREADS": "1"}
    (cwd / "home").mkdir(exist_ok=True)
    env |= {"HOME": str(cwd / "home")}  # where ~/.prefect would be
    env = {k: v for k, v in env.items() if k not in ("PREFECT_HOME",) and "DATABASE" not in k}
    return subprocess.run(
        [sys.executable, "-m", "augment.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_run_leaves_stderr_free_of_third_party_noise(tmp_path):
    out = _augment(
        "run", "--data", "builtin:wine", "--epochs", "1", "--seeds", "2", "--arms",
        "baseline,gan,smote", cwd=tmp_path,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    for noise in ("Finished in state", "INFO", "Downloading artifacts", "Warning", "prefect"):
        assert noise not in out.stderr, out.stderr
    assert "balanced_accuracy" in out.stdout and "MLflow run" in out.stdout
    # off a terminal, progress is a few whole lines per stage, each naming it, ending at 100%
    lines = out.stderr.splitlines()
    assert lines and all(line.startswith("augment: ") for line in lines), out.stderr
    gan = [line for line in lines if line.startswith("augment: GAN fit (2 generator(s)): ")]
    arms = [line for line in lines if line.startswith("augment: arms x seeds: ")]
    assert gan[-1].startswith("augment: GAN fit (2 generator(s)): 2/2 epochs (100%)")
    assert "d_loss" in gan[-1] and "took" in gan[-1]
    assert arms[-1].startswith("augment: arms x seeds: 6/6 trained and scored (100%)")
    assert len(lines) <= 10
    # Prefect's records of the run are in the project's cache folder, not ~/.prefect
    assert (tmp_path / ".augment" / "cache" / "prefect" / "prefect.db").is_file()
    assert not (tmp_path / "home" / ".prefect" / "prefect.db").exists()


def test_version():
    from augment import __version__

    out = subprocess.run(
        [sys.executable, "-m", "augment.cli", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0 and out.stdout.strip() == f"augment {__version__}"
