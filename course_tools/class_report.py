"""``python -m course_tools grade report OUT``: one HTML page about a graded class.

Read from ``OUT/gradebook.sqlite`` (see :mod:`course_tools.gradebook`), written to
``OUT/report/index.html`` with its figures beside it as PNGs; no server, open the file in a
browser. What an instructor looks for first:

- the score histogram (``scores.png``) and the pass rate per exercise (``exercises.png``,
  each bar split by status);
- per exercise, the most frequent failure messages, grouped by the check's first line, with
  counts and a few students each;
- submissions that did not grade normally: timeouts, crashes, tampered or missing tests,
  unreadable or wrong notebooks;
- the slowest submissions.

Every text that comes from a submission (ids, messages) is HTML-escaped.
"""

from __future__ import annotations

import html
from collections import Counter, defaultdict
from pathlib import Path

from .gradebook import FILE_NAME, Gradebook

__all__ = ["write_class_report", "failure_groups"]

_STATUS_COLOURS = {
    "passed": "#4c9a2a",
    "failed": "#d9822b",
    "error": "#c23030",
    "timeout": "#8e44ad",
    "missing": "#7f8c8d",
    "tampered": "#2c3e50",
    "manual": "#3498db",
}


def _first_line(message: str) -> str:
    for line in str(message).splitlines():
        if line.strip():
            return line.strip()[:300]
    return "(no message)"


def failure_groups(records: list[dict], grade_id: str, top: int = 5) -> list[tuple[str, int, list[str]]]:
    """``(first line of the message, count, students)`` for the exercise's failures, most frequent first."""
    groups: dict[str, list[str]] = defaultdict(list)
    for r in records:
        e = r["exercises"].get(grade_id)
        if e and e["status"] not in ("passed", "manual"):
            groups[_first_line(e.get("message", ""))].append(r["student"])
    ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return [(msg, len(students), students) for msg, students in ranked[:top]]


