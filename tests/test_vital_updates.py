"""CLS and INP reported at every hide and at the end: rumhouse.vitals gets each page view's final value
once (docs/snippet.md, "Values that change"), the rollups agree with it, and the attribution columns hold
what the beacon said. A real server (settling every 0.3 s, a page view's value final after 2 s without
a report), and ClickHouse behind its HTTP interface for a pass cut short."""

from __future__ import annotations

import secrets
import time

import orjson
import pytest

from rumhouse.ingest.rows import PageView, vital_update_row
from rumhouse.ingest.schema import Vital
from rumhouse.metrics import Metrics
from rumhouse.settle import Settler
from rumhouse.store.base import StoreError, encode_rows
from rumhouse.store.migrations import migrate
from rumhouse.store.server import ServerStore
from rumhouse.tables import COLUMNS
from support.load import assert_accounting, beacon_rows, wait_until
from support.server import RumhouseServer

pytestmark = pytest.mark.slow  # a server of its own, and waits for values to settle

SETTLE_AFTER = 2.0


@pytest.fixture(scope="module")
def settling(tmp_path_factory):
    srv = RumhouseServer(
        tmp_path_factory.mktemp("settle") / "data",
        RUMHOUSE_SETTLE_INTERVAL="0.3",
        RUMHOUSE_SETTLE_AFTER=str(SETTLE_AFTER),
    ).start()
    yield srv
    srv.close()


def beacon(pv: str, seq: int, events: list[dict], *, last: bool = False) -> bytes:
    body = {
        "site": "demo",
        "pv": pv,
        "url": "https://shop.example/cart",
        "seq": seq,
        "last": last,
        "now": 100,
    }
    if seq == 0:
        body["nav"] = {"server": 50}
    body["ev"] = events
    return orjson.dumps(body)


def values(srv, pv: str, name: str) -> list[float]:
    rows = srv.sql(
        f"SELECT value FROM rumhouse.vitals WHERE page_view_id = '{pv}' AND name = '{name}' ORDER BY value"
    )
    return [r["value"] for r in rows]


def send(srv, *bodies: bytes) -> None:
    for body in bodies:
        assert srv.post(body).status_code == 204


def test_a_page_view_hidden_twice_stores_its_final_value_once(settling):
    pv = secrets.token_hex(8)
    send(
        settling,
        beacon(
            pv,
            0,
            [{"k": "vital", "n": "CLS", "v": 0.02, "r": 1}, {"k": "vital", "n": "INP", "v": 104, "r": 1}],
        ),
        beacon(
            pv,
            1,
            [{"k": "vital", "n": "CLS", "v": 0.4, "r": 1}, {"k": "vital", "n": "INP", "v": 608, "r": 1}],
        ),
        beacon(
            pv,
            2,
            [{"k": "vital", "n": "CLS", "v": 1.5, "r": 2}, {"k": "vital", "n": "INP", "v": 608, "r": 2}],
            last=True,
        ),
    )
    wait_until(lambda: values(settling, pv, "CLS") and values(settling, pv, "INP"), timeout=30)
    assert values(settling, pv, "CLS") == [1.5]
    assert values(settling, pv, "INP") == [608]
    # Every report is kept where it waited, with the marker of its settling.
    reports = settling.sql(
        f"SELECT name, value, final, settled FROM rumhouse.vital_updates WHERE page_view_id = '{pv}' "
        "ORDER BY name, settled, value"
    )
    assert [(r["name"], r["value"], r["final"], r["settled"]) for r in reports] == [
        ("CLS", 0.02, 0, 0),
        ("CLS", 0.4, 0, 0),
        ("CLS", 1.5, 1, 0),
        ("CLS", 0, 0, 1),
        ("INP", 104, 0, 0),
        ("INP", 608, 0, 0),
        ("INP", 608, 1, 0),
        ("INP", 0, 0, 1),
    ]


