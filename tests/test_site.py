"""The course site (``python -m course_tools site``) and the reference outputs it shows.

- The stored outputs (``benchmarks/outputs/``) are current: every demonstration cell of every notebook
  has one recorded with its present source, or the test names the notebook and the cell to re-run.
- They are small (well under 10 MB together, no file over 5 MB) and hold only demonstration cells.
- Every figure of the reference run has an alt text in its cell's header (``alt=``).
- The site builds (in a temporary folder, nothing executed) and no reference answer, hidden test or
  nbgrader marker reaches it; each figure keeps its alt text; headings go down one level at a time.
"""

from __future__ import annotations

import copy
import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from course_tools.notebooks import cell_kind, read_notebook, read_source
from course_tools.outputs import cell_roles, load_outputs, outputs_dir, sanitise_outputs, stale_cells
from course_tools.release import source_paths
from course_utils.config import project_root

ROOT = project_root()
SOURCES = source_paths(ROOT)
pytestmark = pytest.mark.backend("tensorflow")

#: Lines of an answer or hidden test at most this long (stripped) are too common to mean anything
#: (``return x``, ``else:``, ``pass``).
SHORT_LINE = 20
#: Code that draws a figure (for cells the reference run has not seen yet).
FIGURE_CODE = re.compile(
    r"plt\.(show|subplots|figure)\(|display\(fig|cu\.plots\.(image_grid|training_curves|confusion_matrix)\("
)
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "BEGIN MARK SCHEME")


@pytest.mark.parametrize("path", SOURCES, ids=[p.stem for p in SOURCES])
def test_stored_outputs_are_current(path):
    problems = stale_cells(read_source(path), load_outputs(path.stem, ROOT), path.stem)
    assert not problems, (
        "The site's reference outputs are out of date (the site shows no output for these cells):\n  - "
        + "\n  - ".join(problems)
        + f"\nRe-run: python -m course_tools bench --outputs-only --notebooks {path.stem[:2]}"
    )


def test_stored_outputs_are_small_and_only_demonstrations():
    files = [p for p in outputs_dir(ROOT).rglob("*") if p.is_file()]
    total = sum(p.stat().st_size for p in files)
    assert total < 10_000_000, f"benchmarks/outputs/ holds {total / 1e6:.1f} MB; keep it well under 10 MB"
    big = [f"{p.relative_to(ROOT)} ({p.stat().st_size / 1e6:.1f} MB)" for p in files if p.stat().st_size > 5_000_000]
    assert not big, f"files over 5 MB: {big}"
    for path in SOURCES:
        stored = load_outputs(path.stem, ROOT)
        if stored is None:
            continue
        nb = read_source(path)
        roles = dict(zip((c.id for c in nb.cells), cell_roles(nb)))
        wrong = [f"{c['id']} ({roles[c['id']]})" for c in stored["cells"] if roles.get(c["id"], "demo") != "demo"]
        assert not wrong, f"{path.stem}: outputs stored for answer, try-it or check cells: {wrong}"
        referenced = {o["file"] for c in stored["cells"] for o in c["outputs"] if o["type"] == "image"}
        on_disk = {str(p.relative_to(outputs_dir(ROOT))) for p in (outputs_dir(ROOT) / path.stem).glob("*.png")}
        assert referenced == on_disk, f"{path.stem}: images on disk and in the index differ: {on_disk ^ referenced}"
        assert stored["backend"] == "tensorflow" and stored["mode"] == "full", stored


@pytest.mark.parametrize("path", SOURCES, ids=[p.stem for p in SOURCES])
def test_every_figure_has_alt_text(path):
    """One alt sentence per figure the reference run drew; a cell that calls plt.show() needs one too."""
    nb, stored = read_source(path), load_outputs(path.stem, ROOT) or {"cells": []}
    by_id = {c["id"]: c for c in stored["cells"]}
    problems = []
    for index, (cell, role) in enumerate(zip(nb.cells, cell_roles(nb))):
        if role != "demo":
            continue
        alt = cell.metadata.get("alt")
        alts = [alt] if isinstance(alt, str) else list(alt or [])
        entry = by_id.get(cell.id)
        figures = sum(o["type"] == "image" for o in entry["outputs"]) if entry else None
        where = f"cell {index} ({cell.source.strip().splitlines()[0][:50]!r})"
        if figures is None and FIGURE_CODE.search(cell.source) and not alts:
            problems.append(f"{where} draws a figure and has no alt text")
        elif figures and len(alts) != figures:  # (a cell whose figure is switched off may describe it)
            problems.append(
                f"{where}: the reference run drew {figures} figure(s), its header has {len(alts)} alt text(s)"
            )
        for text in alts:
            if len(text) < 30 or not text.rstrip().endswith("."):
                problems.append(f"{where}: alt text {text!r} is not a sentence saying what the figure shows")
    assert not problems, (
        f'solutions/{path.name}: figures need alt texts, `# %% alt="..."` (a list for several figures):\n  - '
        + "\n  - ".join(problems)
    )


