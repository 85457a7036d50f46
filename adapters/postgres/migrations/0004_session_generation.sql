-- Session generation: access tokens carry the value they were issued at and are refused once it
-- moves on (password change or reset, role or status change). Existing accounts start at 0, which
-- is also what tokens issued before this migration carry, so upgrading signs nobody out.
ALTER TABLE users ADD COLUMN session_generation bigint NOT NULL DEFAULT 0;
