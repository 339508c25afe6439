//! Runs a client-go credential plugin (a user entry's `exec`) the way client-go does
//! (`plugin/pkg/client/auth/exec/exec.go`): the plugin gets the process's environment plus the
//! entry's `env` and `KUBERNETES_EXEC_INFO`, its stderr passes through, its stdout is read as
//! an ExecCredential.
//!
//! It runs here rather than inside kube because kube runs it in a task that cannot be
//! cancelled, puts its whole command line (arguments, env values) and stdout into errors, and
//! hides its stderr under `interactiveMode: Never`. Failures here name the executable and its
//! exit code, as kubectl's do, and never its arguments, env values or output.

use std::io::IsTerminal;
use std::process::Stdio;

use base64::Engine;
use kube::config::{Cluster, ExecConfig, ExecInteractiveMode};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;

const API_V1: &str = "client.authentication.k8s.io/v1";
const API_V1BETA1: &str = "client.authentication.k8s.io/v1beta1";

/// An ExecCredential is a few KiB; more is not one.
const MAX_OUTPUT: u64 = 1024 * 1024;

/// Where the plugin runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attended {
    /// A command a person started: the terminal is theirs to share with the plugin.
    Terminal,
    /// Shell completion: no terminal, no stderr, and every process the plugin starts is
    /// killed when the lookup is given up.
    Background,
}

#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error(
        "exec: executable {command} not found\n\nIt looks like you are trying to use a client-go credential plugin that is not installed.\n\n\
         To learn more about this feature, consult the documentation available at:\n      \
         https://kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins{hint}"
    )]
    NotFound { command: String, hint: String },
    #[error("exec: cannot start executable {command}")]
    Start {
        command: String,
        #[source]
        source: std::io::Error,
    },
    #[error("exec: executable {command} failed with exit code {code}")]
    Failed { command: String, code: i32 },
    #[error("exec: executable {command} was ended by a signal")]
    Killed { command: String },
    #[error("exec: executable {command} printed more than 1 MiB; that is not an ExecCredential")]
    TooLong { command: String },
    #[error(
        "exec: executable {command} did not print an ExecCredential (its output is not shown: it may hold credentials)"
    )]
    NotCredential { command: String },
    #[error("exec plugin is configured to use API version {configured}, plugin returned version {returned}")]
    WrongVersion { configured: String, returned: String },
    #[error("exec plugin didn't return a token or cert/key pair")]
    NoCredential,
    #[error("exec plugin: invalid apiVersion {0:?}")]
    ApiVersion(String),
    #[error("interactiveMode must be specified for {0} to use exec authentication plugin")]
    NoInteractiveMode(String),
    #[error("exec plugin cannot support interactive mode: standard input is not a terminal")]
    NotATerminal,
    #[error("exec: no command is set")]
    NoCommand,
}

/// What a plugin handed back.
#[derive(Debug)]
pub enum Credential {
    Token(SecretString),
    /// PEM certificate and key.
    Certificate {
        cert: String,
        key: SecretString,
    },
}

