//! What the commands are made of: finding the source context and a client for it, onboarding
//! a ServiceAccount, issuing a token and the kubeconfig entries that carry it, verifying them,
//! finding the contexts this tool created, and confirming a revocation. Services sit on
//! `token`, `kubeconfig`, `credentials` and `record`, never on the commands.

pub mod issued_kubeconfig;
pub mod issuing;
pub mod managed;
pub mod onboard;
pub mod revocation;
pub mod source;
pub mod verify;
