"""``asdkit fit``: graph, graph network + ArcFace head, per-machine scorers -> model bundle."""
from __future__ import annotations

from pathlib import Path

import click

from ..pipeline.settings import SCORE_SPACES, FitSettings as Defaults
from ..runconfig import config_option, save_effective
from .app import AppState, err, out, pass_state
from .options import component_option, parse_opts


@click.command("fit")
@click.argument("run_dir", type=click.Path(path_type=Path))
@config_option
@component_option("gnn", "graph network", Defaults.gnn)
@component_option("scorer", "scorer", Defaults.scorer)
@component_option("knn", "kNN graph backend", Defaults.knn)
@click.option("-k", "k", type=int, default=Defaults.k, show_default=True, help="Neighbours per clip in the graph.")
@click.option("--epochs", type=int, default=Defaults.epochs, show_default=True, help="Graph network training epochs.")
@click.option("--lr", type=float, default=Defaults.lr, show_default=True)
@click.option("--graph-dim", type=int, default=Defaults.graph_dim, show_default=True,
              help="Graph network output size (inner width of its layers: --gnn-opt hidden_dim=N).")
@click.option("--head-dim", type=int, default=Defaults.head_dim, show_default=True,
              help="Size of the unit vectors scored.")
@click.option("--head-hidden-dim", type=int, default=Defaults.head_hidden_dim, show_default=True,
              help="Inner width of the projection head.")
@component_option("loss", "margin loss of the graph head", Defaults.loss)
@click.option("--margin", type=float, default=Defaults.margin, show_default=True,
              help="ArcFace margin (radians; --loss arcface).")
@click.option("--scale", type=float, default=Defaults.scale, show_default=True, help="ArcFace scale (--loss arcface).")
@click.option("--batch-size", type=int, default=None,
              help="Mini-batch neighbour sampling with this many seed clips (default: full graph).")
@click.option("--score-on", type=click.Choice(SCORE_SPACES), default=Defaults.score_on,
              show_default=True, help="What the scorers see: refined vectors (graph network + head) or the "
              "backbone's embeddings untouched (needs --gnn none); auto: embedding for scorers that require it "
              "(ae_baseline).")
@click.option("--normalize-scores", is_flag=True,
              help="Write each score as a z-score of its machine/section's held-out normal training "
              "scores (one scale across sections and models; thresholds follow).")
@click.option("--false-alarm-rate", type=float, default=Defaults.false_alarm_rate, show_default=True,
              help="Share of normal clips the decision threshold may flag: the threshold is the "
              "(1 - rate) quantile of a gamma fit to held-out normal training scores.")
@click.option("--tensorboard", is_flag=True,
              help="Also log each graph network epoch to TensorBoard in RUN/tensorboard/gnn (pip install "
              "'asdkit[tensorboard]'); RUN/logs/gnn.csv is always written.")
@pass_state
def command(state: AppState, run_dir: Path, gnn: str, gnn_opts: tuple[str, ...], scorer: str,
            scorer_opts: tuple[str, ...], knn: str, knn_opts: tuple[str, ...], k: int, epochs: int,
            lr: float, graph_dim: int, head_dim: int, head_hidden_dim: int, loss: str, loss_opts: tuple[str, ...],
            margin: float, scale: float,
            batch_size: int | None, score_on: str, normalize_scores: bool, false_alarm_rate: float,
            tensorboard: bool) -> None:
    """Fit the graph network and the per-machine scorers on an extracted RUN.

    With --gnn (gcn|sage|gat|sage_gat, or a plugin): builds a kNN graph over the
    training embeddings of all machine types and trains the graph network with an
    MLP head and a margin loss (--loss). Then fits one scorer per machine type, and
    its decision threshold from held-out training scores. The default, --gnn none,
    scores the embeddings themselves. Writes the model bundle to RUN/model.

    Every option can come from a TOML file's [fit] table (--config); the options in
    effect are added to RUN/run.toml. Graph network epochs go to RUN/logs/gnn.csv.
    Under torchrun the ranks share the kNN search and the graph network's training
    (DDP, slices of every batch); rank 0 fits the scorers and writes RUN/model.

    \b
    Example:
      asdkit fit run/
      asdkit fit run/ --gnn sage_gat --gnn-opt heads=4 -k 10
      asdkit fit run/ --gnn sage_gat --loss subcluster_adacos --loss-opt n_subclusters=8
      asdkit fit run/ --gnn none --scorer knn --scorer-opt k=5
      asdkit fit ae_run/ --gnn none --scorer ae_baseline    # the DCASE autoencoder baseline
      asdkit fit run2/ --config run/run.toml -k 5           # run/'s fit, but k = 5
    """
    from ..pipeline import FitSettings, run_fit
    from ..utils import resolve_device
    from .ranks import job_group

    settings = FitSettings(
        gnn=gnn, gnn_options=parse_opts(gnn_opts, "gnn"), scorer=scorer,
        scorer_options=parse_opts(scorer_opts, "scorer"), knn=knn, knn_options=parse_opts(knn_opts, "knn"),
        k=k, graph_dim=graph_dim, head_dim=head_dim, head_hidden_dim=head_hidden_dim, epochs=epochs, lr=lr, loss=loss,
        loss_options=parse_opts(loss_opts, "loss"), margin=margin,
        scale=scale, batch_size=batch_size, score_on=score_on, normalize_scores=normalize_scores,
        false_alarm_rate=false_alarm_rate, seed=state.seed, device=state.device)
    with job_group(str(resolve_device(state.device))) as group:  # under torchrun: ranks share the work
        result = run_fit(run_dir, settings, state.progress, tensorboard=tensorboard, group=group)
    if result is None:  # not rank 0: rank 0 wrote the model and reports
        return
    save_effective(click.get_current_context(), result.run.run_config)
    last = result.history[-1] if result.history else {}
    share = result.graph_stats.get("cross_type_share")
    if not result.history:
        err.print(f"scorers fitted on backbone embeddings (no graph network); {len(result.machines)} scorer(s)")
        out.print(str(result.run.model))
        return
    err.print(f"graph labels: {result.label_source}; final loss {last.get('loss', float('nan')):.4g}, "
              f"accuracy {last.get('acc', float('nan')):.3f}; "
              + (f"{share:.0%} of graph edges join different machine types; " if share is not None else "")
              + f"{len(result.machines)} scorer(s) fitted")
    out.print(str(result.run.model))
