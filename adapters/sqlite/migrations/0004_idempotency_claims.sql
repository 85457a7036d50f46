-- Idempotency keys are claimed before a request moves money and completed in the write that
-- stores its effect: `holder` and `lease_until` are set while the request is in flight,
-- `completed_at` once its effect is stored. Keys recorded before this migration were all
-- completed (checkout wrote them with its order).
ALTER TABLE idempotency_keys ADD COLUMN holder TEXT;
ALTER TABLE idempotency_keys ADD COLUMN lease_until TEXT;
ALTER TABLE idempotency_keys ADD COLUMN completed_at TEXT;
UPDATE idempotency_keys SET completed_at = created_at;