def test_outputs_are_sanitised():
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
    outputs = [
        {"output_type": "stream", "name": "stdout", "text": "epoch 1\r\x1b[32mepoch 2\x1b[0m\n[report] x = 1\n"},
        {"output_type": "stream", "name": "stderr", "text": "/home/me/.venv/warnings.py: UserWarning\n"},
        {"output_type": "error", "ename": "ValueError", "evalue": "no", "traceback": []},
        {"output_type": "display_data", "data": {"text/html": "<script>x</script>", "text/plain": "<Table>"}},
        {"output_type": "display_data", "data": {"application/vnd.jupyter.widget-view+json": {}, "text/plain": "VBox"}},
        {"output_type": "display_data", "data": {"image/png": png, "text/plain": "<Figure>"}},
        {"output_type": "stream", "name": "stdout", "text": "data in /data/dir/x\n"},
    ]
    records = sanitise_outputs(outputs, {"/data/dir": "COURSE_DATA_DIR"})
    assert [r["type"] for r in records] == ["stream", "text", "widget", "image", "stream"], records
    assert records[0]["text"] == "epoch 2\n" and records[1]["text"] == "<Table>"
    assert records[3]["png"].startswith(b"\x89PNG") and records[3]["width"] == 1
    assert records[4]["text"] == "data in COURSE_DATA_DIR/x\n"


# --- the built site -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    pytest.importorskip("myst_nb", reason="the site's tools are not installed (pip install -e .[docs])")
    from course_tools.site import build_site

    out = tmp_path_factory.mktemp("site") / "html"
    report = build_site(out, root=ROOT)
    return out, report


def _secrets() -> dict[str, list[str]]:
    """What must not reach the site: reference answers' and hidden tests' lines, per notebook. Lines the
    learner can already read (anywhere in the student release or the course's pages) and short ones are
    left out."""
    public_files = [ROOT / "notebooks" / f"{p.stem}.ipynb" for p in SOURCES]
    public = [
        _norm(line) for path in public_files for cell in read_notebook(path).cells for line in cell.source.splitlines()
    ]
    for page in [
        "README.md",
        "CONTRIBUTING.md",
        "docs/INSTRUCTORS.md",
        *(f"datasets/{p.name}" for p in (ROOT / "datasets").glob("*.md")),
    ]:
        public += [_norm(line) for line in (ROOT / page).read_text().splitlines()]
    public_text = "\n".join(public)
    secrets = {}
    for path in SOURCES:
        solution = read_notebook(ROOT / "solutions" / f"{path.stem}.ipynb")
        lines = []
        for cell in solution.cells:
            inside = False
            for line in cell.source.splitlines():
                if re.search(r"### (BEGIN|END) (SOLUTION|HIDDEN TESTS)", line):
                    inside = "BEGIN" in line
                    continue
                if cell_kind(cell) == "answer" and cell.cell_type == "markdown":
                    inside = True  # a written answer is an answer as a whole
                text = _norm(line)
                if inside and len(text) > SHORT_LINE and text not in public_text:
                    lines.append(text)
        secrets[path.stem] = lines
    return secrets


def _norm(line: str) -> str:
    return " ".join(line.split())


