"""The course site: ``python -m course_tools site`` builds a static HTML site of the course.

Sphinx with MyST-NB and the Sphinx Book Theme (the ``docs`` extra: ``pip install -e .[docs]``). The
pages: the start page (the README, with the notebooks' measured times), one page per notebook of the
student release (``notebooks/``) in course order, the dataset cards, docs/INSTRUCTORS.md and
CONTRIBUTING.md. Nothing is executed: a notebook page shows

- the release's cells: answer cells blank, check cells without hidden tests, try-it and check cells
  without output;
- under each demonstration cell, the outputs of the reference run that the benchmark stored
  (``benchmarks/outputs/``, :mod:`course_tools.outputs`), only where the cell's source is unchanged
  since that run (a stale output is left out and named in the build's report);
- a box under the title with the measured run time (``benchmarks/results.json``) and how to run it.

The build assembles a source tree (``build/site-src``), then runs Sphinx into ``build/site``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

import nbformat

from course_utils.config import project_root

from .notebooks import read_notebook, write_notebook
from .outputs import cell_roles, load_outputs, outputs_dir, source_sha

__all__ = ["assemble", "build_site", "notebook_page", "main", "CLOUD_TEMPLATE"]

#: Site templates and configuration (conf.py, notebook_header.md, _static/).
TEMPLATES = Path("docs") / "site"
#: The Colab/Kaggle paragraph of each notebook page (issue 43). When this file exists, its text, with
#: ``{notebook}`` and ``{stem}`` filled, takes the place of ``{cloud}`` in notebook_header.md.
CLOUD_TEMPLATE = TEMPLATES / "run_in_the_cloud.md"
#: Markdown pages of the site: path in the repository -> path in the site's source tree.
PAGES = {
    "README.md": "index.md",
    "CONTRIBUTING.md": "CONTRIBUTING.md",
    "docs/INSTRUCTORS.md": "docs/INSTRUCTORS.md",
}
_MATHJAX_PARTS = ["MathJax.js", "LICENSE", "config/TeX-AMS-MML_HTMLorMML-full.js", "jax", "extensions", "fonts"]
_LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)")


def _pages(root: Path) -> dict[str, str]:
    pages = dict(PAGES)
    for card in sorted((root / "datasets").glob("*.md")):
        pages[f"datasets/{card.name}"] = f"datasets/{card.name}"
    return pages


def _rewrite_links(text: str, page: str, pages: dict[str, str], repository: str | None, copied: set[str]) -> str:
    """Links between pages follow the pages into the site; links to other files of the repository go to
    the repository (``COURSE_REPOSITORY_URL``) or become the file's path in plain text."""
    folder = Path(page).parent

    def replace(match):
        bang, label, target = match.groups()
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            return match.group(0)
        path, _, anchor = target.partition("#")
        resolved = os.path.normpath(folder / path)
        if resolved in pages:
            site_target = os.path.relpath(pages[resolved], Path(pages[page]).parent)
            return f"{bang}[{label}]({site_target}{'#' + anchor if anchor else ''})"
        if bang or (resolved.startswith("notebooks/") and resolved.endswith(".ipynb")):
            copied.add(resolved)
            return match.group(0) if not bang else f"{bang}[{label}]({os.path.relpath(resolved, folder)})"
        if repository:
            return f"[{label}]({repository}/blob/main/{resolved})"
        return label if label.strip("`") == resolved else f"{label} (`{resolved}`)"

    return _LINK.sub(replace, text)


def _times(results: dict, stem: str) -> str:
    """'82 s on TensorFlow, 87 s on PyTorch (full mode; ...)' from the benchmark's results."""
    entry = results.get(stem, {})
    parts, when = [], []
    for backend, label in (("tensorflow", "TensorFlow"), ("torch", "PyTorch")):
        full = entry.get(backend, {}).get("full")
        if full:
            minutes = f"{full['wall_s'] / 60:.1f} min" if full["wall_s"] >= 90 else f"{full['wall_s']:.0f} s"
            parts.append(f"{minutes} on the {label} backend")
            when.append(full)
    if not parts:
        return "not measured yet (`python -m course_tools bench`)."
    first = when[0]
    return (
        f"the whole notebook ran in {' and '.join(parts)} (full mode, {first['machine']}; "
        f"`python -m course_tools bench`, {first['date'][:10]})."
    )


