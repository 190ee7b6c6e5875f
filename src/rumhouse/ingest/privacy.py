"""Privacy scrubbing of everything URL-like in a beacon, before anything is buffered.

- Page URLs keep host and path; the query string and fragment go, except allow-listed parameters
  (`utm_*` by default).
- Path segments that look like ids, e-mail addresses or tokens are templated: `/users/12345` becomes
  `/users/:id`, so no identifier of a person is stored and pages group by route.
- Error messages and stacks lose e-mail addresses and query strings.

Paths repeat far more than they vary, so templating is cached.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from functools import lru_cache
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

MAX_PATH = 512

_NUMBER = re.compile(r"^\d+$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
_HEX = re.compile(r"^[0-9a-fA-F]{16,}$")
_EMAIL = re.compile(r"^[^@/\s]+@[^@/\s]+\.[^@/\s]+$")
# A token is a long run of base64url-like characters. Slugs ("black-friday-deals-2026") also mix letters
# and digits, but in short words between separators, so the test is on the longest run.
_RUN = re.compile(r"[A-Za-z0-9+=~]+")
_EMAIL_ANYWHERE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_URL_QUERY = re.compile(r"(\bhttps?://[^\s?#()'\"]*)[?#][^\s()'\":]*")


_EXTENSION = re.compile(r"^(.+?)(\.[A-Za-z0-9]{1,5})$")


def template_segment(segment: str) -> str:
    """`12345` -> `:id`; a hashed file name keeps its extension: `5f3a...9a.js` -> `:id.js`."""
    if not segment:
        return segment
    match = _EXTENSION.match(segment)
    if match:
        stem = _template(match.group(1))
        if stem != match.group(1):
            return stem + match.group(2)
    return _template(segment)


def _template(segment: str) -> str:
    decoded = unquote(segment) if "%" in segment else segment
    if _NUMBER.match(decoded) or _UUID.match(decoded) or _HEX.match(decoded):
        return ":id"
    if "@" in decoded and _EMAIL.match(decoded):
        return ":email"
    if len(decoded) >= 16:
        longest = max((len(run) for run in _RUN.findall(decoded)), default=0)
        if longest >= 16 and any(c.isdigit() for c in decoded) and any(c.isalpha() for c in decoded):
            return ":token"
    return segment


@lru_cache(maxsize=50_000)
def template_path(path: str) -> str:
    """`/users/12345/orders/9f1c...` -> `/users/:id/orders/:id`. Always starts with `/`."""
    if not path:
        return "/"
    if not path.startswith("/"):
        path = "/" + path
    templated = "/".join(template_segment(segment) for segment in path[:MAX_PATH].split("/"))
    return templated


class UrlScrubber:
    """Cuts URLs down to what may be stored, given the allow-listed query parameters."""

    def __init__(self, allowlist: tuple[str, ...]) -> None:
        self.allowlist = allowlist
        self.page = lru_cache(maxsize=50_000)(self._page)

    def _allowed(self, name: str) -> bool:
        return any(fnmatchcase(name.lower(), pattern.lower()) for pattern in self.allowlist)

    def _page(self, url: str) -> tuple[str, str, str]:
        """(host, templated path, allow-listed query) of a page URL."""
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "")[:253]
        except ValueError:  # an unbalanced [ in the host, a bad port, ...
            return "", "/", ""
        query = ""
        if parts.query and self.allowlist:
            kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if self._allowed(k)]
            query = urlencode(kept)[:1024]
        return host, template_path(parts.path), query


@lru_cache(maxsize=50_000)
def host_of(url: str) -> str:
    """The host of a URL (a referrer), lower-case, or '' when there is none."""
    if not url:
        return ""
    try:
        return (urlsplit(url).hostname or "")[:253]
    except ValueError:
        return ""


@lru_cache(maxsize=10_000)
def bare_host(host: str) -> str:
    """A resource host as the snippet reports it, without its port: `cdn.example:8443` -> `cdn.example`.
    Snippets before 0.1 sent the port; the page's host is stored without one, so resources must be too."""
    if ":" not in host:
        return host
    try:
        return (urlsplit("//" + host).hostname or "")[:253]
    except ValueError:
        return ""


@lru_cache(maxsize=50_000)
def endpoint_of(url: str) -> str:
    """An API call's URL as `host/templated/path`: no scheme, query or fragment."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return ""
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    return host + template_path(parts.path)


def strip_url(url: str) -> str:
    """A URL without query string and fragment, path templated (for script and resource URLs)."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    return origin + template_path(parts.path)


def scrub_text(text: str) -> str:
    """Error messages and stacks: no e-mail addresses, no query strings in the URLs they mention."""
    if not text:
        return text
    if "@" in text:
        text = _EMAIL_ANYWHERE.sub(":email", text)
    if "?" in text or "#" in text:
        text = _URL_QUERY.sub(r"\1", text)
    return text
