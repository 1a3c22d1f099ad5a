"""Data loaders: shapes, determinism, checksums, and one clear message when offline or corrupted."""

from __future__ import annotations

import importlib
import shutil
import urllib.error
from pathlib import Path

import numpy as np
import pytest

import course_utils.config as config
import course_utils.data as data

SHARED_MAT = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "olivetti" / "olivettifaces.mat"
needs_shared = pytest.mark.skipif(not SHARED_MAT.exists(), reason="pre-fetched Olivetti copy not available")


@pytest.fixture
def data_folder(tmp_path, monkeypatch):
    """Point the course at an empty, writable data folder for one test."""
    monkeypatch.setattr(config, "_CONFIG", config.Config("tensorflow", True, tmp_path, None))
    return tmp_path


def test_mnist_shapes_split_and_determinism():
    (X_train, y_train), (X_test, y_test) = data.load_mnist()
    assert X_train.shape == (4000, 28, 28) and X_test.shape == (1000, 28, 28)
    assert X_train.dtype == np.uint8 and X_train.max() == 255
    assert np.bincount(y_test).tolist() == [100] * 10, "the split must be stratified"
    (X2, _), (X2_test, y2_test) = data.load_mnist()
    assert np.array_equal(X_test, X2_test) and np.array_equal(y_test, y2_test)
    (Xf, _), _ = data.load_mnist(dtype="float32", test_size=500, seed=1)
    assert Xf.dtype == np.float32 and 0.0 <= Xf.min() and Xf.max() <= 1.0 and len(Xf) == 4500


def test_mnist_bad_arguments():
    with pytest.raises(ValueError, match="dtype must be"):
        data.load_mnist(dtype="int8")
    with pytest.raises(ValueError, match="source must be"):
        data.load_mnist(source="web")


def test_lfw_patches():
    images, labels = data.load_lfw_patches()
    assert images.shape == (200, 25, 25) and images.dtype == np.float32
    assert labels[:100].sum() == 100 and labels[100:].sum() == 0


def _serve(tmp_path: Path, payload: bytes) -> tuple[str, str]:
    src = tmp_path / "served.bin"
    src.write_bytes(payload)
    return src.as_uri(), data.sha256_of(src)


def test_fetch_file_downloads_verifies_and_caches(data_folder, tmp_path):
    url, sha = _serve(tmp_path, b"course data")
    path = data.fetch_file(url, sha256=sha, subdir="demo", filename="d.bin", name="demo file")
    assert path == data_folder / "demo" / "d.bin" and path.read_bytes() == b"course data"
    (tmp_path / "served.bin").unlink()  # now "offline": the cached copy must be used
    assert data.fetch_file(url, sha256=sha, subdir="demo", filename="d.bin", name="demo file") == path


def test_fetch_file_offline_without_cache_is_one_clear_message(data_folder, monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(data.urllib.request, "urlopen", offline)
    with pytest.raises(data.DataError) as info:
        data.load_mnist(source="keras")
    message = str(info.value)
    assert "offline" in message and str(data_folder / "mnist" / "mnist.npz") in message
    assert info.value.__cause__ is None and info.value.__suppress_context__, "no urllib traceback chained"
    assert not list((data_folder / "mnist").glob("*")), "no partial file may be left behind"


def test_fetch_file_rejects_corrupted_cache_and_bad_download(data_folder, tmp_path):
    url, sha = _serve(tmp_path, b"the real bytes")
    cached = data_folder / "demo" / "d.bin"
    cached.parent.mkdir()
    cached.write_bytes(b"truncated")
    with pytest.raises(data.DataError, match="corrupted"):
        data.fetch_file(url, sha256=sha, subdir="demo", filename="d.bin", name="demo file")
    cached.unlink()
    with pytest.raises(data.DataError, match="corrupted"):
        data.fetch_file(url, sha256="0" * 64, subdir="demo", filename="d.bin", name="demo file")
    assert not cached.exists(), "a download that fails its checksum must not be kept"


@needs_shared
def test_olivetti_from_preplaced_mat_is_read_only(data_folder):
    placed = data_folder / "olivetti" / "olivettifaces.mat"
    placed.parent.mkdir()
    shutil.copy(SHARED_MAT, placed)
    before = data.sha256_of(placed)
    images, ids = data.load_olivetti_faces()
    assert images.shape == (400, 64, 64) and images.dtype == np.float32
    assert images.min() == 0.0 and images.max() == 1.0
    assert np.array_equal(ids, np.repeat(np.arange(40), 10))
    assert placed.exists() and data.sha256_of(placed) == before, "the pre-placed file must not change"


@needs_shared
def test_olivetti_through_scikit_learn_fetcher_matches(data_folder, monkeypatch):
    """scikit-learn's own fetcher path (download mocked) gives the same arrays as the .mat path."""
    olivetti = importlib.import_module("sklearn.datasets._olivetti_faces")

    def fake_fetch_remote(remote, dirname=None, **kwargs):
        target = Path(dirname) / remote.filename
        shutil.copy(SHARED_MAT, target)
        return str(target)

    monkeypatch.setattr(olivetti, "_fetch_remote", fake_fetch_remote)
    images, ids = data.load_olivetti_faces()
    assert (data_folder / "scikit_learn_data" / "olivetti_py3.pkz").exists()
    (data_folder / "olivetti").mkdir()
    shutil.copy(SHARED_MAT, data_folder / "olivetti" / "olivettifaces.mat")
    images_mat, ids_mat = data.load_olivetti_faces()
    assert np.array_equal(images, images_mat) and np.array_equal(ids, ids_mat)


def test_olivetti_offline_without_cache_is_one_clear_message(data_folder, monkeypatch):
    olivetti = importlib.import_module("sklearn.datasets._olivetti_faces")

    def offline(*args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(olivetti, "_fetch_remote", offline)
    with pytest.raises(data.DataError, match="offline") as info:
        data.load_olivetti_faces()
    assert "olivettifaces.mat" in str(info.value) and info.value.__suppress_context__


def test_olivetti_corrupted_files_are_reported(data_folder):
    placed = data_folder / "olivetti" / "olivettifaces.mat"
    placed.parent.mkdir()
    placed.write_bytes(b"not a matlab file")
    with pytest.raises(data.DataError, match="corrupted"):
        data.load_olivetti_faces()
    placed.unlink()
    cache = data_folder / "scikit_learn_data" / "olivetti_py3.pkz"
    cache.parent.mkdir()
    cache.write_bytes(b"\x00garbage")
    with pytest.raises(data.DataError, match="corrupted"):
        data.load_olivetti_faces()


def test_dataset_status_never_raises(data_folder):
    status = data.dataset_status()
    assert "olivetti faces" in status and all(isinstance(v, str) for v in status.values())
