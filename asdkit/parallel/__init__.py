"""Data-parallel training under ``torchrun``: DistributedDataParallel plus the two
layers whose batch behaviour must be the whole global batch's for N processes to train
the model one process trains (:mod:`.batchnorm`, :mod:`.dropout`), and the split of
each global batch into per-rank slices (:mod:`.training`).

The process group itself comes from :mod:`asdkit.distributed` (torchrun's environment).
"""
from .batchnorm import GlobalBatchNorm, to_global_batchnorm, to_plain_batchnorm
from .dropout import GlobalDropout, set_dropout_rows, to_global_dropout, to_plain_dropout
from .training import DataParallel, rank_slice, shard_batches

__all__ = ["DataParallel", "GlobalBatchNorm", "GlobalDropout", "rank_slice", "set_dropout_rows",
           "shard_batches", "to_global_batchnorm", "to_global_dropout", "to_plain_batchnorm",
           "to_plain_dropout"]
