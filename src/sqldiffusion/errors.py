"""The one exception type users see: a single line saying what is wrong and what to do."""


class SQLDiffusionError(Exception):
    """A problem with the user's input, model or environment, worded for the user.

    The command line prints ``str(error)`` on one line and exits with status 2; no traceback.
    """
