//! Windows, blackouts, recurrences and time zones.
