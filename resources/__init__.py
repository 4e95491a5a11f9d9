"""Workdeck's run-time data: icons, the desktop entry, the AppStream file and the example
manifest. Installed as the package ``ui.resources`` (see pyproject.toml) and read only
through :mod:`ui.resource_files`, so a wheel carries and finds them like the code."""