def test_without_a_final_report_the_latest_one_counts_after_the_wait(settling):
    pv = secrets.token_hex(8)
    send(
        settling,
        beacon(pv, 0, [{"k": "vital", "n": "INP", "v": 312, "r": 1}]),
        beacon(pv, 1, [{"k": "vital", "n": "INP", "v": 104, "r": 1}]),
    )
    sent = time.monotonic()
    wait_until(lambda: values(settling, pv, "INP"), timeout=30)
    assert time.monotonic() - sent >= SETTLE_AFTER - 0.5  # it waited for a later report
    assert values(settling, pv, "INP") == [104]  # the latest report, not the largest
    # The tab came back after the page view settled: that report is kept aside, never a second row.
    send(settling, beacon(pv, 2, [{"k": "vital", "n": "INP", "v": 900, "r": 2}], last=True))
    time.sleep(1.5)
    assert values(settling, pv, "INP") == [104]


def test_old_snippets_values_go_straight_in_and_repeats_are_dropped(settling):
    pv = secrets.token_hex(8)
    send(settling, beacon(pv, 0, [{"k": "vital", "n": "CLS", "v": 0.1}]))
    send(settling, beacon(pv, 1, [{"k": "vital", "n": "CLS", "v": 0.3}], last=True))
    wait_until(lambda: values(settling, pv, "CLS"), timeout=30)
    time.sleep(1)
    assert values(settling, pv, "CLS") == [0.1]


def test_rollups_agree_with_the_raw_rows_and_the_accounting_holds(settling):
    # After the tests above (module order): every settled value is counted once in the hourly rollup.
    raw = settling.sql(
        "SELECT name, count() AS n FROM rumhouse.vitals WHERE site = 'demo' GROUP BY name ORDER BY name"
    )
    rolled = settling.sql(
        "SELECT name, sum(samples) AS n FROM rumhouse.vitals_hourly WHERE site = 'demo' AND dimension = '' "
        "GROUP BY name ORDER BY name"
    )
    assert raw == rolled and raw
    raw_p75 = settling.scalar("SELECT quantileExact(0.75)(value) FROM rumhouse.vitals WHERE name = 'INP'")
    assert raw_p75 in (104, 608)
    settling.sql("SELECT 1")
    assert_accounting(settling)
    stored = beacon_rows(settling, "vitals") + beacon_rows(settling, "vital_updates")
    inserted = settling.metric("rumhouse_rows_inserted_total", table="vitals") + settling.metric(
        "rumhouse_rows_inserted_total", table="vital_updates"
    )
    assert stored == inserted


def test_attribution_fields_land_in_their_columns(settling):
    pv = secrets.token_hex(8)
    events = [
        {
            "k": "vital",
            "n": "LCP",
            "v": 2400,
            "a": "img#hero",
            "p": [300, 200, 1500, 400],
            "u": "https://cdn.example/hero.jpg?v=3",
        },
        {"k": "vital", "n": "FCP", "v": 900, "p": [300], "l": "dom-interactive"},
        {
            "k": "vital",
            "n": "INP",
            "v": 296,
            "a": "button#buy",
            "e": "pointerup",
            "l": "complete",
            "p": [16, 200, 80],
            "s": ["https://shop.example/app.js?x=1", "onBuy", "BUTTON#buy.onclick", 190],
        },
        {"k": "vital", "n": "CLS", "v": 0.3, "a": "div.banner", "p": [0.25, 1200], "l": "complete"},
        {"k": "vital", "n": "TBT", "v": 420},
    ]
    send(settling, beacon(pv, 0, events, last=True))
    wait_until(lambda: len(settling.sql(f"SELECT 1 FROM rumhouse.vitals WHERE page_view_id = '{pv}'")) == 5)
    rows = {
        r["name"]: r
        for r in settling.sql(
            "SELECT name, attribution, event_type, load_state, ttfb_ms, load_delay_ms, load_duration_ms, "
            "render_delay_ms, resource_url, input_delay_ms, processing_ms, presentation_ms, script_url, "
            "script_function, script_invoker, script_ms, shift_value, shift_time_ms "
            f"FROM rumhouse.vitals WHERE page_view_id = '{pv}'"
        )
    }
    lcp, inp, cls, fcp = rows["LCP"], rows["INP"], rows["CLS"], rows["FCP"]
    assert (lcp["ttfb_ms"], lcp["load_delay_ms"], lcp["load_duration_ms"], lcp["render_delay_ms"]) == (
        300,
        200,
        1500,
        400,
    )
    assert lcp["resource_url"] == "https://cdn.example/hero.jpg" and lcp["attribution"] == "img#hero"
    assert lcp["input_delay_ms"] is None and lcp["shift_value"] is None
    assert (fcp["ttfb_ms"], fcp["load_state"], fcp["load_delay_ms"]) == (300, "dom-interactive", None)
    assert (inp["attribution"], inp["event_type"], inp["load_state"]) == (
        "button#buy",
        "pointerup",
        "complete",
    )
    assert (inp["input_delay_ms"], inp["processing_ms"], inp["presentation_ms"]) == (16, 200, 80)
    assert (inp["script_url"], inp["script_function"], inp["script_invoker"], inp["script_ms"]) == (
        "https://shop.example/app.js",
        "onBuy",
        "BUTTON#buy.onclick",
        190,
    )
    assert inp["ttfb_ms"] is None
    assert (cls["attribution"], cls["shift_value"], cls["shift_time_ms"]) == ("div.banner", 0.25, 1200)
    assert rows["TBT"]["attribution"] == ""


