"""The `augment` console script: a module per command, one error boundary around them all.

Exit codes: 0 ok, 2 a user mistake (one line naming what is wrong; nothing written), 1 a
failure that is not the user's (one line naming the log file that holds the traceback).
"""

from augment.cli.main import main

__all__ = ["main"]
