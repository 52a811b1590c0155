"""Notebook 04, exercise 2: a solution. Run it in the notebook after the cells above
the exercise (`%load solutions/04_ex2.py` pastes it into a cell).

The three stages of the BatchNorm model, and the variable writes inside it:
"""

bn_model = keras2pb.bn_cnn()
bn_pb = tutorial.models_dir() / "bn_cnn_04.pb"
keras2pb.freeze(bn_model, bn_pb)
bn_train = keras2pb.training_graph(bn_model)
bn_view = show_graphs(bn_train, keras2pb.inference_graph(bn_model), bn_pb)
writes = [n.name for n, st in zip(bn_train.node, bn_view.diff.left_status, strict=True)
          if st == "removed" and n.op.startswith("Assign") and n.name.startswith(bn_model.name)]
print("variable writes inside the model:", writes)
display(bn_view)

# Which variables are they? Run one real training step and see which of the model's
# non-trainable variables changed: BatchNorm's moving statistics, and the state of the seed
# generator Dropout draws its masks from. In the frozen graph the statistics are constants and
# the seed is gone.

(x_few, y_few), _ = keras2pb.load_mnist(n_train=64, n_test=1)
variables = {v.path: v for v in bn_model.non_trainable_variables}
before = {path: v.numpy().copy() for path, v in variables.items()}
bn_model.train_on_batch(x_few, y_few)
print("updated by one training step:",
      [path for path, v in variables.items() if not np.array_equal(before[path], v.numpy())])
