-- When each year's indicators last changed: the date a protected answer gives ("données au",
-- the JSON "as_of"), stable across restarts and equal for every reader of one generation.
-- Set by a trigger so that every statement bumping a generation sets it too.
ALTER TABLE agg_generation ADD COLUMN changed_at timestamptz NOT NULL DEFAULT now();

CREATE FUNCTION agg_generation_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.changed_at := now();
    RETURN NEW;
END $$;

CREATE TRIGGER agg_generation_changed BEFORE INSERT OR UPDATE OF gen ON agg_generation
    FOR EACH ROW EXECUTE FUNCTION agg_generation_touch();
