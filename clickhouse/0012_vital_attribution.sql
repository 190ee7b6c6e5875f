-- The attribution behind each Web Vital (rum.js 0.2): the columns web-vitals' attribution build
-- reports, so that "LCP is slow" leads to which part of it, "INP is slow" to which phase and which script,
-- "CLS is high" to which element and when. Each column is filled for the metrics named in its comment
-- and is NULL (numbers) or empty (strings) for the others, and for rows sent by older snippets.
-- `attribution` (0002_vitals.sql) stays the element: the LCP element, the INP target, the source of the
-- largest layout shift.
--
-- vital_updates: CLS and INP change over a page view's whole life, so the snippet reports them at every
-- hide (the last moment a mobile browser surely gives) and once more, for good, when the page view ends.
-- A plain quantile over rumhouse.vitals must still count each page view once: those reports wait here,
-- and one row per page view and metric goes into rumhouse.vitals when its value is final (the final
-- report arrived, or none came for RUMHOUSE_SETTLE_AFTER seconds: the tab was closed or killed without
-- one). settle.py does that; docs/snippet.md says what it costs.

ALTER TABLE rumhouse.vitals
    ADD COLUMN IF NOT EXISTS event_type LowCardinality(String) COMMENT 'INP and FID: the event type of the interaction (click, keydown, pointerdown, ...)',
    ADD COLUMN IF NOT EXISTS load_state LowCardinality(String) COMMENT 'INP, CLS, FCP, FID: the document''s loading state then (loading, dom-interactive, dom-content-loaded, complete)',
    ADD COLUMN IF NOT EXISTS ttfb_ms Nullable(Float64) COMMENT 'LCP and FCP: time to first byte, the first part of the value',
    ADD COLUMN IF NOT EXISTS load_delay_ms Nullable(Float64) COMMENT 'LCP: resource load delay, first byte to the start of the LCP resource''s load (0 for text)',
    ADD COLUMN IF NOT EXISTS load_duration_ms Nullable(Float64) COMMENT 'LCP: resource load duration (0 for text)',
    ADD COLUMN IF NOT EXISTS render_delay_ms Nullable(Float64) COMMENT 'LCP: element render delay, from the resource loaded to the paint; the four LCP parts add up to the value',
    ADD COLUMN IF NOT EXISTS resource_url String COMMENT 'LCP: URL of the image or video behind it (no query string), empty for text',
    ADD COLUMN IF NOT EXISTS input_delay_ms Nullable(Float64) COMMENT 'INP: input delay, from the input to its first event handler',
    ADD COLUMN IF NOT EXISTS processing_ms Nullable(Float64) COMMENT 'INP: processing duration, the event handlers',
    ADD COLUMN IF NOT EXISTS presentation_ms Nullable(Float64) COMMENT 'INP: presentation delay, from the handlers to the next paint; the three INP parts add up to the value',
    ADD COLUMN IF NOT EXISTS script_url String COMMENT 'INP: source URL of the longest script run during the interaction (Long Animation Frames API), no query string',
    ADD COLUMN IF NOT EXISTS script_function String COMMENT 'INP: that script''s function name, when the browser gives one',
    ADD COLUMN IF NOT EXISTS script_invoker String COMMENT 'INP: what invoked that script (BUTTON#buy.onclick, TimerHandler:setTimeout, ...)',
    ADD COLUMN IF NOT EXISTS script_ms Nullable(Float64) COMMENT 'INP: how long that script ran',
    ADD COLUMN IF NOT EXISTS shift_value Nullable(Float64) COMMENT 'CLS: score of the largest layout shift in the worst session window',
    ADD COLUMN IF NOT EXISTS shift_time_ms Nullable(Float64) COMMENT 'CLS: when that shift happened, ms after the page view started';

CREATE TABLE IF NOT EXISTS rumhouse.vital_updates
(
    {event_columns},
    {vital_columns},
    seq UInt32 COMMENT 'Number of the beacon that carried this report; the latest report of a page view is the one that counts',
    final UInt8 COMMENT '1 for the page view''s final report (its value goes into rumhouse.vitals at the next settle)',
    settled UInt8 DEFAULT 0 COMMENT '1 on the marker row written once the value went into rumhouse.vitals; later reports are ignored',
    received DateTime64(3) COMMENT 'When the report arrived (server clock)',
    INDEX received_minmax received TYPE minmax GRANULARITY 1
)
ENGINE = MergeTree
PARTITION BY toDate(time)
ORDER BY (site, page_view_id, name)
TTL toDateTime(time) + INTERVAL {retention_days} DAY
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'CLS and INP reports that may still change, waiting for their page view''s final value (settle.py)';
