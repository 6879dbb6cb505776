"""Domain errors that services raise and views map to HTTP answers."""


class ServiceError(Exception):
    """Base class for errors a service reports to its caller."""

    status = 400

    def __init__(self, message="", errors=None):
        super().__init__(message)
        self.message = message
        #: Field name -> list of messages, for forms.
        self.errors = errors or {}


class ValidationFailed(ServiceError):
    """The input breaks a rule; ``errors`` names the fields."""

    status = 400


class Conflict(ServiceError):
    """The action clashes with the current state."""

    status = 409


class PermissionDenied(ServiceError):
    """The actor may not do this."""

    status = 403


class NotFound(ServiceError):
    """The target does not exist or is not visible to the actor."""

    status = 404
