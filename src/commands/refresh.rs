//! `kubectl satoken refresh`: a new token for a context, issued with the options recorded on
//! it, written over the old one in place (same names, same file). A Secret-based or revocable
//! token is rotated: the new one gets a new Secret, then the old Secret is deleted, so the old
//! token stops working (re-using the old name would revive the old token, seed S8). Like
//! `revoke`, it then waits until the old tokens are rejected (`revocation`), once for all.

use std::io::Write;
use std::time::Duration;

use super::{LifecycleError, WriteSettings};
use crate::cli::RefreshArgs;
use crate::credentials::Trust;
use crate::kubeconfig::{Chain, LoadingRules};
use crate::services::issued_kubeconfig::EntryNames;
use crate::services::issuing::{self, IssueError, Placement, TokenPlan};
use crate::services::managed::{Managed, find_managed, managed_contexts};
use crate::services::revocation::{self, Deletion, Revoked};
use crate::services::source::Source;

/// How long a rotation waits for the tokens controller.
const SECRET_TIMEOUT: Duration = Duration::from_secs(30);

pub async fn refresh(args: &RefreshArgs, stderr: &mut impl Write) -> Result<(), LifecycleError> {
    let settings = WriteSettings::new(&args.kubeconfig_args, &args.wait, &args.write)?;
    let rules = &settings.rules;
    let chain = Chain::load(rules.clone())?;
    let targets = match &args.context {
        Some(name) if !args.all => vec![find_managed(&chain, name)?],
        _ => managed_contexts(&chain),
    };
    if targets.is_empty() {
        return Err(LifecycleError::NoneManaged);
    }
    let (bound, timeout) = (settings.wait, settings.request_timeout);
    let mut revoked = Vec::new();
    for managed in &targets {
        let placement = Placement {
            set_current: false,
            overwrite: false,
            lock_timeout: settings.lock_timeout,
        };
        let (line, old) = refresh_one(&chain, rules, managed, timeout, placement)
            .await
            .map_err(|e| LifecycleError::Refresh {
                context: managed.context.clone(),
                source: Box::new(e),
            })?;
        if !settings.quiet {
            let _ = writeln!(stderr, "{line}");
        }
        revoked.extend(old);
    }
    // One wait for all the old tokens, not one per context.
    if let Some(bound) = bound
        && !revoked.is_empty()
    {
        if !settings.quiet {
            let _ = writeln!(
                stderr,
                "Waiting until the API servers' token cache (10 s) has expired, then checking that the old token{} \
                 rejected (--no-wait skips this).",
                if revoked.len() == 1 { " is" } else { "s are" }
            );
        }
        let outcomes = revocation::confirm(&revoked, bound, timeout).await?;
        if !settings.quiet {
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
    placement: Placement,
) -> Result<(String, Option<Revoked>), IssueError> {
    let record = &managed.record;
    let source = Source::resolve(chain, Some(&record.source_context))?;
    let client = source.client(chain, timeout, Trust::Operator).await?;
    // The cluster entry stays as it is (a --server override, say); only the token changes.
    let cluster = managed.cluster(&source)?;
    let names = EntryNames {
        context: managed.context.clone(),
        cluster: managed.cluster.clone(),
        user: managed.user.clone(),
    };
    let issued = TokenPlan::from_record(record, SECRET_TIMEOUT)
        .issue_entries(&client, &source, names, &cluster)
        .await?;
    if let Err(e) = issued.merge(rules, placement) {
        // The error that matters is the merge's; the new token is withdrawn where it can be.
        issuing::withdraw(&client, [&issued.handout]).await;
        return Err(e);
    }
    let handout = issued.handout;
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
            .map_err(|e| IssueError::from_token(e, &source))?;
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
