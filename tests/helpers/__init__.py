"""Modules the tests import: custom layers, hostile files, fuzzing, a JupyterLab server."""
