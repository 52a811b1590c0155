"""End to end: a browser, JupyterLab, notebooks in kernels, the C client, wheels and pip."""
