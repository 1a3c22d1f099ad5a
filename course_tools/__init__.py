"""The instructor's and maintainer's tools for the course: ``python -m course_tools COMMAND``.

* :mod:`course_tools.release`: ``solutions/NN_topic.py`` (the source) -> ``solutions/*.ipynb``
  (for nbgrader and instructors) and ``notebooks/*.ipynb`` (the student release).
* :mod:`course_tools.grade`, :mod:`course_tools.sandbox`, :mod:`course_tools.zygote`: the class
  grader, the limits its kernels run under, and the fork server that starts them.
* :mod:`course_tools.execute`: run a notebook in a fresh kernel and score its test cells (``check``).
* :mod:`course_tools.notebooks`: notebook I/O (deterministic JSON, percent-format sources).
* :mod:`course_tools.bench`: the benchmark behind ``benchmarks/results.json``.

This package may import :mod:`course_utils` (the learner's package); ``course_utils`` never
imports it.
"""
