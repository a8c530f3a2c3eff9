-- 009: a grid may now be uploaded as a spreadsheet (.xlsx, .ods; issue 15): the upload
-- history records that format too.
ALTER TABLE upload DROP CONSTRAINT IF EXISTS upload_format_check;
ALTER TABLE upload ADD CONSTRAINT upload_format_check
    CHECK (format IN ('csv', 'xml', 'xlsx', 'ods'));
