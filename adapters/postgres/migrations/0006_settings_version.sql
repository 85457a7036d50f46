-- Pricing settings carry a version that every write checks and moves on, so a write based on
-- settings that changed after they were read is refused instead of silently undoing the change.
-- Settings saved before this migration start at 1: version 0 means "never saved", and a writer
-- who read the defaults must not overwrite settings someone has saved since. The column is the
-- authority over any version inside the JSON document.
ALTER TABLE pricing_settings ADD COLUMN version bigint NOT NULL DEFAULT 1 CHECK (version >= 1);
