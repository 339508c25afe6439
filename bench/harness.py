#!/usr/bin/env python3
"""The measurements of bench/run (issues 5 and 12), side by side, repeated, as medians and ratios.

Run it through bench/run, which starts the cluster and builds the binaries. Every tool uses
the same kubeconfig: a ServiceAccount `bench-runner` with a Role in the bench namespace, its
CA embedded. Requests are counted in the API server's audit log: the lines of that user
between the offsets before and after one invocation (other users of the cluster, such as
tests running at the same time, do not count).
"""

import argparse
import base64
import json
import os
import platform
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NS = "satoken-bench"
RUNNER = "bench-runner"
RUNNER_USER = f"system:serviceaccount:{NS}:{RUNNER}"
SA = "bench"
SECRET_SA = "bench-secret"
MANY_PREFIX = "many-"

# The peer plugins bench/run builds from ../shared/peers (keyed by their directory there): the
# name the report gives each, the tool name of its bound-token measurement, and how it is used.
PEERS = {
    "vsk": ("view-serviceaccount-kubeconfig",
            "peer: kubectl create token | kubectl-view_serviceaccount_kubeconfig",
            f"`kubectl create token {SA} \\| kubectl-view_serviceaccount_kubeconfig`"),
    "sac": ("saconfig", "peer: kubectl-saconfig", f"`kubectl-saconfig {SA}`, its own TokenRequest"),
}


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


class Run:
    """One finished process: wall seconds, peak RSS (KiB), exit code, its stderr."""

    def __init__(self, wall, maxrss_kib, code, stderr, end):
        self.wall, self.maxrss_kib, self.code, self.stderr, self.end = wall, maxrss_kib, code, stderr, end


TIME = "/usr/bin/time"


def run(cmd, env=None, stdin=None, cwd=None, check=True, stdout=None, rss=False):
    """Runs `cmd` and measures it: wall time from spawn to reap. With `rss`, its peak RSS as
    GNU time reports it: wait4 in this process would not do, since Linux carries the parent's
    peak RSS over into a child that forks and execs (Python's own peak would show)."""
    if rss:
        with tempfile.NamedTemporaryFile("r") as out:
            r = run([TIME, "-f", "%M", "-o", out.name, *cmd], env=env, stdin=stdin, cwd=cwd, check=check,
                    stdout=stdout)
            r.maxrss_kib = int(out.read().strip().splitlines()[-1])
            return r
    with tempfile.TemporaryFile() as err:
        out = stdout if stdout is not None else subprocess.DEVNULL
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, env=env, stdin=stdin if stdin is not None else subprocess.DEVNULL,
                             stdout=out, stderr=err, cwd=cwd)
        _, status, usage = os.wait4(p.pid, 0)
        t1 = time.perf_counter()
        end = time.time()
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read().decode(errors="replace")
    if check and p.returncode != 0:
        raise SystemExit(f"bench: failed ({p.returncode}): {' '.join(map(str, cmd))}\n{text}")
    return Run(t1 - t0, usage.ru_maxrss, p.returncode, text, end)


def sh(cmd, env=None, input=None):
    r = subprocess.run(cmd, env=env, input=input, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"bench: failed: {' '.join(map(str, cmd))}\n{r.stderr}")
    return r.stdout


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def ms(s):
    return f"{s * 1000:.1f} ms"


class Audit:
    def __init__(self, path):
        self.path = Path(path)

    def offset(self):
        return self.path.stat().st_size

    def events_since(self, offset, settle=0.4):
        """Events of the bench user after `offset`, once the log stopped growing."""
        time.sleep(settle)
        size = self.offset()
        while True:
            time.sleep(0.1)
            now = self.offset()
            if now == size:
                break
            size = now
        with open(self.path, "rb") as f:
            f.seek(offset)
            data = f.read(size - offset)
        out = []
        for line in data.splitlines():
            try:
                e = json.loads(line)
            except ValueError:
                continue
            out.append(e)
        return out

    def count(self, offset, user=RUNNER_USER):
        evs = [e for e in self.events_since(offset) if e.get("user", {}).get("username") == user
               and e.get("stage") == "ResponseComplete"]
        return len(evs), [f"{e['verb']} {e['requestURI'].split('?')[0]}" for e in evs]


def rotate(items, i):
    """Round-robin start order: no tool always runs first (or right after another)."""
    k = i % len(items)
    return items[k:] + items[:k]


