"""The main window's parts, mixed into :class:`ui.main_window.MainWindow`, which builds
the widgets and keeps the selection, the filters and the status bar:

- :mod:`~ui.window.actions`: ``WindowActions``, the actions with their shortcuts, the
  toolbar and the menus.
- :mod:`~ui.window.commands`: ``TaskCommands``, what the actions do to the selected task
  (and New task, the example tasks); refusals go to the status bar.
- :mod:`~ui.window.panes`: ``WindowPanes``, the panes' arrangement: saved between runs,
  the details beside or under the table by the window's width, F6 between panes.
- :mod:`~ui.window.visibility`: ``WindowVisibility``, visible or background, and the
  desktop shell's place in the window (``attach_desktop``).

A part's texts have its class's translation context: PySide's ``tr()`` looks a text up
under each class of the window's MRO, ``MainWindow`` first.
"""
