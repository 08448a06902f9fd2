//! The server's limits live with every other limit in [`crate::limits`];
//! this path stays so that the server's modules name them where they are.

pub use crate::limits::*;
