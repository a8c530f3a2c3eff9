-- 010_key_rotation.sql: the pseudonymisation keys retire (`iscgobs key rotate`,
-- docs/privacy.md "Key rotation"): at most one key is current, the others carry the moment
-- of their retirement. A database where the key file was replaced by hand before this
-- version holds several keys: the newest is the current one.
ALTER TABLE pseudonym_key ADD COLUMN retired_at timestamptz;
UPDATE pseudonym_key SET retired_at = now()
 WHERE id <> (SELECT max(id) FROM pseudonym_key);
CREATE UNIQUE INDEX pseudonym_key_one_current ON pseudonym_key ((true)) WHERE retired_at IS NULL;
