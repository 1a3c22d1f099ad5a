#!/bin/bash
# Grade a class on a Slurm cluster: one array task per shard, then merge the shards.
#   sbatch --array=1-8 docs/recipes/grade_slurm.sh      (8 shards; the count is the array's size)
#   python -m course_tools grade merge grades/shard-* --out grades/all
#SBATCH --job-name=grade
#SBATCH --cpus-per-task=2
#SBATCH --mem=8G
#SBATCH --time=02:00:00
set -euo pipefail
PYTHON=${PYTHON:-.venv/bin/python}    # the course's environment, on a shared file system
ASSIGNMENT=${ASSIGNMENT:-01}
SUBMISSIONS=${SUBMISSIONS:-submissions}
OUT=${OUT:-grades}
K=${SLURM_ARRAY_TASK_ID:?submit with sbatch --array=1-N}
N=${SLURM_ARRAY_TASK_COUNT:?submit with sbatch --array=1-N}
# JUDGE_SEED: one number for every shard, picked after the deadline, so the whole class gets the same
# hidden-test inputs (unset: each shard draws its own; grades.json then lists several seeds).
"$PYTHON" -m course_tools grade "$SUBMISSIONS" --assignment "$ASSIGNMENT" \
    --shard "$K/$N" --out "$OUT/shard-$K" --workers "${SLURM_CPUS_PER_TASK:-2}" \
    ${JUDGE_SEED:+--judge-seed "$JUDGE_SEED"}
