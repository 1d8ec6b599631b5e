"""The one exception type that reaches a user as a single clear line.

Library code raises `RecurError` for anything the user can fix (a missing file, a bad size, an
unseen character); the CLI prints its message and exits non-zero, never a traceback.
"""


class RecurError(Exception):
    """A problem with the user's input, stated in one line that names what is wrong."""


def require_positive(name: str, value: float) -> None:
    """Refuse zero or negative sizes with a message naming the setting."""
    if value is None or value <= 0:
        raise RecurError(f"{name} must be positive, got {value}")
