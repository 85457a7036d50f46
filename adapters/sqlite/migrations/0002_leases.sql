-- Leases: at most one holder per name until its time runs out (the event relay takes one per
-- consumer, so one process of many delivers). Times are fixed-width UTC text, which sorts as time.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
