-- 013_sdmx_extracted.sql: a publication run says as of when its figures are (SDMX
-- Extracted), and runs recorded by serve's background thread say so (trigger 'background').
--
-- Runs are now the publication of a round (aggregator/protect.h): the protection of every
-- year computed in one snapshot, a few seconds behind the latest uploads at most
-- (docs/indicators.md, "Publication lag"). extracted_at is the latest change of the figures
-- the round covers (agg_generation.changed_at); NULL for the runs recorded before.

ALTER TABLE sdmx_publication ADD COLUMN extracted_at timestamptz;

ALTER TABLE sdmx_publication DROP CONSTRAINT sdmx_publication_trigger_check;
ALTER TABLE sdmx_publication ADD CONSTRAINT sdmx_publication_trigger_check
    CHECK (trigger IN ('query', 'export', 'publish', 'background'));
