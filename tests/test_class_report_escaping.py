"""The class report escapes every text that comes from a submission (ids, messages, notes): a unit test on a
gradebook written here, without kernels (milliseconds)."""

from __future__ import annotations

from course_tools.class_report import write_class_report
from course_tools.gradebook import FILE_NAME, Gradebook

SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(2)">'


def _record(student: str, status: str, message: str, total: float, submission: str = "ok") -> dict:
    return {
        "student": student,
        "file": f"{student}.ipynb",
        "submission": submission,
        "total": total,
        "max_total": 2.0,
        "seconds": 1.5,
        "run_seconds": 1.0,
        "notes": [f"kernel died {IMG}"] if submission != "ok" else [],
        "exercises": {"test_x": {"status": status, "earned": total, "points": 2.0, "message": message}},
    }


def test_hostile_ids_and_messages_are_escaped(tmp_path):
    assignment = {
        "name": "00_start_here",
        "version": "v1",
        "tests": [{"grade_id": "test_x", "points": 2, "manual": False}],
    }
    with Gradebook(tmp_path / FILE_NAME, assignment) as book:
        run = book.start_run("grade")
        for record in (
            _record(SCRIPT, "failed", f"AssertionError: {IMG} & more", 0.0),
            _record("bob", "failed", f"AssertionError: {IMG} & more", 0.0, submission="invalid"),
            _record("carol", "passed", "", 2.0),
        ):
            book.save(record, content="h", version="v1", grader="g", seed=0, run_id=run)
        book.finish_run(run, 3, 0)
    page = write_class_report(tmp_path).read_text(encoding="utf-8")
    assert SCRIPT not in page and IMG not in page, "a student's text reached the page as HTML"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, "the hostile id is missing (escaped) from the page"
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in page, "the hostile message is missing (escaped)"
    assert "<table" in page and "<h2>" in page, "the report's own markup was escaped too"
