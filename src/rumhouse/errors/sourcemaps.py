"""Source maps (version 3): from a position in minified code to the original file, line, column and name.

The `mappings` string is decoded once per map: per generated line, its segments in column order, each
[generated column, source, original line, original column, name] (Base64 VLQ, the fields relative to the
previous segment's; the column restarts on each line). A position maps through the segment at or before it
on its line. Index maps (`sections`) are not read: `parse` refuses them.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any

import orjson

_BASE64 = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}
MAX_MAP_BYTES = 20 * 1024 * 1024


class MapError(ValueError):
    """A source map that cannot be read; the message says why, in a line."""


def _vlq(segment: str) -> list[int]:
    values, value, shift = [], 0, 0
    for char in segment:
        digit = _BASE64.get(char)
        if digit is None:
            raise MapError(f"a mapping has a character that is not Base64: {char!r}")
        value += (digit & 31) << shift
        if digit & 32:
            shift += 5
            if shift > 60:
                raise MapError("a mapping has a number too long")
            continue
        values.append(-(value >> 1) if value & 1 else value >> 1)
        value = shift = 0
    if shift:
        raise MapError("a mapping ends in the middle of a number")
    return values


@dataclass(frozen=True)
class Original:
    source: str
    line: int  # 1-based
    column: int  # 1-based
    name: str | None


class SourceMap:
    def __init__(
        self, sources: list[str], names: list[str], lines: list[list[tuple[int, int, int, int, int]]]
    ):
        self.sources, self.names, self.lines = sources, names, lines
        self._columns = [[s[0] for s in segments] for segments in lines]

    def lookup(self, line: int, column: int) -> Original | None:
        """The original position of generated `line`, `column` (both 1-based, as stack traces give them)."""
        if not 1 <= line <= len(self.lines):
            return None
        segments, columns = self.lines[line - 1], self._columns[line - 1]
        i = bisect.bisect_right(columns, column - 1) - 1
        if i < 0 or segments[i][1] < 0:
            return None
        _, source, original_line, original_column, name = segments[i]
        if not 0 <= source < len(self.sources):
            return None
        return Original(
            self.sources[source],
            original_line + 1,
            original_column + 1,
            self.names[name] if 0 <= name < len(self.names) else None,
        )


def parse(text: str | bytes) -> SourceMap:
    if len(text) > MAX_MAP_BYTES:
        raise MapError(f"a source map of over {MAX_MAP_BYTES // (1024 * 1024)} MB")
    try:
        doc: Any = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise MapError("not JSON") from None
    if not isinstance(doc, dict) or doc.get("version") != 3:
        raise MapError("not a source map of version 3")
    if "sections" in doc:
        raise MapError("index maps (sections) are not read: upload each section's map for its file")
    sources, names, mappings = doc.get("sources"), doc.get("names", []), doc.get("mappings")
    if not isinstance(sources, list) or not isinstance(names, list) or not isinstance(mappings, str):
        raise MapError("a source map needs sources, names and mappings")
    root = doc.get("sourceRoot") or ""
    sources = [f"{root.rstrip('/')}/{s}" if root and isinstance(s, str) else str(s) for s in sources]
    lines: list[list[tuple[int, int, int, int, int]]] = []
    source = original_line = original_column = name = 0
    for text_line in mappings.split(";"):
        column, segments = 0, []
        for segment in filter(None, text_line.split(",")):
            fields = _vlq(segment)
            if len(fields) not in (1, 4, 5):
                raise MapError("a mapping segment has 1, 4 or 5 fields")
            column += fields[0]
            if len(fields) == 1:
                segments.append((column, -1, 0, 0, -1))
                continue
            source += fields[1]
            original_line += fields[2]
            original_column += fields[3]
            if len(fields) == 5:
                name += fields[4]
            segments.append(
                (column, source, original_line, original_column, name if len(fields) == 5 else -1)
            )
        segments.sort()
        lines.append(segments)
    return SourceMap(sources, [str(n) for n in names], lines)
