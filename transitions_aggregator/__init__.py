"""The transitions aggregator: "learners who completed X next completed Y", counted on AWS.

Two Lambda handlers (``build/transitions.zip``, ``python -m deploy.package_transitions``;
``TransitionsAggregatorFunction`` and ``TransitionsSnapshotFunction`` in
deploy/template.yaml), never in the bot's ``function.zip``:

* :func:`transitions_aggregator.handler.stream_handler` reads the progress table's DynamoDB
  Stream and keeps the counts table current (:mod:`transitions_aggregator.counts`);
* :func:`transitions_aggregator.handler.snapshot_handler` runs on a schedule, reads the
  counts, applies the privacy floor and writes the snapshot the bot reads
  (:mod:`transitions_aggregator.snapshot`).

``python -m transitions_aggregator`` (:mod:`transitions_aggregator.cli`) rebuilds the counts
from scratch and redrives the dead-letter queue. docs/DEPLOY.md, "Learned next steps",
describes the operation.
"""
