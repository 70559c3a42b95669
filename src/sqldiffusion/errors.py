"""The one exception type users see: a single line saying what is wrong and what to do."""


class SQLDiffusionError(Exception):
    """A problem with the user's input, model or environment, worded for the user.

    The command line prints ``str(error)`` on one line and exits with status `exit_code` (2: the
    request cannot be done as asked); no traceback.
    """

    exit_code = 2


class RunFailed(SQLDiffusionError):
    """A run that was valid failed on its way (e.g. its result could not be written): status 1."""

    exit_code = 1
