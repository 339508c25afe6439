//! Kubernetes object names, checked before any request, and the default names of the
//! kubeconfig entries this tool creates.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid {what} {name:?}: must be a lowercase RFC 1123 {rule} (at most {max} characters of a-z, 0-9{extra}, starting and ending with a letter or digit)"
)]
pub struct InvalidName {
    what: &'static str,
    name: String,
    rule: &'static str,
    max: usize,
    extra: &'static str,
}

fn is_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A namespace name: an RFC 1123 label.
pub fn check_namespace(name: &str) -> Result<(), InvalidName> {
    if is_label(name) {
        Ok(())
    } else {
        Err(InvalidName {
            what: "namespace",
            name: name.to_string(),
            rule: "label",
            max: 63,
            extra: " and '-'",
        })
    }
}

/// A ServiceAccount or Secret name: an RFC 1123 subdomain.
pub fn check_subdomain(what: &'static str, name: &str) -> Result<(), InvalidName> {
    if !name.is_empty() && name.len() <= 253 && name.split('.').all(is_label) {
        Ok(())
    } else {
        Err(InvalidName {
            what,
            name: name.to_string(),
            rule: "subdomain",
            max: 253,
            extra: ", '-' and '.'",
        })
    }
}

/// The default name of the context (and of its own cluster and user entries).
///
/// Namespace and ServiceAccount names cannot contain '/', so the name never collides across
/// namespaces or clusters, and it is the same on every run: a re-run refreshes its entries.
pub fn default_entry_name(cluster: &str, namespace: &str, service_account: &str) -> String {
    format!("{cluster}/{namespace}/{service_account}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_are_labels() {
        assert!(check_namespace("team-a").is_ok());
        assert!(check_namespace("a").is_ok());
        for bad in ["", "Team", "a.b", "-a", "a-", "a_b", &"a".repeat(64)] {
            assert!(check_namespace(bad).is_err(), "{bad:?}");
        }
        let msg = check_namespace("Team").unwrap_err().to_string();
        assert!(
            msg.starts_with("invalid namespace \"Team\": must be a lowercase RFC 1123 label"),
            "{msg}"
        );
    }

    #[test]
    fn service_accounts_are_subdomains() {
        assert!(check_subdomain("ServiceAccount", "ci").is_ok());
        assert!(check_subdomain("ServiceAccount", "ci.bot-1").is_ok());
        for bad in ["", "CI", "a..b", ".a", "a/b", "a b", &"a".repeat(254)] {
            assert!(check_subdomain("ServiceAccount", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn default_names_are_stable_and_distinct() {
        assert_eq!(default_entry_name("kind-kind", "team-a", "ci"), "kind-kind/team-a/ci");
        assert_eq!(default_entry_name("c", "ns", "sa"), default_entry_name("c", "ns", "sa"));
        assert_ne!(default_entry_name("c", "a", "b-c"), default_entry_name("c", "a-b", "c"));
        assert_ne!(
            default_entry_name("c1", "ns", "sa"),
            default_entry_name("c2", "ns", "sa")
        );
    }
}
