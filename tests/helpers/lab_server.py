"""A real JupyterLab server for browser tests: started on 127.0.0.1, stopped with its kernels."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: JupyterLab user settings for the tests: every cell in the DOM (no windowing), no autosave
#: (the notebooks are temp copies anyway), no news or update checks (no request leaves the host).
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false",
                                                    "checkForUpdates": False},
}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_lab_settings(folder: Path, settings: dict[str, dict] | None = None) -> Path:
    """Write JupyterLab user settings files (``<plugin>.jupyterlab-settings``) into ``folder``.

    In: the settings folder and ``{"@scope/package/plugin": {key: value}}`` (default
    LAB_SETTINGS). Out: the folder, to pass as ``JUPYTERLAB_SETTINGS_DIR``.
    """
    for plugin, values in (settings or LAB_SETTINGS).items():
        package, name = plugin.rsplit("/", 1)
        path = folder / package / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values, indent=2), encoding="utf-8")
    return folder


def make_root(root: Path, repo: Path) -> Path:
    """Fill ``root`` with a copy of the repository's ``notebooks/`` folder; returns ``root``.

    The notebooks find the library through ``keras2pb.tutorial.repo_root``
    (which falls back to the editable install's folder), so the repository itself is never
    served, and running the copies cannot change the committed notebooks.
    """
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(repo / "notebooks", root / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return root


@dataclass
class LabServer:
    """A running ``jupyter lab`` process (its own process group) and how to reach it."""

    proc: subprocess.Popen
    port: int
    token: str
    root: Path
    log: Path
    descendants: set[int] = field(default_factory=set)

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:8888``."""
        return f"http://127.0.0.1:{self.port}"

    def lab_url(self, path: str, **query: str) -> str:
        """The URL of ``path`` (e.g. ``lab/tree/x.ipynb``) with the token and ``query``."""
        extra = "".join(f"&{k}" if v == "" else f"&{k}={v}" for k, v in query.items())
        return f"{self.url}/{path}?token={self.token}{extra}"

    def api(self, method: str, path: str, body: Any = None, timeout: float = 30) -> Any:
        """Call the server's REST API (``/api/...``) with the token; returns parsed JSON or None.

        Raises urllib.error.URLError / HTTPError when the server does not answer or refuses.
        """
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"{self.url}{path}", data=data, method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - loopback
            text = resp.read()
        return json.loads(text) if text.strip() else None

    def log_tail(self, n: int = 40) -> str:
        """The last ``n`` lines of the server's log (stdout and stderr)."""
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "<no log>"

    def remember_descendants(self) -> set[int]:
        """Record every process started by the server so far (kernels); returns all recorded."""
        import psutil

        try:
            kids = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            kids = []
        self.descendants.update(k.pid for k in kids)
        return set(self.descendants)

    def wait_kernel(self, path: str, timeout: float = 120) -> dict:
        """Wait until the notebook ``path`` (relative to the root) has an idle kernel; return it.

        Raises TimeoutError when no session with a started, idle kernel appears in time.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for session in self.api("GET", "/api/sessions"):
                kernel = session.get("kernel") or {}
                if session["path"] == path and kernel.get("execution_state") == "idle":
                    return kernel
            time.sleep(0.3)
        raise TimeoutError(f"no idle kernel for {path} after {timeout:.0f} s")

    def shutdown_kernels(self) -> list[str]:
        """Shut down every running kernel through the server; returns their ids."""
        self.remember_descendants()
        ids = [k["id"] for k in self.api("GET", "/api/kernels")]
        for kid in ids:
            try:
                self.api("DELETE", f"/api/kernels/{kid}", timeout=60)
            except urllib.error.HTTPError as exc:
                if exc.code != 404:  # already gone
                    raise
        return ids

    def stop(self, timeout: float = 30) -> list[int]:
        """Stop kernels (through the server), then the server; returns pids still alive.

        Kernels are shut down through the REST API, the server is asked to shut down
        (``POST /api/shutdown``), and its process group gets SIGTERM, then SIGKILL, if it
        lingers. Every process the server ever started must be gone: the pids still running
        are returned (an empty list when all is clean). Calling it twice is harmless.
        """
        import psutil

        if self.proc.poll() is None:
            try:
                self.shutdown_kernels()
                self.api("POST", "/api/shutdown", timeout=10)
            except (OSError, urllib.error.URLError):
                pass  # already going down: the signals below finish the job
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(self.proc.pid, signal.SIGTERM)
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    _signal_group(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(10)
        _signal_group(self.proc.pid, signal.SIGTERM)  # stragglers in the group, if any
        alive = []
        for pid in sorted(self.descendants):
            try:
                p = psutil.Process(pid)
                p.wait(timeout=10)
            except psutil.NoSuchProcess:
                continue
            except psutil.TimeoutExpired:
                if p.status() != psutil.STATUS_ZOMBIE:
                    alive.append(pid)
        return alive


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM when the parent (pytest) dies (Linux only).

    A test run killed from outside then still stops the server, which shuts its kernels down.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGTERM))


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def start_lab(root: Path, work: Path, env: dict[str, str], timeout: float = 90) -> LabServer:
    """Start ``jupyter lab`` on 127.0.0.1 (free port, random token, no browser) serving ``root``.

    ``work`` gets the server's private folders (settings, workspaces, runtime, log); ``env`` is
    added to this process's environment for the server and so for its kernels. Waits until
    ``/api/status`` answers. Raises RuntimeError with the log's tail when it does not start.
    """
    work.mkdir(parents=True, exist_ok=True)
    port, token = free_port(), secrets.token_hex(24)
    settings = write_lab_settings(work / "lab-settings")
    # Without PYTEST_CURRENT_TEST, as for a user: with it, the kernels' ipykernel does not
    # forward what C++ code writes to fd 2 into the notebook.
    full_env = {
        **{k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"},
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(work / "lab-workspaces"),
        "JUPYTER_RUNTIME_DIR": str(work / "runtime"),
        "JUPYTER_CONFIG_DIR": str(work / "config"),
        "IPYTHONDIR": str(work / "ipython"),
        **env,
    }
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           "--ServerApp.open_browser=False", "--LabApp.news_url=",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           "--LabApp.extension_manager=readonly", "--ServerApp.terminals_enabled=False"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # containers and CI often run as root
    log = work / "jupyterlab.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=root, env=full_env, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=_die_with_parent)
    server = LabServer(proc, port, token, root, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {proc.returncode}:\n{server.log_tail()}")
        try:
            server.api("GET", "/api/status", timeout=5)
            return server
        except (OSError, urllib.error.URLError):
            time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"jupyter lab did not answer within {timeout:.0f} s:\n{server.log_tail()}")


class BrowserThread:
    """Headless Chromium driven by Playwright's sync API from a thread of its own.

    Playwright allows one sync API instance per thread, and the viewer tests keep theirs open
    for the whole session (``tests.fixtures.viewer.browser``); this one lives in its own thread, so
    the two never meet, whatever the test order. ``run(fn, *args)`` calls ``fn(browser,
    *args)`` in that thread and returns its result, or raises what it raised.
    """

    def __init__(self, executable: str, args: list[str]) -> None:
        import queue
        import threading

        self._jobs: queue.Queue = queue.Queue()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, args=(executable, args),
                                        name="jupyterlab-chromium", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error

    def _main(self, executable: str, args: list[str]) -> None:
        from playwright.sync_api import sync_playwright

        try:
            pw = sync_playwright().start()
            browser = pw.chromium.launch(executable_path=executable, headless=True, args=args)
        except BaseException as exc:  # reported to the constructor's caller
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            while (job := self._jobs.get()) is not None:
                fn, fn_args, future = job
                try:
                    future.set_result(fn(browser, *fn_args))
                except BaseException as exc:  # handed to the caller of run()
                    future.set_exception(exc)
        finally:
            browser.close()
            pw.stop()

    def run(self, fn: Any, *args: Any) -> Any:
        """Call ``fn(browser, *args)`` in the browser's thread; return or raise its outcome."""
        from concurrent.futures import Future

        future: Future = Future()
        self._jobs.put((fn, args, future))
        return future.result()

    def close(self) -> None:
        """Close the browser and end its thread."""
        self._jobs.put(None)
        self._thread.join(60)
