//! kubectl-satoken: a ServiceAccount token turned into a standalone kubeconfig.
//!
//! The binary (`src/main.rs`) is a thin edge over these modules; they are a library so
//! that integration tests and the completion generator share the same definitions.
//!
//! Layers, each using only those below it:
//! - `cli` (the flags) and `commands` (one module per subcommand);
//! - `services`: source context and client, onboarding, issuing, verifying, the contexts this
//!   tool created, revocation;
//! - `token`, `kubeconfig`, `credentials` (what a user entry sends), `record` (what this tool
//!   writes on its contexts);
//! - utilities: `duration`, `escape`, `jwt`, `names`, `progress`, `read_limit`, `redact`,
//!   `response_limits`, `verbose`.

pub mod cli;
pub mod commands;
pub mod credentials;
pub mod duration;
pub mod escape;
pub mod jwt;
pub mod kubeconfig;
pub mod names;
pub mod progress;
mod read_limit;
pub mod record;
pub mod redact;
pub mod response_limits;
pub mod services;
pub mod token;
pub mod verbose;

#[cfg(test)]
mod layering;
