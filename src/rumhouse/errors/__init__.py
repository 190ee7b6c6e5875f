"""Errors one by one: a fingerprint's whole story (occurrences, pages, browsers, releases, recent stacks) with
its stack frames read back through the source maps a site uploads (sourcemaps.py, stacks.py, routes.py)."""
