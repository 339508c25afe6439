//! `kubectl satoken revoke`: end a context's token by deleting the Secret it depends on
//! (its token Secret, its anchor, or the Secret it is bound to), wait until the API servers
//! reject it (`revocation`), then remove the context and its own cluster and user entries.

use std::io::Write;

use super::{LifecycleError, WriteSettings};
use crate::cli::RevokeArgs;
use crate::credentials::Trust;
use crate::kubeconfig::{self, Chain, MergeRequest, Section};
use crate::services::managed::find_managed;
use crate::services::revocation::{self, Deletion, Revoked};
use crate::services::source::Source;

pub async fn revoke(args: &RevokeArgs, stderr: &mut impl Write) -> Result<(), LifecycleError> {
    let settings = WriteSettings::new(&args.kubeconfig_args, &args.wait, &args.write)?;
    let rules = &settings.rules;
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
    let (bound, timeout) = (settings.wait, settings.request_timeout);
    let source = Source::resolve(&chain, Some(&record.source_context))?;
    // The probe reaches the server the way the context itself does.
    let cluster = managed.cluster(&source)?;
    let client = source.client(&chain, timeout, Trust::Operator).await?;
    let deletion = revocation::delete(&client, &record.namespace, secret).await?;
    let revoked = Revoked::new(
        &client,
        &managed.context,
        record,
        secret,
        &cluster,
        managed.token.as_ref(),
    );
    let what = match deletion {
        Deletion::Deleted => format!("Deleted Secret {}/{secret}", record.namespace),
        Deletion::AlreadyGone => format!(
            "Secret {}/{secret} was already gone (deleted by someone else)",
            record.namespace
        ),
    };
    match bound {
        None => {
            if !settings.quiet {
                let _ = writeln!(
                    stderr,
                    "{what}: the token of context {:?} stops working within about 10 s (API servers accept a token they \
                     saw for up to 10 s after its Secret is deleted; --no-wait did not wait to check).",
                    managed.context
                );
            }
        }
        Some(bound) => {
            if !settings.quiet {
                let _ = writeln!(
                    stderr,
                    "{what}; waiting until the API servers' token cache (10 s) has expired, then checking that the \
                     token is rejected (--no-wait skips this).",
                );
            }
            let outcomes = revocation::confirm(std::slice::from_ref(&revoked), bound, timeout).await?;
            if !settings.quiet {
                for outcome in outcomes {
                    let _ = writeln!(stderr, "{}", outcome.verdict("the token"));
                }
            }
        }
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
        ours: crate::record::is_managed,
        lock_timeout: settings.lock_timeout,
    };
    let report = kubeconfig::merge(rules, &request)?;
    if !settings.quiet {
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
