"""Notebook 01, exercise 2: a solution. Run it in the notebook after the cells above
the exercise (`%load solutions/01_ex2.py` pastes it into a cell).

Parameters in the file vs in the model (`datasets` is the helper defined above):
"""

with h5py.File(H5, "r") as f:
    stored = sum(d.size for d in datasets(f["model_weights"]))
print(f"{stored:,} numbers in model_weights; model.count_params() = {model.count_params():,}")
