//! Read models folded from the event log.
//!
//! Every read model here is derived from the log alone and can be thrown
//! away and rebuilt; a rebuild gives exactly what incremental folding gave.
