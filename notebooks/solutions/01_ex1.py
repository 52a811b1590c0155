"""Notebook 01, exercise 1: a solution. Run it in the notebook after the cells above
the exercise (`%load solutions/01_ex1.py` pastes it into a cell).

The misclassified test digits:
"""

predicted = model.predict(x_test, verbose=0).argmax(axis=1)
wrong = np.flatnonzero(predicted != y_test)
print(f"{len(wrong)} of {len(y_test)} test digits are wrong")
fig, axes = plt.subplots(1, 8, figsize=(8, 1.6))
for ax in axes:
    ax.axis("off")
for ax, i in zip(axes, wrong[:8]):
    ax.imshow(x_test[i, ..., 0], cmap="gray")
    ax.set_title(f"{y_test[i]}→{predicted[i]}", color="red")
plt.show()
