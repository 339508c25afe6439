//! `kubectl satoken revoke`: end a context's token by deleting the Secret it depends on
//! (its token Secret, its anchor, or the Secret it is bound to), then remove the context and
//! its own cluster and user entries.

use std::io::Write;

use super::{LifecycleError, find_managed};
use crate::cli::RevokeArgs;
use crate::credentials::Trust;
use crate::kubeconfig::{self, Chain, LoadingRules, MergeRequest, Section};
use crate::source::Source;
use crate::token;

pub async fn revoke(args: &RevokeArgs, stderr: &mut impl Write) -> Result<(), LifecycleError> {
    let rules = LoadingRules::from_env(args.kubeconfig_args.kubeconfig.clone());
    let chain = Chain::load(rules.clone())?;
    let managed = find_managed(&chain, &args.context)?;
    let record = &managed.record;
    let Some(secret) = record.revocation_secret() else {
        return Err(LifecycleError::NotRevocable {
            context: managed.context.clone(),
            expires: record
                .expires_at
                .clone()
                .map_or("never".to_string(), |at| format!("at {at}")),
        });
    };
    let timeout = args.kubeconfig_args.request_timeout.to_std();
    let source = Source::resolve(&chain, Some(&record.source_context))?;
    let client = source
        .client(&chain, (!timeout.is_zero()).then_some(timeout), Trust::Operator)
        .await?;
    token::delete_secret(&client, &record.namespace, secret).await?;
    if !args.write.quiet {
        let _ = writeln!(
            stderr,
            "Deleted Secret {}/{secret}: the token of context {:?} no longer works.",
            record.namespace, managed.context
        );
    }
    if args.keep_context {
        return Ok(());
    }

    // The cluster and user entries go too, unless another context still uses them.
    let used_elsewhere = |key: &str, name: &str| {
        chain
            .names(Section::Contexts)
            .iter()
            .any(|c| c.name != managed.context && c.body.get(key).and_then(serde_json::Value::as_str) == Some(name))
    };
    let mut remove = vec![(Section::Contexts, managed.context.clone())];
    if !used_elsewhere("cluster", &managed.cluster) {
        remove.push((Section::Clusters, managed.cluster.clone()));
    }
    if !used_elsewhere("user", &managed.user) {
        remove.push((Section::Users, managed.user.clone()));
    }
    let request = MergeRequest {
        entries: Vec::new(),
        remove,
        set_current: None,
        overwrite: false,
        lock_timeout: args.write.lock_timeout.to_std(),
    };
    let report = kubeconfig::merge(&rules, &request)?;
    if !args.write.quiet {
        let files: Vec<String> = report.removed.iter().map(|(_, _, f)| f.display().to_string()).collect();
        let mut files = files;
        files.dedup();
        let _ = writeln!(
            stderr,
            "Removed context {:?} from {}.",
            managed.context,
            files.join(", ")
        );
    }
    Ok(())
}
