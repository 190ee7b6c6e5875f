"""Reports people file, share or mail: the weekly and monthly performance report (performance.py) and its
route (routes.py)."""
