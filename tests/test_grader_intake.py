"""The grader's intake of odd files, no kernel: :func:`course_tools.grade.read_submission`,
:func:`~course_tools.grade.prepare_submission` and :func:`~course_tools.grade.find_submissions` on files made
here (symbolic links, FIFOs, folders, oversized, non-UTF-8, invalid JSON, another assignment's notebook,
edited or deleted test cells). Each test runs in milliseconds.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from nbgrader.utils import compute_checksum

from course_tools import grade

ANSWER = "def double(x):\n    return 2 * x\n"
TEST = "assert double(2) == 4\n### BEGIN HIDDEN TESTS\nassert double(-3) == -6\n### END HIDDEN TESTS"


def _nbg(grade_id: str, **meta) -> dict:
    return {"nbgrader": {"grade_id": grade_id, "schema_version": 3, **meta}}


def _released() -> nbformat.NotebookNode:
    """The student release of a one-exercise assignment, with nbgrader's checksums on its locked cells."""
    nb = new_notebook(
        cells=[
            new_markdown_cell("# 99 units"),
            new_code_cell(
                "# YOUR CODE HERE\nraise NotImplementedError()",
                metadata=_nbg("double", solution=True, grade=False, locked=False),
            ),
            new_code_cell("assert double(2) == 4", metadata=_nbg("test_double", grade=True, points=2, locked=True)),
        ]
    )
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("locked"):
            cell.metadata.nbgrader.checksum = compute_checksum(cell)
    return nb


def _assignment() -> dict:
    """What :func:`course_tools.grade.load_assignment` returns, for the release above (hidden test included)."""
    released = _released()
    grading = copy.deepcopy(released)
    grading.cells[2].source = TEST
    return {
        "name": "99_units",
        "grading": grading,
        "checksums": {"test_double": released.cells[2].metadata.nbgrader.checksum},
        "tests": [{"grade_id": "test_double", "points": 2.0, "manual": False, "answers": ["double"]}],
        "answers": ["double"],
        "others": {"98_other": {"other_answer", "test_other"}},
    }


def _submission(answer: str = ANSWER) -> nbformat.NotebookNode:
    nb = _released()
    nb.cells[1].source = answer
    return nb


def _write(path, nb) -> str:
    path.write_text(nbformat.writes(nb), encoding="utf-8")
    return str(path)


# --------------------------------------------------------------------------- read_submission


def test_a_plain_file_is_read_whole(tmp_path):
    data = b"x" * (3 * 2**20 + 17)  # more than one read block
    (tmp_path / "s.ipynb").write_bytes(data)
    assert grade.read_submission(tmp_path / "s.ipynb", tmp_path) == data
    assert grade.submission_hash(tmp_path / "s.ipynb", tmp_path) == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("target", ["file", "folder", "nowhere"])
def test_a_symbolic_link_is_never_followed(tmp_path, target):
    secret = tmp_path / "solution.ipynb"
    secret.write_text("the solutions")
    (tmp_path / "dir").mkdir()
    link = tmp_path / "subs" / "alice.ipynb"
    link.parent.mkdir()
    link.symlink_to({"file": secret, "folder": tmp_path / "dir", "nowhere": tmp_path / "gone"}[target])
    with pytest.raises(grade.IntakeError, match="symbolic link") as err:
        grade.read_submission(link, tmp_path / "subs")
    assert err.value.status == "invalid"
    assert grade.submission_hash(link) == "intake:invalid"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "alice.ipynb")  # opening it for reading would wait for a writer forever
    with pytest.raises(grade.IntakeError, match="not a regular file") as err:
        grade.read_submission(tmp_path / "alice.ipynb", tmp_path)
    assert err.value.status == "invalid"


def test_a_folder_or_a_vanished_file_is_refused(tmp_path):
    (tmp_path / "bob.ipynb").mkdir()
    with pytest.raises(grade.IntakeError, match="not a regular file"):
        grade.read_submission(tmp_path / "bob.ipynb", tmp_path)
    with pytest.raises(grade.IntakeError, match="cannot be read") as err:
        grade.read_submission(tmp_path / "gone.ipynb", tmp_path)
    assert err.value.status == "invalid"


def test_a_file_reached_through_a_linked_folder_is_outside(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.ipynb").write_text("{}")
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "carol").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(grade.IntakeError, match="outside the submissions folder"):
        grade.read_submission(subs / "carol" / "x.ipynb", subs)
    sibling = tmp_path / "subs-2"  # a folder whose name starts with the submissions folder's
    sibling.mkdir()
    (sibling / "y.ipynb").write_text("{}")
    with pytest.raises(grade.IntakeError, match="outside the submissions folder"):
        grade.read_submission(sibling / "y.ipynb", subs)


