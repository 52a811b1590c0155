"""keras2pb's tests: unit/ (the fast tier), e2e/ (browser, JupyterLab, notebooks, builds)."""
