//! The Leadline server, dialer and admin CLI, as a library: the `leadline`
//! binary is a thin command-line front over it, and the tests drive the
//! same code (the dialer with a virtual clock).

pub mod checks;
pub mod cli;
pub mod config;
pub mod dialer;
pub mod forecast;
pub mod limits;
pub mod server;
pub mod signing;
pub mod subscriptions;
pub mod write;