def notebook_page(release, stored: dict | None, *, root: Path, header: str) -> tuple[nbformat.NotebookNode, dict]:
    """The notebook as the site shows it, and a report ``{"stale": [...], "alt": {png_sha: alt}, "images": n}``.

    ``release`` is the student notebook (not modified); ``stored`` the reference run's index
    (:func:`course_tools.outputs.load_outputs`). Demonstration cells get the stored outputs whose source
    hash matches; every other cell stays without output.
    """
    nb = nbformat.from_dict(json.loads(json.dumps(release)))
    report = {"stale": [], "alt": {}, "images": 0, "missing_alt": []}
    by_id = {c["id"]: c for c in (stored or {}).get("cells", [])}
    folder = outputs_dir(root)
    for index, (cell, role) in enumerate(zip(nb.cells, cell_roles(nb))):
        if cell.cell_type != "code":
            continue
        cell.outputs, cell.execution_count = [], None
        if role != "demo":
            continue
        entry = by_id.get(cell.id)
        if entry is None or entry["sha256"] != source_sha(cell.source):
            report["stale"].append(f"cell {index} ({cell.source.strip().splitlines()[0][:60]!r})")
            continue
        alts = cell.metadata.get("alt")
        alts = [alts] if isinstance(alts, str) else list(alts or [])
        images = 0
        for record in entry["outputs"]:
            if record["type"] in ("stream", "text"):
                cell.outputs.append(nbformat.v4.new_output("stream", name="stdout", text=record["text"]))
            elif record["type"] == "widget":
                note = "*An interactive widget: run the notebook to use it.*"
                cell.outputs.append(nbformat.v4.new_output("display_data", data={"text/markdown": note}))
            elif record["type"] == "image":
                png = (folder / record["file"]).read_bytes()
                alt = alts[images] if images < len(alts) else None
                images += 1
                if alt is None:
                    report["missing_alt"].append(f"cell {index}, figure {images}")
                else:
                    report["alt"][hashlib.sha256(png).hexdigest()] = alt
                cell.outputs.append(
                    nbformat.v4.new_output(
                        "display_data", data={"image/png": base64.b64encode(png).decode(), "text/plain": alt or ""}
                    )
                )
        report["images"] += images
    title = next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"), 0)
    nb.cells.insert(title + 1, nbformat.v4.new_markdown_cell(header))
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)
        cell.metadata.pop("alt", None)
        cell.pop("id", None)
    nb.nbformat_minor = 4  # no cell ids needed by the renderer
    return nb, report


