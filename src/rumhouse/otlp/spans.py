"""An ExportTraceServiceRequest -> rows of rumhouse.otel_traces (tables.COLUMNS), as the Collector's
ClickHouse exporter would write them, with the site from the ingest token and statements sanitized."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import orjson

from rumhouse.otlp.statements import sanitize
from rumhouse.otlp.values import SPAN_KINDS, STATUS_CODES, any_value, attributes, nanos

SITE_ATTRIBUTE = "rumhouse.site"
STATEMENT_KEYS = ("db.query.text", "db.statement")
# What an AI call was asked and answered (an instrumentation sends it when told to capture content): never
# stored. What was asked is kept as a hash of its whole text (instructions and messages, with the model),
# so that identical prompts can be counted (budgets/ai_suggestions.py, caching) without being read.
PROMPT_KEYS = ("gen_ai.system_instructions", "gen_ai.input.messages", "gen_ai.prompt")
CONTENT_KEYS = (*PROMPT_KEYS, "gen_ai.output.messages", "gen_ai.completion", "gen_ai.tool.call.arguments",
                "gen_ai.tool.call.result")  # fmt: skip
CONTENT_PREFIXES = ("gen_ai.prompt.", "gen_ai.completion.")  # gen_ai.prompt.0.content, ... (older)
PROMPT_HASH = "rumhouse.prompt_hash"


_CONTENT = frozenset(CONTENT_KEYS)
# The older per-message keys (gen_ai.prompt.0.content) come with these on the span: only then are the keys
# searched by prefix (every span passes here: the common case costs two set lookups in C, not a loop).
_GEN_AI_MARKERS = frozenset(
    ("gen_ai.system", "gen_ai.provider.name", "gen_ai.request.model", "gen_ai.operation.name")
)


def _is_content(key: str) -> bool:
    return key in _CONTENT or key.startswith(CONTENT_PREFIXES)


def _without_content(raw, kept: dict[str, str]) -> dict[str, str]:
    """`kept` (the attributes as stored) without prompts and answers; a span that had a prompt gets its
    hash, made from the full values of `raw` (the span's own attributes, before any value was cut)."""
    if _CONTENT.isdisjoint(kept) and (_GEN_AI_MARKERS.isdisjoint(kept) or not any(map(_is_content, kept))):
        return kept
    asked = sorted(
        (kv.key, kv.value.string_value if kv.value.HasField("string_value") else any_value(kv.value))
        for kv in raw
        if kv.key in PROMPT_KEYS or kv.key.startswith(CONTENT_PREFIXES[0])
    )
    out = {key: value for key, value in kept.items() if not _is_content(key)}
    if asked:
        model = kept.get("gen_ai.request.model", "")
        out[PROMPT_HASH] = hashlib.sha256(orjson.dumps([model, asked])).hexdigest()[:32]
    return out


@dataclass
class Converted:
    rows: list[tuple] = field(default_factory=list)
    rejected: int = 0
    reason: str = ""  # of the first rejection, for partial_success.error_message

    def reject(self, why: str) -> None:
        self.rejected += 1
        self.reason = self.reason or why


def span_rows(request, site: str) -> Converted:
    out = Converted()
    for resource_spans in request.resource_spans:
        resource = attributes(resource_spans.resource.attributes, {SITE_ATTRIBUTE: site})
        service = resource.get("service.name", "")
        for scope_spans in resource_spans.scope_spans:
            scope = scope_spans.scope
            for span in scope_spans.spans:
                if len(span.trace_id) != 16 or not any(span.trace_id):
                    out.reject("a span's trace_id must be 16 bytes, not all zero")
                    continue
                if len(span.span_id) != 8 or not any(span.span_id):
                    out.reject("a span's span_id must be 8 bytes, not all zero")
                    continue
                start, end = span.start_time_unix_nano, span.end_time_unix_nano
                if not start:
                    out.reject("a span needs its start_time_unix_nano")
                    continue
                span_attributes = _without_content(span.attributes, attributes(span.attributes))
                for key in STATEMENT_KEYS:
                    if key in span_attributes:
                        span_attributes[key] = sanitize(span_attributes[key])
                events, links = span.events, span.links
                out.rows.append(
                    (
                        nanos(start),
                        span.trace_id.hex(),
                        span.span_id.hex(),
                        span.parent_span_id.hex(),
                        span.trace_state[:1024],
                        span.name[:1024],
                        SPAN_KINDS[span.kind] if 0 <= span.kind < len(SPAN_KINDS) else "Unspecified",
                        service,
                        resource,
                        scope.name,
                        scope.version,
                        span_attributes,
                        max(0, end - start),
                        STATUS_CODES[span.status.code] if 0 <= span.status.code < 3 else "Unset",
                        span.status.message[:4096],
                        [nanos(e.time_unix_nano) for e in events],
                        [e.name[:1024] for e in events],
                        [_without_content((), attributes(e.attributes)) for e in events],
                        [link.trace_id.hex() for link in links],
                        [link.span_id.hex() for link in links],
                        [link.trace_state for link in links],
                        [attributes(link.attributes) for link in links],
                    )
                )
    return out