#[derive(Deserialize)]
struct ExecCredential {
    #[serde(rename = "apiVersion", default)]
    api_version: Option<String>,
    #[serde(default)]
    status: Option<Status>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Status {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    client_certificate_data: Option<String>,
    #[serde(default)]
    client_key_data: Option<String>,
}

/// Runs the plugin of `exec` once; `cluster` is the context's cluster, for
/// `provideClusterInfo`.
pub async fn run(exec: &ExecConfig, cluster: Option<&Cluster>, attended: Attended) -> Result<Credential, ExecError> {
    let command = exec
        .command
        .clone()
        .filter(|c| !c.is_empty())
        .ok_or(ExecError::NoCommand)?;
    let api_version = exec.api_version.clone().unwrap_or_default();
    if api_version != API_V1 && api_version != API_V1BETA1 {
        return Err(ExecError::ApiVersion(api_version));
    }
    let mode = match (&exec.interactive_mode, api_version.as_str()) {
        (Some(mode), _) => mode.clone(),
        (None, API_V1) => return Err(ExecError::NoInteractiveMode(api_version)),
        (None, _) => ExecInteractiveMode::IfAvailable,
    };
    let stdin_is_terminal = attended == Attended::Terminal && std::io::stdin().is_terminal();
    let interactive = match mode {
        ExecInteractiveMode::Never => false,
        ExecInteractiveMode::IfAvailable => stdin_is_terminal,
        ExecInteractiveMode::Always if stdin_is_terminal => true,
        ExecInteractiveMode::Always => return Err(ExecError::NotATerminal),
    };

    let mut spec = json!({ "interactive": interactive });
    if exec.provide_cluster_info
        && let Some(cluster) = cluster
    {
        spec["cluster"] = cluster_info(cluster);
    }
    let info = json!({ "apiVersion": api_version, "kind": "ExecCredential", "spec": spec });

    let mut cmd = tokio::process::Command::new(&command);
    cmd.args(exec.args.iter().flatten());
    for var in exec.env.iter().flatten() {
        if let (Some(name), Some(value)) = (var.get("name"), var.get("value")) {
            cmd.env(name, value);
        }
    }
    cmd.env("KUBERNETES_EXEC_INFO", info.to_string())
        .stdin(if interactive { Stdio::inherit() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(match attended {
            Attended::Terminal => Stdio::inherit(),
            Attended::Background => Stdio::null(),
        })
        .kill_on_drop(true);
    #[cfg(unix)]
    if attended == Attended::Background {
        // Its own process group, so that everything it starts can be killed with it.
        cmd.process_group(0);
    }
    let mut child = cmd.spawn().map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => ExecError::NotFound {
            command: command.clone(),
            hint: exec
                .install_hint
                .as_deref()
                .map(|h| format!("\n\n{h}"))
                .unwrap_or_default(),
        },
        _ => ExecError::Start {
            command: command.clone(),
            source,
        },
    })?;
    let _group = GroupKiller::new(&child, attended);

    let mut stdout = Vec::new();
    if let Some(out) = child.stdout.take() {
        out.take(MAX_OUTPUT + 1)
            .read_to_end(&mut stdout)
            .await
            .map_err(|source| ExecError::Start {
                command: command.clone(),
                source,
            })?;
    }
    if stdout.len() as u64 > MAX_OUTPUT {
        return Err(ExecError::TooLong { command });
    }
    let status = child.wait().await.map_err(|source| ExecError::Start {
        command: command.clone(),
        source,
    })?;
    if !status.success() {
        return Err(match status.code() {
            Some(code) => ExecError::Failed { command, code },
            None => ExecError::Killed { command },
        });
    }
    parse(&stdout, &api_version, &command)
}

/// Reads the plugin's stdout. Parser messages are not passed on: they quote what they read.
fn parse(stdout: &[u8], api_version: &str, command: &str) -> Result<Credential, ExecError> {
    let not_credential = || ExecError::NotCredential {
        command: command.to_string(),
    };
    // client-go decodes with a YAML-tolerant codec; JSON is what plugins print.
    let credential: ExecCredential = match serde_json::from_slice(stdout) {
        Ok(c) => c,
        Err(_) => serde_saphyr::from_slice(stdout).map_err(|_| not_credential())?,
    };
    // Any YAML mapping decodes; one without an apiVersion is no ExecCredential.
    let returned = credential.api_version.ok_or_else(not_credential)?;
    if returned != api_version {
        return Err(ExecError::WrongVersion {
            configured: api_version.to_string(),
            returned: crate::escape::cut(&returned, 100),
        });
    }
    let status = credential.status.ok_or(ExecError::NoCredential)?;
    match (status.token, status.client_certificate_data, status.client_key_data) {
        (_, Some(cert), Some(key)) if !cert.is_empty() && !key.is_empty() => Ok(Credential::Certificate {
            cert,
            key: SecretString::from(key),
        }),
        (Some(token), _, _) if !token.is_empty() => Ok(Credential::Token(SecretString::from(token))),
        _ => Err(ExecError::NoCredential),
    }
}

/// `spec.cluster` of KUBERNETES_EXEC_INFO: the cluster as client-go describes it to plugins,
/// with the `client.authentication.k8s.io/exec` extension as `config`.
fn cluster_info(cluster: &Cluster) -> Value {
    let mut info = serde_json::Map::new();
    if let Some(server) = &cluster.server {
        info.insert("server".into(), json!(server));
    }
    if let Some(name) = &cluster.tls_server_name {
        info.insert("tls-server-name".into(), json!(name));
    }
    if cluster.insecure_skip_tls_verify == Some(true) {
        info.insert("insecure-skip-tls-verify".into(), json!(true));
    }
    let ca = match (&cluster.certificate_authority_data, &cluster.certificate_authority) {
        (Some(data), _) => Some(data.clone()),
        (None, Some(path)) => crate::read_limit::read_at_most(std::path::Path::new(path), crate::read_limit::CA_LIMIT)
            .ok()
            .map(|pem| base64::engine::general_purpose::STANDARD.encode(pem)),
        (None, None) => None,
    };
    if let Some(ca) = ca {
        info.insert("certificate-authority-data".into(), json!(ca));
    }
    if let Some(proxy) = &cluster.proxy_url {
        info.insert("proxy-url".into(), json!(proxy));
    }
    let config = cluster
        .extensions
        .iter()
        .flatten()
        .find(|e| e.name == "client.authentication.k8s.io/exec")
        .map(|e| e.extension.clone());
    if let Some(config) = config {
        info.insert("config".into(), config);
    }
    Value::Object(info)
}

/// Kills a background plugin's whole process group when the lookup ends, however it ends:
/// a plugin that started helpers of its own (gcloud starts python) leaves nothing running.
struct GroupKiller {
    #[cfg(unix)]
    pgid: Option<u32>,
}

impl GroupKiller {
    fn new(child: &tokio::process::Child, attended: Attended) -> Self {
        #[cfg(unix)]
        {
            GroupKiller {
                pgid: child.id().filter(|_| attended == Attended::Background),
            }
        }
        // Windows has no process groups: `kill_on_drop` ends the plugin itself, not what it
        // started (that would take a job object).
        #[cfg(not(unix))]
        {
            let _ = (child, attended);
            GroupKiller {}
        }
    }
}

impl Drop for GroupKiller {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Some(pgid) = self.pgid
            && let Some(pid) = rustix::process::Pid::from_raw(pgid as i32)
        {
            // The group may be gone already; nothing to do then.
            let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// The env list as kube holds it: name/value maps.
    fn env(pairs: &[(&str, &str)]) -> Vec<HashMap<String, String>> {
        pairs
            .iter()
            .map(|(n, v)| {
                HashMap::from([
                    ("name".to_string(), n.to_string()),
                    ("value".to_string(), v.to_string()),
                ])
            })
            .collect()
    }

    /// A plugin written as a sh script; the tests that run one are Unix-only.
    #[cfg(unix)]
    fn script(dir: &std::path::Path, body: &str) -> String {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join("plugin.sh");
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path.display().to_string()
    }

    fn config(command: &str, args: &[&str]) -> ExecConfig {
        let mut exec: ExecConfig = serde_json::from_value(json!({
            "apiVersion": API_V1, "command": command, "interactiveMode": "Never"
        }))
        .unwrap();
        exec.args = Some(args.iter().map(|a| a.to_string()).collect());
        exec.env = Some(env(&[("VAULT_TOKEN", "env-secret-456")]));
        exec
    }

    fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[cfg(unix)]
    #[test]
    fn a_failing_plugin_is_named_with_its_exit_code_only() {
        let dir = tempfile::tempdir().unwrap();
        let command = script(
            dir.path(),
            r#"echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"stdout-secret-789"}}'; exit 3"#,
        );
        let err = block_on(run(
            &config(&command, &["--secret=arg-secret-123"]),
            None,
            Attended::Background,
        ))
        .unwrap_err();
        let text = err.to_string();
        assert_eq!(text, format!("exec: executable {command} failed with exit code 3"));
        for secret in ["arg-secret-123", "env-secret-456", "stdout-secret-789"] {
            assert!(!format!("{err:?}").contains(secret), "{err:?}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_working_plugin_gets_its_env_and_exec_info_and_returns_its_token() {
        use secrecy::ExposeSecret;
        let dir = tempfile::tempdir().unwrap();
        let info = dir.path().join("info.json");
        let command = script(
            dir.path(),
            &format!(
                r#"printf '%s' "$KUBERNETES_EXEC_INFO" > {}; echo "{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"tok-$VAULT_TOKEN-$1\"}}}}""#,
                info.display()
            ),
        );
        let credential = block_on(run(&config(&command, &["a1"]), None, Attended::Terminal)).unwrap();
        match credential {
            Credential::Token(t) => assert_eq!(t.expose_secret(), "tok-env-secret-456-a1"),
            other => panic!("{other:?}"),
        }
        let info: Value = serde_json::from_slice(&std::fs::read(info).unwrap()).unwrap();
        assert_eq!(
            info,
            json!({"apiVersion": API_V1, "kind": "ExecCredential", "spec": {"interactive": false}})
        );
    }

    #[cfg(unix)]
    #[test]
    fn output_that_is_not_a_credential_is_not_quoted() {
        let dir = tempfile::tempdir().unwrap();
        let command = script(dir.path(), "echo 'not json: stdout-secret-789'");
        let err = block_on(run(&config(&command, &[]), None, Attended::Background)).unwrap_err();
        assert!(matches!(err, ExecError::NotCredential { .. }), "{err}");
        assert!(!err.to_string().contains("stdout-secret-789"));
        let command = script(
            dir.path(),
            r#"echo '{"apiVersion":"client.authentication.k8s.io/v1","status":{}}'"#,
        );
        let err = block_on(run(&config(&command, &[]), None, Attended::Background)).unwrap_err();
        assert_eq!(err.to_string(), "exec plugin didn't return a token or cert/key pair");
    }

    #[test]
    fn kubectl_rules_on_versions_and_modes() {
        let mut exec = config("/bin/true", &[]);
        exec.api_version = Some("client.authentication.k8s.io/v1alpha1".into());
        let err = block_on(run(&exec, None, Attended::Background)).unwrap_err();
        assert!(matches!(err, ExecError::ApiVersion(_)));
        let mut exec = config("/bin/true", &[]);
        exec.interactive_mode = None;
        let err = block_on(run(&exec, None, Attended::Background)).unwrap_err();
        assert!(matches!(err, ExecError::NoInteractiveMode(_)));
        let mut exec = config("/bin/true", &[]);
        exec.interactive_mode = Some(ExecInteractiveMode::Always);
        let err = block_on(run(&exec, None, Attended::Background)).unwrap_err();
        assert!(matches!(err, ExecError::NotATerminal));
        let err = block_on(run(&config("/nonexistent/plugin", &[]), None, Attended::Background)).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("exec: executable /nonexistent/plugin not found")
        );
    }
}
