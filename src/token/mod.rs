//! Issuing a token for a ServiceAccount: bound (TokenRequest API) or Secret-based (the
//! tokens controller fills an annotated Secret).

mod anchor;
mod bound;
mod error;
mod issued;
mod secret;

pub use anchor::{create_anchor, delete_secret};
pub use bound::{BoundObject, BoundRequest, issue_bound};
pub use error::TokenError;
pub use issued::IssuedToken;
pub use secret::{SecretRequest, issue_secret};
