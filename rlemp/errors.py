"""User-facing errors: one line that names the file, the line and the field."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)


class RlempError(Exception):
    """An error caused by the user's input or environment; the CLI prints it on one line, no traceback."""


class InputError(RlempError, ValueError):
    """Bad content in an input file, located by file, line and field."""

    def __init__(self, path: str | Path | None, line: int | None, field: str | None, message: str):
        self.path, self.line, self.field, self.message = path, line, field, message
        where = str(path) if path is not None else "<input>"
        if line is not None:
            where += f":{line}"
        what = f"field '{printable(field)}': " if field else ""
        super().__init__(f"{where}: {what}{printable(message)}")


def printable(text: str) -> str:
    """``text`` with line breaks and other control characters escaped (a key in a user's file may hold them),
    so that an error stays on one line."""
    return text if text.isprintable() else "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def first_validation_error(exc: ValidationError) -> tuple[str | None, str]:
    """The dotted field path and message of a pydantic error's first entry, phrased for people."""
    err = exc.errors()[0]
    field = ".".join(str(part) for part in err["loc"]) or None
    kind = err["type"]
    if kind == "missing":
        message = "missing required field"
    elif kind == "extra_forbidden":
        message = "unknown field"
    elif kind == "literal_error":
        message = f"{err['msg'].lower()}, got {err.get('input')!r}"
    else:
        message = f"{err['msg']}, got {err.get('input')!r}"
    return field, message


def validate_line(model: type[Model], obj: object, path: str | Path, line: int) -> Model:
    """One decoded JSON line validated as ``model``; errors name ``path``, ``line`` and the field."""
    if not isinstance(obj, dict):
        raise InputError(path, line, None, f"expected a JSON object, got {type(obj).__name__}")
    try:
        return model.model_validate(obj)
    except ValidationError as exc:
        field, message = first_validation_error(exc)
        raise InputError(path, line, field, message) from None
