//! Black-box, crash and simulation tests of Leadline across its crates.
//! The tests live in `tests/`; binaries they drive live in `src/bin/`.
