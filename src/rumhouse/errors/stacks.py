"""Stack traces as browsers write them, frame by frame: Chrome's `at fn (url:line:col)` and `at url:line:col`,
Firefox's and Safari's `fn@url:line:col`."""

from __future__ import annotations

import re
from dataclasses import dataclass

_FRAME = re.compile(
    r"^\s*(?:at\s+(?:(?P<fn>.*?)\s+\()?(?P<url>[^\s()]+?):(?P<line>\d+):(?P<col>\d+)\)?"
    r"|(?P<fn2>[^@\s]*)@(?P<url2>\S+?):(?P<line2>\d+):(?P<col2>\d+))\s*$"
)


@dataclass(frozen=True)
class Frame:
    function: str
    url: str
    line: int
    column: int


def frames(stack: str) -> list[Frame | str]:
    """Each line of `stack`: a Frame where it names a position, else the line as it is (the message)."""
    out: list[Frame | str] = []
    for text in stack.splitlines():
        found = _FRAME.match(text)
        if not found:
            out.append(text)
            continue
        if found["url"]:
            out.append(Frame(found["fn"] or "", found["url"], int(found["line"]), int(found["col"])))
        else:
            out.append(Frame(found["fn2"] or "", found["url2"], int(found["line2"]), int(found["col2"])))
    return out
