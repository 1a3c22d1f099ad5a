"""Claims: what a notebook's prose says about its own run, checked against the run's metrics.

Each notebook keeps ``benchmarks/claims/<stem>.toml``, a list of claims::

    [[claim]]
    name = "lenet_target"
    statement = "LeNet-5 reaches at least 97.5% test accuracy"
    check = "lenet_test_accuracy >= 0.975"
    backends = ["tensorflow", "torch"]     # optional, default: both

``check`` is a comparison over the metrics the notebook records with ``cu.report`` (and
``wall_s``, the notebook's wall time), with numbers, ``+ - * /``, ``abs``, ``min``, ``max``,
``and``, ``or`` and ``not``; nothing else is evaluated. Claims are judged on full-mode runs: the
benchmark writes each verdict (``{name, statement, value, ok}``) into ``benchmarks/results.json``,
and ``python -m course_tools bench --check`` fails naming every broken claim.
"""

from __future__ import annotations

import ast
import operator
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "BACKENDS",
    "Claim",
    "ClaimError",
    "check_names",
    "claims_dir",
    "evaluate",
    "load_claims",
    "reported_names",
]

BACKENDS = ("tensorflow", "torch")
_COMPARE = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
_FUNCTIONS = {"abs": abs, "min": min, "max": max}


class ClaimError(ValueError):
    """A claims file or a claim's check that cannot be read or evaluated."""


@dataclass(frozen=True)
class Claim:
    """One sentence of a notebook's prose about its run, and the check that backs it."""

    name: str
    statement: str
    check: str
    backends: tuple[str, ...] = BACKENDS
    source: str = field(default="", compare=False)  # the claims file, for messages
    seeds: int = 1  # the figure varies with the seed: judged on the runs of at least this many seeds

    def names(self) -> set[str]:
        """The metric names the check reads (``wall_s`` included)."""
        return check_names(self.check)


def claims_dir(root: Path) -> Path:
    return root / "benchmarks" / "claims"


def _parse(check: str) -> ast.Expression:
    try:
        tree = ast.parse(check, mode="eval")
    except SyntaxError as exc:
        raise ClaimError(f"check {check!r} is not an expression: {exc.msg}") from None
    for node in ast.walk(tree):
        allowed = (
            ast.Expression,
            ast.Compare,
            ast.BoolOp,
            ast.And,
            ast.Or,
            ast.UnaryOp,
            ast.Not,
            ast.USub,
            ast.UAdd,
            ast.BinOp,
            ast.Name,
            ast.Load,
            ast.Constant,
            ast.Call,
            *_COMPARE,
            *_BINARY,
        )
        if not isinstance(node, allowed):
            raise ClaimError(
                f"check {check!r} uses {type(node).__name__}, which a claim may not: use metric names, numbers, "
                "comparisons, + - * /, abs(), min(), max(), and, or, not"
            )
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS):
            raise ClaimError(f"check {check!r} calls {ast.unparse(node.func)}: only abs(), min() and max() are allowed")
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float, str)):
            raise ClaimError(f"check {check!r} has the constant {node.value!r}: only numbers and strings")
    return tree


def check_names(check: str) -> set[str]:
    """The names a check reads, except the functions it calls."""
    tree = _parse(check)
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in called}


def _eval(node, values: dict):
    if isinstance(node, ast.Expression):
        return _eval(node.body, values)
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in values:
            raise KeyError(node.id)
        return values[node.id]
    if isinstance(node, ast.UnaryOp):
        value = _eval(node.operand, values)
        return (not value) if isinstance(node.op, ast.Not) else (-value if isinstance(node.op, ast.USub) else +value)
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_eval(node.left, values), _eval(node.right, values))
    if isinstance(node, ast.BoolOp):
        results = [bool(_eval(v, values)) for v in node.values]
        return all(results) if isinstance(node.op, ast.And) else any(results)
    if isinstance(node, ast.Call):
        return _FUNCTIONS[node.func.id](*[_eval(a, values) for a in node.args])
    if isinstance(node, ast.Compare):
        left = _eval(node.left, values)
        for op, right_node in zip(node.ops, node.comparators):
            right = _eval(right_node, values)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True
    raise ClaimError(f"cannot evaluate {ast.unparse(node)}")  # _parse lets nothing else through


