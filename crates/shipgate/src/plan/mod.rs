//! Release-train scheduling.
