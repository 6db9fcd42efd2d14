"""Log formatting shared by every process (daphne, the sweeper, the task worker)."""

import logging


class OneLineFormatter(logging.Formatter):
    """The usual format, with any newline (multi-line messages, tracebacks) folded into `` | ``.

    One event is one line, so ``grep``, journald and log shippers never split an error from its
    traceback or take a traceback line for an event of its own.
    """

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\r\n", "\n").replace("\n", " | ")
