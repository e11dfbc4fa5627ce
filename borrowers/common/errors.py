"""The one domain error type of the application, mapped once to HTTP answers."""

from typing import Any


class DomainError(Exception):
    """A business rule refused an action; `field` names the input at fault when there is one."""

    def __init__(
        self, message: str, *, field: str | None = None, code: str = "invalid", retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code
        self.retry_after = retry_after  # seconds, for a rate limit

    def add_to(self, form: Any) -> None:
        """Show the error on a Django form: under its field when the form has that field, else
        at the top of the form."""
        form.add_error(self.field if self.field in form.fields else None, self.message)

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "detail": self.message}
        if self.field:
            body["fields"] = {self.field: [self.message]}
        return body
