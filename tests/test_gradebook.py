"""The durable gradebook, resuming, shards and the class report (instructor kit, issue 23).

A class of 12 submissions of notebook 00 (correct, wrong, blank, slow, broken) is graded once
without interruption (the reference). Then the same class is graded by a grader killed with
SIGKILL in the middle and rerun; four shards are graded and merged. Both must give exports equal
to the reference's, apart from the timings and the kernels' random uids. TensorFlow pass only:
the backend changes nothing the gradebook does, and each batch starts kernels.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from course_tools.class_report import failure_groups, write_class_report
from course_tools.grade import grade_batch, merge
from course_tools.gradebook import FILE_NAME, Gradebook, parse_shard, shard_of
from course_tools.notebooks import STUDENT_CODE_STUB, cell_kind, read_notebook, write_notebook
from course_utils.config import project_root

pytestmark = pytest.mark.backend("tensorflow")

ROOT = project_root()
RELEASED = ROOT / "notebooks" / "00_start_here.ipynb"
TEST = "test_conv_output_size"
SIGNATURE = "def conv_output_size(n, f, p=0, s=1):\n"
ANSWERS = {
    "ada": SIGNATURE + "    return (n + 2 * p - f) // s + 1\n",
    "ben": SIGNATURE + "    return (n - f) // s + 1\n",
    "cleo": SIGNATURE + "    return int((n + 2 * p - f) / s) + 1\n",
    "dan": SIGNATURE + "    return (n + 2 * p - f) // s\n",
    "eve": SIGNATURE + "    return (n + p - f) // s + 1\n",
    "finn": None,  # the blank release
    "gus": SIGNATURE + "    import time\n    time.sleep(0.3)\n    return (n + 2 * p - f) // s + 1\n",
    "hana": SIGNATURE + "    return (n + 2 * p - f) / s + 1\n",
    "ivo": SIGNATURE + "    import time\n    time.sleep(0.3)\n    return (n - f) // s + 1\n",
    "jo": SIGNATURE + "    return n - f + 1\n",
    "kim": SIGNATURE + "    return (n + 2 * p - f) // s + 1\n",
    "lee": SIGNATURE + "    raise NotImplementedError\n",
}
KWARGS = {"workers": 2, "timeout_cell": 20, "timeout_notebook": 120, "progress": False, "judge_seed": 11}


def _write_class(folder: Path) -> None:
    folder.mkdir(parents=True)
    for student, answer in ANSWERS.items():
        nb = read_notebook(RELEASED)
        for cell in nb.cells:
            if cell_kind(cell) == "solution" and answer is not None:
                assert STUDENT_CODE_STUB in cell.source or "conv_output_size" in cell.source
                cell.source = answer
        write_notebook(nb, folder / f"{student}.ipynb")
    (folder / "zed.ipynb").write_text("{ this is not json")


def _exports(out: Path) -> dict:
    """The exports, with what differs between two honest runs taken out: timings, the sandbox's random
    user id and cgroup name."""
    data = json.loads((out / "grades.json").read_text())
    for record in data["students"].values():
        for key in ("seconds", "run_seconds"):
            record.pop(key, None)
        record.get("sandbox", {}).pop("uid", None)
        record.get("sandbox", {}).pop("cgroup_name", None)
    feedback = {p.name: p.read_text() for p in sorted((out / "feedback").glob("*.md"))}
    return {"csv": (out / "grades.csv").read_text(), "json": data, "feedback": feedback}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("gradebook")
    subs = base / "class"
    _write_class(subs)
    start = time.monotonic()
    records = grade_batch(subs, "00", out=base / "reference", **KWARGS)
    return {
        "base": base,
        "subs": subs,
        "ref": base / "reference",
        "records": records,
        "seconds": time.monotonic() - start,
    }


def test_the_gradebook_holds_every_submission(graded):
    with Gradebook(graded["ref"] / FILE_NAME) as book:
        rows = {r["student"]: r for r in book.rows()}
        log = book.log()
        meta = book.meta()
    assert set(rows) == set(ANSWERS) | {"zed"}
    assert rows["ada"]["total"] == 2 and rows["ben"]["total"] == 0 and rows["zed"]["submission"] == "invalid"
    assert meta["assignment"] == "00_start_here" and len(meta["assignment_version"]) == 16
    assert all(len(r["content_hash"]) == 64 and r["grader_version"] for r in rows.values())
    assert sorted(s for s, _, _ in log) == sorted(rows)  # graded once each
    data = json.loads((graded["ref"] / "grades.json").read_text())
    assert data["assignment_version"] == meta["assignment_version"] and data["seed"] == 0
    with sqlite3.connect(graded["ref"] / FILE_NAME) as db:
        ex = dict(db.execute("SELECT student, status FROM exercises WHERE grade_id = ?", (TEST,)))
    assert ex["ada"] == "passed" and ex["ben"] == "failed"


def test_a_rerun_resumes_and_regrades_only_what_changed(graded, tmp_path):
    out = tmp_path / "out"
    import shutil

    shutil.copytree(graded["ref"], out)
    subs = tmp_path / "class"
    shutil.copytree(graded["subs"], subs)
    # The gradebook stores the file path; graded from a copy of the class, every file "moved":
    # only the content hash decides, so nothing is graded again.
    grade_batch(subs, "00", out=out, **KWARGS)
    with Gradebook(out / FILE_NAME) as book:
        assert len(book.log()) == len(ANSWERS) + 1
    # ben fixes his answer, lee's submission disappears: ben is graded again, lee removed.
    nb = read_notebook(subs / "ben.ipynb")
    for cell in nb.cells:
        if cell_kind(cell) == "solution":
            cell.source = ANSWERS["ada"]
    write_notebook(nb, subs / "ben.ipynb")
    (subs / "lee.ipynb").unlink()
    records = {r["student"]: r for r in grade_batch(subs, "00", out=out, **KWARGS)}
    assert records["ben"]["total"] == 2 and "lee" not in records
    with Gradebook(out / FILE_NAME) as book:
        log = book.log()
    assert [s for s, _, run in log if run == max(r for _, _, r in log)] == ["ben"]
    assert "lee" not in (out / "grades.csv").read_text()
    assert not (out / "feedback" / "lee.md").exists()


def test_sigkill_in_the_middle_loses_nothing_and_grades_nothing_twice(graded, tmp_path):
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "course_tools", "grade", str(graded["subs"]), "--assignment", "00", "--out", str(out)]
    cmd += ["--workers", "2", "--timeout-cell", "20", "--timeout-notebook", "120", "--judge-seed", "11"]
    proc = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done_before: dict = {}
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
            if (out / FILE_NAME).exists():
                try:
                    with sqlite3.connect(f"file:{out / FILE_NAME}?mode=ro", uri=True) as db:
                        if db.execute("SELECT count(*) FROM submissions").fetchone()[0] >= 4:
                            break
                except sqlite3.Error:
                    continue
        assert proc.poll() is None, f"the grader ended before it could be killed: {proc.stderr.read()[-2000:]}"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        # The workers die with the grader, the zygote (and its kernels) at the end of its stdin.
        gone = time.monotonic() + 30
        while time.monotonic() < gone:
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.5)
        else:
            pytest.fail("processes of the killed grader were still running 30 s after it died")
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    with Gradebook(out / FILE_NAME) as book:
        done_before = {r["student"]: (r["finished"], r["run_id"]) for r in book.rows()}
    assert 4 <= len(done_before) < len(ANSWERS) + 1, done_before
    assert not (out / "grades.csv").exists()  # the exports come at the end; the gradebook has it all
    stale = _stale_kernel_mounts()  # the killed grader's kernel folders (tmpfs, as root)
    start = time.monotonic()
    rerun = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    resumed_seconds = time.monotonic() - start
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert f"{len(done_before)} submission(s) unchanged" in rerun.stdout
    with Gradebook(out / FILE_NAME) as book:
        after = {r["student"]: (r["finished"], r["run_id"]) for r in book.rows()}
        log = book.log()
    assert {s: after[s] for s in done_before} == done_before  # kept, not graded again
    assert sorted(s for s, _, _ in log) == sorted(after)  # every student graded exactly once
    assert _exports(out) == _exports(graded["ref"])
    assert not set(stale) & set(_stale_kernel_mounts(dead_only=False)), "the rerun left the killed run's mounts"
    print(f"resumed batch: {len(after) - len(done_before)} left of {len(after)}, {resumed_seconds:.1f} s")


def _recipe_env(**extra) -> dict:
    env = dict(os.environ, ASSIGNMENT="00", **extra)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]])  # `python` = this one
    return env


def _stale_kernel_mounts(dead_only: bool = True) -> list[str]:
    """Mount points of kernel folders (``/tmp/cu-grade-*/*``) whose grader worker is gone."""
    found = []
    for line in Path("/proc/mounts").read_text().splitlines():
        point = line.split()[1]
        if "/cu-grade-" not in point:
            continue
        try:
            os.kill(int((Path(point).parent / "owner").read_text()), 0)
            alive = True
        except (OSError, ValueError):
            alive = False
        if not (alive and dead_only):
            found.append(point)
    return found


def test_four_shards_merged_equal_one_run(graded, tmp_path):
    """Shard 1 runs through the Slurm recipe as task 0 of ``sbatch --array=0-3`` (sbatch's smallest index:
    the old recipe graded it as shard 0/4 and failed, and shard 4 was never graded), shard 2 through the
    Kubernetes one, 3 and 4 directly; `grade merge` refuses the folders while one is missing (issue 45)."""
    import yaml

    recipes = ROOT / "docs" / "recipes"
    env = _recipe_env(SUBMISSIONS=str(graded["subs"]), OUT=str(tmp_path), PYTHON=sys.executable, JUDGE_SEED="11")
    array = {"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "3"}
    slurm = subprocess.run(
        ["bash", str(recipes / "grade_slurm.sh")],
        env=dict(env, **array, SLURM_ARRAY_TASK_COUNT="4"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert slurm.returncode == 0, slurm.stderr[-3000:]
    assert (tmp_path / "shard-1" / FILE_NAME).is_file(), "task 0 of --array=0-3 must grade shard 1/4"
    sparse = subprocess.run(
        ["bash", str(recipes / "grade_slurm.sh")],
        env=dict(
            env, SLURM_ARRAY_TASK_ID="3", SLURM_ARRAY_TASK_MIN="1", SLURM_ARRAY_TASK_MAX="5", SLURM_ARRAY_TASK_COUNT="3"
        ),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert sparse.returncode == 2 and "one range" in sparse.stderr  # --array=1,3,5: shards cannot be numbered
    docs = [d for d in yaml.safe_load_all((recipes / "grade_k8s_job.yaml").read_text()) if d]
    job = next(d for d in docs if d["kind"] == "Job")
    claim = next(d for d in docs if d["kind"] == "PersistentVolumeClaim")
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]  # parallel pods on any node write to it
    assert job["kind"] == "Job" and job["spec"]["completionMode"] == "Indexed"
    container = job["spec"]["template"]["spec"]["containers"][0]
    declared = {e["name"]: e["value"] for e in container["env"]}
    assert declared["SHARDS"] == str(job["spec"]["completions"])
    # The pod's environment as the Job declares it, pointed at this test's folders and 4 shards.
    pod_env = {**env, **declared, "ASSIGNMENT": "00", "SHARDS": "4", "SUBMISSIONS": env["SUBMISSIONS"]}
    pod_env.update(OUT=str(tmp_path), JOB_COMPLETION_INDEX="1", COURSE_JUDGE_SEED="11")
    k8s = subprocess.run(
        [*container["command"], *container["args"]], env=pod_env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert k8s.returncode == 0, k8s.stderr[-3000:]
    for k in (3, 4):
        grade_batch(graded["subs"], "00", out=tmp_path / f"shard-{k}", shard=f"{k}/4", **KWARGS)
    folders = [tmp_path / f"shard-{k}" for k in range(1, 5)]
    with pytest.raises(ValueError, match="shard.*4/4 missing"):
        merge(folders[:3], tmp_path / "three", progress=False)
    assert not (tmp_path / "three" / "grades.csv").exists()
    sizes = [len(Gradebook(f / FILE_NAME).rows()) for f in folders]
    assert sum(sizes) == len(ANSWERS) + 1 and max(sizes) < len(ANSWERS) + 1
    merge(folders, tmp_path / "merged", progress=False)
    assert _exports(tmp_path / "merged") == _exports(graded["ref"])
    with pytest.raises(ValueError, match="new --out"):
        merge(folders, tmp_path / "merged", progress=False)
    with pytest.raises(ValueError, match="in both"):
        merge([folders[0], folders[0], *folders[1:]], tmp_path / "twice", progress=False)
    # A shard graded against another version of the solution notebook is refused.
    import shutil

    stale = tmp_path / "stale"
    shutil.copytree(folders[1], stale)
    with sqlite3.connect(stale / FILE_NAME) as db:
        db.execute("UPDATE meta SET value = '0123456789abcdef' WHERE key = 'assignment_version'")
        db.execute("UPDATE submissions SET assignment_version = '0123456789abcdef'")
    with pytest.raises(ValueError, match="different versions of the assignment.*0123456789abcdef"):
        merge([folders[0], stale, folders[2], folders[3]], tmp_path / "mixed", progress=False)
    assert not (tmp_path / "mixed" / "grades.csv").exists()


def test_shards_are_a_partition_by_id():
    ids = [f"student{i}" for i in range(200)]
    for n in (1, 3, 4):
        parts = [{s for s in ids if shard_of(s, n) == k} for k in range(1, n + 1)]
        assert set().union(*parts) == set(ids) and sum(map(len, parts)) == len(ids)
        assert all(parts) or n > len(ids)
    assert shard_of("alice", 4) == shard_of("alice", 4)
    assert parse_shard("2/4") == (2, 4) and parse_shard(None) is None
    for bad in ("0/4", "5/4", "2", "a/b", "1/0"):
        with pytest.raises(ValueError, match="K/N"):
            parse_shard(bad)


def test_class_report(graded):
    index = write_class_report(graded["ref"])
    page = index.read_text()
    for png in ("scores.png", "exercises.png"):
        assert (index.parent / png).stat().st_size > 5_000 and png in page
    groups = failure_groups(graded["records"], TEST, top=100)
    assert sum(n for _, n, _ in groups) == sum(1 for r in graded["records"] if r["total"] == 0)
    assert groups[0][1] >= 2  # the same mistake made by several students is one line with its count
    assert "zed" in page and "invalid" in page  # the unreadable notebook is listed
    assert "Slowest" in page and "gus" in page.split("Slowest")[1]  # the sleeper is among the slowest
    assert "<script" not in page


def test_report_and_merge_explain_bad_folders(tmp_path):
    with pytest.raises(ValueError, match="gradebook"):
        write_class_report(tmp_path)
    with pytest.raises(ValueError, match="no gradebook"):
        merge([tmp_path], tmp_path / "m", progress=False)
    cli = subprocess.run(
        [sys.executable, "-m", "course_tools", "grade", "report", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert cli.returncode == 2 and "gradebook" in cli.stderr and "Traceback" not in cli.stderr


def test_a_variant_per_student_differs_and_regrades_identically(graded, tmp_path):
    """With a class secret each student's test inputs come from a seed of their own, the same on every
    regrade, and the secret is in no file of the output (issue 45, item 7); without it, one seed for all."""
    import shutil

    from course_tools import variants

    secret = b"the class secret of this test, 2026"
    subs = tmp_path / "class"
    subs.mkdir()
    for student in ("ada", "ben", "kim"):
        shutil.copy(graded["subs"] / f"{student}.ipynb", subs)
    kwargs = {**KWARGS, "judge_seed": None, "class_secret": secret}
    first = {r["student"]: r for r in grade_batch(subs, "00", out=tmp_path / "first", **kwargs)}
    again = {r["student"]: r for r in grade_batch(subs, "00", out=tmp_path / "first", regrade=True, **kwargs)}
    seeds = {s: r["judge_seed"] for s, r in first.items()}
    assert seeds == {s: variants.student_seed(secret, "00_start_here", s) for s in seeds}
    assert len(set(seeds.values())) == 3, seeds  # different between students
    assert {s: r["judge_seed"] for s, r in again.items()} == seeds  # the same on a regrade
    assert {s: r["total"] for s, r in again.items()} == {s: r["total"] for s, r in first.items()}
    assert first["ada"]["total"] == 2 and first["ben"]["total"] == 0 and first["kim"]["total"] == 2
    data = json.loads((tmp_path / "first" / "grades.json").read_text())
    fingerprint = variants.SeedPolicy("00_start_here", 0, secret=secret).fingerprint()
    assert fingerprint in data["variants"] and "judge_seed" not in data
    for path in (tmp_path / "first").rglob("*"):
        assert not path.is_file() or secret not in path.read_bytes(), f"the class secret is in {path}"
    # --judge-seed mixed in: a new set of variants; no secret: the whole class shares --judge-seed
    mixed = variants.SeedPolicy("00_start_here", 11, explicit=True, secret=secret)
    assert mixed.for_student("ada") not in seeds.values()
    assert variants.SeedPolicy("00_start_here", 11).for_student("ada") == 11
    assert {r["judge_seed"] for r in graded["records"] if "judge_seed" in r} == {11}
    assert not [r for r in graded["records"] if r.get("variant")]


def test_the_class_secret_is_checked_before_grading(tmp_path):
    from course_tools import variants

    with pytest.raises(ValueError, match="expected a readable file.*Fix"):
        variants.load_secret(tmp_path / "missing")
    (tmp_path / "short").write_text("abc\n")
    with pytest.raises(ValueError, match="at least 16 bytes, got 3"):
        variants.load_secret(tmp_path / "short")
    assert variants.load_secret(None, env={"COURSE_CLASS_SECRET": "x" * 20}) == b"x" * 20
    assert variants.load_secret(None, env={}) is None
    assert variants.seed_from_env({"COURSE_JUDGE_SEED": " 42 "}) == 42
    with pytest.raises(ValueError, match="must be an integer"):
        variants.seed_from_env({"COURSE_JUDGE_SEED": "abc"})
    assert "qqqq" not in repr(variants.SeedPolicy("a", 1, secret=b"q" * 16))  # printed as its fingerprint


def test_the_grader_image_gets_only_what_it_needs():
    """The Dockerfile copied the whole course folder, with no .dockerignore: a .venv, .git, submissions
    or grades went into the image (issue 45, defect 5)."""
    recipes = ROOT / "docs" / "recipes"
    dockerfile = (recipes / "Dockerfile.grader").read_text()
    copies = [ln.split()[1:-1] for ln in dockerfile.splitlines() if ln.startswith("COPY ")]
    assert copies and all(src not in (".", "./") for srcs in copies for src in srcs), copies
    assert "-c constraints.txt" in dockerfile and "constraints.txt" in copies[0]
    ignored = {ln.strip() for ln in (ROOT / ".dockerignore").read_text().splitlines() if ln.strip()}
    assert {".git", ".venv*", "submissions*", "grades*", "**/*.sqlite"} <= ignored
