"""Reference outputs: what the demonstration cells of a full-mode run showed, stored for the course site.

A full-mode benchmark run on the reference backend (:data:`REFERENCE_BACKEND`) keeps the outputs of
the notebook's *demonstration* cells (set-up, worked examples, experiments, figures) in
``benchmarks/outputs/``: one ``NN_topic.json`` index per notebook and its figures as PNG files in
``NN_topic/``. Outputs of answer cells, try-it cells and check cells are never stored (they would show
what an answer computes, or the grader's messages). Figures are downscaled and re-encoded so the set
stays small; text loses ANSI colours, progress-bar redraws, stderr and the run's own paths.

Each stored cell carries the SHA-256 of its source. :func:`stale_cells` compares them with the current
sources (``solutions/NN_topic.py``): a cell whose source changed since the run, or a new one, has no
valid output, and the site shows none for it (``tests/test_site.py`` fails naming it; re-run
``python -m course_tools bench --outputs-only --notebooks NN``).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

__all__ = [
    "REFERENCE_BACKEND",
    "MAX_IMAGE_WIDTH",
    "cell_roles",
    "source_sha",
    "sanitise_outputs",
    "store_outputs",
    "load_outputs",
    "stale_cells",
    "outputs_dir",
]

#: The backend whose full-mode run provides the site's outputs.
REFERENCE_BACKEND = "tensorflow"
#: Figures wider than this (pixels) are downscaled before they are stored.
MAX_IMAGE_WIDTH = 1000
#: A figure larger than this (bytes) after lossless re-encoding is quantised to 256 colours.
QUANTISE_ABOVE = 60_000
#: At most this many lines of one text output are kept (the first and last halves).
MAX_TEXT_LINES = 60

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_WIDGET = "application/vnd.jupyter.widget-view+json"


def outputs_dir(root: Path) -> Path:
    return Path(root) / "benchmarks" / "outputs"


def source_sha(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def cell_roles(nb) -> list[str]:
    """One role per cell: ``markdown``, ``answer``, ``check``, ``try-it`` or ``demo``.

    ``answer``: an nbgrader solution cell; ``check``: a graded test cell; ``try-it``: the code cell
    right after a markdown cell that starts with "Try it" (the course's exercise skeleton);
    ``demo``: every other code cell (set-up, worked examples, experiments, figures).
    """
    roles = []
    for i, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type != "code":
            roles.append("markdown")
        elif meta.get("solution"):
            roles.append("answer")
        elif meta.get("grade"):
            roles.append("check")
        elif i and nb.cells[i - 1].cell_type == "markdown" and nb.cells[i - 1].source.lstrip().startswith("Try it"):
            roles.append("try-it")
        else:
            roles.append("demo")
    return roles


def _clean_text(text: str, replacements: dict[str, str]) -> str:
    text = _ANSI.sub("", text)
    lines = []
    for line in text.split("\n"):
        line = line.split("\r")[-1] if "\r" in line.rstrip("\r") else line.rstrip("\r")  # keep a bar's last redraw
        lines.append(re.sub(r".\x08", "", line))
    # the benchmark's own "[report] name = value" lines (cu.report), which a learner's run does not print
    text = "\n".join(line for line in lines if not line.startswith("[report] "))
    for old, new in replacements.items():
        if old:
            text = text.replace(old, new)
    rows = text.split("\n")
    if len(rows) > MAX_TEXT_LINES + 1:
        half = MAX_TEXT_LINES // 2
        rows = rows[:half] + [f"... ({len(rows) - 2 * half} lines left out) ..."] + rows[-half:]
    return "\n".join(rows)


def _png(data: str) -> tuple[bytes, int, int]:
    """A figure's PNG, downscaled to MAX_IMAGE_WIDTH and re-encoded (quantised when large)."""
    from PIL import Image

    image = Image.open(io.BytesIO(base64.b64decode(data)))
    image.load()
    if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        image = image.convert("RGBA")
    if image.width > MAX_IMAGE_WIDTH:
        height = round(image.height * MAX_IMAGE_WIDTH / image.width)
        image = image.resize((MAX_IMAGE_WIDTH, height), Image.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    if out.tell() > QUANTISE_ABOVE and image.mode != "P":
        rgb = image.convert("RGB") if image.mode in ("RGBA", "LA", "L") else image
        small = io.BytesIO()
        rgb.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.FLOYDSTEINBERG).save(
            small, format="PNG", optimize=True
        )
        if small.tell() < out.tell():
            out = small
    return out.getvalue(), image.width, image.height


def sanitise_outputs(outputs: list, replacements: dict[str, str] | None = None) -> list[dict]:
    """The shown part of one cell's outputs, as plain records.

    Returns a list of ``{"type": "stream", "text"}``, ``{"type": "text", "text"}`` (a value's plain-text
    form), ``{"type": "image", "png": bytes, "width", "height"}`` and ``{"type": "widget"}`` (an
    interactive widget, which a static page cannot show). Errors, stderr, HTML, JavaScript and widget
    views are dropped; consecutive stdout pieces are joined.
    """
    replacements = replacements or {}
    records: list[dict] = []
    for out in outputs:
        kind = out.get("output_type")
        if kind == "stream":
            if out.get("name") != "stdout":
                continue
            text = _clean_text("".join(out.get("text", "")), replacements)
            if records and records[-1]["type"] == "stream":
                records[-1]["text"] += text
            elif text.strip():
                records.append({"type": "stream", "text": text})
        elif kind in ("display_data", "execute_result"):
            data = out.get("data", {})
            if "image/png" in data:
                png, width, height = _png(data["image/png"])
                records.append({"type": "image", "png": png, "width": width, "height": height})
            elif _WIDGET in data:
                if not records or records[-1]["type"] != "widget":
                    records.append({"type": "widget"})
            elif "text/plain" in data:
                text = _clean_text("".join(data["text/plain"]), replacements)
                if text.strip():
                    records.append({"type": "text", "text": text})
    for record in records:
        if record["type"] == "stream":
            record["text"] = _clean_text(record["text"], {})  # joined redraws
    return records


def _replacements(root: Path, workdir: str | None) -> dict[str, str]:
    """The run's own paths, replaced in stored text by what a reader would have in their place."""
    pairs = {}
    data = os.environ.get("COURSE_DATA_DIR")
    if data:
        pairs[str(Path(data).resolve())] = "COURSE_DATA_DIR"
        pairs[data] = "COURSE_DATA_DIR"
    if workdir:
        pairs[workdir] = "."
    pairs[str(Path(root).resolve())] = "."
    pairs[str(Path.home())] = "~"
    return pairs


def store_outputs(nb, stem: str, *, root: Path, meta: dict, workdir: str | None = None) -> dict:
    """Store the demonstration cells' outputs of an executed solution notebook; returns a size summary.

    ``nb`` is the executed ``solutions/<stem>.ipynb``; ``meta`` describes the run (backend, mode,
    date, machine, wall time). Replaces ``benchmarks/outputs/<stem>.json`` and ``<stem>/`` as a whole.
    """
    folder = outputs_dir(root)
    folder.mkdir(parents=True, exist_ok=True)
    replacements = _replacements(root, workdir)
    cells, images = [], {}
    for index, (cell, role) in enumerate(zip(nb.cells, cell_roles(nb))):
        if role != "demo":
            continue
        shown = []
        for record in sanitise_outputs(cell.get("outputs", []), replacements):
            if record["type"] == "image":
                name = f"{stem}/{cell.id}-{len(images) + 1}.png"
                images[name] = record.pop("png")
                record["file"] = name
            shown.append(record)
        cells.append(
            {
                "id": cell.id,
                "index": index,
                "sha256": source_sha(cell.source),
                "first_line": _first(cell.source),
                "outputs": shown,
            }
        )
    index_data = {"notebook": stem, **meta, "cells": cells}
    tmp = Path(tempfile.mkdtemp(prefix=f".{stem}-", dir=folder))
    try:
        for name, png in images.items():
            (tmp / Path(name).name).write_bytes(png)
        target = folder / stem
        if target.exists():
            shutil.rmtree(target)
        if images:
            tmp.chmod(0o755)
            tmp.rename(target)
        (folder / f"{stem}.json").write_text(json.dumps(index_data, indent=1, sort_keys=True) + "\n")
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    sizes = [len(png) for png in images.values()]
    return {"cells": len(cells), "images": len(images), "image_bytes": sum(sizes), "largest": max(sizes, default=0)}


def _first(source: str) -> str:
    line = next((line for line in source.splitlines() if line.strip()), "")
    return line if len(line) <= 70 else line[:67] + "..."


def load_outputs(stem: str, root: Path) -> dict | None:
    """The stored index of a notebook (``None`` when it has none); images as paths under ``benchmarks/outputs``."""
    path = outputs_dir(root) / f"{stem}.json"
    if not path.exists():
        return None
    return json.loads(path.read_text())


def stale_cells(nb, stored: dict | None, stem: str) -> list[str]:
    """The demonstration cells of ``nb`` (the current source) without a valid stored output, one sentence each."""
    if stored is None:
        return [f"{stem}: no stored outputs (benchmarks/outputs/{stem}.json)"]
    by_id = {c["id"]: c for c in stored["cells"]}
    matched = set()
    problems = []
    for index, (cell, role) in enumerate(zip(nb.cells, cell_roles(nb))):
        if role != "demo":
            continue
        entry = by_id.get(cell.id)
        if entry is not None and entry["sha256"] == source_sha(cell.source):
            matched.add(cell.id)
            continue
        problems.append(
            f"{stem}, cell {index} ({_first(cell.source)!r}): its source changed since the reference run of "
            f"{stored.get('date', '?')}, or it is new"
        )
    for entry in stored["cells"]:
        if entry["id"] not in matched and entry["id"] not in {c.id for c in nb.cells}:
            problems.append(
                f"{stem}, stored cell {entry['index']} ({entry['first_line']!r}) is no longer in the notebook"
            )
    return problems
