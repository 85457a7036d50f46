-- Idempotency keys are claimed before a request moves money and completed in the write that
-- stores its effect: `holder` and `lease_until` are set while the request is in flight,
-- `completed_at` once its effect is stored. Keys recorded before this migration were all
-- completed (checkout wrote them with its order).
ALTER TABLE idempotency_keys
    ADD COLUMN holder text,
    ADD COLUMN lease_until timestamptz,
    ADD COLUMN completed_at timestamptz;
UPDATE idempotency_keys SET completed_at = created_at;
ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_in_flight_or_completed
    CHECK ((completed_at IS NULL) = (holder IS NOT NULL AND lease_until IS NOT NULL));
