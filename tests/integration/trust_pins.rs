//! Pins fail loudly and safely.
