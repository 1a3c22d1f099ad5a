"""The command line end to end on the start-here notebook: blank fails, a correct answer passes."""

from __future__ import annotations

import subprocess
import sys

import nbformat

from course_tools.notebooks import STUDENT_CODE_STUB, cell_kind, read_notebook, write_notebook
from course_utils.config import project_root

ROOT = project_root()
START = ROOT / "notebooks" / "00_start_here.ipynb"


def _answer(tmp_path, body: str):
    nb = read_notebook(START)
    for cell in nb.cells:
        if cell_kind(cell) == "solution":
            stub = "\n".join("    " + line for line in STUDENT_CODE_STUB.splitlines()).lstrip()
            cell.source = cell.source.replace(stub, body)
    path = tmp_path / "00_start_here.ipynb"
    write_notebook(nb, path)
    return path


def _check(path):
    return subprocess.run(
        [sys.executable, "-m", "course_tools", "check", str(path), "--timeout", "120"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


def test_check_table_blank_wrong_and_correct(tmp_path):
    blank = _check(START)
    assert blank.returncode == 1
    assert "test_conv_output_size" in blank.stdout and "0/2" in blank.stdout and "NotImplementedError" in blank.stdout
    assert "other cell(s) raised an error" in blank.stdout, "errors outside graded cells are listed too"

    wrong = _check(_answer(tmp_path, "return (n + 2 * p - f) / s + 1"))
    assert wrong.returncode == 1 and "failed" in wrong.stdout and "expected a Python int" in wrong.stdout

    right = _check(_answer(tmp_path, "return int((n + 2 * p - f) / s) + 1"))
    assert right.returncode == 0, right.stdout + right.stderr
    assert "2/2" in right.stdout and "passed" in right.stdout
    assert "raised an error" not in right.stdout


def test_release_check_command_passes_on_the_repository():
    out = subprocess.run(
        [sys.executable, "-m", "course_tools", "release", "--check"], capture_output=True, text=True, cwd=ROOT
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_outputs_command_refuses_a_notebook_with_outputs(tmp_path):
    nb = read_notebook(START)
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi\n")]
    dirty = tmp_path / "dirty.ipynb"
    write_notebook(nb, dirty)
    out = subprocess.run(
        [sys.executable, "-m", "course_tools", "outputs", str(START), str(dirty)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert out.returncode == 1 and "dirty.ipynb: cells" in out.stdout and "00_start_here" not in out.stdout


def test_the_command_line_lists_its_commands():
    out = subprocess.run([sys.executable, "-m", "course_tools", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0
    for command in ("release", "check", "test", "bench", "grade", "outputs"):
        assert command in out.stdout


def test_check_table_prints_whole_messages_below_it():
    from course_tools.execute import CellResult, format_table

    long = "AssertionError: conv_forward(A (2, 7, 6, 3), ...): | values differ (max abs difference 1.5) | " + "x" * 150
    table = format_table(
        [
            CellResult("test_a", 2, 0, "failed", long),
            CellResult("test_b", 1, 1, "passed"),
            CellResult("c", 1, 0, "failed", "short"),
        ]
    )
    lines = table.splitlines()
    assert any(line.startswith("test_a") and line.endswith("...") for line in lines), "the table row is cut"
    assert "test_a (failed):" in lines and "    values differ (max abs difference 1.5)" in lines
    assert "x" * 150 in table, "the whole message is printed below the table"
    assert "c (failed):" not in table, "a message that fits in the table is not repeated"


def test_help_and_outputs_import_neither_the_grader_nor_the_frameworks():
    """--help and the pre-commit hook's `outputs` start at once: no grader, jupytext, TensorFlow or torch."""
    probe = (
        "import sys, contextlib, io\n"
        "from course_tools.__main__ import main\n"
        "for argv in (['--help'], ['outputs', sys.argv[1]]):\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        "        try:\n"
        "            main(argv)\n"
        "        except SystemExit:\n"
        "            pass\n"
        "heavy = ('course_tools.grade', 'course_tools.export', 'jupytext', 'nbformat',\n"
        "         'tensorflow', 'torch', 'keras')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe, str(START)], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", f"imported at start: {out.stdout.strip()}"


def test_outputs_command_names_an_unreadable_notebook(tmp_path):
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json", encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "course_tools", "outputs", str(bad)], capture_output=True, text=True, cwd=ROOT
    )
    assert out.returncode == 1 and "bad.ipynb is not a readable Jupyter notebook" in out.stderr
    assert "Traceback" not in out.stderr
