"""Errors the services raise, each carrying a message a French-speaking user can read."""

from __future__ import annotations


class ServiceError(Exception):
    """Base class: `message` is shown to the user as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(ServiceError):
    """Input refused; `errors` maps a form field to its French message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__(" ".join(self.errors.values()))


class NotFoundError(ServiceError):
    pass


class PermissionDenied(ServiceError):
    pass
