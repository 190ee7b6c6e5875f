-- What the page says about itself (rum.js 0.2): a label naming the kind of page (`rumhouse.label("product")`,
-- so that /p/123 and /p/456 compare as one page), a few custom dimensions (`rumhouse.set("plan", "pro")`, at
-- most 10, stored as a Map), on the page view and on every event row, as each beacon carried them; and the
-- share of page loads the snippet measured (`data-sample`), so that counts can be weighted (1 / rate).
-- Rows from older snippets have an empty label and map, and a rate of 1.

ALTER TABLE rumhouse.page_views
    ADD COLUMN IF NOT EXISTS label LowCardinality(String) COMMENT 'The page''s label from rumhouse.label(), empty when none (as of the page view''s first beacon)',
    ADD COLUMN IF NOT EXISTS custom Map(LowCardinality(String), String) COMMENT 'Custom dimensions from rumhouse.set(key, value), at most 10 (as of the page view''s first beacon)',
    ADD COLUMN IF NOT EXISTS sample_rate Float32 DEFAULT 1 COMMENT 'Share of page loads measured (data-sample, 0 to 1]: this row stands for 1 / sample_rate page views';

ALTER TABLE rumhouse.vitals
    ADD COLUMN IF NOT EXISTS label LowCardinality(String) COMMENT 'The page''s label when the beacon was sent',
    ADD COLUMN IF NOT EXISTS custom Map(LowCardinality(String), String) COMMENT 'Custom dimensions when the beacon was sent';

ALTER TABLE rumhouse.vital_updates
    ADD COLUMN IF NOT EXISTS label LowCardinality(String) COMMENT 'As in rumhouse.vitals',
    ADD COLUMN IF NOT EXISTS custom Map(LowCardinality(String), String) COMMENT 'As in rumhouse.vitals';

ALTER TABLE rumhouse.errors
    ADD COLUMN IF NOT EXISTS label LowCardinality(String) COMMENT 'The page''s label when the beacon was sent',
    ADD COLUMN IF NOT EXISTS custom Map(LowCardinality(String), String) COMMENT 'Custom dimensions when the beacon was sent';

ALTER TABLE rumhouse.api_calls
    ADD COLUMN IF NOT EXISTS label LowCardinality(String) COMMENT 'The page''s label when the beacon was sent',
    ADD COLUMN IF NOT EXISTS custom Map(LowCardinality(String), String) COMMENT 'Custom dimensions when the beacon was sent';

ALTER TABLE rumhouse.resources
    ADD COLUMN IF NOT EXISTS label LowCardinality(String) COMMENT 'The page''s label when the beacon was sent',
    ADD COLUMN IF NOT EXISTS custom Map(LowCardinality(String), String) COMMENT 'Custom dimensions when the beacon was sent';

ALTER TABLE rumhouse.measures
    ADD COLUMN IF NOT EXISTS label LowCardinality(String) COMMENT 'The page''s label when the beacon was sent',
    ADD COLUMN IF NOT EXISTS custom Map(LowCardinality(String), String) COMMENT 'Custom dimensions when the beacon was sent';