def _lhs(tree: ast.Expression):
    """The node whose value a verdict records: the first operand of the first comparison that is not a
    plain number (``0.7 <= a - b <= 0.8`` records ``a - b``)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            return next((o for o in operands if not isinstance(o, ast.Constant)), node.left)
    return tree.body


def evaluate(claim: Claim, metrics: dict, wall_s: float | None = None) -> dict:
    """Judge one claim against one run: ``{name, statement, check, value, ok}`` (+ ``error``)."""
    values = dict(metrics)
    if wall_s is not None:
        values["wall_s"] = wall_s
    tree = _parse(claim.check)
    verdict = {"name": claim.name, "statement": claim.statement, "check": claim.check, "value": None, "ok": False}
    try:
        verdict["value"] = _eval(_lhs(tree), values)
        verdict["ok"] = bool(_eval(tree, values))
    except KeyError as exc:
        verdict["error"] = f"the run recorded no metric {exc.args[0]!r}"
    except (TypeError, ZeroDivisionError) as exc:
        verdict["error"] = f"{type(exc).__name__}: {exc}"
    if isinstance(verdict["value"], float):
        verdict["value"] = round(verdict["value"], 6)
    return verdict


def load_claims(root: Path) -> dict[str, list[Claim]]:
    """Every notebook's claims, by notebook stem, read from ``benchmarks/claims/*.toml``."""
    out = {}
    for path in sorted(claims_dir(root).glob("*.toml")):
        where = f"benchmarks/claims/{path.name}"
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ClaimError(f"{where} is not valid TOML: {exc}") from None
        unknown = set(data) - {"claim"}
        if unknown:
            raise ClaimError(f"{where}: unknown table(s) {sorted(unknown)}; expected only [[claim]] entries")
        claims, seen = [], set()
        for i, entry in enumerate(data.get("claim", [])):
            missing = {"name", "statement", "check"} - set(entry)
            extra = set(entry) - {"name", "statement", "check", "backends", "seeds"}
            if missing or extra:
                raise ClaimError(
                    f"{where}, claim {i + 1}: expected keys name, statement, check (and optionally backends, seeds); "
                    f"missing {sorted(missing)}, unknown {sorted(extra)}"
                )
            if not re.fullmatch(r"[a-z0-9_]+", entry["name"]) or entry["name"] in seen:
                raise ClaimError(f"{where}: claim name {entry['name']!r} is not unique snake_case")
            seen.add(entry["name"])
            backends = tuple(entry.get("backends", BACKENDS))
            if not backends or set(backends) - set(BACKENDS):
                raise ClaimError(f"{where}, claim {entry['name']!r}: backends must be some of {list(BACKENDS)}")
            try:
                _parse(entry["check"])
            except ClaimError as exc:
                raise ClaimError(f"{where}, claim {entry['name']!r}: {exc}") from None
            seeds = entry.get("seeds", 1)
            if not isinstance(seeds, int) or seeds < 1:
                raise ClaimError(f"{where}, claim {entry['name']!r}: seeds must be a whole number >= 1")
            claims.append(Claim(entry["name"], entry["statement"], entry["check"], backends, where, seeds))
        out[path.stem] = claims
    return out


def reported_names(source: Path) -> list[re.Pattern]:
    """Patterns of the metric names a notebook source passes to ``report`` (f-string parts as wildcards)."""
    from .notebooks import read_source

    patterns = []
    for cell in read_source(Path(source)).cells:
        if cell.cell_type != "code":
            continue
        code = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            func = node.func
            if not ((isinstance(func, ast.Attribute) and func.attr == "report") or getattr(func, "id", "") == "report"):
                continue
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                patterns.append(re.compile(re.escape(arg.value)))
            elif isinstance(arg, ast.JoinedStr):
                parts = [re.escape(v.value) if isinstance(v, ast.Constant) else r"[A-Za-z0-9_]+" for v in arg.values]
                patterns.append(re.compile("".join(parts)))
    return patterns
