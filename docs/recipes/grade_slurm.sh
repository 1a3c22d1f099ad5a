#!/bin/bash
# Grade a class on a Slurm cluster: one array task per shard, then merge the shards.
#   sbatch --array=0-7 docs/recipes/grade_slurm.sh      (8 shards; --array=1-8 works the same)
#   python -m course_tools grade merge grades/shard-* --out grades/all
# The array must be one range (0-7, 1-8, 0-14:2); `grade merge` refuses the folders if a shard is missing.
#SBATCH --job-name=grade
#SBATCH --cpus-per-task=2
#SBATCH --mem=8G
#SBATCH --time=02:00:00
set -euo pipefail
PYTHON=${PYTHON:-.venv/bin/python}    # the course's environment, on a shared file system
ASSIGNMENT=${ASSIGNMENT:-01}
SUBMISSIONS=${SUBMISSIONS:-submissions}
OUT=${OUT:-grades}
ID=${SLURM_ARRAY_TASK_ID:?submit with sbatch --array=0-N or --array=1-N}
MIN=${SLURM_ARRAY_TASK_MIN:?submit with sbatch --array=0-N or --array=1-N}
MAX=${SLURM_ARRAY_TASK_MAX:?submit with sbatch --array=0-N or --array=1-N}
STEP=${SLURM_ARRAY_TASK_STEP:-1}
N=${SLURM_ARRAY_TASK_COUNT:?submit with sbatch --array=0-N or --array=1-N}
if [ $(( (MAX - MIN) / STEP + 1 )) -ne "$N" ]; then
  echo "grade_slurm.sh: expected one range of task ids (--array=0-7 or 1-8), got $N tasks from $MIN to $MAX" >&2
  exit 2
fi
K=$(( (ID - MIN) / STEP + 1 ))        # shards count from 1, whatever the array starts at
# COURSE_JUDGE_SEED: one number for every shard, picked after the deadline, so that the whole class gets the
# same inputs (unset: each shard draws its own; grades.json then lists several seeds). It is read from the
# environment, never the command line, which other processes can read. COURSE_CLASS_SECRET (or
# --class-secret-file) gives each student a variant of their own instead.
export COURSE_JUDGE_SEED=${COURSE_JUDGE_SEED:-${JUDGE_SEED:-}}
"$PYTHON" -m course_tools grade "$SUBMISSIONS" --assignment "$ASSIGNMENT" \
    --shard "$K/$N" --out "$OUT/shard-$K" --workers "${SLURM_CPUS_PER_TASK:-2}"
