//! What kind of token to issue, and what a bound token may be bound to. The flags that pick
//! them live in `cli.rs`.

/// A bound token (TokenRequest API) or a Secret-based one (the tokens controller).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TokenType {
    /// Expires; issued by the TokenRequest API.
    #[default]
    Bound,
    /// Never expires; kept in a Secret of type kubernetes.io/service-account-token.
    Secret,
}

impl TokenType {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenType::Bound => "bound",
            TokenType::Secret => "secret",
        }
    }
}

/// The objects a bound token can be bound to (TokenRequest's `boundObjectRef.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoundObjectKind {
    Node,
    Pod,
    Secret,
}

impl BoundObjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BoundObjectKind::Node => "Node",
            BoundObjectKind::Pod => "Pod",
            BoundObjectKind::Secret => "Secret",
        }
    }
}
