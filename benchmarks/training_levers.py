"""Training levers: how fast the heavy trainings of 02, 06, 07 and 08 can go on this machine.

    python benchmarks/training_levers.py                          # every model, lever and backend
    python benchmarks/training_levers.py --models lenet --levers baseline batch_x4

Each model is the notebook's own (its builder is read from ``solutions/NN_topic.py``), trained
on random inputs of the notebook's shape for two epochs; the second epoch is timed (the first
pays for tracing and compilation). The arithmetic rate counts FLOPs as
``cu.models.training_rate`` does (2 x mult-adds x 3 per training example) and is given as a
fraction of the float32 matmul peak measured in the same run. Levers:

* ``baseline``: what the notebooks do: their batch size, ``model.fit`` on in-memory arrays, Keras's
  default ``jit_compile="auto"`` (which on a CPU means no XLA on TensorFlow, eager on PyTorch);
* ``batch_x4``: four times the batch size (fewer, larger steps; changes the optimisation);
* ``steps_per_execution_8``: eight training steps per call into the compiled step (same steps, less
  Python between them; TensorFlow only: Keras refuses it on PyTorch);
* ``jit``: ``compile(jit_compile=True)``: XLA on TensorFlow, ``torch.compile`` (inductor) on PyTorch.

Each (model, backend, lever) runs in its own Python (the backend is fixed at import).
Writes ``benchmarks/results.json`` key ``"training_levers"`` (other keys are kept) and ``results.md``.
Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# model: (solution file, functions to take from it, constants they use, builder call, input shape,
#         target kind, the notebook's batch size, examples per timed epoch)
MODELS = {
    "lenet": ("02_lenet_mnist.py", ["build_lenet5"], {}, "build_lenet5()", (28, 28, 1), "class10", 64, 8192),
    "detector": (
        "06_object_detection.py",
        ["conv_block", "build_detector"],
        {"CANVAS": 64, "S": 8, "N_CLASSES": 10},
        "build_detector(2)",
        (64, 64, 1),
        "regress",
        32,
        2048,
    ),
    "unet": (
        "07_unet_segmentation.py",
        ["conv_block", "upsampling_block", "build_unet"],
        {"CANVAS": 32, "N_CLASSES": 11},
        "build_unet((32, 32, 1), 11, n_filters=12)",
        (32, 32, 1),
        "pixels11",
        32,
        2048,
    ),
    "encoder": (
        "08_face_recognition.py",
        ["make_encoder"],
        {"EMBEDDING_SIZE": 64},
        "make_encoder()",
        (32, 32, 1),
        "regress",
        40,
        2400,
    ),
}
LEVERS = ("baseline", "batch_x4", "steps_per_execution_8", "jit")


def _builder(model_name: str):
    """The notebook's own builder, executed from its solution source."""
    import keras
    import numpy as np
    from keras import layers, ops

    source_file, functions, constants, call, *_ = MODELS[model_name]
    tree = ast.parse((ROOT / "solutions" / source_file).read_text())
    wanted = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name in functions]
    namespace = {"keras": keras, "layers": layers, "ops": ops, "np": np, **constants}
    exec(compile(ast.Module(body=wanted, type_ignores=[]), source_file, "exec"), namespace)  # noqa: S102
    return lambda: eval(call, namespace)  # noqa: S307


def child(model_name: str, lever: str) -> dict:
    import keras
    import numpy as np

    import course_utils as cu

    _, _, _, _, shape, target, batch, examples = MODELS[model_name]
    keras.utils.set_random_seed(0)
    model = _builder(model_name)()
    rng = np.random.default_rng(0)
    X = rng.random((examples, *shape), dtype=np.float32)
    out_shape = tuple(model.compute_output_shape((1, *shape))[1:])
    if target == "class10":
        Y, loss = rng.integers(0, 10, examples), "sparse_categorical_crossentropy"
    elif target == "pixels11":
        Y = rng.integers(0, 11, (examples, *shape[:2])).astype("int32")
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    else:
        Y, loss = rng.standard_normal((examples, *out_shape)).astype(np.float32), "mse"
    batch_size = batch * 4 if lever == "batch_x4" else batch
    options = {}
    if lever == "steps_per_execution_8":
        options["steps_per_execution"] = 8
    if lever == "jit":
        options["jit_compile"] = True
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss, **options)

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds = time.perf_counter() - self.start

    timer = EpochTimer()
    model.fit(X, Y, batch_size=batch_size, epochs=1, verbose=0)  # tracing, compilation, warm-up
    model.fit(X, Y, batch_size=batch_size, epochs=1, verbose=0, callbacks=[timer])
    rate = cu.models.training_rate(model, timer.seconds, train_samples=examples, input_shape=shape)
    return {
        "batch_size": batch_size,
        "jit_compile": bool(model.jit_compile),
        "steps_per_execution": int(options.get("steps_per_execution", 1)),
        "epoch_s": round(timer.seconds, 3),
        "train_gflops": round(rate.gflops, 3),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="*", default=list(MODELS))
    parser.add_argument("--levers", nargs="*", default=list(LEVERS))
    parser.add_argument("--backends", nargs="*", default=["tensorflow", "torch"])
    parser.add_argument("--child", nargs=2, metavar=("MODEL", "LEVER"), help=argparse.SUPPRESS)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    if args.child:
        print("LEVER_RESULT " + json.dumps(child(*args.child)), flush=True)
        return 0

    from course_tools.conditions import busy_cores_now, machine_info, matmul_peak_gflops

    peak = matmul_peak_gflops()
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine_info": machine_info(),
        "matmul_peak_gflops": peak,
        "busy_cores_before": busy_cores_now(),
        "runs": {},
    }
    for model_name in args.models:
        for backend in args.backends:
            for lever in args.levers:
                if lever == "steps_per_execution_8" and backend == "torch":
                    continue  # Keras: "steps_per_execution must be 1 with the PyTorch backend"
                env = dict(os.environ, KERAS_BACKEND=backend, PYTHONPATH=str(ROOT))
                proc = subprocess.run(
                    [sys.executable, __file__, "--child", model_name, lever],
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=900,
                )
                lines = [line for line in proc.stdout.splitlines() if line.startswith("LEVER_RESULT ")]
                if proc.returncode == 0 and lines:
                    run = json.loads(lines[-1][len("LEVER_RESULT ") :])
                    run["fraction_of_peak"] = round(run["train_gflops"] / peak, 4)
                else:
                    run = {"error": (proc.stderr.strip().splitlines() or ["no output"])[-1][:300]}
                result["runs"][f"{model_name}/{backend}/{lever}"] = run
                print(f"{model_name:9s} {backend:10s} {lever:9s} {json.dumps(run)}", flush=True)
    if not args.no_write:
        from course_tools.bench import save_measurement

        path = ROOT / "benchmarks" / "results.json"
        earlier = json.loads(path.read_text()).get("training_levers", {}) if path.exists() else {}
        runs = dict(earlier.get("runs", {}))
        for key, run in result["runs"].items():  # runs not repeated now are kept, with their own date
            runs[key] = dict(run, date=result["date"], matmul_peak_gflops=peak)
        save_measurement("training_levers", dict(result, runs=runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
