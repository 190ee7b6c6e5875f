"""An error in minified code, read back as the original: a page in Chromium runs a bundle esbuild made
(minified, with its source map) from a small original file; rum.js reports the TypeError with its stack;
`rumhouse sourcemaps upload` sends the map; GET /api/v1/errors/{fingerprint} shows the stack's top frame in
the original file, on the line where the original code reads the property of undefined."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from support.chromium import TALL
from support.server import ADMIN_TOKEN, REPO

from .conftest import USER_AGENT
from .helpers import leave, painted, q, views, wait_for
from .pages import ON_LOAD
from .site import Page

pytestmark = pytest.mark.browser

ESBUILD = REPO / "snippet" / "node_modules" / ".bin" / "esbuild"
ORIGINAL = """// The shop's checkout, as its developers wrote it.
function applyDiscount(cart) {
  const total = cart.items.reduce((sum, item) => sum + item.price, 0);
  return total * cart.coupon.rate;
}

window.checkout = function checkout() {
  return applyDiscount({ items: [{ price: 3 }, { price: 4 }] });
};
"""
FAILING_LINE = 4  # `cart.coupon.rate`: coupon is undefined


def test_a_minified_stack_reads_back_as_the_original_code(rumhouse, site, browser, tmp_path):
    (tmp_path / "shop.js").write_text(ORIGINAL, encoding="utf-8")
    subprocess.run(
        [str(ESBUILD), "shop.js", "--bundle", "--minify", "--sourcemap", "--outfile=app.min.js", "--log-level=warning"],
        cwd=tmp_path, check=True,
    )  # fmt: skip
    bundle = (tmp_path / "app.min.js").read_text(encoding="utf-8")
    assert "applyDiscount" not in bundle  # minified: the name is gone
    site.scripts["/static/app.min.js"] = bundle
    site.pages["/sourcemap/"] = Page(
        head=ON_LOAD + '<script src="/static/app.min.js"></script>',
        body="<h1>Checkout</h1><script>onLoad(function () { setTimeout(function () { checkout() }, 0) })</script>",
        reference=False,
    )
    context = browser.new_context(user_agent=USER_AGENT)
    page = context.new_page()
    try:
        page.goto(site.origin + "/sourcemap/")
        painted(page)
        page.wait_for_timeout(200)
        leave(page, site)
    finally:
        context.close()
    (view,) = views(rumhouse, "/sourcemap/")
    [error] = wait_for(
        lambda: rumhouse.sql(
            "SELECT toString(fingerprint) AS fp, message, stack FROM rumhouse.errors"
            f" WHERE page_view_id = {q(view['page_view_id'])}"
        )
    )
    assert "rate" in error["message"] and "app.min.js" in error["stack"]

    script_url = f"{site.origin}/static/app.min.js"
    done = subprocess.run(
        [sys.executable, "-m", "rumhouse", "sourcemaps", "upload", str(tmp_path / "app.min.js.map"),
         "--site", "demo", "--script-url", script_url, "--url", rumhouse.url],
        env={**os.environ, "RUMHOUSE_ADMIN_TOKEN": ADMIN_TOKEN, "PYTHONPATH": str(REPO / "src")},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "1 sources" in done.stdout

    answer = rumhouse.client.get(
        f"/api/v1/errors/{error['fp']}",
        params={
            "site": "demo",
            "from": str(int(time.time() * 1000) - 3_600_000),
            "to": str(int(time.time() * 1000) + 60_000),
        },
        headers={"authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert answer.status_code == 200, answer.text
    detail = answer.json()
    assert detail["occurrences"] >= 1 and detail["paths"][0]["value"] == "/sourcemap/"
    [sample] = [s for s in detail["samples"] if s["page_view_id"] == view["page_view_id"]]
    assert sample["mapped"]
    top = sample["frames"][0]
    assert top["url"] == script_url
    assert top["original"]["source"].endswith("shop.js") and top["original"]["line"] == FAILING_LINE
    # The frame that called it: the original checkout function, on its line.
    callers = [f["original"] for f in sample["frames"][1:] if f["original"]]
    assert any(c["line"] == ORIGINAL.splitlines().index("  return applyDiscount({ items: [{ price: 3 }, { price: 4 }] });") + 1
               for c in callers)  # fmt: skip
    # On the dashboard: the error's message opens it whole, its frames in the original code.
    board_context = browser.new_context(user_agent=USER_AGENT, viewport={"width": 1440, "height": TALL})
    try:
        board = board_context.new_page()
        board.goto(f"{rumhouse.url}/?site=demo&range=1h&path=/sourcemap/")
        board.fill("#token", ADMIN_TOKEN)
        board.click("#sign-in button[type=submit]")
        board.wait_for_selector("body[data-state='ready']", state="attached")
        board.click(f'[data-table=errors] button[data-error-open="{error["fp"]}"]')
        original = board.locator("#error-view .original").first
        original.wait_for()
        assert "shop.js:4:" in original.inner_text()
        board.locator("#error-view").screenshot(
            path=str(REPO / "test-artifacts" / "dashboard" / "17-error-1440.png")
        )
    finally:
        board_context.close()
    # Refusals: not a map, not an admin.
    bad = rumhouse.client.put(
        "/api/v1/sourcemaps", params={"site": "demo", "url": script_url}, content=b"{}",
        headers={"authorization": f"Bearer {ADMIN_TOKEN}"},
    )  # fmt: skip
    assert bad.status_code == 400 and "source map" in bad.text
