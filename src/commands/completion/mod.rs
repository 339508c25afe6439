//! Shell completion: the scripts for `kubectl-satoken completion SHELL` (`scripts`), and the
//! candidates for a word being completed, kubectl's `__complete` protocol (`candidates`).

pub mod candidates;
mod scripts;

pub use scripts::{COMMITTED, write};
