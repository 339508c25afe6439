//! Onboarding in the same command: create the ServiceAccount if it is missing and bind the
//! roles it needs, idempotently, with deterministic names. `--dry-run` asks the server to
//! validate each missing object (dryRun=All) and prints what it would create.

use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleBinding, RoleRef, Subject};
use kube::api::{Api, ObjectMeta, PostParams};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::token::TokenError;

/// A `--grant` value: `role/NAME` or `clusterrole/NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub cluster_role: bool,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--grant {0:?}: expected role/NAME or clusterrole/NAME (for example --grant clusterrole/view)")]
pub struct InvalidGrant(String);

impl std::str::FromStr for Grant {
    type Err = InvalidGrant;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (kind, name) = s.split_once('/').ok_or_else(|| InvalidGrant(s.to_string()))?;
        let cluster_role = match kind.to_ascii_lowercase().as_str() {
            "role" => false,
            "clusterrole" => true,
            _ => return Err(InvalidGrant(s.to_string())),
        };
        if name.is_empty() || name.contains('/') {
            return Err(InvalidGrant(s.to_string()));
        }
        Ok(Grant {
            cluster_role,
            name: name.to_string(),
        })
    }
}

impl Grant {
    fn kind(&self) -> &'static str {
        if self.cluster_role { "ClusterRole" } else { "Role" }
    }

    fn role_ref(&self) -> RoleRef {
        RoleRef {
            api_group: Some("rbac.authorization.k8s.io".into()),
            kind: self.kind().into(),
            name: self.name.clone(),
        }
    }

    /// The binding's name: the same on every run, so a second run finds it.
    pub fn binding_name(&self, namespace: &str, service_account: &str, cluster_wide: bool) -> String {
        let kind = self.kind().to_ascii_lowercase();
        if cluster_wide {
            format!("kubectl-satoken:{namespace}:{service_account}:{kind}:{}", self.name)
        } else {
            format!("kubectl-satoken:{service_account}:{kind}:{}", self.name)
        }
    }
}

/// What to make sure of before issuing the token.
#[derive(Debug, Clone, Default)]
pub struct Onboarding {
    pub create_service_account: bool,
    pub grants: Vec<Grant>,
    pub cluster_wide: bool,
}

fn labels() -> Option<std::collections::BTreeMap<String, String>> {
    Some(
        [(
            "app.kubernetes.io/managed-by".to_string(),
            "kubectl-satoken".to_string(),
        )]
        .into(),
    )
}

fn subject(namespace: &str, service_account: &str) -> Subject {
    Subject {
        kind: "ServiceAccount".into(),
        name: service_account.into(),
        namespace: Some(namespace.into()),
        api_group: None,
    }
}

/// An object as the server answered a dry run, for printing (without managedFields).
pub fn printable<T: Serialize>(object: &T) -> Value {
    let mut value = serde_json::to_value(object).unwrap_or(Value::Null);
    if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
    value
}

fn api_error(verb: String, namespace: &str, service_account: &str) -> impl FnOnce(kube::Error) -> TokenError {
    let (namespace, service_account) = (namespace.to_string(), service_account.to_string());
    move |e| TokenError::from_api(e, &verb, &namespace, &service_account)
}

impl Onboarding {
    pub fn is_empty(&self) -> bool {
        !self.create_service_account && self.grants.is_empty()
    }

    /// Creates what is missing. With `dry_run`, the server validates but stores nothing.
    /// Returns the objects created (or that would be), and a line for each one that existed.
    pub async fn ensure(
        &self,
        client: &kube::Client,
        namespace: &str,
        service_account: &str,
        dry_run: bool,
    ) -> Result<(Vec<Value>, Vec<String>), TokenError> {
        let ensure = Ensure {
            params: PostParams {
                dry_run,
                ..PostParams::default()
            },
            namespace,
            service_account,
        };
        let (mut created, mut existed) = (Vec::new(), Vec::new());
        let mut record = |what: String, outcome: Option<Value>| match outcome {
            Some(object) => created.push(object),
            None => existed.push(format!("{what} exists")),
        };
        if self.create_service_account {
            let sa = ServiceAccount {
                metadata: meta(service_account),
                ..Default::default()
            };
            let api = Api::namespaced(client.clone(), namespace);
            record(
                format!("serviceaccount/{service_account}"),
                ensure.create_if_missing(&api, &sa).await?,
            );
        }
        for grant in &self.grants {
            let name = grant.binding_name(namespace, service_account, self.cluster_wide);
            let subjects = Some(vec![subject(namespace, service_account)]);
            if self.cluster_wide {
                let binding = ClusterRoleBinding {
                    metadata: meta(&name),
                    role_ref: grant.role_ref(),
                    subjects,
                };
                let outcome = ensure.create_if_missing(&Api::all(client.clone()), &binding).await?;
                record(format!("clusterrolebinding/{name}"), outcome);
            } else {
                let binding = RoleBinding {
                    metadata: meta(&name),
                    role_ref: grant.role_ref(),
                    subjects,
                };
                let outcome = ensure
                    .create_if_missing(&Api::namespaced(client.clone(), namespace), &binding)
                    .await?;
                record(format!("rolebinding/{name}"), outcome);
            }
        }
        Ok((created, existed))
    }
}

fn meta(name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        labels: labels(),
        ..Default::default()
    }
}

struct Ensure<'a> {
    params: PostParams,
    namespace: &'a str,
    service_account: &'a str,
}

impl Ensure<'_> {
    /// Creates `object` unless one of its name exists: the created object, or `None`.
    async fn create_if_missing<K>(&self, api: &Api<K>, object: &K) -> Result<Option<Value>, TokenError>
    where
        K: kube::Resource<DynamicType = ()> + Clone + Serialize + DeserializeOwned + std::fmt::Debug,
    {
        let name = object.meta().name.clone().unwrap_or_default();
        let what = format!("{} {name:?}", K::kind(&()).to_lowercase());
        let fail = |verb: &str| api_error(format!("{verb} {what}"), self.namespace, self.service_account);
        if api.get_opt(&name).await.map_err(fail("get"))?.is_some() {
            return Ok(None);
        }
        let created = api.create(&self.params, object).await.map_err(fail("create"))?;
        Ok(Some(printable(&created)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_grants() {
        assert_eq!(
            "clusterrole/view".parse(),
            Ok(Grant {
                cluster_role: true,
                name: "view".into()
            })
        );
        assert_eq!(
            "Role/pod-reader".parse(),
            Ok(Grant {
                cluster_role: false,
                name: "pod-reader".into()
            })
        );
        for bad in ["view", "clusterrole/", "deployment/x", "role/a/b"] {
            let err = bad.parse::<Grant>().unwrap_err().to_string();
            assert!(err.contains("expected role/NAME or clusterrole/NAME"), "{err}");
        }
    }

    #[test]
    fn binding_names_are_deterministic_and_do_not_collide() {
        let view: Grant = "clusterrole/view".parse().unwrap();
        let role_view: Grant = "role/view".parse().unwrap();
        assert_eq!(
            view.binding_name("ns", "ci", false),
            "kubectl-satoken:ci:clusterrole:view"
        );
        assert_ne!(
            view.binding_name("ns", "ci", false),
            role_view.binding_name("ns", "ci", false)
        );
        assert_eq!(
            view.binding_name("ns", "ci", true),
            "kubectl-satoken:ns:ci:clusterrole:view"
        );
        assert_ne!(view.binding_name("a", "ci", true), view.binding_name("b", "ci", true));
    }
}
