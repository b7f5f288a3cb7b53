"""The one reader of user files (JSON, JSONL, YAML, text), the crash-safe JSONL writer and the checks of
output paths.

Every reader fails with an :class:`InputError` naming the file (and line where there is one) for a missing
file, a directory (or a named pipe, a device: anything but a regular file), text that is not UTF-8, bad
syntax, a string holding a lone UTF-16 surrogate (a JSON ``"\\ud800"`` escape: no UTF-8 writer can write it
back), nesting too deep for the parser, integers too long for Python to convert, the non-standard
``NaN``/``Infinity`` constants and numbers too large for a float (Python's ``json`` would accept them and let a
NaN or infinite metric flow on silently). A UTF-8 byte-order mark is dropped.

Files rewritten whole are written through :func:`replacing` (a temporary file renamed over the target), so that
a failure part-way leaves the previous file, never a truncated one.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import logging
import math
import os
import re
import stat
import tempfile
from pathlib import Path
from typing import Any, Iterator

from rlemp.errors import InputError, RlempError

logger = logging.getLogger(__name__)


def read_text(path: str | Path, kind: str = "text") -> str:
    """The UTF-8 text of a ``kind`` ("JSON", "YAML"...) file, byte-order mark dropped."""
    path = Path(path)
    check_regular_file(path, kind)
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(path, None, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:  # permission denied, a FIFO that errors, a path through a file...
        raise InputError(path, None, None, f"cannot read: {exc.strerror or type(exc).__name__}") from None


def check_regular_file(path: str | Path, kind: str = "input") -> Path:
    """``path`` if it is a regular file (or a link to one); an :class:`InputError` for a missing path, a directory,
    a named pipe, a device or a socket (reading one would block or never end)."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise InputError(path, None, None, "file not found") from None
    except OSError as exc:  # permission denied on a parent, a symlink loop, a path through a file
        raise InputError(path, None, None, f"cannot read: {exc.strerror or type(exc).__name__}") from None
    if stat.S_ISDIR(mode):
        raise InputError(path, None, None, f"is a directory, expected a {kind} file")
    if not stat.S_ISREG(mode):
        raise InputError(path, None, None, f"not a regular file (a pipe or device), expected a {kind} file")
    return path


# A JSON escape of a UTF-16 surrogate (\ud800-\udfff): a pair decodes to one character, a lone one stays a
# surrogate that cannot be encoded to UTF-8.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def has_lone_surrogate(text: str) -> bool:
    """Whether ``text`` holds a lone UTF-16 surrogate (it cannot be written as UTF-8)."""
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


LONE_SURROGATE = ("text holds a lone UTF-16 surrogate (an unpaired \\ud800-\\udfff escape), which is not valid "
                  "Unicode text")


def find_lone_surrogate(value: Any, raw: str | None = None) -> str | None:
    """The dotted path ("turns.2.content"; "" for the value itself) of the first string, or mapping key, in a
    decoded JSON/YAML value that holds a lone surrogate; None when there is none. ``raw``, the JSON text the value
    was decoded from, skips the walk when it holds no surrogate escape."""
    if raw is not None and not _SURROGATE_ESCAPE.search(raw):
        return None
    where = ""
    stack: list[tuple[Any, str]] = [(value, where)]
    while stack:
        item, at = stack.pop()
        if isinstance(item, str):
            if has_lone_surrogate(item):
                return at
        elif isinstance(item, dict):
            for key, child in reversed(list(item.items())):
                name = f"{at}.{key}" if at else str(key)
                if isinstance(key, str) and has_lone_surrogate(key):
                    return at or "<key>"
                stack.append((child, name))
        elif isinstance(item, (list, tuple)):
            for i in range(len(item) - 1, -1, -1):
                stack.append((item[i], f"{at}.{i}" if at else str(i)))
    return None


def check_no_surrogates(value: Any, path: str | Path, line: int | None = None, raw: str | None = None) -> Any:
    """``value`` (decoded from ``raw`` text, when given, for a quick test) if no string in it holds a lone
    surrogate; an :class:`InputError` naming the file, line and field otherwise."""
    field = find_lone_surrogate(value, raw)
    if field is not None:
        raise InputError(path, line, field or None, LONE_SURROGATE)
    return value


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999
        raise ValueError(f"number {text[:20]} is too large")
    return value


def decode_json(text: str, path: str | Path, line: int | None = None) -> Any:
    """``text`` decoded as strict JSON; an :class:`InputError` at ``path`` (``line``: the JSONL line) if not."""
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        where, column = (line, f" at column {exc.colno}") if line is not None else (exc.lineno, "")
        raise InputError(path, where, None, f"not valid JSON ({exc.msg}{column})") from None
    except ValueError as exc:  # NaN/Infinity, or an integer longer than Python converts (4300 digits)
        raise InputError(path, line, None, f"not valid JSON ({str(exc).split(':')[0]})") from None
    except RecursionError:
        raise InputError(path, line, None, "not valid JSON (nested too deeply)") from None
    return check_no_surrogates(value, path, line, raw=text)


def read_json(path: str | Path) -> Any:
    """The decoded value of a JSON file."""
    return decode_json(read_text(path, "JSON"), path)


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, Any]]:
    """``(line_number, decoded_value)`` for each non-blank line of a JSONL file."""
    text = read_text(path, "JSONL")
    # Split on "\n" only: str.splitlines() also breaks at U+2028, U+0085..., which JSON keeps unescaped
    # inside strings (json.dumps(..., ensure_ascii=False) writes them as they are).
    for number, raw in enumerate(text.split("\n"), start=1):
        if raw.strip():
            yield number, decode_json(raw, path, number)


