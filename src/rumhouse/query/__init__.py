"""Questions to the store that more than one part asks: filters.py (site, window, dimensions -> SQL)."""
