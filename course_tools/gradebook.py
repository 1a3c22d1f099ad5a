"""The grader's durable gradebook: ``OUT/gradebook.sqlite``, one transaction per finished submission.

``python -m course_tools grade`` writes every finished submission here the moment it is graded,
so a batch that dies (a reboot, an out-of-memory kill, a closed laptop) loses only the
submissions that were running. ``grades.csv``, ``grades.json`` and ``feedback/`` are exports of
this file, rewritten from it at the end of each run. Rerunning the same command resumes: a
submission whose content hash and assignment version are unchanged is not graded again.

Tables:

- ``meta``: ``assignment`` (e.g. ``00_start_here``), ``assignment_version`` (hash of the
  solution notebook), ``tests`` (the exercises and their points, JSON).
- ``submissions``: one row per student: file, ``content_hash`` (SHA-256 of the submitted
  file), ``assignment_version``, ``grader_version``, ``seed``, ``submission`` status, total,
  started/finished times, ``run_id`` and the whole record as JSON (what ``grades.json`` shows).
- ``exercises``: one row per student and exercise: points, earned, status, message, hidden.
- ``runs``: one row per grading run (command line, shard, how many graded and skipped).
- ``grading_log``: one row per grading finished (student, content hash, run): a student graded
  twice for the same file shows up here twice.

Only the standard library's :mod:`sqlite3`; nbgrader's own gradebook is a different schema
(its formgrader shows nbgrader's grades, not ours).
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import time
from pathlib import Path

__all__ = ["Gradebook", "grader_version", "in_order", "shard_of", "parse_shard", "FILE_NAME"]

FILE_NAME = "gradebook.sqlite"
_SURROGATES = re.compile("[\ud800-\udfff]")  # not encodable: replaced by U+FFFD before SQLite sees them

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS submissions (
    student TEXT PRIMARY KEY,
    file TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    assignment_version TEXT NOT NULL,
    grader_version TEXT NOT NULL,
    seed INTEGER NOT NULL,
    submission TEXT NOT NULL,
    total REAL NOT NULL,
    max_total REAL NOT NULL,
    started REAL NOT NULL,
    finished REAL NOT NULL,
    seconds REAL,
    run_id INTEGER NOT NULL,
    record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS exercises (
    student TEXT NOT NULL,
    grade_id TEXT NOT NULL,
    points REAL NOT NULL,
    earned REAL NOT NULL,
    status TEXT NOT NULL,
    message TEXT NOT NULL,
    hidden INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (student, grade_id)
);
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY AUTOINCREMENT,
    started REAL NOT NULL,
    finished REAL,
    command TEXT NOT NULL,
    shard TEXT NOT NULL,
    graded INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS grading_log (
    student TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    run_id INTEGER NOT NULL,
    finished REAL NOT NULL
);
"""


def in_order(exercises: dict, order: list[str]) -> dict:
    """``exercises`` (grade_id -> result) in the notebook's ``order``; ids not in it last, as they came."""
    ordered = {gid: exercises[gid] for gid in order if gid in exercises}
    ordered.update((gid, e) for gid, e in exercises.items() if gid not in ordered)
    return ordered


#: The maintainer's tools in course_tools/: they decide no verdict, so editing them keeps the grader's version.
MAINTAINER_TOOLS = frozenset(
    {"bench.py", "claims.py", "conditions.py", "lab.py", "mutants.py", "mutation.py", "outputs.py", "site.py"}
)


def grader_files(root: str | Path) -> list[Path]:
    """The files whose content decides a verdict: the grader's modules (not the maintainer's tools), the
    checks, the stored cases they read and the domains the grader draws fresh cases from."""
    root = Path(root)
    tools = [p for p in sorted((root / "course_tools").glob("*.py")) if p.name not in MAINTAINER_TOOLS]
    domains = sorted((root / "course_tools" / "domains").glob("*.py"))
    stored = sorted((root / "course_utils" / "cases").glob("*.npz"))
    return [p for p in tools + domains + [root / "course_utils" / "checks.py"] + stored if p.is_file()]


