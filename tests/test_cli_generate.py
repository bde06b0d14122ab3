"""`augment generate` on an image generator logged by a finished flow run (local MLflow)."""

import pandas as pd
import pytest
from PIL import Image

from augment.cli import main
from augment.config import build_config


@pytest.mark.usefixtures("prefect_harness")
def test_generate_image_folder_per_class_with_manifest(tmp_path, mlflow_tmp, capsys):
    from flows import augmentation_flow

    cfg = build_config(
        {
            "gan": {"epochs": 1},
            "seeds": 1,
            "arms": ["baseline", "gan"],
            "orchestration": {"cache_dir": str(tmp_path / "cache")},
        }
    )
    summary = augmentation_flow(cfg)
    uri = summary["generator_uri"]
    out = tmp_path / "synthetic"
    assert (
        main(["generate", uri, "--n", "3", "--class", "5", "--class", "9", "--out", str(out)]) == 0
    )
    assert sorted(p.name for p in out.iterdir()) == ["5", "9", "manifest.csv"]
    for cls in ("5", "9"):
        files = sorted((out / cls).glob("*.png"))
        assert len(files) == 3
        with Image.open(files[0]) as img:
            assert img.size == (8, 8) and img.mode == "L"
    manifest = pd.read_csv(out / "manifest.csv")
    assert len(manifest) == 6 and manifest["is_synthetic"].all()
    # an existing folder is kept unless --force; with --force it is replaced whole
    assert main(["generate", uri, "--n", "1", "--out", str(out)]) == 2
    assert len(list((out / "5").glob("*.png"))) == 3
    assert main(["generate", uri, "--n", "1", "--out", str(out), "--force"]) == 0
    assert len(list(out.glob("*/*.png"))) == 10
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".synthetic")]
