"""`rumhouse serve`, except that the store fails while a flag file exists: the fault is injected at the
storage boundary, everything else is the real server.

    RUMHOUSE_TEST_FAIL_FILE=/tmp/down python tests/support/faulty_server.py --port 8123
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import uvicorn

from rumhouse.app import create_app
from rumhouse.runtime import open_store
from rumhouse.settings import Settings
from rumhouse.store.base import StoreError


class SwitchableStore:
    """The real store, down (every call raises StoreError) while `flag` exists."""

    def __init__(self, store, flag: Path) -> None:
        self.store = store
        self.flag = flag

    def _check(self) -> None:
        if self.flag.exists():
            raise StoreError("injected fault: the store is down")

    def insert(self, *args, **kwargs):
        self._check()
        return self.store.insert(*args, **kwargs)

    def query(self, *args, **kwargs):
        self._check()
        return self.store.query(*args, **kwargs)

    def query_raw(self, *args, **kwargs):
        self._check()
        return self.store.query_raw(*args, **kwargs)

    def command(self, *args, **kwargs):
        self._check()
        return self.store.command(*args, **kwargs)

    def close(self) -> None:
        self.store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args()
    settings = Settings.from_env()
    store = SwitchableStore(open_store(settings), Path(os.environ["RUMHOUSE_TEST_FAIL_FILE"]))
    app = create_app(settings, store=store)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level=args.log_level, timeout_keep_alive=5)


if __name__ == "__main__":
    main()