def test_an_oversized_file_is_refused_with_the_fix(tmp_path):
    limit = 0.25  # MB
    (tmp_path / "fits.ipynb").write_bytes(b"x" * int(limit * 2**20))
    assert len(grade.read_submission(tmp_path / "fits.ipynb", tmp_path, max_mb=limit)) == int(limit * 2**20)
    (tmp_path / "big.ipynb").write_bytes(b"x" * (int(limit * 2**20) + 1))
    with pytest.raises(grade.IntakeError) as err:
        grade.read_submission(tmp_path / "big.ipynb", tmp_path, max_mb=limit)
    assert err.value.status == "too_large"
    assert "--max-submission-mb" in err.value.note and "Clear" in err.value.note.title()
    assert grade.submission_hash(tmp_path / "big.ipynb", tmp_path, max_mb=limit) == "intake:too_large"


# --------------------------------------------------------------------------- prepare_submission


def test_a_good_submission_gets_the_grading_copy_with_its_hidden_tests(tmp_path):
    sub = _submission()
    sub.cells[2].source = "pass  # the student's copy of the test is never run"
    sub.cells[2].metadata.nbgrader.checksum = compute_checksum(sub.cells[2])  # even with a forged checksum
    prep = grade.prepare_submission(_write(tmp_path / "a.ipynb", sub), _assignment())
    assert prep["status"] == "ok" and not prep["missing"], prep
    assert prep["notebook"].cells[1].source == ANSWER
    assert prep["notebook"].cells[2].source == TEST, "the grading copy lost the official test"
    assert prep["tampered"] == {"test_double": "the test cell was edited"}
    assert prep["content_hash"] == hashlib.sha256((tmp_path / "a.ipynb").read_bytes()).hexdigest()


def test_an_untouched_submission_is_not_tampered(tmp_path):
    prep = grade.prepare_submission(_write(tmp_path / "a.ipynb", _submission()), _assignment())
    assert (prep["status"], prep["tampered"], prep["notes"]) == ("ok", {}, [])


def test_a_deleted_test_cell_is_tampered_and_graded_with_the_original(tmp_path):
    sub = _submission()
    del sub.cells[2]
    prep = grade.prepare_submission(_write(tmp_path / "a.ipynb", sub), _assignment())
    assert prep["tampered"] == {"test_double": "the test cell was deleted"}
    assert prep["notebook"].cells[2].source == TEST


def test_an_answer_cell_of_the_wrong_kind_or_deleted_is_missing(tmp_path):
    sub = _submission()
    sub.cells[1] = new_markdown_cell(ANSWER, metadata=sub.cells[1].metadata)
    prep = grade.prepare_submission(_write(tmp_path / "a.ipynb", sub), _assignment())
    assert prep["status"] == "ok" and prep["missing"] == ["double"], prep
    del sub.cells[1]
    assert grade.prepare_submission(_write(tmp_path / "b.ipynb", sub), _assignment())["missing"] == ["double"]


def test_duplicated_and_unknown_grade_ids_are_noted(tmp_path):
    sub = _submission()
    sub.cells.insert(2, new_code_cell("def double(x):\n    return 0", metadata=copy.deepcopy(sub.cells[1].metadata)))
    sub.cells.append(new_code_cell("x = 1", metadata=_nbg("my_own_cell", solution=True)))
    prep = grade.prepare_submission(_write(tmp_path / "a.ipynb", sub), _assignment())
    assert prep["notebook"].cells[1].source == ANSWER, "not the first of the duplicated cells"
    assert any("appears 2 times" in n for n in prep["notes"]), prep["notes"]
    assert any("unknown grade_id 'my_own_cell' ignored" in n for n in prep["notes"]), prep["notes"]


def test_bytes_that_are_not_utf8_are_replaced_and_noted(tmp_path):
    text = nbformat.writes(_submission("def double(x):\n    return 2 * x  # caf\u00e9\n"))
    (tmp_path / "a.ipynb").write_bytes(text.replace("caf\u00e9", "caf\udcff").encode("utf-8", "surrogateescape"))
    prep = grade.prepare_submission(tmp_path / "a.ipynb", _assignment())
    assert prep["status"] == "ok", prep
    assert "caf\ufffd" in prep["notebook"].cells[1].source
    assert any("not valid UTF-8" in n for n in prep["notes"]), prep["notes"]


