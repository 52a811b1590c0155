"""End to end: a browser, JupyterLab, notebooks in kernels, other runtimes, C, wheels, pip."""
