"""The receivers manifest: standing tasks and trigger -> work bindings, in TOML.

Empty on purpose: importing a part of the manifest (its text scanner, say) must not
load the rest (the workers, platformdirs). The parts:

- :mod:`engine.manifest.model`: the format (documented there), the objects a manifest
  compiles to, and :func:`~engine.manifest.model.load` / ``parse``;
- :mod:`engine.manifest.schema`: the document checked against the schema (top level,
  chains, receivers), built on
- :mod:`engine.manifest.task_table`: one ``[tasks.NAME]`` table compiled to a task spec, and
- :mod:`engine.manifest.checker`: typed values and the wording of every finding;
- :mod:`engine.manifest.text`: where a key sits (error lines) and writing TOML back;
- :mod:`engine.manifest.io`: ``workdeck export`` and ``workdeck import``.
"""
