"""A task's history over years: retention, output caps, per-task counters, pruning.

``limits`` (the policy's bounds and the SIZE syntax) is imported by engine.model, so
it imports nothing of Workdeck but its errors. The rest:

- :mod:`engine.history.policy`: the global policy in the database's ``settings`` table;
- :mod:`engine.history.counters`: the per-task run counters kept on ``tasks``;
- :mod:`engine.history.output_cap`: the first and last bytes of a run's output;
- :mod:`engine.history.prune`: what may go, in short batches; the file's shrinking;
- :mod:`engine.history.pruner`: the owner's idle pass that drives it on a timer;
- :mod:`engine.history.reads`: reads bounded by what is shown (newest runs, streams).
"""
