"""What the request says about the visitor, beyond the beacon: browser, OS, device type and country.

User agents are parsed with the `user-agents` library (ua-parser's regexes), which takes a fraction of
a millisecond per call; the same few hundred user agents make most traffic, so results are cached.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from user_agents import parse as parse_user_agent

# Automation and monitoring that ua-parser does not flag as a spider. Lighthouse and PageSpeed load
# pages for real, but they are synthetic tests, not users: RUM data must not mix the two.
_BOT_MARKERS = re.compile(
    r"\bbot\b|bot/|crawl|spider|slurp|headless|phantomjs|selenium|puppeteer|playwright|lighthouse|"
    r"pagespeed|gtmetrix|pingdom|uptimerobot|python-|python/|curl/|wget/|httpclient|"
    r"okhttp|go-http-client|java/|node-fetch|axios/|undici|scrapy|facebookexternalhit|embedly|"
    r"http_request|libwww|feedfetcher",
    re.IGNORECASE,
)
_COUNTRY = re.compile(r"^[A-Z]{2}$")
# Codes proxies use for "unknown" or "Tor", not countries.
_NOT_COUNTRIES = frozenset({"XX", "T1", "ZZ"})


@dataclass(frozen=True, slots=True)
class Agent:
    browser: str
    browser_version: str
    os: str
    device_type: str
    is_bot: bool


@lru_cache(maxsize=20_000)
def parse_agent(user_agent: str) -> Agent:
    if not user_agent or _BOT_MARKERS.search(user_agent):
        return Agent("", "", "", "other", True)
    ua = parse_user_agent(user_agent[:1024])
    if ua.is_bot:
        return Agent(ua.browser.family, "", ua.os.family, "other", True)
    if ua.is_tablet:
        device = "tablet"
    elif ua.is_mobile:
        device = "mobile"
    elif ua.is_pc:
        device = "desktop"
    else:
        device = "other"
    version = str(ua.browser.version[0]) if ua.browser.version else ""
    return Agent(ua.browser.family, version, ua.os.family, device, False)


def country_from(header_value: str | None) -> str:
    """An ISO 3166 alpha-2 code from the trusted proxy's header, or '' when unknown."""
    if not header_value:
        return ""
    code = header_value.strip().upper()
    return code if _COUNTRY.match(code) and code not in _NOT_COUNTRIES else ""
