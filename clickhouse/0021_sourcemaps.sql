-- Source maps a site uploads (`rumhouse sourcemaps upload`, PUT /api/v1/sourcemaps): per script URL (without
-- its query string, as error stacks are stored) and release ('' for any), the map's JSON. An error's stack
-- is read back through them (errors/sourcemaps.py): the original file, line and function of each frame.
-- The newest upload of a URL and release wins.

CREATE TABLE IF NOT EXISTS rumhouse.sourcemaps
(
    site LowCardinality(String) COMMENT 'Site key',
    url String COMMENT 'The minified script''s URL, without query string and fragment',
    release String COMMENT 'The release the map belongs to; empty: any release',
    map String CODEC(ZSTD(3)) COMMENT 'The source map (JSON, version 3)',
    uploaded_by String COMMENT 'Token id that uploaded it',
    uploaded_at DateTime64(3, 'UTC') COMMENT 'When it was uploaded',
    version UInt64 COMMENT 'Row version (us since epoch): the newest row wins'
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (site, url, release)
COMMENT 'Source maps, to read minified error stacks back as the original code';
