
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'kubectl-satoken' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'kubectl-satoken'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'kubectl-satoken' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use (default: $KUBECONFIG, else ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use (default: current-context)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace of the ServiceAccount (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace of the ServiceAccount (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single server request; 0 means no limit (e.g. 1s, 2m)')
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Token type')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Requested lifetime of a bound token (10m to 4294967296s); 0s or unset = the server''s default (one hour). The server may grant less: the granted expiry is reported')
            [CompletionResult]::new('--audience', '--audience', [CompletionResultType]::ParameterName, 'Audience of a bound token; repeat for several (default: the API server''s own)')
            [CompletionResult]::new('--bound-object-kind', '--bound-object-kind', [CompletionResultType]::ParameterName, 'Kind of an object to bind the token to: the token stops working when it is deleted')
            [CompletionResult]::new('--bound-object-name', '--bound-object-name', [CompletionResultType]::ParameterName, 'Name of the object to bind the token to (requires --bound-object-kind)')
            [CompletionResult]::new('--bound-object-uid', '--bound-object-uid', [CompletionResultType]::ParameterName, 'UID of the object to bind the token to (default: the existing object''s UID)')
            [CompletionResult]::new('--secret-name', '--secret-name', [CompletionResultType]::ParameterName, 'Secret to hold a --type secret token: reused if it exists and belongs to the ServiceAccount, else created (default: a new Secret with a generated name)')
            [CompletionResult]::new('--secret-timeout', '--secret-timeout', [CompletionResultType]::ParameterName, 'How long to wait for the tokens controller to fill a --type secret Secret')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL for the new kubeconfig (default: the source context''s server)')
            [CompletionResult]::new('--certificate-authority', '--certificate-authority', [CompletionResultType]::ParameterName, 'CA certificate file to embed in the new kubeconfig (default: the source cluster''s CA)')
            [CompletionResult]::new('--context-name', '--context-name', [CompletionResultType]::ParameterName, 'Name of the new context (default: CLUSTER/NAMESPACE/SERVICEACCOUNT)')
            [CompletionResult]::new('--cluster-name', '--cluster-name', [CompletionResultType]::ParameterName, 'Name of the new cluster entry (default: the context name)')
            [CompletionResult]::new('--user-name', '--user-name', [CompletionResultType]::ParameterName, 'Name of the new user entry (default: the context name)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format on stdout')
            [CompletionResult]::new('--output-file', '--output-file', [CompletionResultType]::ParameterName, 'Write the kubeconfig to this file (mode 0600) instead of stdout')
            [CompletionResult]::new('--output-dir', '--output-dir', [CompletionResultType]::ParameterName, 'Write one kubeconfig per ServiceAccount into this directory (DIR/SERVICEACCOUNT.kubeconfig, 0600)')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'With --merge: how long to wait for another writer''s kubeconfig lock')
            [CompletionResult]::new('--grant', '--grant', [CompletionResultType]::ParameterName, 'Bind a role to the ServiceAccount: role/NAME or clusterrole/NAME (repeatable)')
            [CompletionResult]::new('--revocable', '--revocable', [CompletionResultType]::ParameterName, 'Bind the bound token to a new anchor Secret, so that `revoke` can end it early')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace an existing --output-file')
            [CompletionResult]::new('--merge', '--merge', [CompletionResultType]::ParameterName, 'Merge the entries into your kubeconfig, where kubectl would put them')
            [CompletionResult]::new('--set-current', '--set-current', [CompletionResultType]::ParameterName, 'With --merge: also make the new context the current-context')
            [CompletionResult]::new('--overwrite', '--overwrite', [CompletionResultType]::ParameterName, 'With --merge: replace entries of the same name that kubectl-satoken did not create')
            [CompletionResult]::new('--verify', '--verify', [CompletionResultType]::ParameterName, 'Before writing anything, check that the new kubeconfig itself reaches the server and authenticates as the ServiceAccount (SelfSubjectReview)')
            [CompletionResult]::new('--create-serviceaccount', '--create-serviceaccount', [CompletionResultType]::ParameterName, 'Create the ServiceAccount if it does not exist')
            [CompletionResult]::new('--grant-cluster-wide', '--grant-cluster-wide', [CompletionResultType]::ParameterName, 'With --grant clusterrole/NAME: a ClusterRoleBinding (every namespace) instead of a RoleBinding')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the objects --create-serviceaccount, --grant and --revocable would create, and stop')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each API request (method, path, status, time) and lock events on stderr; never a token or a header value. -vv adds each response''s audit ID')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each API request (method, path, status, time) and lock events on stderr; never a token or a header value. -vv adds each response''s audit ID')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a token for a ServiceAccount and a kubeconfig for it (the default command)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the contexts kubectl-satoken created in the kubeconfig chain')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Show a context''s token: its claims, decoded without trusting them')
            [CompletionResult]::new('refresh', 'refresh', [CompletionResultType]::ParameterValue, 'Issue a new token for contexts with the options recorded on them')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke a context''s token, wait until it is rejected, and remove the context')
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Print a shell completion script for kubectl-satoken')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kubectl-satoken;create' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use (default: $KUBECONFIG, else ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use (default: current-context)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace of the ServiceAccount (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace of the ServiceAccount (default: the context''s namespace, else "default")')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single server request; 0 means no limit (e.g. 1s, 2m)')
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Token type')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Requested lifetime of a bound token (10m to 4294967296s); 0s or unset = the server''s default (one hour). The server may grant less: the granted expiry is reported')
            [CompletionResult]::new('--audience', '--audience', [CompletionResultType]::ParameterName, 'Audience of a bound token; repeat for several (default: the API server''s own)')
            [CompletionResult]::new('--bound-object-kind', '--bound-object-kind', [CompletionResultType]::ParameterName, 'Kind of an object to bind the token to: the token stops working when it is deleted')
            [CompletionResult]::new('--bound-object-name', '--bound-object-name', [CompletionResultType]::ParameterName, 'Name of the object to bind the token to (requires --bound-object-kind)')
            [CompletionResult]::new('--bound-object-uid', '--bound-object-uid', [CompletionResultType]::ParameterName, 'UID of the object to bind the token to (default: the existing object''s UID)')
            [CompletionResult]::new('--secret-name', '--secret-name', [CompletionResultType]::ParameterName, 'Secret to hold a --type secret token: reused if it exists and belongs to the ServiceAccount, else created (default: a new Secret with a generated name)')
            [CompletionResult]::new('--secret-timeout', '--secret-timeout', [CompletionResultType]::ParameterName, 'How long to wait for the tokens controller to fill a --type secret Secret')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL for the new kubeconfig (default: the source context''s server)')
            [CompletionResult]::new('--certificate-authority', '--certificate-authority', [CompletionResultType]::ParameterName, 'CA certificate file to embed in the new kubeconfig (default: the source cluster''s CA)')
            [CompletionResult]::new('--context-name', '--context-name', [CompletionResultType]::ParameterName, 'Name of the new context (default: CLUSTER/NAMESPACE/SERVICEACCOUNT)')
            [CompletionResult]::new('--cluster-name', '--cluster-name', [CompletionResultType]::ParameterName, 'Name of the new cluster entry (default: the context name)')
            [CompletionResult]::new('--user-name', '--user-name', [CompletionResultType]::ParameterName, 'Name of the new user entry (default: the context name)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format on stdout')
            [CompletionResult]::new('--output-file', '--output-file', [CompletionResultType]::ParameterName, 'Write the kubeconfig to this file (mode 0600) instead of stdout')
            [CompletionResult]::new('--output-dir', '--output-dir', [CompletionResultType]::ParameterName, 'Write one kubeconfig per ServiceAccount into this directory (DIR/SERVICEACCOUNT.kubeconfig, 0600)')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'With --merge: how long to wait for another writer''s kubeconfig lock')
            [CompletionResult]::new('--grant', '--grant', [CompletionResultType]::ParameterName, 'Bind a role to the ServiceAccount: role/NAME or clusterrole/NAME (repeatable)')
            [CompletionResult]::new('--revocable', '--revocable', [CompletionResultType]::ParameterName, 'Bind the bound token to a new anchor Secret, so that `revoke` can end it early')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace an existing --output-file')
            [CompletionResult]::new('--merge', '--merge', [CompletionResultType]::ParameterName, 'Merge the entries into your kubeconfig, where kubectl would put them')
            [CompletionResult]::new('--set-current', '--set-current', [CompletionResultType]::ParameterName, 'With --merge: also make the new context the current-context')
            [CompletionResult]::new('--overwrite', '--overwrite', [CompletionResultType]::ParameterName, 'With --merge: replace entries of the same name that kubectl-satoken did not create')
            [CompletionResult]::new('--verify', '--verify', [CompletionResultType]::ParameterName, 'Before writing anything, check that the new kubeconfig itself reaches the server and authenticates as the ServiceAccount (SelfSubjectReview)')
            [CompletionResult]::new('--create-serviceaccount', '--create-serviceaccount', [CompletionResultType]::ParameterName, 'Create the ServiceAccount if it does not exist')
            [CompletionResult]::new('--grant-cluster-wide', '--grant-cluster-wide', [CompletionResultType]::ParameterName, 'With --grant clusterrole/NAME: a ClusterRoleBinding (every namespace) instead of a RoleBinding')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the objects --create-serviceaccount, --grant and --revocable would create, and stop')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each API request (method, path, status, time) and lock events on stderr; never a token or a header value. -vv adds each response''s audit ID')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each API request (method, path, status, time) and lock events on stderr; never a token or a header value. -vv adds each response''s audit ID')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-satoken;list' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use (default: $KUBECONFIG, else ~/.kube/config)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format (default: a table)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format (default: a table)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-satoken;inspect' {
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Read this kubeconfig file alone (for example one handed to you). With --verify only its inline token is sent, to its own server; a user entry that would run a command (exec, auth-provider) or send a local credential (tokenFile, client-certificate, client-key) is refused')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format (default: text)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format (default: text)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use (default: $KUBECONFIG, else ~/.kube/config)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single server request; 0 means no limit (e.g. 1s, 2m)')
            [CompletionResult]::new('--verify', '--verify', [CompletionResultType]::ParameterName, 'Also ask the API server who the token is (SelfSubjectReview) and what it may do in its namespace (SelfSubjectRulesReview)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each API request (method, path, status, time) and lock events on stderr; never a token or a header value. -vv adds each response''s audit ID')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each API request (method, path, status, time) and lock events on stderr; never a token or a header value. -vv adds each response''s audit ID')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-satoken;refresh' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use (default: $KUBECONFIG, else ~/.kube/config)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single server request; 0 means no limit (e.g. 1s, 2m)')
            [CompletionResult]::new('--wait-timeout', '--wait-timeout', [CompletionResultType]::ParameterName, 'How long to wait, after deleting a Secret, until its token is rejected: until the Secret is gone, then 10s (API servers cache a token that long) plus 2s, then 3 probes with the token itself; at least 12s')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another writer''s kubeconfig lock')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Refresh every context kubectl-satoken created')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each API request (method, path, status, time) and lock events on stderr; never a token or a header value. -vv adds each response''s audit ID')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each API request (method, path, status, time) and lock events on stderr; never a token or a header value. -vv adds each response''s audit ID')
            [CompletionResult]::new('--no-wait', '--no-wait', [CompletionResultType]::ParameterName, 'Return right after the delete, without waiting and checking: the token stops working within about 10s')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-satoken;revoke' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use (default: $KUBECONFIG, else ~/.kube/config)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single server request; 0 means no limit (e.g. 1s, 2m)')
            [CompletionResult]::new('--wait-timeout', '--wait-timeout', [CompletionResultType]::ParameterName, 'How long to wait, after deleting a Secret, until its token is rejected: until the Secret is gone, then 10s (API servers cache a token that long) plus 2s, then 3 probes with the token itself; at least 12s')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another writer''s kubeconfig lock')
            [CompletionResult]::new('--keep-context', '--keep-context', [CompletionResultType]::ParameterName, 'Keep the context and its entries in the kubeconfig')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each API request (method, path, status, time) and lock events on stderr; never a token or a header value. -vv adds each response''s audit ID')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each API request (method, path, status, time) and lock events on stderr; never a token or a header value. -vv adds each response''s audit ID')
            [CompletionResult]::new('--no-wait', '--no-wait', [CompletionResultType]::ParameterName, 'Return right after the delete, without waiting and checking: the token stops working within about 10s')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-satoken;completion' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-satoken;__complete' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-satoken;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a token for a ServiceAccount and a kubeconfig for it (the default command)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the contexts kubectl-satoken created in the kubeconfig chain')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Show a context''s token: its claims, decoded without trusting them')
            [CompletionResult]::new('refresh', 'refresh', [CompletionResultType]::ParameterValue, 'Issue a new token for contexts with the options recorded on them')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke a context''s token, wait until it is rejected, and remove the context')
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Print a shell completion script for kubectl-satoken')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kubectl-satoken;help;create' {
            break
        }
        'kubectl-satoken;help;list' {
            break
        }
        'kubectl-satoken;help;inspect' {
            break
        }
        'kubectl-satoken;help;refresh' {
            break
        }
        'kubectl-satoken;help;revoke' {
            break
        }
        'kubectl-satoken;help;completion' {
            break
        }
        'kubectl-satoken;help;__complete' {
            break
        }
        'kubectl-satoken;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
