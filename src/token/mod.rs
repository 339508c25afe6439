//! Issuing a token for a ServiceAccount: bound (TokenRequest API) or Secret-based (the
//! tokens controller fills an annotated Secret).

mod bound;
mod error;
mod issued;
mod kind;
mod revocation_anchor;
mod secret;

pub use bound::{BoundObject, BoundRequest, issue_bound};
pub use error::TokenError;
pub use issued::IssuedToken;
pub use kind::{BoundObjectKind, TokenType};
pub use revocation_anchor::{Deletion, create_anchor, delete_secret};
pub use secret::{SecretRequest, issue_secret};