def assemble(src: Path, *, root: Path | None = None, repository: str | None = None) -> dict:
    """Write the site's Sphinx source tree into ``src`` (emptied first); returns the build report."""
    root = root or project_root()
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    templates = root / TEMPLATES
    shutil.copy(templates / "conf.py", src / "conf.py")
    shutil.copytree(templates / "_static", src / "_static")
    _copy_mathjax(src / "_static" / "mathjax")
    results = json.loads((root / "benchmarks" / "results.json").read_text())
    header_template = "\n".join(
        line for line in (templates / "notebook_header.md").read_text().splitlines() if not line.startswith("%")
    )
    cloud = (root / CLOUD_TEMPLATE).read_text().strip() if (root / CLOUD_TEMPLATE).exists() else ""
    report = {"notebooks": {}, "alt": {}}
    stems = []
    for path in sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        stem = path.stem
        stems.append(stem)
        stored = load_outputs(stem, root)
        if stored:
            source = (
                f"The figures and printed results come from the reference run stored by the benchmark "
                f"(full mode, {stored['backend']} backend, {stored['machine']}, {stored['date'][:10]})."
            )
        else:
            source = "No reference run is stored for this notebook yet, so no cell shows an output."
        header = _fill(
            header_template,
            time=_sentence(_times(results, stem)),
            notebook=path.name,
            stem=stem,
            cloud=_fill(cloud, notebook=path.name, stem=stem),
            outputs=source,
        )
        header = re.sub(r"\n{3,}", "\n\n", header)
        page, nb_report = notebook_page(read_notebook(path), stored, root=root, header=header)
        (src / "notebooks").mkdir(exist_ok=True)
        write_notebook(page, src / "notebooks" / path.name)
        report["alt"].update(nb_report.pop("alt"))
        report["notebooks"][stem] = nb_report
    pages = _pages(root)
    copied: set[str] = set()
    for page, target in pages.items():
        text = _rewrite_links((root / page).read_text(), page, pages, repository, copied)
        if page == "README.md":
            text += _index_tail(stems, results, root, pages)
        (src / target).parent.mkdir(parents=True, exist_ok=True)
        (src / target).write_text(text)
    for path in sorted(copied):
        if (root / path).is_file() and not (src / path).exists():
            (src / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(root / path, src / path)
    (src / "site_data.json").write_text(json.dumps({"repository_url": repository, "alt": report["alt"]}, indent=1))
    return report


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _fill(template: str, **fields: str) -> str:
    """``template`` with each ``{name}`` of ``fields`` replaced (other braces, as in ``{admonition}``, kept)."""
    return re.sub(r"\{(\w+)\}", lambda m: fields.get(m.group(1), m.group(0)), template)


def _index_tail(stems: list[str], results: dict, root: Path, pages: dict[str, str]) -> str:
    rows = []
    for stem in stems:
        title = read_notebook(root / "notebooks" / f"{stem}.ipynb").cells[0].source.splitlines()[0].lstrip("# ")
        rows.append(f"| [{title}](notebooks/{stem}.ipynb) | {_times(results, stem).split(' (')[0]} |")
    cards = [target[: -len(".md")] for page, target in pages.items() if page.startswith("datasets/")]
    cards.sort(key=lambda name: (not name.endswith("README"), name))
    notebook_docs = "\n".join(f"notebooks/{stem}" for stem in stems)
    return f"""

## The notebooks on this site

Each page is the student notebook as a learner gets it: answer cells blank, try-it and check cells
without output. The other cells show the figures and printed results of a reference run stored by the
benchmark (full mode, TensorFlow backend), so you can read the course before installing anything.

| notebook | measured run time (full mode) |
|---|---|
{chr(10).join(rows)}

```{{toctree}}
:hidden:
:caption: Notebooks

{notebook_docs}
```

```{{toctree}}
:hidden:
:caption: Data

{chr(10).join(cards)}
```

```{{toctree}}
:hidden:
:caption: Teaching and contributing

docs/INSTRUCTORS
CONTRIBUTING
```
"""


def _copy_mathjax(target: Path) -> None:
    """MathJax 2 from the jupyter-server-mathjax package (the parts the site uses: TeX in, SVG/HTML out)."""
    try:
        import jupyter_server_mathjax
    except ImportError:
        raise SystemExit(
            "The site needs jupyter-server-mathjax (MathJax served by the site itself): pip install -e .[docs]"
        ) from None
    static = Path(jupyter_server_mathjax.__file__).parent / "static"
    for part in _MATHJAX_PARTS:
        source, dest = static / part, target / part
        dest.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():  # not the SVG output nor the 3.7 MB explorer (a11y): HTML-CSS with MathML for readers
            shutil.copytree(source, dest, ignore=shutil.ignore_patterns("SVG", "a11y"))
        else:
            shutil.copy(source, dest)


def _size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def build_site(out: Path, *, root: Path | None = None, src: Path | None = None, quiet: bool = True) -> dict:
    """Assemble and build the site into ``out``; returns the report (with ``seconds``, ``files``, ``bytes``).

    Raises ``SystemExit`` with a sentence when Sphinx or MyST-NB is missing or Sphinx reports a warning.
    """
    try:
        from sphinx.cmd.build import build_main
    except ImportError:
        raise SystemExit("The site needs Sphinx, MyST-NB and the book theme: pip install -e .[docs]") from None
    root = root or project_root()
    out = Path(out).resolve()
    src = Path(src or out.parent / f"{out.name}-src").resolve()
    start = time.perf_counter()
    report = assemble(src, root=root, repository=os.environ.get("COURSE_REPOSITORY_URL") or None)
    if out.exists():
        shutil.rmtree(out)
    doctrees = src / "_build" / "doctrees"
    args = ["-b", "html", "-W", "--keep-going", "-d", str(doctrees), str(src), str(out)]
    code = build_main(["-q", *args] if quiet else args)
    if code:
        raise SystemExit(f"Sphinx could not build the site (exit {code}); its warnings are above.")
    for source_map in out.glob("_static/**/*.map"):  # debuggers' source maps: 2 MB nobody reads
        source_map.unlink()
    if (out / "_sources").is_dir() and not any((out / "_sources").iterdir()):
        (out / "_sources").rmdir()
    report["seconds"] = round(time.perf_counter() - start, 1)
    report["files"], report["bytes"] = _size(out)
    return report


def main(args) -> int:
    root = project_root()
    out = Path(args.out) if Path(args.out).is_absolute() else root / args.out
    report = build_site(out, root=root, quiet=not args.verbose)
    problems = 0
    for stem, nb in report["notebooks"].items():
        for cell in nb["stale"]:
            problems += 1
            print(
                f"{stem}, {cell}: no output shown (its source changed since the reference run, or none is stored); "
                f"re-run: python -m course_tools bench --outputs-only --notebooks {stem[:2]}",
                file=sys.stderr,
            )
        for figure in nb["missing_alt"]:
            problems += 1
            print(f"{stem}, {figure}: no alt text (an `alt` key in the cell's header of solutions/{stem}.py)")
    images = sum(nb["images"] for nb in report["notebooks"].values())
    print(
        f"Built {out} in {report['seconds']} s: {len(report['notebooks'])} notebook pages, {images} figures, "
        f"{report['files']} files, {report['bytes'] / 1e6:.1f} MB. Open {out / 'index.html'}"
    )
    return 1 if problems else 0
