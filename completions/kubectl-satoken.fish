# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_kubectl_satoken_global_optspecs
    string join \n kubeconfig= context= n/namespace= request-timeout= type= duration= audience= bound-object-kind= bound-object-name= bound-object-uid= revocable secret-name= secret-timeout= server= certificate-authority= context-name= cluster-name= user-name= o/output= output-file= output-dir= force merge set-current overwrite lock-timeout= verify create-serviceaccount grant= grant-cluster-wide dry-run q/quiet v/verbose h/help V/version
end

function __fish_kubectl_satoken_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_kubectl_satoken_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_kubectl_satoken_using_subcommand
    set -l cmd (__fish_kubectl_satoken_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -l kubeconfig -d 'Path to the kubeconfig file to use (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -l context -d 'The kubeconfig context to use (default: current-context)' -r
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -s n -l namespace -d 'Namespace of the ServiceAccount (default: the context\'s namespace, else "default")' -r
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -l request-timeout -d 'How long to wait for a single server request; 0 means no limit (e.g. 1s, 2m)' -r
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -l type -d 'Token type' -r -f -a "bound\t'A bound token from the TokenRequest API: it expires'
secret\t'A long-lived token kept in a Secret of type kubernetes.io/service-account-token'"
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -l duration -d 'Requested lifetime of a bound token (10m to 4294967296s); 0s or unset = the server\'s default (one hour). The server may grant less: the granted expiry is reported' -r
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -l audience -d 'Audience of a bound token; repeat for several (default: the API server\'s own)' -r
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -l bound-object-kind -d 'Kind of an object to bind the token to: the token stops working when it is deleted' -r -f -a "Node\t''
Pod\t''
Secret\t''"
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -l bound-object-name -d 'Name of the object to bind the token to (requires --bound-object-kind)' -r
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -l bound-object-uid -d 'UID of the object to bind the token to (default: the existing object\'s UID)' -r
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -l secret-name -d 'Secret to hold a --type secret token: reused if it exists and belongs to the ServiceAccount, else created (default: a new Secret with a generated name)' -r
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -l secret-timeout -d 'How long to wait for the tokens controller to fill a --type secret Secret' -r
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -l server -d 'Server URL for the new kubeconfig (default: the source context\'s server)' -r
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -l certificate-authority -d 'CA certificate file to embed in the new kubeconfig (default: the source cluster\'s CA)' -r -F
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -l context-name -d 'Name of the new context (default: CLUSTER/NAMESPACE/SERVICEACCOUNT)' -r
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -l cluster-name -d 'Name of the new cluster entry (default: the context name)' -r
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -l user-name -d 'Name of the new user entry (default: the context name)' -r
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -s o -l output -d 'Output format on stdout' -r -f -a "yaml\t''
json\t''
token\t'Only the token (a newline only on a terminal, like kubectl create token)'"
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -l output-file -d 'Write the kubeconfig to this file (mode 0600) instead of stdout' -r -F
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -l output-dir -d 'Write one kubeconfig per ServiceAccount into this directory (DIR/SERVICEACCOUNT.kubeconfig, 0600)' -r -f -a "(__fish_complete_directories)"
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -l lock-timeout -d 'With --merge: how long to wait for another writer\'s kubeconfig lock' -r
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -l grant -d 'Bind a role to the ServiceAccount: role/NAME or clusterrole/NAME (repeatable)' -r
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -l revocable -d 'Bind the bound token to a new anchor Secret, so that `revoke` can end it early'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -l force -d 'Replace an existing --output-file'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -l merge -d 'Merge the entries into your kubeconfig, where kubectl would put them'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -l set-current -d 'With --merge: also make the new context the current-context'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -l overwrite -d 'With --merge: replace entries of the same name that kubectl-satoken did not create'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -l verify -d 'Before writing anything, check that the new kubeconfig itself reaches the server and authenticates as the ServiceAccount (SelfSubjectReview)'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -l create-serviceaccount -d 'Create the ServiceAccount if it does not exist'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -l grant-cluster-wide -d 'With --grant clusterrole/NAME: a ClusterRoleBinding (every namespace) instead of a RoleBinding'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -l dry-run -d 'Print the objects --create-serviceaccount, --grant and --revocable would create, and stop'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -s v -l verbose -d 'Log each API request (method, path, status, time) and lock events on stderr; never a token or a header value. -vv adds each response\'s audit ID'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -s V -l version -d 'Print version'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -a "create" -d 'Create a token for a ServiceAccount and a kubeconfig for it (the default command)'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -a "list" -d 'List the contexts kubectl-satoken created in the kubeconfig chain'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -a "inspect" -d 'Show a context\'s token: its claims, decoded without trusting them'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -a "refresh" -d 'Issue a new token for contexts with the options recorded on them'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -a "revoke" -d 'Revoke a context\'s token, wait until it is rejected, and remove the context'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -a "completion" -d 'Print a shell completion script for kubectl-satoken'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_needs_command" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand create" -l kubeconfig -d 'Path to the kubeconfig file to use (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand create" -l context -d 'The kubeconfig context to use (default: current-context)' -r
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand create" -s n -l namespace -d 'Namespace of the ServiceAccount (default: the context\'s namespace, else "default")' -r
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand create" -l request-timeout -d 'How long to wait for a single server request; 0 means no limit (e.g. 1s, 2m)' -r
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand create" -l type -d 'Token type' -r -f -a "bound\t'A bound token from the TokenRequest API: it expires'
secret\t'A long-lived token kept in a Secret of type kubernetes.io/service-account-token'"
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand create" -l duration -d 'Requested lifetime of a bound token (10m to 4294967296s); 0s or unset = the server\'s default (one hour). The server may grant less: the granted expiry is reported' -r
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand create" -l audience -d 'Audience of a bound token; repeat for several (default: the API server\'s own)' -r
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand create" -l bound-object-kind -d 'Kind of an object to bind the token to: the token stops working when it is deleted' -r -f -a "Node\t''
Pod\t''
Secret\t''"
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand create" -l bound-object-name -d 'Name of the object to bind the token to (requires --bound-object-kind)' -r
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand create" -l bound-object-uid -d 'UID of the object to bind the token to (default: the existing object\'s UID)' -r
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand create" -l secret-name -d 'Secret to hold a --type secret token: reused if it exists and belongs to the ServiceAccount, else created (default: a new Secret with a generated name)' -r
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand create" -l secret-timeout -d 'How long to wait for the tokens controller to fill a --type secret Secret' -r
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand create" -l server -d 'Server URL for the new kubeconfig (default: the source context\'s server)' -r
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand create" -l certificate-authority -d 'CA certificate file to embed in the new kubeconfig (default: the source cluster\'s CA)' -r -F
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand create" -l context-name -d 'Name of the new context (default: CLUSTER/NAMESPACE/SERVICEACCOUNT)' -r
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand create" -l cluster-name -d 'Name of the new cluster entry (default: the context name)' -r
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand create" -l user-name -d 'Name of the new user entry (default: the context name)' -r
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand create" -s o -l output -d 'Output format on stdout' -r -f -a "yaml\t''
json\t''
token\t'Only the token (a newline only on a terminal, like kubectl create token)'"
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand create" -l output-file -d 'Write the kubeconfig to this file (mode 0600) instead of stdout' -r -F
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand create" -l output-dir -d 'Write one kubeconfig per ServiceAccount into this directory (DIR/SERVICEACCOUNT.kubeconfig, 0600)' -r -f -a "(__fish_complete_directories)"
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand create" -l lock-timeout -d 'With --merge: how long to wait for another writer\'s kubeconfig lock' -r
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand create" -l grant -d 'Bind a role to the ServiceAccount: role/NAME or clusterrole/NAME (repeatable)' -r
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand create" -l revocable -d 'Bind the bound token to a new anchor Secret, so that `revoke` can end it early'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand create" -l force -d 'Replace an existing --output-file'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand create" -l merge -d 'Merge the entries into your kubeconfig, where kubectl would put them'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand create" -l set-current -d 'With --merge: also make the new context the current-context'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand create" -l overwrite -d 'With --merge: replace entries of the same name that kubectl-satoken did not create'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand create" -l verify -d 'Before writing anything, check that the new kubeconfig itself reaches the server and authenticates as the ServiceAccount (SelfSubjectReview)'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand create" -l create-serviceaccount -d 'Create the ServiceAccount if it does not exist'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand create" -l grant-cluster-wide -d 'With --grant clusterrole/NAME: a ClusterRoleBinding (every namespace) instead of a RoleBinding'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand create" -l dry-run -d 'Print the objects --create-serviceaccount, --grant and --revocable would create, and stop'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand create" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand create" -s v -l verbose -d 'Log each API request (method, path, status, time) and lock events on stderr; never a token or a header value. -vv adds each response\'s audit ID'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand list" -l kubeconfig -d 'Path to the kubeconfig file to use (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand list" -s o -l output -d 'Output format (default: a table)' -r -f -a "wide\t'More columns: Secret, audiences, source context'
json\t''"
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand inspect" -l file -d 'Read this kubeconfig file alone (for example one handed to you). With --verify only its inline token is sent, to its own server; a user entry that would run a command (exec, auth-provider) or send a local credential (tokenFile, client-certificate, client-key) is refused' -r -F
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand inspect" -s o -l output -d 'Output format (default: text)' -r -f -a "json\t''"
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand inspect" -l kubeconfig -d 'Path to the kubeconfig file to use (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand inspect" -l request-timeout -d 'How long to wait for a single server request; 0 means no limit (e.g. 1s, 2m)' -r
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand inspect" -l verify -d 'Also ask the API server who the token is (SelfSubjectReview) and what it may do in its namespace (SelfSubjectRulesReview)'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand inspect" -s v -l verbose -d 'Log each API request (method, path, status, time) and lock events on stderr; never a token or a header value. -vv adds each response\'s audit ID'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand inspect" -s h -l help -d 'Print help'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand refresh" -l kubeconfig -d 'Path to the kubeconfig file to use (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand refresh" -l request-timeout -d 'How long to wait for a single server request; 0 means no limit (e.g. 1s, 2m)' -r
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand refresh" -l wait-timeout -d 'How long to wait, after deleting a Secret, until its token is rejected: until the Secret is gone, then 10s (API servers cache a token that long) plus 2s, then 3 probes with the token itself; at least 12s' -r
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand refresh" -l lock-timeout -d 'How long to wait for another writer\'s kubeconfig lock' -r
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand refresh" -l all -d 'Refresh every context kubectl-satoken created'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand refresh" -s v -l verbose -d 'Log each API request (method, path, status, time) and lock events on stderr; never a token or a header value. -vv adds each response\'s audit ID'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand refresh" -l no-wait -d 'Return right after the delete, without waiting and checking: the token stops working within about 10s'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand refresh" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand refresh" -s h -l help -d 'Print help'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand revoke" -l kubeconfig -d 'Path to the kubeconfig file to use (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand revoke" -l request-timeout -d 'How long to wait for a single server request; 0 means no limit (e.g. 1s, 2m)' -r
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand revoke" -l wait-timeout -d 'How long to wait, after deleting a Secret, until its token is rejected: until the Secret is gone, then 10s (API servers cache a token that long) plus 2s, then 3 probes with the token itself; at least 12s' -r
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand revoke" -l lock-timeout -d 'How long to wait for another writer\'s kubeconfig lock' -r
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand revoke" -l keep-context -d 'Keep the context and its entries in the kubeconfig'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand revoke" -s v -l verbose -d 'Log each API request (method, path, status, time) and lock events on stderr; never a token or a header value. -vv adds each response\'s audit ID'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand revoke" -l no-wait -d 'Return right after the delete, without waiting and checking: the token stops working within about 10s'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand revoke" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand revoke" -s h -l help -d 'Print help'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand completion" -s h -l help -d 'Print help'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand __complete" -s h -l help -d 'Print help'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand help; and not __fish_seen_subcommand_from create list inspect refresh revoke completion __complete help" -f -a "create" -d 'Create a token for a ServiceAccount and a kubeconfig for it (the default command)'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand help; and not __fish_seen_subcommand_from create list inspect refresh revoke completion __complete help" -f -a "list" -d 'List the contexts kubectl-satoken created in the kubeconfig chain'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand help; and not __fish_seen_subcommand_from create list inspect refresh revoke completion __complete help" -f -a "inspect" -d 'Show a context\'s token: its claims, decoded without trusting them'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand help; and not __fish_seen_subcommand_from create list inspect refresh revoke completion __complete help" -f -a "refresh" -d 'Issue a new token for contexts with the options recorded on them'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand help; and not __fish_seen_subcommand_from create list inspect refresh revoke completion __complete help" -f -a "revoke" -d 'Revoke a context\'s token, wait until it is rejected, and remove the context'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand help; and not __fish_seen_subcommand_from create list inspect refresh revoke completion __complete help" -f -a "completion" -d 'Print a shell completion script for kubectl-satoken'
complete -c kubectl-satoken -n "__fish_kubectl_satoken_using_subcommand help; and not __fish_seen_subcommand_from create list inspect refresh revoke completion __complete help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
