"""Privacy scrubbing of everything URL-like in a beacon, before anything is buffered.

- Page URLs keep host and path; the query string and fragment go, except allow-listed parameters
  (`utm_*` by default).
- Path segments that look like ids, e-mail addresses or tokens are templated: `/users/12345` becomes
  `/users/:id`, so no identifier of a person is stored and pages group by route.
- Path segments shorter than that which still look like ids (`a1b2c3d4`, `Xk9fQ2pL7`, `INV0012345`) too.
- Free text (error messages and stacks, vital attribution, measure tags) loses e-mail addresses (also
  percent-encoded), phone numbers, query strings, credentials in URLs (`user:pass@`), `token=...`-style
  pairs, `Bearer ...` values, JWTs and other long token-like runs; the paths of URLs in it are templated.
- Allow-listed query values (`utm_*`) lose e-mail addresses and tokens the same way.
- Stored URLs (scripts, resources) and hosts never keep `user:password@`.

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
_EMAIL_ANYWHERE = re.compile(r"[\w.+-]+(?:@|%40)[\w-]+\.[\w.-]+", re.IGNORECASE)
_URL_QUERY = re.compile(r"(\bhttps?://[^\s?#()'\"]*)[?#][^\s()'\":]*")
# Shorter ids: hex with digits and letters; mixed-case alphanumerics with 3+ digits; a long number with
# a short prefix or suffix (INV0012345, u1234567).
_SHORT_HEX = re.compile(r"^(?=[^a-fA-F]*[a-fA-F])(?=\D*\d)[0-9a-fA-F]{8,15}$")
_SHORT_TOKEN = re.compile(r"^(?=(?:\D*\d){3})(?=[^a-z]*[a-z])(?=[^A-Z]*[A-Z])[A-Za-z0-9]{8,15}$")
_AFFIXED_NUMBER = re.compile(r"^(?:[A-Za-z]{1,4}\d{5,}|\d{5,}[A-Za-z]{1,4})$")
# Free text.
_URL_CREDENTIALS = re.compile(r"\b([a-z][a-z0-9+.-]*://)[^\s/@]+@", re.IGNORECASE)
_URL_PATH = re.compile(r"(\bhttps?://[^\s/?#()'\"]+)(/[^\s?#()'\"]*)")
# `name=value` or `name: value` pairs whose name says secret. The regex finds any short name before = or :
# (cheap to scan for), and SECRET_NAMES decides; one alternation of every name at every word boundary
# was 5 times slower on a stack trace.
_PAIR = re.compile(r"\b([A-Za-z][A-Za-z_-]{1,24})(\s*[=:]\s*)([^\s&,;\"'<>)]+)")
SECRET_NAMES = frozenset(
    {
        "access_token",
        "id_token",
        "refresh_token",
        "token",
        "api_key",
        "api-key",
        "apikey",
        "key",
        "secret",
        "client_secret",
        "password",
        "passwd",
        "pwd",
        "auth",
        "authorization",
        "session",
        "sessionid",
        "session_id",
        "sid",
        "signature",
        "sig",
        "code",
        "otp",
    }
)
_AUTH_SCHEME = re.compile(r"\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE)
_JWT = re.compile(r"\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*")
_LONG_RUN = re.compile(r"[A-Za-z0-9+/=_-]{24,}")
# A phone number: 8 to 15 digits, written with a leading + or with separators between groups.
_PHONE = re.compile(
    r"(?<![\w.:/=-])(?:\+\d[\d\s().-]{6,18}\d|\(?\d{2,4}\)?(?:[\s.-]\(?\d{2,5}\)?){2,5})(?![\w.:/-])"
)


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
    if _SHORT_HEX.match(decoded) or _AFFIXED_NUMBER.match(decoded):
        return ":id"
    if _SHORT_TOKEN.match(decoded):
        return ":token"
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
            kept = [
                (k, scrub_value(v))
                for k, v in parse_qsl(parts.query, keep_blank_values=True)
                if self._allowed(k)
            ]
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


_HOST = re.compile(r"^[a-z0-9.\-_:\[\]]*$")


@lru_cache(maxsize=10_000)
def bare_host(host: str) -> str:
    """A resource host as the snippet reports it, without its port or any `user:password@`:
    `cdn.example:8443` -> `cdn.example`. Snippets before 0.1 sent the port; the page's host is stored
    without one, so resources must be too. Anything that is no host name is stored as ''."""
    if ":" in host or "@" in host:
        try:
            host = urlsplit("//" + host).hostname or ""
        except ValueError:
            return ""
    host = host.lower()[:253]
    return host if _HOST.match(host) else ""


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


@lru_cache(maxsize=50_000)
def strip_url(url: str) -> str:
    """A URL without query string and fragment, path templated (for script and resource URLs)."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    origin = ""
    if parts.scheme and parts.netloc:
        try:
            port = parts.port
        except ValueError:
            port = None
        host = parts.hostname or ""
        host = f"[{host}]" if ":" in host else host
        origin = f"{parts.scheme}://{host}" + (f":{port}" if port else "")  # never user:password@
    return origin + template_path(parts.path)


def scrub_text(text: str) -> str:
    """Free text (error messages and stacks, attribution, tags): see the module's docstring."""
    if not text:
        return text
    if "@" in text or "%40" in text:
        text = _URL_CREDENTIALS.sub(r"\1", text)
        text = _EMAIL_ANYWHERE.sub(":email", text)
    if "?" in text or "#" in text:
        text = _URL_QUERY.sub(r"\1", text)
    if "://" in text:
        text = _URL_PATH.sub(lambda m: m.group(1) + template_path(m.group(2)), text)
    if "=" in text or ":" in text:
        text = _PAIR.sub(_redact_secret_pair, text)
    if " " in text:
        text = _AUTH_SCHEME.sub(r"\1 :token", text)
    if "eyJ" in text:
        text = _JWT.sub(":token", text)
    text = _LONG_RUN.sub(_token_or_kept, text)
    return _PHONE.sub(_phone_or_kept, text)


def _redact_secret_pair(match: re.Match) -> str:
    name, value = match.group(1), match.group(3)
    if name.lower() in SECRET_NAMES and value != ":redacted" and not value.startswith("//"):
        return f"{name}{match.group(2)}:redacted"
    return match.group(0)


def _token_or_kept(match: re.Match) -> str:
    """A long run is a token when it mixes digits and letters as generated strings do."""
    run = match.group(0)
    digits = sum(c.isdigit() for c in run)
    letters = sum(c.isalpha() for c in run)
    if (
        digits >= 4
        and letters >= 4
        and (_HEX.match(run) or (any(c.isupper() for c in run) and any(c.islower() for c in run)))
    ):
        return ":token"
    return run


def _phone_or_kept(match: re.Match) -> str:
    digits = sum(c.isdigit() for c in match.group(0))
    return ":phone" if 8 <= digits <= 15 else match.group(0)


@lru_cache(maxsize=50_000)
def scrub_short(text: str) -> str:
    """`scrub_text` for short strings that repeat (vital attribution, measure tags): cached."""
    return scrub_text(text)


def scrub_value(value: str) -> str:
    """An allow-listed query value (`utm_*`): free-text scrubbing, and a value that is itself an e-mail
    address or a token is replaced whole."""
    value = scrub_text(value)
    templated = _template(value) if value else value
    return templated if templated in (":email", ":token") else value
