//! `kubectl satoken refresh`: a new token for a context, issued with the options recorded on
//! it, written over the old one in place (same names, same file). A Secret-based or revocable
//! token is rotated: the new one gets a new Secret, then the old Secret is deleted, so the old
//! token stops working (re-using the old name would revive the old token, seed S8). Like
//! `revoke`, it then waits until the old tokens are rejected (`revocation`), once for all.

use std::io::Write;
use std::time::Duration;

use super::revocation::{self, Deletion, Revoked};
use super::{LifecycleError, Managed, find_managed, managed_contexts};
use crate::cli::RefreshArgs;
use crate::create::{CreateError, name_taken};
use crate::credentials::Trust;
use crate::handout::TokenPlan;
use crate::kubeconfig::{self, Chain, LoadingRules, MergeRequest};
use crate::source::{Source, SourceCluster};
use crate::standalone::EntryNames;

/// How long a rotation waits for the tokens controller.
const SECRET_TIMEOUT: Duration = Duration::from_secs(30);

pub async fn refresh(args: &RefreshArgs, stderr: &mut impl Write) -> Result<(), LifecycleError> {
    let rules = LoadingRules::from_env(args.kubeconfig_args.kubeconfig.clone());
    let chain = Chain::load(rules.clone())?;
    let targets = match &args.context {
        Some(name) if !args.all => vec![find_managed(&chain, name)?],
        _ => managed_contexts(&chain),
    };
    if targets.is_empty() {
        return Err(LifecycleError::NoneManaged);
    }
    let bound = revocation::wait_bound(&args.wait)?;
    let timeout = args.kubeconfig_args.request_timeout.to_std();
    let timeout = (!timeout.is_zero()).then_some(timeout);
    let mut revoked = Vec::new();
    for managed in &targets {
        let (line, old) = refresh_one(&chain, &rules, managed, timeout, args.write.lock_timeout.to_std())
            .await
            .map_err(|e| LifecycleError::Refresh {
                context: managed.context.clone(),
                source: Box::new(e),
            })?;
        if !args.write.quiet {
            let _ = writeln!(stderr, "{line}");
        }
        revoked.extend(old);
    }
    // One wait for all the old tokens, not one per context.
    if let Some(bound) = bound
        && !revoked.is_empty()
    {
        if !args.write.quiet {
            let _ = writeln!(
                stderr,
                "Waiting until the API servers' token cache (10 s) has expired, then checking that the old token{} \
                 rejected (--no-wait skips this).",
                if revoked.len() == 1 { " is" } else { "s are" }
            );
        }
        let outcomes = revocation::confirm(&revoked, bound, timeout).await?;
        if !args.write.quiet {
            for outcome in outcomes {
                let _ = writeln!(stderr, "{}", outcome.verdict("the old token"));
            }
        }
    }
    Ok(())
}

async fn refresh_one(
    chain: &Chain,
    rules: &LoadingRules,
    managed: &Managed,
    timeout: Option<Duration>,
    lock_timeout: Duration,
) -> Result<(String, Option<Revoked>), CreateError> {
    let record = &managed.record;
    let source = Source::resolve(chain, Some(&record.source_context))?;
    let client = source.client(chain, timeout, Trust::Operator).await?;
    let handout = TokenPlan::from_record(record, SECRET_TIMEOUT)
        .issue(&client)
        .await
        .map_err(|e| CreateError::from_token(e, &source))?;
    // The cluster entry stays as it is (a --server override, say); only the token changes.
    let cluster = match &managed.cluster_body {
        Some(body) => SourceCluster::from_entry(&managed.cluster, body, &managed.file)?,
        None => source.cluster.clone(),
    };
    let names = EntryNames {
        context: managed.context.clone(),
        cluster: managed.cluster.clone(),
        user: managed.user.clone(),
    };
    let entries = handout.entries(names, &cluster);
    let request = MergeRequest {
        entries: entries.entries(),
        remove: Vec::new(),
        set_current: None,
        overwrite: false,
        ours: crate::record::is_managed,
        lock_timeout,
    };
    if let Err(e) = kubeconfig::merge(rules, &request) {
        // Best effort: the error that matters is the merge's.
        let _ = handout.undo(&client).await;
        return Err(name_taken(e));
    }
    let expiry = match &handout.record.expires_at {
        Some(at) => format!("expires {at}"),
        None => "never expires".to_string(),
    };
    let mut line = format!(
        "Refreshed context {:?}: new {} token, {expiry}.",
        managed.context,
        record.token_type.as_str()
    );
    let mut revoked = None;
    if let Some(old) = record.owned_secret()
        && handout.record.owned_secret() != Some(old)
    {
        let deletion = revocation::delete(&client, &record.namespace, old)
            .await
            .map_err(|e| CreateError::from_token(e, &source))?;
        line.push_str(&match deletion {
            Deletion::Deleted => format!(" Deleted the old Secret {old}"),
            Deletion::AlreadyGone => format!(" The old Secret {old} was already gone"),
        });
        line.push_str(": the old token stops working within about 10 s.");
        revoked = Some(Revoked::new(
            &client,
            &managed.context,
            record,
            old,
            &cluster,
            managed.token.as_ref(),
        ));
    }
    Ok((line, revoked))
}