class Bench:
    def __init__(self, a):
        self.a = a
        self.quick = a.quick
        self.reps = 3 if a.quick else a.reps
        self.work = Path(a.work)
        self.work.mkdir(parents=True, exist_ok=True)
        self.kubectl = a.kubectl
        self.sat = a.satoken
        self.peers = a.peer
        self.audit = Audit(Path(a.cluster_state) / "logs" / "audit.log")
        # kubectl keeps its discovery cache under HOME: a home of its own, warmed up below.
        self.home = self.work / "home"
        self.home.mkdir(exist_ok=True)
        self.env = dict(os.environ, HOME=str(self.home))
        self.env.pop("KUBECONFIG", None)
        self.results = {}
        self.notes = []

    def k(self, *args, kubeconfig=None):
        return [self.kubectl, "--kubeconfig", str(kubeconfig or self.kc), *args]

    # --- setup -----------------------------------------------------------------------------

    def setup(self):
        admin = self.a.admin
        ka = lambda *args: sh([self.kubectl, "--kubeconfig", admin, *args], env=self.env)
        ka_in = lambda text, *args: sh([self.kubectl, "--kubeconfig", admin, *args], env=self.env, input=text)
        n_many = 10 if self.quick else 100
        self.many = [f"{MANY_PREFIX}{i:03d}" for i in range(n_many)]
        objs = [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}},
        ]
        for name in [RUNNER, SA, SECRET_SA, *[f"{MANY_PREFIX}{i:03d}" for i in range(100)]]:
            objs.append({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": NS}})
        objs.append({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": RUNNER, "namespace": NS},
            "rules": [
                {"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["get", "list", "create"]},
                {"apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"]},
                {"apiGroups": [""], "resources": ["secrets"],
                 "verbs": ["get", "list", "watch", "create", "delete"]},
            ],
        })
        objs.append({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": RUNNER, "namespace": NS},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": RUNNER},
            "subjects": [{"kind": "ServiceAccount", "name": RUNNER, "namespace": NS}],
        })
        ka_in(json.dumps({"apiVersion": "v1", "kind": "List", "items": objs}), "apply", "-f", "-")
        token = ka("-n", NS, "create", "token", RUNNER, "--duration", "6h").strip()
        admin_text = Path(admin).read_text()
        self.server = re.search(r"server: (\S+)", admin_text).group(1)
        ca_b64 = re.search(r"certificate-authority-data: (\S+)", admin_text).group(1)
        self.ca_file = self.work / "ca.crt"
        self.ca_file.write_bytes(base64.b64decode(ca_b64))
        self.kc = self.work / "bench.kubeconfig"
        self.kc_text = (
            "apiVersion: v1\nkind: Config\nclusters:\n- name: local\n  cluster:\n"
            f"    server: {self.server}\n    certificate-authority-data: {ca_b64}\n"
            f"users:\n- name: {RUNNER}\n  user:\n    token: {token}\n"
            f"contexts:\n- name: bench\n  context:\n    cluster: local\n    user: {RUNNER}\n    namespace: {NS}\n"
            "current-context: bench\n"
        )
        self.kc.write_text(self.kc_text)
        self.kc.chmod(0o600)
        # The plugin form needs kubectl-satoken on PATH.
        self.plugin_env = dict(self.env, PATH=f"{Path(self.sat).parent}:{self.env.get('PATH', '')}")
        # Warm up every tool once (page cache, kubectl's discovery cache).
        run([self.sat, SA, "--kubeconfig", self.kc, "-q"], env=self.env)
        run(self.k("create", "token", SA), env=self.env)
        run(self.k("get", "sa", SA), env=self.env)

    # --- 1: one bound token ------------------------------------------------------------------

    def manual_script(self, out):
        k = f"{self.kubectl} --kubeconfig"
        return (
            "set -euo pipefail\n"
            f"t=$({k} {self.kc} create token {SA})\n"
            f"rm -f {out}\n"
            f"{k} {out} config set-cluster local --server {self.server} "
            f"--certificate-authority {self.ca_file} --embed-certs >/dev/null\n"
            f'{k} {out} config set-credentials {SA} --token "$t" >/dev/null\n'
            f"{k} {out} config set-context {SA} --cluster local --user {SA} --namespace {NS} >/dev/null\n"
            f"{k} {out} config view --minify --flatten --context {SA}\n"
        )

    def tools_bound(self):
        manual_out = self.work / "manual.kubeconfig"
        tools = {
            "kubectl-satoken": ([self.sat, SA, "--kubeconfig", self.kc, "-q"], self.env),
            "kubectl satoken (through kubectl's plugin lookup)":
                ([self.kubectl, "satoken", SA, "--kubeconfig", self.kc, "-q"], self.plugin_env),
            "kubectl create token": (self.k("create", "token", SA), self.env),
            "manual path (5 kubectl runs)": (["bash", "-c", self.manual_script(manual_out)], self.env),
        }
        # Each peer as its README shows it: view-serviceaccount-kubeconfig reads the token of
        # `kubectl create token` on stdin and the server and CA from the kubeconfig; saconfig
        # makes the TokenRequest itself (namespace and cluster from the kubeconfig's context).
        if "vsk" in self.peers:
            q = shlex.quote
            tools[PEERS["vsk"][1]] = (
                ["bash", "-o", "pipefail", "-c",
                 f"{q(self.kubectl)} --kubeconfig {q(str(self.kc))} create token {SA} "
                 f"| {q(self.peers['vsk'])} --kubeconfig {q(str(self.kc))}"],
                self.env)
        if "sac" in self.peers:
            tools[PEERS["sac"][1]] = ([self.peers["sac"], SA, "--kubeconfig", self.kc], self.env)
        return tools

    def check_bound_outputs(self):
        """Each tool's kubeconfig works: kubectl auth whoami with it alone (not timed)."""
        for name, (cmd, env) in self.tools_bound().items():
            if name == "kubectl create token":
                continue
            out = self.work / "check.kubeconfig"
            with open(out, "wb") as f:
                run(cmd, env=env, stdout=f)
            who = sh(self.k("auth", "whoami", "-o", "jsonpath={.status.userInfo.username}", kubeconfig=out),
                     env=self.env)
            if who != f"system:serviceaccount:{NS}:{SA}":
                raise SystemExit(f"bench: the kubeconfig of {name!r} authenticates as {who!r}")

    def bench_bound(self):
        log(f"1: one bound token, {self.reps} rounds")
        self.check_bound_outputs()
        tools = self.tools_bound()
        times = {n: [] for n in tools}
        names = list(tools)
        for i in range(self.reps):
            for n in rotate(names, i):
                cmd, env = tools[n]
                times[n].append(run(cmd, env=env).wall)
        self.results["bound"] = {n: {"median": median(t), "runs": t} for n, t in times.items()}

    # --- 2: requests per invocation ----------------------------------------------------------

    def bench_requests(self):
        log("2: requests per invocation (audit log)")
        cases = {n: c for n, c in self.tools_bound().items()}
        merge_kc = self.work / "merge-count.kubeconfig"
        out_dir = self.work / "count-dir"
        cases["kubectl-satoken --merge"] = (
            ["bash", "-c", f"cp {self.kc} {merge_kc} && {self.sat} {SA} --kubeconfig {merge_kc} --merge -q"],
            self.env)
        cases["kubectl-satoken --type secret"] = (
            [self.sat, SECRET_SA, "--type", "secret", "--kubeconfig", self.kc, "-q"], self.env)
        cases["kubectl-satoken --output-dir (3 ServiceAccounts)"] = (
            ["bash", "-c", f"rm -rf {out_dir} && {self.sat} -n {NS} --kubeconfig {self.kc} -q "
                           f"--output-dir {out_dir} {' '.join(self.many[:3])}"], self.env)
        reps = 1 if self.quick else 3
        res = {}
        for n, (cmd, env) in cases.items():
            counts, detail = [], None
            for _ in range(reps):
                off = self.audit.offset()
                run(cmd, env=env)
                c, d = self.audit.count(off)
                counts.append(c)
                detail = d
            res[n] = {"counts": counts, "requests": detail}
        self.results["requests"] = res

    # --- 3: --merge into a 10,000-context kubeconfig -----------------------------------------

    def big_kubeconfig(self, n):
        """A kubeconfig like a fleet's: n clusters with a CA, n token users, n contexts, and
        the bench context (current) at the end of each list. About 2.6 kB per context."""
        path = self.work / f"big-{n}.kubeconfig"
        stamp = self.work / f"big-{n}.stamp"
        if path.exists() and stamp.exists() and stamp.read_text() == self.kc_text:
            return path
        rnd = random.Random(5)
        b64 = lambda k: base64.b64encode(rnd.randbytes(k)).decode()
        kc_tok = re.search(r"token: (\S+)", self.kc_text).group(1)
        ca = re.search(r"certificate-authority-data: (\S+)", self.kc_text).group(1)
        # Written as it is generated: this process stays small (see `run`).
        with open(path, "w") as f:
            w = lambda *lines: f.write("".join(line + "\n" for line in lines))
            w("apiVersion: v1", "clusters:")
            for i in range(n):
                w("- cluster:", f"    certificate-authority-data: {b64(1000)}",
                  f"    server: https://cluster-{i:05d}.example.com:6443", f"  name: cluster-{i:05d}")
            w("- cluster:", f"    certificate-authority-data: {ca}", f"    server: {self.server}", "  name: local")
            w("contexts:")
            for i in range(n):
                w("- context:", f"    cluster: cluster-{i:05d}", f"    namespace: team-{i:05d}",
                  f"    user: user-{i:05d}", f"  name: context-{i:05d}")
            w("- context:", "    cluster: local", f"    namespace: {NS}", f"    user: {RUNNER}", "  name: bench")
            w("current-context: bench", "kind: Config", "preferences: {}", "users:")
            for i in range(n):
                w(f"- name: user-{i:05d}", "  user:",
                  f"    token: eyJhbGciOiJSUzI1NiIsImtpZCI6ImJlbmNoIn0.{b64(520)}.{b64(256)}")
            w(f"- name: {RUNNER}", "  user:", f"    token: {kc_tok}")
        path.chmod(0o600)
        stamp.write_text(self.kc_text)
        return path

    def bench_merge(self):
        n = 1000 if self.quick else 10000
        reps = 1 if self.quick else 5
        big = self.big_kubeconfig(n)
        size = big.stat().st_size
        log(f"3: --merge into {n} contexts ({size / 1e6:.1f} MB), {reps} rounds")
        a, b = self.work / "merge-satoken.kubeconfig", self.work / "merge-kubectl.kubeconfig"
        tools = {
            "kubectl-satoken SA --merge": lambda: run([self.sat, SA, "--kubeconfig", a, "--merge", "-q"],
                                                     env=self.env, rss=True),
            "kubectl config set-context": lambda: run(
                self.k("config", "set-context", "bench-new", "--cluster", "local", "--user", RUNNER,
                       "--namespace", NS, kubeconfig=b), env=self.env, rss=True),
        }
        res = {t: {"wall": [], "rss_kib": []} for t in tools}
        for i in range(reps):
            for t in rotate(list(tools), i):
                shutil.copyfile(big, a if "satoken" in t else b)
                r = tools[t]()
                res[t]["wall"].append(r.wall)
                res[t]["rss_kib"].append(r.maxrss_kib)
        # Both did their job (not timed): the new context is in the file, the rest is there.
        # Read line by line: this process stays small (see `run`).
        for path, ctx in [(a, f"local/{NS}/{SA}"), (b, "bench-new")]:
            found, others = False, 0
            with open(path) as f:
                for line in f:
                    found = found or line.rstrip("\n").endswith(f"name: {ctx}")
                    others += "name: context-" in line
            if not found or others != n:
                raise SystemExit(f"bench: the merge into {path} lost or missed something")
        self.results["merge"] = {"contexts": n, "bytes": size, "tools": {
            t: {"wall_median": median(v["wall"]), "rss_median_kib": median(v["rss_kib"]),
                "rss_max_kib": max(v["rss_kib"]), **v} for t, v in res.items()}}

    # --- 4: --type secret, time to a working kubeconfig --------------------------------------

    def poll_script(self, name, out):
        k = f"{self.kubectl} --kubeconfig {self.kc}"
        return f"""set -euo pipefail
cat <<EOF | {k} create -f - >/dev/null
apiVersion: v1
kind: Secret
type: kubernetes.io/service-account-token
metadata:
  name: {name}
  annotations:
    kubernetes.io/service-account.name: {SECRET_SA}
EOF
until token=$({k} get secret {name} -o 'jsonpath={{.data.token}}') && [ -n "$token" ]; do sleep 1; done
ca=$({k} get secret {name} -o 'jsonpath={{.data.ca\\.crt}}')
cat >{out} <<EOF
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: {self.server}
    certificate-authority-data: $ca
users:
- name: {SECRET_SA}
  user:
    token: $(echo "$token" | base64 -d)
contexts:
- name: {SECRET_SA}
  context:
    cluster: local
    user: {SECRET_SA}
    namespace: {NS}
current-context: {SECRET_SA}
EOF
"""

    def filled_at(self, offset, secret):
        """When the tokens controller filled `secret`: the moment the API server received its
        update (the audit log's requestReceivedTimestamp). The update is stored a little later,
        so the time after it is an upper bound of what the tool waited."""
        for e in self.audit.events_since(offset, settle=0.3):
            ref = e.get("objectRef", {})
            if (ref.get("resource") == "secrets" and ref.get("name") == secret and ref.get("namespace") == NS
                    and e.get("verb") in ("update", "patch") and e.get("stage") == "ResponseComplete"
                    and e["user"]["username"] != RUNNER_USER):
                return parse_ts(e["requestReceivedTimestamp"])
        return None

    def bench_secret(self):
        reps = 1 if self.quick else 7
        log(f"4: --type secret, {reps} rounds")
        res = {"kubectl-satoken --type secret": {"total": [], "after_fill": []},
               "polling script (kubectl, every 1 s)": {"total": [], "after_fill": []}}
        for i in range(reps):
            for t in rotate(list(res), i):
                off = self.audit.offset()
                out = self.work / "secret.kubeconfig"
                if "satoken" in t:
                    with open(out, "wb") as f:
                        r = run([self.sat, SECRET_SA, "--type", "secret", "--kubeconfig", self.kc], env=self.env,
                                stdout=f)
                    m = re.search(r"\(Secret (\S+?)\)", r.stderr)
                    if not m:
                        raise SystemExit(f"bench: no Secret name in: {r.stderr}")
                    name = m.group(1)
                else:
                    name = f"{SECRET_SA}-poll-{os.getpid()}-{i}"
                    r = run(["bash", "-c", self.poll_script(name, out)], env=self.env)
                filled = self.filled_at(off, name)
                if filled is None:
                    raise SystemExit(f"bench: no fill of Secret {name} in the audit log")
                res[t]["total"].append(r.wall)
                res[t]["after_fill"].append(r.end - filled)
                if i == 0:
                    who = sh(self.k("auth", "whoami", "-o", "jsonpath={.status.userInfo.username}",
                                    kubeconfig=out), env=self.env)
                    if who != f"system:serviceaccount:{NS}:{SECRET_SA}":
                        raise SystemExit(f"bench: the kubeconfig of {t!r} authenticates as {who!r}")
        sh(self.k("delete", "secrets", "--all", "--wait=false"), env=self.env)
        self.results["secret"] = {t: {"total_median": median(v["total"]),
                                      "after_fill_median": median(v["after_fill"]),
                                      "after_fill_max": max(v["after_fill"]), **v} for t, v in res.items()}

    # --- 5: 100 ServiceAccounts ---------------------------------------------------------------

    def bench_many(self):
        reps = 1 if self.quick else 3
        n = len(self.many)
        log(f"5: {n} ServiceAccounts, {reps} rounds")
        out_dir = self.work / "many"
        res = {f"kubectl-satoken --output-dir ({n} kubeconfigs)": [],
               f"{n} runs of kubectl create token": []}
        for i in range(reps):
            for t in rotate(list(res), i):
                if "satoken" in t:
                    shutil.rmtree(out_dir, ignore_errors=True)
                    r = run([self.sat, "-n", NS, "--kubeconfig", self.kc, "-q", "--output-dir", out_dir, *self.many],
                            env=self.env)
                    if len(list(out_dir.glob("*.kubeconfig"))) != n:
                        raise SystemExit("bench: --output-dir did not write every kubeconfig")
                    res[t].append(r.wall)
                else:
                    t0 = time.perf_counter()
                    for sa in self.many:
                        run(self.k("-n", NS, "create", "token", sa), env=self.env)
                    res[t].append(time.perf_counter() - t0)
        self.results["many"] = {"n": n, "tools": {t: {"median": median(v), "runs": v} for t, v in res.items()}}

    # --- 6: binary size and --version ---------------------------------------------------------

    def bench_binary(self):
        reps = 11 if self.quick else 51
        log(f"6: binary size and --version, {reps} runs")
        size = os.path.getsize(self.sat)
        stripped = self.work / "kubectl-satoken.stripped"
        stripped_size = None
        if shutil.which("strip"):
            subprocess.run(["strip", "-o", str(stripped), self.sat], check=True)
            stripped_size = os.path.getsize(stripped)
        version, kver, true = [], [], []
        for _ in range(reps):
            version.append(run([self.sat, "--version"]).wall)
            kver.append(run([self.kubectl, "version", "--client"], env=self.env).wall)
            true.append(run(["/bin/true"]).wall)
        self.results["binary"] = {"bytes": size, "stripped_bytes": stripped_size,
                                  "version_median": median(version), "version_runs": version,
                                  "kubectl_version_client_median": median(kver),
                                  "spawn_baseline_median": median(true)}

    # --- report -------------------------------------------------------------------------------

    def machine(self):
        def first(cmd):
            try:
                return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
            except OSError:
                return "?"
        mem = first(["grep", "MemTotal", "/proc/meminfo"]).split()
        cpu = first(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"]).strip()
        return {
            "nproc": os.cpu_count(), "cpu": cpu,
            "mem_gib": round(int(mem[1]) / 1048576, 1) if len(mem) > 1 else None,
            "load": os.getloadavg(), "kernel": platform.release(), "top": Bench.busiest(),
        }

    @staticmethod
    def busiest():
        try:
            out = subprocess.run(["ps", "-eo", "pcpu,comm", "--sort=-pcpu", "--no-headers"],
                                 capture_output=True, text=True).stdout
        except OSError:
            return ["?"]
        return [" ".join(t.split()) for t in out.splitlines()[:5]]

    def versions(self):
        def out(cmd, env=None):
            try:
                return subprocess.run(cmd, capture_output=True, text=True, env=env).stdout.strip()
            except OSError:
                return "?"
        kv = out([self.kubectl, "version", "--client", "-o", "json"], env=self.env)
        try:
            kv = json.loads(kv)["clientVersion"]["gitVersion"]
        except (ValueError, KeyError):
            pass
        status = out([str(Path(self.a.repo) / "tests/cluster/local-cluster"), "status"])
        cluster = next((l.split(":", 1)[1].strip() for l in status.splitlines() if l.startswith("version")), "?")
        commit = out(["git", "-C", self.a.repo, "describe", "--always", "--dirty"])
        return {"kubectl-satoken": f"{out([self.sat, '--version'])} ({commit})", "kubectl": kv,
                "cluster": cluster,
                **{f"peer {PEERS[p][0]}": f"{v} (built from ../shared/peers/{p})"
                   for p, v in self.a.peer_version.items() if p in self.peers},
                "rustc": out(["rustc", "-V"]), "go": out(["go", "version"]), "python": platform.python_version()}


def parse_ts(ts):
    # 2026-11-24T08:12:53.547391Z -> epoch seconds
    from datetime import datetime, timezone
    base, _, frac = ts.rstrip("Z").partition(".")
    dt = datetime.strptime(base, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    return dt.timestamp() + (float("0." + frac) if frac else 0.0)


QUICK = False


def verdict(ok):
    if QUICK:
        return "(quick: not judged)"
    return "**pass**" if ok else "**FAIL**"


def report(b, started, load_before, load_after, machine, versions, argv):
    r = b.results
    L = []
    w = L.append
    w(f"Generated by `{argv}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(started))}"
      f" ({time.time() - started:.0f} s).")
    if b.quick:
        w("")
        w("**Quick mode: a check that the benchmark works; these numbers are not the benchmark.**")
    w("")
    w("### Results")
    w("")
    w("| # | comparison | kubectl-satoken | other | ratio | target | result |")
    w("|---|---|---|---|---|---|---|")
    bound = r["bound"]
    sat = bound["kubectl-satoken"]["median"]
    kct = bound["kubectl create token"]["median"]
    man = bound["manual path (5 kubectl runs)"]["median"]
    plug = bound["kubectl satoken (through kubectl's plugin lookup)"]["median"]
    w(f"| 1 | bound token to stdout vs `kubectl create token` | {ms(sat)} | {ms(kct)} | {sat / kct:.2f}x "
      f"| ≤ 0.5x | {verdict(sat / kct <= 0.5)} |")
    w(f"| 1 | same vs the manual path (create token, set-cluster --embed-certs, set-credentials, "
      f"set-context, view --minify --flatten) | {ms(sat)} | {ms(man)} | {sat / man:.3f}x | ≤ 0.1x "
      f"| {verdict(sat / man <= 0.1)} |")
    for p, (name, tool, usage) in PEERS.items():
        if tool in bound:
            pv = bound[tool]["median"]
            w(f"| 1 | same vs the peer {name} ({usage}) | {ms(sat)} | {ms(pv)} | {sat / pv:.2f}x | ≤ 1x "
              f"| {verdict(sat <= pv)} |")
        else:
            why = b.a.peer_error.get(p, "not built")
            w(f"| 1 | same vs the peer {name}: not measured ({why}) | {ms(sat)} | — | — | ≤ 1x | not measured |")
    w(f"| 1 | (info) `kubectl satoken` through kubectl's plugin lookup vs `kubectl create token` | {ms(plug)} "
      f"| {ms(kct)} | {plug / kct:.2f}x | — | kubectl's own start-up is in both |")
    req = r["requests"]
    c = req["kubectl-satoken"]["counts"]
    w(f"| 2 | requests: bound token to stdout, CA in the kubeconfig | {max(c)} | `kubectl create token`: "
      f"{max(req['kubectl create token']['counts'])} | — | exactly 1 | {verdict(set(c) == {1})} |")
    for name, v in req.items():
        if name in ("kubectl-satoken", "kubectl create token"):
            continue
        cell = name.replace("|", "\\|")
        w(f"| 2 | (info) requests: {cell} | {', '.join(sorted(set(map(str, v['counts']))))} | | | | "
          f"{'; '.join(v['requests'] or [])} |")
    m = r["merge"]
    ms_ = m["tools"]["kubectl-satoken SA --merge"]
    mk = m["tools"]["kubectl config set-context"]
    w(f"| 3 | `--merge` into {m['contexts']:,} contexts ({m['bytes'] / 1e6:.1f} MB) vs `kubectl config "
      f"set-context`: wall | {ms(ms_['wall_median'])} | {ms(mk['wall_median'])} "
      f"| {ms_['wall_median'] / mk['wall_median']:.3f}x | ≤ 0.1x "
      f"| {verdict(ms_['wall_median'] / mk['wall_median'] <= 0.1)} |")
    w(f"| 3 | same: peak memory (max RSS, median; max of runs) | {ms_['rss_median_kib'] / 1024:.1f} MiB "
      f"({ms_['rss_max_kib'] / 1024:.1f}) | {mk['rss_median_kib'] / 1024:.1f} MiB "
      f"| {ms_['rss_median_kib'] / mk['rss_median_kib']:.3f}x | ≤ 100 MiB "
      f"| {verdict(ms_['rss_max_kib'] <= 100 * 1024)} |")
    s = r["secret"]
    ss = s["kubectl-satoken --type secret"]
    sp = s["polling script (kubectl, every 1 s)"]
    w(f"| 4 | `--type secret`: after the controller filled the Secret (median; max) "
      f"| {ms(ss['after_fill_median'])} ({ms(ss['after_fill_max'])}) | {ms(sp['after_fill_median'])} "
      f"({ms(sp['after_fill_max'])}) | {ss['after_fill_median'] / sp['after_fill_median']:.2f}x | ≤ 100 ms "
      f"| {verdict(ss['after_fill_max'] <= 0.1)} |")
    w(f"| 4 | same: whole command, time to a working kubeconfig | {ms(ss['total_median'])} "
      f"| {ms(sp['total_median'])} | {ss['total_median'] / sp['total_median']:.2f}x | — | |")
    many = r["many"]
    keys = list(many["tools"])
    mv, kv = many["tools"][keys[0]]["median"], many["tools"][keys[1]]["median"]
    w(f"| 5 | {many['n']} ServiceAccounts: `--output-dir` vs {many['n']} runs of `kubectl create token` "
      f"| {ms(mv)} | {ms(kv)} | {mv / kv:.3f}x ({kv / mv:.1f}x faster) | < 2 s and ≥ 5x faster "
      f"| {verdict(mv < 2 and kv / mv >= 5)} |")
    bi = r["binary"]
    stripped = bi["stripped_bytes"] or bi["bytes"]
    what = "debug binary (quick mode)" if QUICK else "release binary"
    w(f"| 6 | {what} (as built; after `strip`) | {bi['bytes'] / 1e6:.2f} MB; {stripped / 1e6:.2f} MB "
      f"| | | < 15 MB | {verdict(stripped < 15e6)} |")
    w(f"| 6 | `kubectl-satoken --version` (spawn to exit; `/bin/true`: {ms(bi['spawn_baseline_median'])}) "
      f"| {ms(bi['version_median'])} | `kubectl version --client`: {ms(bi['kubectl_version_client_median'])} "
      f"| {bi['version_median'] / bi['kubectl_version_client_median']:.3f}x | < 5 ms "
      f"| {verdict(bi['version_median'] < 0.005)} |")
    w("")
    busy = " (the machine is shared: other work ran meanwhile)" if load_before[0] > machine["nproc"] / 2 else ""
    w(f"Load average (1, 5, 15 min) on {machine['nproc']} CPUs: {' '.join(f'{x:.2f}' for x in load_before)} "
      f"at the start, {' '.join(f'{x:.2f}' for x in load_after)} at the end{busy}. Absolute times carry that "
      "load; the tools of each comparison ran interleaved under the same load.")
    w("")
    w(f"Medians of {b.reps} rounds for 1 (tools interleaved, the start rotating each round), "
      f"{len(ms_['wall'])} for 3, {len(ss['total'])} for 4, {len(many['tools'][keys[0]]['runs'])} for 5, "
      f"{len(bi['version_runs'])} for 6. Times are from spawn to exit as the harness sees them "
      "(Python `Popen` + `wait4`), peak memory is the process's max RSS as GNU time reports it. Requests are the "
      "audit log's `ResponseComplete` events of the bench user during one invocation.")
    w("")
    w("### All runs (seconds)")
    w("")
    w("```")
    for name, v in bound.items():
        w(f"1 {name}: " + " ".join(f"{x:.4f}" for x in v["runs"]))
    for name, v in m["tools"].items():
        w(f"3 {name}: wall " + " ".join(f"{x:.3f}" for x in v["wall"]) + "; max RSS KiB "
          + " ".join(str(x) for x in v["rss_kib"]))
    for name, v in s.items():
        w(f"4 {name}: total " + " ".join(f"{x:.3f}" for x in v["total"]) + "; after fill "
          + " ".join(f"{x:.4f}" for x in v["after_fill"]))
    for name, v in many["tools"].items():
        w(f"5 {name}: " + " ".join(f"{x:.3f}" for x in v["runs"]))
    w(f"6 --version: " + " ".join(f"{x:.4f}" for x in bi["version_runs"]))
    w("```")
    w("")
    w("### Machine and versions")
    w("")
    w(f"- {machine['nproc']} CPUs ({machine['cpu']}), {machine['mem_gib']} GiB memory, Linux {machine['kernel']}")
    w(f"- busiest processes at the start (%CPU since each started, command): {'; '.join(machine['top'])}")
    w(f"- busiest processes at the end: {'; '.join(Bench.busiest())}")
    for k, v in versions.items():
        w(f"- {k}: {v}")
    for p, why in b.a.peer_error.items():
        w(f"- peer {PEERS[p][0]} not measured: {why}")
    return "\n".join(L) + "\n"


def peer_value(text):
    peer, sep, value = text.partition("=")
    if not sep or peer not in PEERS:
        raise argparse.ArgumentTypeError(f"expected ID=VALUE with ID one of {', '.join(PEERS)}: {text!r}")
    return peer, value


def main():
    p = argparse.ArgumentParser()
    for opt in ["satoken", "kubectl", "admin", "cluster-state", "work", "repo"]:
        p.add_argument(f"--{opt}", required=True)
    # Per peer (an id of PEERS), ID=VALUE: its binary, what it was built from, or why it was not.
    for opt in ["peer", "peer-version", "peer-error"]:
        p.add_argument(f"--{opt}", action="append", default=[], type=peer_value, metavar="ID=VALUE")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--write-doc", action="store_true")
    p.add_argument("--reps", type=int, default=21)
    p.add_argument("--only", default="", help="comma-separated: bound,requests,merge,secret,many,binary")
    a = p.parse_args()
    a.peer, a.peer_version, a.peer_error = dict(a.peer), dict(a.peer_version), dict(a.peer_error)
    global QUICK
    QUICK = a.quick
    if a.quick and a.write_doc:
        raise SystemExit("bench: --quick numbers do not go into BENCHMARKS.md")
    argv = "bench/run" + "".join(f" {x}" for x in sys.argv[1:] if x in ("--quick", "--write-doc")) + (
        f" --reps {a.reps}" if a.reps != 21 else "")
    started = time.time()
    load_before = os.getloadavg()
    b = Bench(a)
    machine = b.machine()
    b.setup()
    only = set(filter(None, a.only.split(",")))
    steps = [("bound", b.bench_bound), ("requests", b.bench_requests), ("merge", b.bench_merge),
             ("secret", b.bench_secret), ("many", b.bench_many), ("binary", b.bench_binary)]
    for name, step in steps:
        if not only or name in only:
            step()
    load_after = os.getloadavg()
    (Path(a.work) / "results.json").write_text(json.dumps(b.results, indent=1))
    if only:
        print(json.dumps(b.results, indent=1))
        return
    text = report(b, started, load_before, load_after, machine, b.versions(), argv)
    (Path(a.work) / "report.md").write_text(text)
    print(text)
    if a.write_doc:
        doc = Path(a.repo) / "BENCHMARKS.md"
        begin, end = "<!-- bench/run: begin -->", "<!-- bench/run: end -->"
        old = doc.read_text() if doc.exists() else f"# Benchmarks\n\n{begin}\n{end}\n"
        if begin not in old or end not in old:
            raise SystemExit(f"bench: {doc} has no {begin} ... {end} section")
        head, rest = old.split(begin, 1)
        _, tail = rest.split(end, 1)
        doc.write_text(f"{head}{begin}\n{text}{end}{tail}")
        log(f"wrote the report into {doc}")


if __name__ == "__main__":
    main()
