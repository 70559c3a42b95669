"""The one exception type users see: a single line saying what is wrong and what to do."""


class SQLDiffusionError(Exception):
    """A problem with the user's input, model or environment, worded for the user.

    The command line prints ``str(error)`` on one line and exits with status `exit_code` (2: the
    request cannot be done as asked); no traceback.
    """

    exit_code = 2


def first_line(error: BaseException) -> str:
    """The first line of an error's message (its type's name if it has none): what a one-line
    message quotes of a driver's or library's error."""
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


class RunFailed(SQLDiffusionError):
    """A run that was valid failed on its way (e.g. its result could not be written): status 1."""

    exit_code = 1