class _Text(HTMLParser):
    """The text of an HTML page as a reader (or a search engine) gets it, with its <img> alt texts and headings."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.images, self.headings, self._skip, self._article = [], [], [], 0, 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style"):
            self._skip += 1
        if tag == "img":
            self.images.append(attrs)
        if tag == "article":
            self._article += 1
        if re.fullmatch(r"h[1-6]", tag) and self._article:  # the page's own headings, not the theme's
            self.headings.append(int(tag[1]))
        if tag in ("br", "p", "div", "pre", "li", "tr", "section"):
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1
        if tag == "article":
            self._article -= 1
        if tag in ("p", "div", "pre", "li", "tr", "section", "span"):
            self.parts.append("\n" if tag != "span" else "")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def _page(path: Path) -> _Text:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_site_has_no_answer_hidden_test_or_marker(site):
    out, _ = site
    texts = {}
    for path in out.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".js", ".json", ".txt", ".ipynb", ".inv", ".md"):
            raw = path.read_text(encoding="utf-8", errors="replace")
            if path.suffix == ".html":
                flat = "\n".join(_norm(line) for line in "".join(_page(path).parts).splitlines())
            else:
                flat = _norm(html.unescape(raw))
            texts[path.relative_to(out)] = (raw, flat)
    assert any(str(p).startswith("notebooks/") for p in texts), sorted(map(str, texts))[:20]
    leaks = []
    for name, (raw, _) in texts.items():
        for marker in MARKERS:
            if marker in raw:
                leaks.append(f"{name}: nbgrader marker {marker!r}")
    secrets = _secrets()
    counted = sum(len(lines) for lines in secrets.values())
    assert counted > 300, f"only {counted} answer and hidden-test lines found to look for: the search is broken"
    for stem, lines in secrets.items():
        for name, (_, flat) in texts.items():
            for line in lines:
                if line in flat:
                    leaks.append(f"{name}: a line of {stem}'s answers or hidden tests: {line!r}")
    assert not leaks, "The site shows what the student release hides:\n  - " + "\n  - ".join(leaks[:30])


def test_site_pages_in_course_order_with_times_and_run_box(site):
    out, report = site
    stems = [p.stem for p in SOURCES]
    index = (out / "index.html").read_text()
    positions = [index.find(f'href="notebooks/{stem}.html"') for stem in stems]
    assert all(p >= 0 for p in positions) and positions == sorted(positions), positions
    results = json.loads((ROOT / "benchmarks" / "results.json").read_text())
    for stem in stems:
        text = "".join(_page(out / "notebooks" / f"{stem}.html").parts)
        assert "Run this notebook yourself" in text and f"course_tools lab notebooks/{stem}.ipynb" in text, stem
        wall = results[stem]["tensorflow"]["full"]["wall_s"]
        shown = f"{wall / 60:.1f} min" if wall >= 90 else f"{wall:.0f} s"
        assert f"ran in {shown} on the TensorFlow backend" in _norm(text), (stem, shown)
    for page in ("CONTRIBUTING.html", "docs/INSTRUCTORS.html", "datasets/README.html", "datasets/mnist.html"):
        assert (out / page).exists(), page
    assert (out / "search.html").exists() and (out / "searchindex.js").exists()


def test_site_figures_alt_texts_and_headings(site):
    out, report = site
    problems = []
    for path in sorted(out.rglob("*.html")):
        if "_static" in path.parts:
            continue
        page = _page(path)
        for image in page.images:
            if not (image.get("alt") or "").strip():
                problems.append(f"{path.relative_to(out)}: <img src={image.get('src')!r}> has no alt text")
        levels = page.headings
        if path.parent.name == "notebooks":
            if levels.count(1) != 1:
                problems.append(f"{path.relative_to(out)}: {levels.count(1)} h1 headings")
            jumps = [(a, b) for a, b in zip(levels, levels[1:]) if b > a + 1]
            if jumps:
                problems.append(f"{path.relative_to(out)}: headings skip a level: {jumps}")
    assert not problems, "\n".join(problems)
    for stem, nb in report["notebooks"].items():
        shown = len(_page(out / "notebooks" / f"{stem}.html").images)
        assert shown == nb["images"], (stem, shown, nb["images"])


def test_a_changed_cell_shows_no_stale_output():
    from course_tools.site import notebook_page

    stem = "00_start_here"
    stored = load_outputs(stem, ROOT)
    assert stored, "no stored outputs for 00_start_here"
    release = read_notebook(ROOT / "notebooks" / f"{stem}.ipynb")
    page, report = notebook_page(release, stored, root=ROOT, header="header")
    figure = next(i for i, c in enumerate(release.cells) if "plt.show()" in c.source)
    assert report["images"] >= 1 and not report["stale"]
    changed = copy.deepcopy(release)
    changed.cells[figure].source += "\nprint('changed')"
    page, report = notebook_page(changed, stored, root=ROOT, header="header")
    shown = page.cells[figure + 1]  # one header cell was inserted after the title
    assert shown.source == changed.cells[figure].source and shown.outputs == [], shown.outputs
    assert len(report["stale"]) == 1 and f"cell {figure}" in report["stale"][0], report["stale"]
    problems = stale_cells(changed, stored, stem)
    assert problems and f"cell {figure}" in problems[0] and stem in problems[0], problems
