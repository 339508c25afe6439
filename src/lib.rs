//! kubectl-satoken: a ServiceAccount token turned into a standalone kubeconfig.
//!
//! The binary (`src/main.rs`) is a thin edge over these modules; they are a library so
//! that integration tests and the completion generator share the same definitions.

pub mod cli;
pub mod complete;
pub mod completion;
pub mod create;
pub mod credentials;
pub mod duration;
pub mod escape;
pub mod handout;
pub mod jwt;
pub mod kubeconfig;
pub mod lifecycle;
pub mod names;
pub mod onboard;
pub mod progress;
mod read_limit;
pub mod record;
pub mod redact;
pub mod response_limits;
pub mod source;
pub mod standalone;
pub mod token;
pub mod verbose;
pub mod verify;
