-- Leases: at most one holder per name until its time runs out (the event relay takes one per
-- consumer, so one replica of many delivers).
CREATE TABLE leases (
    name       text PRIMARY KEY,
    holder     text NOT NULL,
    expires_at timestamptz NOT NULL
);