class JsonlWriter:
    """Writes one line per record, flushed and synced after each so that a crash loses nothing already written.

    Appending (``mode="a"``) to a file whose last line was cut short (the process was killed in the middle of a
    write) first drops that partial line, so that every line of the file stays whole.
    """

    def __init__(self, path: str | Path, mode: str = "a"):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if mode == "a":
            drop_partial_last_line(self.path)
        self._file = self.path.open(mode, encoding="utf-8")

    def write_line(self, line: str) -> None:
        self._file.write(line + "\n")
        self._file.flush()
        try:
            os.fsync(self._file.fileno())
        except OSError as exc:
            if exc.errno not in (errno.EINVAL, errno.ENOTSUP):  # /dev/null, a pipe: nothing to sync
                raise

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def drop_partial_last_line(path: Path) -> None:
    """Truncate ``path`` after its last newline (nothing happens to a missing, empty or whole file)."""
    if not path.is_file() or path.stat().st_size == 0:
        return
    with path.open("rb+") as f:
        end = f.seek(0, os.SEEK_END)
        f.seek(end - 1)
        if f.read(1) == b"\n":
            return
        keep, stop = 0, end
        while stop > 0:  # look back 1 MiB at a time for the last newline
            start = max(0, stop - (1 << 20))
            f.seek(start)
            newline = f.read(stop - start).rfind(b"\n")
            if newline >= 0:
                keep = start + newline + 1
                break
            stop = start
        logger.warning("%s: dropping a partial last line (%d bytes) left by an interrupted write", path, end - keep)
        f.truncate(keep)


class _DuplicateKey(Exception):
    def __init__(self, key: str, line: int):
        self.key, self.line = key, line


@functools.lru_cache(maxsize=1)
def _unique_key_loader():
    """A ``yaml.SafeLoader`` that refuses a mapping key given twice (PyYAML would keep the last silently)."""
    import yaml

    class UniqueKeyLoader(yaml.SafeLoader):
        def construct_mapping(self, node, deep=False):
            seen = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                if not isinstance(key, (str, int, float, bool)):
                    continue
                if key in seen:
                    raise _DuplicateKey(str(key), key_node.start_mark.line + 1)
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    return UniqueKeyLoader


def read_yaml(path: str | Path, kind: str = "YAML") -> Any:
    """The decoded value of a YAML (or JSON) file. YAML's ``.nan``/``.inf`` stay floats: range checks of the
    fields that read them reject them where they matter."""
    import yaml

    text = read_text(path, kind)
    try:
        value = yaml.load(text, Loader=_unique_key_loader())  # noqa: S506  (a SafeLoader subclass)
    except _DuplicateKey as exc:
        raise InputError(path, exc.line, exc.key, "duplicate key (the file sets it twice; keep one)") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(path, mark.line + 1 if mark else None, None, f"not valid YAML ({problem})") from None
    except RecursionError:
        raise InputError(path, None, None, "not valid YAML (nested too deeply)") from None
    except ValueError as exc:  # an integer longer than Python converts
        raise InputError(path, None, None, f"not valid YAML ({str(exc).split(':')[0]})") from None
    return check_no_surrogates(value, path)


def read_mapping(path: str | Path, kind: str) -> dict[str, Any]:
    """A YAML/JSON file that must hold one mapping with string keys; ``kind`` names it in errors ("recipe")."""
    data = read_yaml(path, kind)
    if not isinstance(data, dict):
        raise InputError(path, None, None, f"a {kind} is a mapping of fields, got {type(data).__name__}")
    for key in data:
        if not isinstance(key, str):
            raise InputError(path, None, None, f"field names must be strings, got {key!r}")
    return data


@contextlib.contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write the whole new file to; renamed over ``path`` when the block
    ends without an exception, removed when it raises, so that ``path`` holds the old file or the whole new one.
    An existing target that is not a regular file (``/dev/null``, a pipe) is written to directly. An OSError
    without a file name (a full disk) is raised again naming ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and not path.is_file():
        try:
            yield path
        except OSError as exc:
            raise _naming(exc, path) from None
        return
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if path.exists():  # keep the target's permission bits
            os.chmod(tmp_path, stat.S_IMODE(path.stat().st_mode))
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp_path, 0o666 & ~umask)
        os.replace(tmp_path, path)
    except OSError as exc:
        tmp_path.unlink(missing_ok=True)
        raise _naming(exc, path) from None
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def _naming(exc: OSError, path: Path) -> OSError:
    if exc.filename is None:
        exc.filename = str(path)
    return exc


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through :func:`replacing`."""
    path = Path(path)
    with replacing(path) as tmp:
        with tmp.open("w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
    return path


def check_output_file(path: str | Path, option: str = "--out") -> Path:
    """A path a command may write a file to: not a directory, and its parent not a file."""
    path = Path(path)
    if path.is_dir():
        raise RlempError(f"{path}: {option} is a directory, expected a file path")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise RlempError(f"{path}: {option}: {parent} is a file, not a folder")
            break
    return path


def check_output_dir(path: str | Path, option: str = "--out") -> Path:
    """A path a command may create or fill a folder at: not a file, nor below one."""
    path = Path(path)
    for candidate in (path, *path.parents):
        if candidate.exists():
            if not candidate.is_dir():
                what = "is a file" if candidate == path else f"is below {candidate}, which is a file"
                raise RlempError(f"{path}: {option} {what}, expected a folder")
            break
    return path
