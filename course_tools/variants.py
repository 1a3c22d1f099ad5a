"""A variant per student: the seed of each student's test inputs, from a class secret and the student's id.

Every random input a test cell draws in the grader (``cu.checks.rng``, the hidden tests'
``default_rng(<literal>)``, the cases ``check_cases`` draws afresh) comes from one number per submission,
the judge's seed (:class:`course_tools.judge.Judge`). Without a class secret that number is the batch's
(``--judge-seed``, or drawn per batch). With one (``--class-secret-file`` or ``COURSE_CLASS_SECRET``), it
is ``HMAC-SHA256(secret, assignment, student id)``: the same for a student on every regrade, different
between students, and unknowable without the secret, so a table of answers shared in a class is worth
nothing. ``--judge-seed`` given as well is mixed in, so a new number draws a new set of variants.

The secret never leaves the grader: not in the kernel's environment, not in a report; ``grades.json``
shows a short fingerprint of it (to tell two secrets apart), and each student's seed.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SECRET_ENV", "SEED_ENV", "SeedPolicy", "load_secret", "seed_from_env", "student_seed"]

SECRET_ENV = "COURSE_CLASS_SECRET"
SEED_ENV = "COURSE_JUDGE_SEED"
MIN_SECRET_BYTES = 16


def student_seed(secret: bytes, assignment: str, student: str, batch_seed: int | None = None) -> int:
    """The seed of ``student``'s variant of ``assignment``: 63 bits of ``HMAC-SHA256(secret, ...)``."""
    message = b"\0".join(
        [b"course-cnn variant", assignment.encode(), student.encode("utf-8", "surrogatepass")]
        + ([str(int(batch_seed)).encode()] if batch_seed is not None else [])
    )
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") >> 1


@dataclass(frozen=True)
class SeedPolicy:
    """Where a submission's judge seed comes from: the batch's, or a class secret and the student's id.

    ``batch_seed``: the ``--judge-seed`` (or the one drawn for this batch); ``explicit``: whether the
    instructor gave it (then it is mixed into the per-student seeds). ``secret``: the class secret, or None.
    """

    assignment: str
    batch_seed: int
    explicit: bool = False
    secret: bytes | None = None

    def for_student(self, student: str) -> int:
        if self.secret is None:
            return int(self.batch_seed)
        return student_seed(self.secret, self.assignment, student, self.batch_seed if self.explicit else None)

    @property
    def per_student(self) -> bool:
        return self.secret is not None

    def fingerprint(self) -> str | None:
        """``sha256:`` and 12 hex digits of the secret (never the secret), or None without one."""
        return None if self.secret is None else "sha256:" + hashlib.sha256(self.secret).hexdigest()[:12]

    def describe(self) -> str:
        if self.secret is None:
            return f"one seed for the class ({self.batch_seed})"
        mixed = f", mixed with --judge-seed {self.batch_seed}" if self.explicit else ""
        return f"a seed per student from the class secret {self.fingerprint()}{mixed}"

    def __repr__(self) -> str:  # never print the secret
        return f"SeedPolicy({self.describe()})"


def load_secret(path: str | Path | None = None, env: dict | None = None) -> bytes | None:
    """The class secret: the bytes of ``path`` (``--class-secret-file``), else ``$COURSE_CLASS_SECRET``,
    else None. Raises ``ValueError`` for a missing file or a secret shorter than 16 bytes."""
    env = os.environ if env is None else env
    if path:
        try:
            secret = Path(path).read_bytes().strip()
        except OSError as err:
            raise ValueError(
                f"--class-secret-file {path}: expected a readable file holding the class secret, got "
                f'{err.strerror}. Fix: create it once for the term, e.g. `python -c "import secrets; '
                f'print(secrets.token_hex(32))" > {path}`, and keep it private.'
            ) from None
        where = f"--class-secret-file {path}"
    elif env.get(SECRET_ENV):
        secret, where = env[SECRET_ENV].encode(), f"${SECRET_ENV}"
    else:
        return None
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(
            f"{where}: expected a class secret of at least {MIN_SECRET_BYTES} bytes, got {len(secret)}. "
            'Fix: use a long random string (`python -c "import secrets; print(secrets.token_hex(32))"`).'
        )
    return secret


def seed_from_env(env: dict | None = None) -> int | None:
    """``$COURSE_JUDGE_SEED`` as an int (the recipes pass the seed there, off the command line), or None."""
    env = os.environ if env is None else env
    text = env.get(SEED_ENV, "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"${SEED_ENV} must be an integer, got {text!r}") from None
