"""The paper's method written the straightforward way, as a yardstick for asdkit.

Lu, Guan, Zhang and Li (IEEE SMC 2025), one clip at a time, with the usual research
tools and no optimisation:

- :mod:`.audio` - decode each file with soundfile;
- :mod:`.logmel` - ``torch.stft`` and a dense mel-matrix product per clip;
- :mod:`.backbone` - the MobileNetV2 module in eager mode, batch of one;
- :mod:`.graph` - ``torch_cluster.knn_graph`` / ``torch_cluster.knn`` (scikit-learn's
  brute-force ``NearestNeighbors`` when torch-cluster is not installed);
- :mod:`.gnn` - the graph network full-batch over the union graph (PyG SAGEConv/GATConv),
  and one plain full-batch ArcFace training epoch;
- :mod:`.scoring` - scikit-learn K-means for fitting, cosine distance to the nearest
  centre for scoring;
- :mod:`.model` - :class:`ReferenceModel`: the same trained weights as an asdkit
  bundle, files -> scores.

It loads the *same* weights as asdkit (``asdkit.bundle.load_bundle``), so its scores
must equal asdkit's up to float rounding; ``benchmarks/run.py`` checks that before
it times anything.
"""
from .graph import KNN_LIBRARY, attach_edges, knn_graph_edges
from .model import ReferenceModel

__all__ = ["KNN_LIBRARY", "ReferenceModel", "attach_edges", "knn_graph_edges"]
