"""The beacon decoder (defaults, unknown fields, bounds) and user-agent enrichment."""

import msgspec
import pytest

from rumhouse.ingest import schema
from rumhouse.ingest.enrich import country_from, parse_agent


def test_minimal_beacon_gets_defaults_and_unknown_fields_are_ignored():
    beacon = schema.decoder.decode(b'{"site":"s","pv":"abcdefgh","url":"https://a/","future_field":{"x":1}}')
    assert (beacon.v, beacon.seq, beacon.last, beacon.nt, beacon.ev, beacon.nav) == (
        1,
        0,
        False,
        "navigate",
        [],
        None,
    )
    event = schema.decoder.decode(
        b'{"site":"s","pv":"abcdefgh","url":"u","ev":[{"k":"vital","n":"LCP","v":1,"newer":true}]}'
    ).ev[0]
    assert event == schema.Vital(n="LCP", v=1)


@pytest.mark.parametrize(
    "body, where",
    [
        (b'{"site":"s","pv":"abcdefgh","url":"u","nav":{"st":[["a",1]' + b',["a",1]' * 19 + b"]}}", None),
        (b'{"site":"","pv":"abcdefgh","url":"u"}', "$.site"),
        (b'{"site":"s","pv":"short","url":"u"}', "$.pv"),
        (b'{"site":"s","pv":"abcdefgh","url":"u","ev":[{"k":"vital","n":"XYZ","v":1}]}', "$.ev[0].n"),
        (b'{"site":"s","pv":"abcdefgh","url":"u","ev":[{"k":"vital","n":"LCP","v":3600001}]}', "$.ev[0].v"),
        (b'{"site":"s","pv":"abcdefgh","url":"u","ctx":{"rtt":-1}}', "$.ctx.rtt"),
        (
            b'{"site":"s","pv":"abcdefgh","url":"u","nav":{"st":[["a",1]' + b',["a",1]' * 20 + b"]}}",
            "$.nav.st",
        ),
        (
            b'{"site":"s","pv":"abcdefgh","url":"u","ev":[{"k":"measure","n":"m","v":1,"tags":{'
            + b",".join(b'"t%d":"v"' % i for i in range(11))
            + b"}}]}",
            "$.ev[0].tags",
        ),
        (
            b'{"site":"s","pv":"abcdefgh","url":"u","ev":[{"k":"api","m":"GET","u":"x","s":1000,"d":1}]}',
            "$.ev[0].s",
        ),
    ],
)
def test_bounds_name_the_offending_field(body, where):
    if where is None:  # at the bound: accepted
        schema.decoder.decode(body)
        return
    with pytest.raises(msgspec.ValidationError) as caught:
        schema.decoder.decode(body)
    assert where in str(caught.value)


CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


@pytest.mark.parametrize(
    "ua, expected",
    [
        (CHROME, ("Chrome", "131", "Windows", "desktop", False)),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
            "Mobile/15E148 Safari/604.1",
            ("Mobile Safari", "17", "iOS", "mobile", False),
        ),
        (
            "Mozilla/5.0 (iPad; CPU OS 16_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.0 "
            "Mobile/15E148 Safari/604.1",
            ("Mobile Safari", "16", "iOS", "tablet", False),
        ),
        (
            "Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile "
            "Safari/537.36",
            ("Chrome", "120", "Android", "mobile", False),
        ),  # "CUBOT" is a phone, not a bot
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
            ("Firefox", "133", "Windows", "desktop", False),
        ),
    ],
)
def test_user_agents(ua, expected):
    agent = parse_agent(ua)
    assert (agent.browser, agent.browser_version, agent.os, agent.device_type, agent.is_bot) == expected


@pytest.mark.parametrize(
    "ua",
    [
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; +http://www.google.com/bot.html) "
        "Chrome/131.0.0.0 Safari/537.36",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
        "Mobile Safari/537.36 Chrome-Lighthouse",
        "python-requests/2.32.3",
        "",
    ],
)
def test_bots(ua):
    assert parse_agent(ua).is_bot


def test_country_codes():
    assert country_from("de") == "DE"
    assert country_from(" US ") == "US"
    assert country_from("XX") == country_from("T1") == country_from("DEU") == country_from(None) == ""
