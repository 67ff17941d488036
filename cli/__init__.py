"""The headless command line: the same engine as the GUI, scriptable."""