def test_old_snippets_attribution_is_split_into_element_and_event(settling):
    pv = secrets.token_hex(8)
    events = [
        {"k": "vital", "n": "INP", "v": 104, "a": "click button#buy"},
        {"k": "vital", "n": "FID", "v": 3, "a": "keydown"},
    ]
    send(settling, beacon(pv, 0, events, last=True))
    wait_until(lambda: len(settling.sql(f"SELECT 1 FROM rumhouse.vitals WHERE page_view_id = '{pv}'")) == 2)
    rows = settling.sql(
        f"SELECT name, attribution, event_type FROM rumhouse.vitals WHERE page_view_id = '{pv}' ORDER BY name"
    )
    assert rows == [
        {"name": "FID", "attribution": "", "event_type": "keydown"},
        {"name": "INP", "attribution": "button#buy", "event_type": "click"},
    ]


class FailingOnce:
    """The embedded store, except that the first insert into `table` fails: a settling pass cut short."""

    def __init__(self, store, table: str) -> None:
        self.store, self.table, self.failed = store, table, False

    def query(self, *args, **kwargs):
        return self.store.query(*args, **kwargs)

    def insert(self, table, columns, data, **kwargs):
        if table == self.table and not self.failed:
            self.failed = True
            raise StoreError("injected: the store went away")
        return self.store.insert(table, columns, data, **kwargs)


def test_a_pass_cut_short_is_finished_without_doubling_a_row(clickhouse_http):
    store = ServerStore(clickhouse_http.url)
    migrate(store)
    pv_id = secrets.token_hex(8)
    now = time.time()
    dims = ("cut", pv_id, "h", "/p", "Chrome", "Linux", "desktop", "", "4g", "", "navigate")
    view = PageView(dims, now - 60, now - 30, 0, "", "", "")
    rows = [
        vital_update_row(view, Vital(n="CLS", v=0.5, r=1), 0),
        vital_update_row(view, Vital(n="CLS", v=0.7, r=2), 1),
    ]
    store.insert("rumhouse.vital_updates", COLUMNS["vital_updates"], encode_rows(rows))
    metrics = Metrics()
    cut = Settler(FailingOnce(store, "rumhouse.vital_updates"), metrics, after=60, interval=0)
    with pytest.raises(StoreError):
        cut.settle(now)  # the value went into vitals, its marker did not
    again = Settler(store, metrics, after=60, interval=0)
    assert again.settle(now) == 0
    assert again.settle(now) == 0
    stored = store.query(
        "SELECT value FROM rumhouse.vitals WHERE site = 'cut' AND page_view_id = {p:String}", {"p": pv_id}
    ).rows
    assert stored == [[0.7]]
