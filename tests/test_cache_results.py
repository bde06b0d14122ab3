"""`augment.cache` reading and writing results: plain JSON, and anything else is a miss.

The keys themselves are tested in tests/flows/test_cache_keys.py.
"""

from __future__ import annotations

import json
import logging

import pytest

from augment.cache import read_cached, write_cached


def test_absent_result_is_a_miss_and_reading_creates_nothing(tmp_path):
    assert read_cached(tmp_path / "results", "eval-a") is None
    assert not (tmp_path / "results").exists()


def test_written_result_reads_back_with_its_key_and_only_under_its_key(tmp_path):
    results = tmp_path / "deep" / "results"
    write_cached(results, "eval-a", {"metrics": {"f1": 0.5}, "n": [1, 2]})
    assert sorted(p.name for p in results.iterdir()) == ["eval-a.json"]  # no temp file left
    assert read_cached(results, "eval-a") == {"metrics": {"f1": 0.5}, "n": [1, 2], "key": "eval-a"}
    assert read_cached(results, "eval-b") is None


def test_the_stored_key_is_the_file_key_even_if_the_value_has_one(tmp_path):
    write_cached(tmp_path, "eval-a", {"key": "eval-other", "x": 1})
    assert json.loads((tmp_path / "eval-a.json").read_text())["key"] == "eval-a"
    assert read_cached(tmp_path, "eval-a") == {"key": "eval-a", "x": 1}


def test_writing_again_replaces_the_result(tmp_path):
    write_cached(tmp_path, "eval-a", {"x": 1})
    write_cached(tmp_path, "eval-a", {"x": 2})
    assert read_cached(tmp_path, "eval-a") == {"x": 2, "key": "eval-a"}


@pytest.mark.parametrize(
    ("content", "warning"),
    [
        (b"{not json", "unreadable cache file"),
        (b"\xff\xfe\x00garbage", "unreadable cache file"),
        (b"[1, 2]", "not an augment result"),
        (b'{"x": 1}', "not an augment result"),
        (b'{"x": 1, "key": "eval-other"}', "not an augment result"),
    ],
)
def test_unusable_file_is_a_miss_with_a_warning(tmp_path, caplog, content, warning):
    (tmp_path / "eval-a.json").write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="augment.cache"):
        assert read_cached(tmp_path, "eval-a") is None
    assert warning in caplog.text and "eval-a.json" in caplog.text


def test_a_folder_in_place_of_the_result_is_a_miss(tmp_path):
    (tmp_path / "eval-a.json").mkdir()
    assert read_cached(tmp_path, "eval-a") is None
