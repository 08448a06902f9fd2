//! Leadline's domain: campaigns, leads, calls and every rule they follow.
//!
//! Pure code: no IO, no async, no storage, no wall clock. Time is always an
//! argument, so every rule can be tested at any instant.
