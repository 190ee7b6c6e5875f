"""Dependencies: what services and pages call, their availability and latency against the targets the
configuration sets (sla.py), the dependency map and the dependency failing services share (routes.py)."""
