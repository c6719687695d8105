"""The one error type of the package: bad input, named by file and field."""


class RunError(Exception):
    """A run folder, checkpoint or option that cannot be used. The message names the file and the field."""

    def __init__(self, where, message):
        super().__init__(f'{where}: {message}')
        self.where = where