def test_lone_surrogates_in_an_answer_are_replaced_and_noted(tmp_path):
    (tmp_path / "a.ipynb").write_text(
        nbformat.writes(_submission("s = 'x'\n")).replace("s = 'x'", "s = '\\ud800'"), encoding="utf-8"
    )
    prep = grade.prepare_submission(tmp_path / "a.ipynb", _assignment())
    assert prep["notebook"].cells[1].source == "s = '\ufffd'\n"
    assert any("lone surrogates" in n for n in prep["notes"]), prep["notes"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        "not json at all",
        "[]",
        '{"cells": 5, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
        '{"nbformat": 99}',
        "[" * 100_000 + "]" * 100_000,
        '{"cells": [' + '{"cell_type": "code"},' * 3 + "1]}",
    ],
)
def test_a_file_that_is_no_notebook_is_invalid_not_a_crash(tmp_path, text):
    (tmp_path / "a.ipynb").write_text(text, encoding="utf-8")
    prep = grade.prepare_submission(tmp_path / "a.ipynb", _assignment())
    assert (prep["status"], prep["notebook"]) == ("invalid", None), prep
    assert len(prep["notes"]) == 1 and prep["notes"][0].startswith("not a readable notebook: "), prep["notes"]
    assert len(prep["notes"][0]) < 300


def test_another_assignments_notebook_is_named(tmp_path):
    other = new_notebook(cells=[new_code_cell("x = 1", metadata=_nbg("other_answer", solution=True))])
    prep = grade.prepare_submission(_write(tmp_path / "a.ipynb", other), _assignment())
    assert (prep["status"], prep["notebook"]) == ("wrong_assignment", None)
    assert prep["notes"] == ["this is not a notebook of 99_units (it looks like 98_other)"]
    stranger = new_notebook(cells=[new_code_cell("x = 1", metadata=_nbg("nobody_knows", solution=True))])
    prep = grade.prepare_submission(_write(tmp_path / "b.ipynb", stranger), _assignment())
    assert prep["notes"] == ["this is not a notebook of 99_units"]


def test_a_notebook_without_graded_cells_has_every_answer_missing(tmp_path):
    bare = new_notebook(cells=[new_code_cell(ANSWER)])
    prep = grade.prepare_submission(_write(tmp_path / "a.ipynb", bare), _assignment())
    assert prep["status"] == "no_answers" and prep["missing"] == ["double"]
    assert prep["notebook"].cells[2].source == TEST


def test_broken_nbgrader_metadata_is_no_crash(tmp_path):
    sub = json.loads(nbformat.writes(_submission()))
    sub["cells"][0]["metadata"] = {"nbgrader": "a string"}
    sub["cells"][1]["metadata"]["nbgrader"]["grade_id"] = ["not", "text"]
    (tmp_path / "a.ipynb").write_text(json.dumps(sub), encoding="utf-8")
    prep = grade.prepare_submission(tmp_path / "a.ipynb", _assignment())
    assert (prep["status"], prep["missing"], prep["tampered"]) == ("ok", ["double"], {}), prep
    assert prep["notes"] == ["cell with unknown grade_id \"['not', 'text']\" ignored"]


def test_an_intake_refusal_is_the_preparations_status(tmp_path):
    (tmp_path / "a.ipynb").symlink_to(_write(tmp_path / "real.ipynb", _submission()))
    prep = grade.prepare_submission(tmp_path / "a.ipynb", _assignment(), tmp_path)
    assert (prep["status"], prep["notebook"], prep["content_hash"]) == ("invalid", None, "intake:invalid")
    (tmp_path / "big.ipynb").write_bytes(b" " * 2**20)
    prep = grade.prepare_submission(tmp_path / "big.ipynb", _assignment(), tmp_path, max_mb=0.5)
    assert prep["status"] == "too_large" and "--max-submission-mb" in prep["notes"][0]


# --------------------------------------------------------------------------- find_submissions


def test_student_ids_skip_hidden_folders_and_prefer_the_assignments_file(tmp_path):
    for rel in (
        "dave/00_scratch.ipynb",  # sorts first: taken only without the assignment's file
        "dave/99_units.ipynb",
        "erin.ipynb",
        ".trash/x.ipynb",
        "f/.ipynb_checkpoints/y.ipynb",
    ):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("{}")
    found = grade.find_submissions(tmp_path, "99")
    assert [(s, p.relative_to(tmp_path).as_posix()) for s, p in found] == [
        ("dave", "dave/99_units.ipynb"),
        ("erin", "erin.ipynb"),
    ]


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS refuses file names that are not UTF-8")
def test_a_file_name_that_is_not_utf8_gets_a_printable_unique_id(tmp_path):
    for raw in (b"caf\xe9.ipynb", b"caf\xe8.ipynb"):
        with open(os.path.join(os.fsencode(tmp_path), raw), "w") as f:
            f.write("{}")
    found = grade.find_submissions(tmp_path)
    ids = [s for s, _ in found]
    assert len(set(ids)) == 2, ids
    for student in ids:
        student.encode("utf-8")  # printable: no lone surrogate
        assert student.startswith("caf\ufffd~"), student
