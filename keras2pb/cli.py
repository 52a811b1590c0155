"""The command line: keras2pb freeze | inspect | predict | verify | show."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from .errors import EXIT_INTERRUPTED, EXIT_USER_ERROR, Keras2pbError, one_line, visible

EXIT_INTERNAL = 3


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Silence file descriptor 2 (TensorFlow's C++ start-up chatter) for the block."""
    sys.stderr.flush()
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


#: Commands that never need TensorFlow (``show`` reads graphs with TensorBoard's protobufs).
_NO_TENSORFLOW = {"show"}


def _import_tensorflow(debug: bool) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "0" if debug else "3")
    if debug:
        import tensorflow  # noqa: F401
        return
    import keras  # noqa: F401  (main() runs this with fd 2 silenced)
    import tensorflow as tf

    tf.config.list_physical_devices()
    tf.get_logger().setLevel("ERROR")
    import absl.logging

    absl.logging.set_verbosity(absl.logging.ERROR)


def _custom_objects(args: argparse.Namespace) -> dict[str, Any] | None:
    from .freezing.keras_files import import_custom_objects

    found: dict[str, Any] = {}
    for spec in args.custom_objects or []:
        found.update(import_custom_objects(spec))
    return found or None


def _cmd_freeze(args: argparse.Namespace) -> None:
    from .fileio import check_output
    from .freeze_and_check import freeze
    from .graph.diff import bytes_text
    from .graph.signature import sidecar_path

    for out in (args.output, sidecar_path(args.output)):
        check_output(out, inputs=[args.model])
    side = freeze(args.model, args.output, custom_objects=_custom_objects(args),
                  batch_size=args.batch_size, safe_mode=not args.unsafe,
                  for_opencv=args.for_opencv)
    ins = ", ".join(i["tensor"] for i in side["inputs"])
    outs = ", ".join(o["tensor"] for o in side["outputs"])
    print(visible(f"wrote {args.output} ({bytes_text(side['size_bytes'])}, "
                  f"{side['node_count']} nodes) and {sidecar_path(args.output)}"))
    print(visible(f"feed {ins}; fetch {outs}"))
    check = side.get("opencv", {}).get("check")
    if check and check.get("checked"):
        errors = check["relative_error"]
        print(visible(f"checked in OpenCV {check['opencv']} against TensorFlow at batch "
                      f"{' and '.join(errors)}: relative error {max(errors.values()):.1e}"))
    elif check:
        print(visible(f"OpenCV check: {check['reason']}"))


def _cmd_inspect(args: argparse.Namespace) -> None:
    from .graph.summary import inspect

    info = inspect(args.graph)
    print(json.dumps(info.to_dict(), indent=2) if args.json else visible(str(info)))


def _read_inputs(path: str) -> Any:
    import zipfile

    import numpy as np

    from .graph.reading import check_input_path

    p = check_input_path(path, "input file (.npy or .npz)")
    try:
        if not zipfile.is_zipfile(p):
            with open(p, "rb") as f:
                _check_npy_header(f, p.stat().st_size, p)
            return np.load(p, allow_pickle=False)
        with np.load(p, allow_pickle=False) as data:
            for name in data.files:
                info = data.zip.getinfo(f"{name}.npy")
                _check_inflation(info, p, name)
                with data.zip.open(f"{name}.npy") as f:
                    _check_npy_header(f, info.file_size, p, name)
            arrays = {k: data[k] for k in data.files}
    except (ValueError, OSError, EOFError, MemoryError, zipfile.BadZipFile, KeyError) as exc:
        hint = ("; for text inputs save a unicode array, np.save(path, np.array(['a', 'b'])), "
                "not an object array" if "allow_pickle" in str(exc) else "")
        raise Keras2pbError(f"not a readable .npy/.npz file: {one_line(exc, 200)}{hint}",
                            p) from exc
    if list(arrays) == ["arr_0"]:  # np.savez(f, array): one unnamed array
        return arrays["arr_0"]
    return arrays


#: An .npz member may inflate at most this many times its compressed size once it is over
#: INFLATION_FLOOR bytes: real inputs compress a few times; a 2 MB file of zeros that inflates
#: to 2 GiB (a reviewer's "archive bomb", 12 GB of memory in predict) is refused.
MAX_INFLATION = 100
INFLATION_FLOOR = 64 * 2**20


