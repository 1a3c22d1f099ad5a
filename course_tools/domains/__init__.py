"""Input domains of the exercises, one module per notebook (see :mod:`course_tools.cases`)."""
