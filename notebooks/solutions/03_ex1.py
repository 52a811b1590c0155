"""Notebook 03, exercise 1: a solution. Run it in the notebook after the cells above
the exercise (`%load solutions/03_ex1.py` pastes it into a cell).

The commonest confusions:
"""

from collections import Counter

mistakes = predicted != y_all
pairs = Counter(zip(y_all[mistakes].tolist(), predicted[mistakes].tolist()))
for (true, pred), n in pairs.most_common(5):
    print(f"a {true} read as {pred}: {n} time{'s' if n > 1 else ''}")
