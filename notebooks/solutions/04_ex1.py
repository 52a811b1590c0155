"""Notebook 04, exercise 1: a solution. Run it in the notebook after the cells above
the exercise (`%load solutions/04_ex1.py` pastes it into a cell).

What Dropout was in training:
"""

dropout = [(n.op, key) for n, st, key in zip(train_gd.node, diff.left_status,
                                             diff.left_category, strict=True)
           if st == "removed" and "dropout" in n.name.lower()]
for (op, key), n in Counter(dropout).most_common():
    print(f"{n:3d}  {op:<30} {labels[key]}")
print("random numbers:", sorted({op for op, _ in dropout if "Random" in op}))
print("(the 'gradients' rows: the backward pass through Dropout's mask, in gradient_tape/)")
