"""A ClickHouse server older than 26.8 has no parseQueryToJSON: people's SQL says so, and runs nothing.
The fault is injected at the store boundary, with the error text such a server sends."""

import pytest

from rumhouse.settings import SqlLimits
from rumhouse.store.base import StoreError
from rumhouse.usersql.run import EngineTooOld, prepare


class OldServer:
    def __init__(self):
        self.ran = []

    def query(self, sql, params=None, **kwargs):
        self.ran.append(sql)
        raise StoreError(
            "Code: 46. DB::Exception: Function with name `parseQueryToJSON` does not exist. "
            "(UNKNOWN_FUNCTION) (version 25.8.29.51)"
        )


def test_an_old_server_is_named_as_the_reason_and_nothing_runs():
    store = OldServer()
    with pytest.raises(EngineTooOld, match=r"ClickHouse 26\.8 or newer"):
        prepare(store, "SELECT count() FROM rumhouse.vitals", SqlLimits())
    assert len(store.ran) == 1 and "parseQueryToJSON" in store.ran[0]
