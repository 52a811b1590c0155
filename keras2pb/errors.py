"""The one exception type for users' mistakes, and the CLI's exit codes."""

from __future__ import annotations

#: Exit code of the CLI when the user's input is wrong (bad file, wrong name, bad shape, ...).
EXIT_USER_ERROR = 1
#: Exit code of the CLI when its arguments are wrong (argparse's own convention).
EXIT_USAGE = 2
#: Exit code when the process was interrupted (Ctrl-C).
EXIT_INTERRUPTED = 130


class Keras2pbError(Exception):
    """A mistake in what the user gave us, with a one-line message a person can act on.

    The message names the file (when there is one), says what is wrong and, where possible,
    what to do instead. The CLI prints it on one line and exits with ``EXIT_USER_ERROR``.
    """

    def __init__(self, message: str, path: object | None = None) -> None:
        message = " ".join(str(message).split())  # always one line
        if path is not None and not message.startswith(str(path)):
            message = f"{path}: {message}"
        super().__init__(message)
        self.path = path