def _check_inflation(info: Any, path: Any, name: str) -> None:
    """Refuse an .npz member that inflates past MAX_INFLATION times its stored size."""
    stored = max(info.compress_size, 1)
    if info.file_size > INFLATION_FLOOR and info.file_size > MAX_INFLATION * stored:
        raise Keras2pbError(f"array {name!r} inflates from {info.compress_size:,} to "
                            f"{info.file_size:,} bytes (over {MAX_INFLATION} times): refusing "
                            "a compressed archive that large; save the inputs with np.save or "
                            "np.savez (uncompressed)", path)


def _check_npy_header(f: Any, size: int, path: Any, name: str | None = None) -> None:
    """Refuse an .npy (or an .npz member ``name``) whose header claims more bytes than the
    file holds, before numpy allocates them (a 128-byte file claiming terabytes)."""
    import numpy as np

    fmt = np.lib.format
    version = fmt.read_magic(f)
    read = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
    shape, _, dtype = read(f)
    claimed = int(np.prod(shape, dtype=object)) * dtype.itemsize
    held = size - f.tell()
    if claimed > held:
        what = f"array {name!r}" if name else "the array"
        raise Keras2pbError(f"{what} claims shape {shape} ({claimed:,} bytes) but the file "
                            f"holds {held:,} bytes: it is damaged or not what it says", path)


def _write_outputs(path: str, result: dict) -> None:
    import numpy as np

    from .fileio import atomic_write_bytes

    if not result:
        raise Keras2pbError(f"{path}: the graph gave no outputs to write")
    buf = io.BytesIO()
    if len(result) > 1 or path.endswith(".npz"):
        if not path.endswith(".npz"):
            raise Keras2pbError(f"{path}: the graph has several outputs; write them to a .npz")
        np.savez(buf, **result)
    else:
        np.save(buf, next(iter(result.values())))
    atomic_write_bytes(path, buf.getvalue())


def _with_sidecars(graphs: list[str]) -> list[str]:
    """Graph files and the sidecars read beside them: all inputs an output must not replace."""
    from .graph.signature import sidecar_path

    return [p for g in graphs for p in (g, str(sidecar_path(g)))]


def _cmd_predict(args: argparse.Namespace) -> None:
    import numpy as np

    from .runtime.frozen_graph import load

    if args.output:
        from .fileio import check_output

        check_output(args.output, inputs=[*_with_sidecars([args.graph]), args.input])
    x = _read_inputs(args.input)
    with load(args.graph, allow_unsafe_ops=args.allow_unsafe_ops) as graph:
        result = graph.run(x, outputs=args.outputs)
    if args.output:
        _write_outputs(args.output, result)
        print(f"wrote {args.output}")
        return
    for name, arr in result.items():
        print(f"{visible(name)}: shape {arr.shape} {arr.dtype}")
        if arr.ndim == 2 and arr.shape[1] > 1:
            print(f"  argmax: {np.argmax(arr, axis=1).tolist()}")
        else:
            print(np.array2string(arr, threshold=50, precision=5))


def _cmd_verify(args: argparse.Namespace) -> int:
    from .runtime.verify import verify

    x = _read_inputs(args.input) if args.input else None
    if args.per_node:
        from .runtime.drift import per_node_drift

        report = per_node_drift(args.model, args.graph, (args.runtimes or "tf").split(","), x,
                                custom_objects=_custom_objects(args), safe_mode=not args.unsafe)
        print(json.dumps(report.to_dict(), indent=2) if args.json else report.format_table())
        failed = any(p.status == "failed" for p in report.pairs)
        return EXIT_USER_ERROR if failed or report.first_divergence else 0
    if args.runtimes:
        from .runtime.compare import format_table, verify_runtimes

        rows = verify_runtimes(args.model, args.graph, args.runtimes.split(","), x,
                               custom_objects=_custom_objects(args), safe_mode=not args.unsafe)
        print(json.dumps(rows, indent=2) if args.json else format_table(rows))
        return 0 if all(r["status"] in ("ok", "skipped") for r in rows) else EXIT_USER_ERROR
    result = verify(args.model, args.graph, x, custom_objects=_custom_objects(args),
                    safe_mode=not args.unsafe)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(f"{result.n} examples: max abs diff {result.max_abs_diff:.3g} (relative "
              f"{result.max_rel_diff:.2g}), argmax agreement {result.argmax_agreement:.1%} -> "
              f"{'OK' if result.ok else 'MISMATCH'}")
    return 0 if result.ok else EXIT_USER_ERROR