def _plots(records, tests, dest: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import numpy as np

    graded = [t for t in tests if not t["manual"]]
    max_total = sum(t["points"] for t in graded)
    totals = [r["total"] for r in records]
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    if max_total <= 40 and all(float(t).is_integer() for t in totals):
        bins = np.arange(-0.5, max_total + 1.0, 1.0)  # one bar per possible total
        ax.set_xticks(np.arange(0, max_total + 1, max(1, int(max_total) // 10)))
    else:
        bins = np.linspace(0, max_total or 1, 21)
    ax.hist(totals, bins=bins, color="#3a6ea5", edgecolor="white")
    ax.set_xlabel(f"total points (of {max_total:g})")
    ax.set_ylabel("submissions")
    mean = float(np.mean(totals)) if totals else 0.0
    ax.axvline(mean, color="black", linestyle="--", linewidth=1)
    ax.set_title(f"Scores of {len(records)} submissions (mean {mean:.2f}, dashed)")
    fig.tight_layout()
    fig.savefig(dest / "scores.png", dpi=100)
    plt.close(fig)

    statuses = [
        s
        for s in _STATUS_COLOURS
        if any(r["exercises"].get(t["grade_id"], {}).get("status") == s for r in records for t in tests)
    ]
    fig, ax = plt.subplots(figsize=(6.4, 0.45 * max(3, len(tests)) + 1.2))
    left = np.zeros(len(tests))
    n = max(1, len(records))
    for status in statuses:
        share = np.array(
            [sum(r["exercises"].get(t["grade_id"], {}).get("status") == status for r in records) / n for t in tests]
        )
        ax.barh(
            [t["grade_id"] for t in tests], share * 100, left=left * 100, color=_STATUS_COLOURS[status], label=status
        )
        left += share
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of submissions")
    ax.set_title("Outcome per exercise")
    ax.legend(ncol=min(6, len(statuses)), fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.35))
    fig.tight_layout()
    fig.savefig(dest / "exercises.png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return ["scores.png", "exercises.png"]


def _table(header: list[str], rows: list[list]) -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_class_report(out: str | Path, dest: str | Path | None = None, slowest: int = 10) -> Path:
    """Write the class report of the graded folder ``out``; return the path of ``index.html``.

    Args:
        out: a ``--out`` folder of ``grade`` (or of ``grade merge``): it holds ``gradebook.sqlite``.
        dest: where to write (default ``out/report``).
        slowest: how many of the slowest submissions to list.
    """
    out = Path(out)
    if not (out / FILE_NAME).is_file():
        raise ValueError(
            f"`grade report` needs the --out folder of a `grade` run: no {FILE_NAME} in {out} "
            "(grade the class first, or give the folder that holds grades.csv)"
        )
    with Gradebook(out / FILE_NAME) as book:
        meta, tests, records, rows = book.meta(), book.tests(), book.records(), book.rows()
    dest = Path(dest) if dest else out / "report"
    dest.mkdir(parents=True, exist_ok=True)
    esc = html.escape
    graded = [t for t in tests if not t["manual"]]
    max_total = sum(t["points"] for t in graded)
    figures = _plots(records, tests, dest) if records else []
    totals = sorted(r["total"] for r in records)
    median = totals[len(totals) // 2] if totals else 0
    full = sum(r["total"] == max_total for r in records)
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>Class report: {esc(meta.get('assignment', '?'))}</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}"
        "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .6em;"
        "text-align:left;vertical-align:top}th{background:#f3f3f3}code{font-size:90%}</style></head><body>",
        f"<h1>Class report: {esc(meta.get('assignment', '?'))}</h1>",
        f"<p>{len(records)} submissions; mean {sum(totals) / max(1, len(totals)):.2f}, median {median:g} "
        f"of {max_total:g} points; full marks: {full}. Assignment version "
        f"<code>{esc(meta.get('assignment_version', '?'))}</code>; grader version(s) "
        f"<code>{esc(', '.join(sorted({r['grader_version'] for r in rows})) or '?')}</code>.</p>",
    ]
    for name in figures:
        parts.append(f"<p><img src='{name}' alt='{name}'></p>")
    per_ex = []
    for t in tests:
        counts = Counter(r["exercises"].get(t["grade_id"], {}).get("status", "missing") for r in records)
        rate = counts.get("passed", 0) / max(1, len(records))
        per_ex.append(
            [t["grade_id"], f"{t['points']:g}", f"{rate:.0%}", ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))]
        )
    parts += ["<h2>Exercises</h2>", _table(["exercise", "points", "passed", "statuses"], per_ex)]
    parts.append("<h2>Most frequent failures</h2>")
    for t in tests:
        groups = failure_groups(records, t["grade_id"])
        if not groups:
            continue
        parts.append(f"<h3>{esc(t['grade_id'])}</h3>")
        parts.append(
            _table(
                ["count", "first line of the message", "students"],
                [
                    [n, msg, ", ".join(st[:4]) + (f" and {len(st) - 4} more" if len(st) > 4 else "")]
                    for msg, n, st in groups
                ],
            )
        )
    odd = []
    for r in records:
        bad = sorted({e["status"] for e in r["exercises"].values()} & {"timeout", "tampered", "missing"})
        crash = [n for n in r.get("notes", []) if "died" in n or "grader error" in n or "crash" in n.lower()]
        if r["submission"] != "ok" or bad or crash:
            odd.append([r["student"], r["submission"], ", ".join(bad), "; ".join(r.get("notes", []))[:300]])
    parts += [
        "<h2>Submissions that did not grade normally</h2>",
        _table(["student", "submission", "exercise statuses", "notes"], odd) if odd else "<p>None.</p>",
    ]
    slow = sorted(records, key=lambda r: -(r.get("seconds") or 0))[:slowest]
    parts += [
        f"<h2>Slowest {len(slow)} submissions</h2>",
        _table(
            ["student", "seconds (all)", "seconds in the kernel", "total"],
            [[r["student"], r.get("seconds"), r.get("run_seconds"), f"{r['total']:g}"] for r in slow],
        ),
        "</body></html>",
    ]
    index = dest / "index.html"
    # a gradebook written before records were cleaned may hold lone surrogates: never a failed report
    index.write_text("\n".join(parts), encoding="utf-8", errors="backslashreplace")
    return index
