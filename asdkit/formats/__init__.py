"""On-disk conventions, one home each; torch-free, so any tool can read a RUN folder.

- :mod:`.names` - DCASE clip, ground-truth and attribute file names; split folders
- :mod:`.ground_truth` - the ground-truth CSVs and the three sources of truth for evaluation
- :mod:`.clips_table` - the :class:`Clip` record and ``clips.csv``
- :mod:`.score_files` - the official per-section score and decision CSVs
- :mod:`.run_layout` - where each stage keeps what it makes inside a RUN folder
- :mod:`.bundle_schema` - the typed, versioned config of a model bundle

Every reader and writer of these files goes through these modules.
"""