def grader_version(root: str | Path) -> str:
    """The course package's version plus a hash of the files that decide verdicts (:func:`grader_files`).

    Two runs with the same grader version decided every verdict with the same code and cases.
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        base = version("course-cnn")
    except PackageNotFoundError:
        base = "0"
    root = Path(root)
    digest = hashlib.sha256()
    for path in grader_files(root):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return f"{base}+{digest.hexdigest()[:12]}"


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """``"2/4"`` -> ``(2, 4)``: grade shard 2 of 4 (shards count from 1)."""
    if text in (None, ""):
        return None
    try:
        k, n = (int(x) for x in str(text).split("/"))
    except ValueError:
        k = n = 0
    if not (n >= 1 and 1 <= k <= n):
        raise ValueError(f"`--shard` must be K/N with 1 <= K <= N (e.g. 2/4: the second of four shards), got {text!r}")
    return k, n


def shard_of(student: str, n: int) -> int:
    """The shard (1..n) a student id belongs to: a hash of the id, the same on every machine."""
    return int(hashlib.sha256(student.encode("utf-8", "surrogatepass")).hexdigest(), 16) % n + 1


class Gradebook:
    """``OUT/gradebook.sqlite``: open (or create) it for one assignment.

    Args:
        path: the database file.
        assignment: the assignment spec of :func:`course_tools.grade.load_assignment` (its
            ``name``, ``version`` and ``tests``), or None to open an existing gradebook as it is.

    Raises ``ValueError`` when the file holds another assignment's grades.
    """

    def __init__(self, path: str | Path, assignment: dict | None = None):
        self.path = Path(path)
        if assignment is None and not self.path.is_file():
            raise ValueError(f"no gradebook at {self.path}: expected the --out folder of a `grade` run")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(self.path), timeout=60, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(_SCHEMA)
        meta = self.meta()
        if assignment is not None:
            if meta.get("assignment") and meta["assignment"] != assignment["name"]:
                name = meta["assignment"]
                self.close()
                raise ValueError(
                    f"{self.path} holds grades of {name}, not {assignment['name']}: "
                    "use another --out folder for this assignment"
                )
            with self.db:
                self.db.execute("BEGIN IMMEDIATE")
                for key, value in (
                    ("assignment", assignment["name"]),
                    ("assignment_version", assignment["version"]),
                    ("tests", json.dumps(assignment["tests"], sort_keys=True)),
                ):
                    self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # ------------------------------------------------------------------ reading

    def meta(self) -> dict:
        return dict(self.db.execute("SELECT key, value FROM meta"))

    def tests(self) -> list[dict]:
        return json.loads(self.meta().get("tests", "[]"))

    def fingerprints(self) -> dict[str, tuple[str, str]]:
        """``student -> (content_hash, assignment_version)`` of every graded submission."""
        rows = self.db.execute("SELECT student, content_hash, assignment_version FROM submissions")
        return {s: (h, v) for s, h, v in rows}

    def records(self, students=None) -> list[dict]:
        """The stored records (as :func:`course_tools.grade.grade_one` made them), sorted by student, each
        record's exercises in the notebook's order (the record is stored as JSON with sorted keys)."""
        rows = self.db.execute("SELECT student, record FROM submissions ORDER BY student")
        keep = set(students) if students is not None else None
        order = [t["grade_id"] for t in self.tests()]
        out = []
        for s, r in rows:
            if keep is None or s in keep:
                record = json.loads(r)
                record["exercises"] = in_order(record.get("exercises", {}), order)
                out.append(record)
        return out

    def rows(self) -> list[dict]:
        """Every submission row (without the record) as a dict, sorted by student."""
        cur = self.db.execute(
            "SELECT student, file, content_hash, assignment_version, grader_version, seed, submission, "
            "total, max_total, started, finished, seconds, run_id FROM submissions ORDER BY student"
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur]

    def shards(self) -> set[str]:
        """The ``--shard K/N`` of every run into this gradebook (empty: graded unsharded)."""
        return {str(s) for (s,) in self.db.execute("SELECT DISTINCT shard FROM runs") if s}

    def log(self) -> list[tuple[str, str, int]]:
        """``(student, content_hash, run_id)`` for every grading ever finished, in order."""
        return list(self.db.execute("SELECT student, content_hash, run_id FROM grading_log ORDER BY rowid"))

    # ------------------------------------------------------------------ writing

    def start_run(self, command: str, shard: str = "") -> int:
        with self.db:
            cur = self.db.execute(
                "INSERT INTO runs (started, command, shard) VALUES (?, ?, ?)", (time.time(), command, shard)
            )
        return int(cur.lastrowid)

    def finish_run(self, run_id: int, graded: int, skipped: int) -> None:
        with self.db:
            self.db.execute(
                "UPDATE runs SET finished = ?, graded = ?, skipped = ? WHERE run_id = ?",
                (time.time(), graded, skipped, run_id),
            )

    def save(self, record: dict, *, content: str, version: str, grader: str, seed: int, run_id: int) -> None:
        """Store one finished submission in one transaction (it replaces the student's older grade)."""
        finished = time.time()
        started = finished - float(record.get("seconds") or 0.0)
        data = json.dumps(record, sort_keys=True, ensure_ascii=True)
        self.db.execute("BEGIN IMMEDIATE")
        try:
            student = record["student"]
            self.db.execute(
                "INSERT OR REPLACE INTO submissions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    student,
                    str(record.get("file", "")),
                    content,
                    version,
                    grader,
                    int(seed),
                    record["submission"],
                    float(record["total"]),
                    float(record["max_total"]),
                    started,
                    finished,
                    record.get("seconds"),
                    run_id,
                    data,
                ),
            )
            self.db.execute("DELETE FROM exercises WHERE student = ?", (student,))
            self.db.executemany(
                "INSERT INTO exercises VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        student,
                        gid,
                        float(e["points"]),
                        float(e["earned"]),
                        e["status"],
                        _SURROGATES.sub("\ufffd", str(e.get("message", ""))),
                        int(bool(e.get("hidden"))),
                    )
                    for gid, e in record["exercises"].items()
                ],
            )
            self.db.execute("INSERT INTO grading_log VALUES (?, ?, ?, ?)", (student, content, run_id, finished))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def remove(self, students) -> None:
        """Forget these students' grades (their submissions are no longer in the folder)."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            for s in students:
                self.db.execute("DELETE FROM submissions WHERE student = ?", (s,))
                self.db.execute("DELETE FROM exercises WHERE student = ?", (s,))

    def copy_from(self, other: Gradebook) -> None:
        """Add every submission and grading-log row of ``other`` (for :func:`merge`)."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            for row in other.db.execute("SELECT * FROM submissions"):
                self.db.execute(f"INSERT INTO submissions VALUES ({', '.join('?' * len(row))})", row)
            for row in other.db.execute("SELECT * FROM exercises"):
                self.db.execute("INSERT INTO exercises VALUES (?, ?, ?, ?, ?, ?, ?)", row)
            for row in other.db.execute("SELECT * FROM grading_log"):
                self.db.execute("INSERT INTO grading_log VALUES (?, ?, ?, ?)", row)

    def close(self) -> None:
        try:
            self.db.close()
        except sqlite3.Error:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