def _cmd_export_onnx(args: argparse.Namespace) -> None:
    from .fileio import check_output
    from .runtime.onnx_export import export_onnx

    check_output(args.output, inputs=_with_sidecars([args.graph]))
    path = export_onnx(args.graph, args.output, opset=args.opset)
    print(visible(f"wrote {path}"))


def _cmd_show(args: argparse.Namespace) -> None:
    from .fileio import check_output
    from .viewer import write_html

    check_output(args.output, inputs=[*_with_sidecars(args.graphs),
                                       *([args.drift] if args.drift else [])])
    path = write_html(args.graphs, args.output, titles=args.titles, drift_path=args.drift)
    print(visible(f"wrote {path}"))


def _cmd_check(args: argparse.Namespace) -> int:
    from .tutorial.readiness import main_check

    return main_check(args)


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of the ``keras2pb`` command."""
    top = argparse.ArgumentParser(add_help=False)
    top.add_argument("--debug", action="store_true",
                     help="show TensorFlow's logs and full tracebacks")
    # the same option after the command; SUPPRESS keeps a --debug given before it
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show TensorFlow's logs and full tracebacks")
    keras_opts = argparse.ArgumentParser(add_help=False)
    keras_opts.add_argument("--custom-objects", action="append", metavar="MODULE:ATTR",
                            help="custom Keras classes: a dict or a class (repeatable)")
    keras_opts.add_argument("--unsafe", action="store_true",
                            help="allow .keras files with Lambda layers (they run arbitrary "
                                 "Python code: only for files you trust)")
    parser = argparse.ArgumentParser(
        prog="keras2pb", parents=[top],
        description="Freeze Keras models into one TensorFlow .pb, inspect and run it.",
        epilog="exit codes: 0 ok, 1 bad input (one-line message), 2 bad arguments, "
               "3 internal error, 128+N killed by signal N (130 Ctrl-C, 143 SIGTERM); "
               "limits of child processes: KERAS2PB_CHILD_TIMEOUT (seconds), "
               "KERAS2PB_CHILD_MEMORY_MB (0: none)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("freeze", parents=[common, keras_opts],
                       help="freeze a .h5/.keras model into one .pb (+ .pb.json sidecar)")
    p.add_argument("model", help="Keras model file (.h5, .keras)")
    p.add_argument("output", help="frozen graph to write (.pb)")
    p.add_argument("--batch-size", type=int, default=None,
                   help="fix the batch dimension (default: dynamic)")
    p.add_argument("--for-opencv", action="store_true",
                   help="write the constant-folded variant OpenCV's DNN module can read")
    p.set_defaults(func=_cmd_freeze)

    p = sub.add_parser("inspect", parents=[common],
                       help="node count, op types, inputs and outputs of a .pb")
    p.add_argument("graph", help="frozen graph (.pb)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_cmd_inspect)

    p = sub.add_parser("predict", parents=[common],
                       help="run a .pb on inputs from .npy (or .npz, one array per input)")
    p.add_argument("graph", help="frozen graph (.pb)")
    p.add_argument("input", help=".npy (one input) or .npz (one array per input name)")
    p.add_argument("-o", "--output", help="write the result to .npy (.npz for several "
                                          "outputs) instead of printing it")
    p.add_argument("--outputs", nargs="+", metavar="NAME", help="fetch these outputs only")
    p.add_argument("--allow-unsafe-ops", action="store_true",
                   help="load graphs with ops that touch files, network or Python")
    p.set_defaults(func=_cmd_predict)

    p = sub.add_parser("verify", parents=[common, keras_opts],
                       help="compare a .pb's predictions with the Keras model's")
    p.add_argument("model", help="Keras model file (.h5, .keras)")
    p.add_argument("graph", help="frozen graph (.pb)")
    p.add_argument("--input", help=".npy/.npz inputs (default: MNIST digits or noise)")
    p.add_argument("--runtimes", metavar="LIST",
                   help="comma-separated runtimes to compare, e.g. tf,c,opencv,opencv-onnx,onnx,"
                        "openvino (runtimes not installed are reported as skipped)")
    p.add_argument("--per-node", action="store_true",
                   help="compare every node (Keras' trace vs the .pb, the .pb vs each of "
                        "--runtimes onnx,openvino) and name the first that diverges")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_cmd_verify)

    p = sub.add_parser("export-onnx", parents=[common],
                       help="convert a frozen .pb to ONNX (needs tf2onnx: keras2pb[runtimes])")
    p.add_argument("graph", help="frozen graph (.pb) with its .pb.json sidecar")
    p.add_argument("output", help="ONNX file to write")
    p.add_argument("--opset", type=int, default=None, help="ONNX opset (default: tf2onnx's)")
    p.set_defaults(func=_cmd_export_onnx)

    p = sub.add_parser("show", parents=[common],
                       help="write an offline HTML page showing one graph, or two side by side "
                       "(three: training step, inference trace, frozen graph)")
    p.add_argument("graphs", nargs="+", metavar="GRAPH.pb",
                   help="one graph; two (left, right); or three stages (training step, "
                   "inference trace, frozen graph)")
    p.add_argument("-o", "--output", required=True, help="HTML file to write")
    p.add_argument("--titles", nargs="+", help="pane titles")
    p.add_argument("--drift", metavar="REPORT.json",
                   help="per-node drift report of the frozen graph (keras2pb verify MODEL "
                   "GRAPH.pb --per-node --json): colour its nodes by drift, mark the first "
                   "divergence")
    p.set_defaults(func=_cmd_show)

    p = sub.add_parser("check", parents=[common],
                       help="workshop check: is this environment ready? (green/red checklist)")
    p.set_defaults(func=_cmd_check)
    return parser


#: Commands that import and run a graph from a file: they run in a child process.
_ISOLATED = {"predict", "verify", "export-onnx"}


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: unwinds like Ctrl-C, so temp files are removed on the way."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _terminate(signum: int, frame: object) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def _signals_unwind() -> Iterator[None]:
    """For the block, SIGTERM and SIGHUP raise ``Terminated`` (their default would kill the
    process at once and leave half-written temp files). Only in the main thread."""
    saved = {}
    try:
        for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
            if sig is not None:
                saved[sig] = signal.signal(sig, _terminate)
    except ValueError:  # not the main thread: signals are not ours to handle
        pass
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def _stdout_gone() -> int:
    """The reader of stdout went away (``keras2pb inspect g.pb | head -1``): stop quietly,
    as other tools do, and keep Python from complaining when it flushes stdout at exit."""
    if sys.stdout is sys.__stdout__ and sys.stdout is not None:
        with contextlib.suppress(OSError, ValueError):
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, sys.stdout.fileno())
            os.close(null)
    return 128 + signal.SIGPIPE if hasattr(signal, "SIGPIPE") else EXIT_USER_ERROR


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code (see ``keras2pb --help``).

    ``predict``, ``verify`` and ``export-onnx`` run in a child process
    (``keras2pb.runtime.isolation``), so a graph that crashes TensorFlow ends as a one-line
    error, not a dead terminal. SIGTERM and SIGHUP end the command like Ctrl-C: temp files
    are removed, the exit code is 128 + the signal's number.
    """
    from .runtime.isolation import in_child, run_isolated

    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    try:
        with _signals_unwind():
            if args.command in _ISOLATED and not in_child():
                return run_isolated(argv, args.graph)
            # Without --debug, native stderr (fd 2) stays silent while TensorFlow works: some
            # builds log C++ lines whatever TF_CPP_MIN_LOG_LEVEL says (TF 2.19/2.20's grappler
            # prints "Starting new session" when freezing). Our own lines are printed after.
            with contextlib.nullcontext() if args.debug else _quiet_stderr():
                try:
                    if args.command not in _NO_TENSORFLOW:
                        _import_tensorflow(args.debug)
                except ImportError:
                    if args.command != "check":  # `check` reports a missing TensorFlow as red
                        raise
                code = args.func(args)
            sys.stdout.flush()  # a closed pipe shows here, not at exit
            return int(code or 0)
    except Keras2pbError as exc:
        if args.debug:
            raise
        print(f"keras2pb: error: {visible(str(exc))}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("keras2pb: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Terminated as exc:
        print(f"keras2pb: terminated ({exc})", file=sys.stderr)
        return 128 + exc.signum
    except BrokenPipeError:
        return _stdout_gone()
    except Exception as exc:  # a bug, not the user's mistake: still one line without --debug
        if args.debug:
            raise
        print(f"keras2pb: internal error: {type(exc).__name__}: {visible(one_line(exc))} "
              "(run again with --debug for the traceback)", file=sys.stderr)
        return EXIT_INTERNAL


def main_exit() -> None:
    """Entry point of the ``keras2pb`` console script."""
    sys.exit(main())
