"""rumhouse: self-hosted Real User Monitoring for the browser, on ClickHouse."""

__version__ = "0.2.0.dev0"
