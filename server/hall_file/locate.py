"""Find the line of every key and array item in a TOML text.

tomllib gives values but not positions, and a person fixing a hall file needs "line 42". This is
a small scanner for text that tomllib has already accepted: it follows table headers
(``[hall.name]``, ``[[services]]``, ``[services.hours]``), ``key = value`` lines, dotted keys,
inline tables and arrays (also spread over several lines), and records where each one starts.

Paths are tuples of keys and 0-based array indices, the shape tomllib's result has:
``("services", 1, "hours", "mon", 0)`` is the first range of Monday in the second service.
"""

from __future__ import annotations

Path = tuple[str | int, ...]

_BARE_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_SCALAR_END = frozenset(",]}\n#")


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.lines: dict[Path, int] = {}
        # Array-of-tables paths (with their parents' indices resolved) -> index of the last item.
        self.last_item: dict[Path, int] = {}

    # -- characters -------------------------------------------------------------------------

    def peek(self, ahead: int = 0) -> str:
        index = self.pos + ahead
        return self.text[index] if index < len(self.text) else ""

    def advance(self, count: int = 1) -> None:
        chunk = self.text[self.pos : self.pos + count]
        self.line += chunk.count("\n")
        self.pos += count

    def skip_blanks(self, newlines: bool) -> None:
        """Skip spaces and comments; also newlines when inside an array."""
        while self.pos < len(self.text):
            char = self.peek()
            if char in " \t\r" or (newlines and char == "\n"):
                self.advance()
            elif char == "#":
                while self.pos < len(self.text) and self.peek() != "\n":
                    self.advance()
            else:
                return

    def skip_line(self) -> None:
        while self.pos < len(self.text) and self.peek() != "\n":
            self.advance()

    def record(self, path: Path, line: int) -> None:
        # The first mention wins: a table first opened by a dotted key stays at that line.
        self.lines.setdefault(path, line)

    # -- keys and strings -------------------------------------------------------------------

    def string(self) -> str:
        """Read a basic or literal string, single- or multi-line, and return its value.

        Only the quoting matters here (escapes are kept as written): keys are compared with the
        names tomllib produced, and quoted keys with escapes do not occur in a hall file.
        """
        quote = self.peek()
        if self.text.startswith(quote * 3, self.pos):
            self.advance(3)
            end = self.text.find(quote * 3, self.pos)
            end = len(self.text) if end < 0 else end
            # A closing run may hold up to two extra quotes that belong to the content.
            while self.text.startswith(quote, end + 3):
                end += 1
            value = self.text[self.pos : end]
            self.advance(end + 3 - self.pos)
            return value
        self.advance()
        start = self.pos
        while self.pos < len(self.text) and self.peek() not in (quote, "\n"):
            self.advance(2 if quote == '"' and self.peek() == "\\" else 1)
        value = self.text[start : self.pos]
        self.advance()
        return value

    def key(self) -> tuple[str, ...]:
        """A dotted key: ``a.b``, ``"quoted key".c``, ``zh-Hant``."""
        parts: list[str] = []
        while True:
            self.skip_blanks(newlines=False)
            if self.peek() in ('"', "'"):
                parts.append(self.string())
            else:
                start = self.pos
                while self.peek() and self.peek() in _BARE_KEY_CHARS:
                    self.advance()
                parts.append(self.text[start : self.pos])
            self.skip_blanks(newlines=False)
            if self.peek() != ".":
                return tuple(parts)
            self.advance()

    # -- values -----------------------------------------------------------------------------

    def value(self, path: Path) -> None:
        char = self.peek()
        if char in ('"', "'"):
            self.string()
        elif char == "[":
            self.array(path)
        elif char == "{":
            self.inline_table(path)
        else:
            while self.pos < len(self.text) and self.peek() not in _SCALAR_END:
                self.advance()

    def array(self, path: Path) -> None:
        self.advance()  # [
        index = 0
        while self.pos < len(self.text):
            self.skip_blanks(newlines=True)
            char = self.peek()
            if char == "]":
                self.advance()
                return
            if char == ",":
                self.advance()
                continue
            self.record((*path, index), self.line)
            self.value((*path, index))
            index += 1

    def inline_table(self, path: Path) -> None:
        self.advance()  # {
        while self.pos < len(self.text):
            self.skip_blanks(newlines=True)
            char = self.peek()
            if char == "}":
                self.advance()
                return
            if char == ",":
                self.advance()
                continue
            self.key_value(path)

    def key_value(self, table: Path) -> None:
        line = self.line
        keys = self.key()
        for depth in range(1, len(keys) + 1):
            self.record((*table, *keys[:depth]), line)
        self.skip_blanks(newlines=False)
        if self.peek() == "=":
            self.advance()
        self.skip_blanks(newlines=False)
        self.value((*table, *keys))

    # -- tables -----------------------------------------------------------------------------

    def resolve(self, keys: tuple[str, ...]) -> Path:
        """Header keys -> concrete path: ``services.hours`` means the last ``[[services]]``."""
        path: Path = ()
        for key in keys:
            path = (*path, key)
            if path in self.last_item:
                path = (*path, self.last_item[path])
        return path

    def header(self) -> Path:
        line = self.line
        is_array = self.text.startswith("[[", self.pos)
        self.advance(2 if is_array else 1)
        keys = self.key()
        self.advance(2 if is_array else 1)
        if is_array:
            parent = self.resolve(keys[:-1])
            array = (*parent, keys[-1])
            index = self.last_item.get(array, -1) + 1
            self.last_item[array] = index
            self.record(array, line)
            table: Path = (*array, index)
        else:
            table = self.resolve(keys)
        for depth in range(1, len(table) + 1):
            self.record(table[:depth], line)
        self.skip_line()
        return table

    def document(self) -> dict[Path, int]:
        table: Path = ()
        while self.pos < len(self.text):
            self.skip_blanks(newlines=True)
            if self.pos >= len(self.text):
                break
            if self.peek() == "[":
                table = self.header()
            else:
                self.key_value(table)
                self.skip_line()
        return self.lines


def key_lines(text: str) -> dict[Path, int]:
    """Map each key, table and array item of a valid TOML text to its 1-based line number."""
    return _Scanner(text).document()


def line_of(lines: dict[Path, int], path: Path) -> int | None:
    """The line of ``path``, or of its nearest written parent (a missing key is reported where
    its table starts); None if not even the top-level key is written."""
    for depth in range(len(path), 0, -1):
        line = lines.get(path[:depth])
        if line is not None:
            return line
    return None
