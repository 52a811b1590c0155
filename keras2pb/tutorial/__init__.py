"""The tutorial's side: notebook helpers, the MNIST sample, example models, training, readiness,
the checkpoints' self-checks, the notebooks' set-up line and the TF1 freezing demo.

The library never imports this package. ``from keras2pb import tutorial`` gives the notebook
helpers of ``keras2pb.tutorial.notebooks`` under their short names.
"""

from .checks import check
from .notebooks import (
    H5_NAME,
    KERNEL_ENV,
    KERNEL_NAME,
    LIVE_FRAME_NOTE,
    MODELS_ENV,
    NOTEBOOK_GLOB,
    PB_NAME,
    QUICK_ENV,
    SEED,
    TWO_IO_NAME,
    NotebookFailed,
    NotebookRun,
    TrainSettings,
    ensure_h5,
    ensure_pb,
    ensure_two_io_pb,
    export_html,
    is_quick,
    kernel_env_missing,
    models_dir,
    noise_in_text,
    notebook_paths,
    output_noise,
    repo_root,
    run_notebook,
    run_notebooks,
    save_h5,
    settings,
    solution_files,
    source_excerpt,
    train_mnist_cnn,
    with_solutions,
    without_live_frames,
)
from .start import start, you_are_here
from .tf1 import tf1_reasons, tf1_session_graph

__all__ = [
    "H5_NAME", "KERNEL_ENV", "KERNEL_NAME", "LIVE_FRAME_NOTE", "MODELS_ENV", "NOTEBOOK_GLOB",
    "PB_NAME",
    "QUICK_ENV", "SEED", "TWO_IO_NAME", "NotebookFailed", "NotebookRun", "TrainSettings",
    "ensure_h5", "ensure_pb", "ensure_two_io_pb", "export_html", "is_quick",
    "kernel_env_missing", "models_dir", "noise_in_text", "notebook_paths", "output_noise",
    "repo_root", "run_notebook", "run_notebooks", "save_h5", "settings", "source_excerpt",
    "train_mnist_cnn", "without_live_frames",
    "check", "solution_files", "start", "tf1_reasons", "tf1_session_graph", "with_solutions",
    "you_are_here",
]
