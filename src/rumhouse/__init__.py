"""rumhouse: self-hosted Real User Monitoring for the browser, on ClickHouse."""

__version__ = "0.1.0"
