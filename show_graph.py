"""The notebook graph viewer under its old name: ``from show_graph import show_graphs``.

A thin re-export for notebooks written before the viewer moved into the package; new code uses
``from keras2pb import show_graph, show_graphs`` (keras2pb/show.py).
"""

from keras2pb.freezing.stages import STAGE_TITLES, stage_graphs
from keras2pb.show import GraphView, show_graph, show_graphs, stop_tensorboards
from keras2pb.viewer.notebook import BACKENDS

__all__ = ["BACKENDS", "STAGE_TITLES", "GraphView", "show_graph", "show_graphs", "stage_graphs",
           "stop_tensorboards"]
