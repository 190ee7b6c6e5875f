"""An ExportMetricsServiceRequest -> rows of rumhouse.otel_metrics_gauge, _sum and _histogram
(tables.COLUMNS), as the Collector's ClickHouse exporter would write them, with the site from the ingest
token. Exponential histograms and summaries are not stored yet: their points are rejected, counted, and
named in partial_success."""

from __future__ import annotations

from rumhouse.otlp.spans import SITE_ATTRIBUTE, Converted
from rumhouse.otlp.values import attributes, nanos


def _value(point) -> float:
    return point.as_double if point.WhichOneof("value") == "as_double" else float(point.as_int)


def _exemplars(point) -> tuple[list, list, list, list, list]:
    ex = point.exemplars
    return (
        [attributes(e.filtered_attributes) for e in ex],
        [nanos(e.time_unix_nano) for e in ex],
        [_value(e) for e in ex],
        [e.span_id.hex() for e in ex],
        [e.trace_id.hex() for e in ex],
    )


def metric_rows(request, site: str) -> dict[str, Converted]:
    out = {
        table: Converted() for table in ("otel_metrics_gauge", "otel_metrics_sum", "otel_metrics_histogram")
    }
    skipped = Converted()
    for resource_metrics in request.resource_metrics:
        resource = attributes(resource_metrics.resource.attributes, {SITE_ATTRIBUTE: site})
        service = resource.get("service.name", "")
        resource_schema = resource_metrics.schema_url
        for scope_metrics in resource_metrics.scope_metrics:
            scope = scope_metrics.scope
            head = (
                resource,
                resource_schema,
                scope.name,
                scope.version,
                attributes(scope.attributes),
                scope.dropped_attributes_count,
                scope_metrics.schema_url,
                service,
            )
            for metric in scope_metrics.metrics:
                described = (metric.name[:1024], metric.description[:4096], metric.unit[:64])
                kind = metric.WhichOneof("data")
                if kind == "gauge":
                    for p in metric.gauge.data_points:
                        out["otel_metrics_gauge"].rows.append(
                            (*head, *described, *_point(p), _value(p), p.flags, *_exemplars(p))
                        )
                elif kind == "sum":
                    s = metric.sum
                    for p in s.data_points:
                        out["otel_metrics_sum"].rows.append(
                            (
                                *head,
                                *described,
                                *_point(p),
                                _value(p),
                                p.flags,
                                *_exemplars(p),
                                int(s.aggregation_temporality),
                                s.is_monotonic,
                            )
                        )
                elif kind == "histogram":
                    h = metric.histogram
                    for p in h.data_points:
                        out["otel_metrics_histogram"].rows.append(
                            (
                                *head,
                                *described,
                                *_point(p),
                                p.count,
                                p.sum,
                                list(p.bucket_counts),
                                list(p.explicit_bounds),
                                *_exemplars(p),
                                p.flags,
                                p.min,
                                p.max,
                                int(h.aggregation_temporality),
                            )
                        )
                else:
                    points = getattr(metric, kind).data_points if kind else []
                    for _ in points or [None]:
                        skipped.reject(
                            f"{kind or 'empty'} metrics are not stored (metric {metric.name[:100]!r})"
                        )
    if skipped.rejected:
        out["otel_metrics_gauge"].rejected += skipped.rejected
        out["otel_metrics_gauge"].reason = out["otel_metrics_gauge"].reason or skipped.reason
    return out


def _point(p) -> tuple:
    """A data point's attributes, start and time."""
    return (attributes(p.attributes), nanos(p.start_time_unix_nano), nanos(p.time_unix_nano))
