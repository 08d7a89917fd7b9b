#!/usr/bin/env bash
# Checks the operator material in docs/ops: the Prometheus alert rules and their unit tests, the
# example Prometheus configuration, the Grafana dashboard and its provisioning files, and that each
# alert's runbook link has its section in docs/ops/runbook.md.
#
#   bash scripts/ops-check.sh        (from the repository root; CI runs it)
#
# Needs promtool and python3. When promtool is missing and the script runs as root, it installs
# Debian's `prometheus` package (which brings promtool) without letting the package start its
# service: /usr/sbin/policy-rc.d refuses every start while apt-get runs, and is removed again
# afterwards when this script created it.
set -euo pipefail

cd "$(dirname "$0")/.."

OPS=docs/ops
DASHBOARD=$OPS/grafana/seckiller-dashboard.json
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

passed=0
failed=0

# Runs one step in a subshell with `set -e` in force, and prints its verdict.
step() {
    local name=$1
    shift
    echo "==> $name"
    set +e
    (
        set -euo pipefail
        "$@"
    )
    local rc=$?
    set -e
    if [ "$rc" -eq 0 ]; then
        echo "PASS: $name"
        passed=$((passed + 1))
    else
        echo "FAIL: $name (exit $rc)"
        failed=$((failed + 1))
        echo "ops-check: $passed passed, $failed failed"
        exit 1
    fi
}

apt_install() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "$* missing, and not root: install Debian's package(s) $* first" >&2
        return 1
    fi
    local policy=/usr/sbin/policy-rc.d created=0
    if [ ! -e "$policy" ]; then
        # Refuse every service start while the packages install (exit 101: action forbidden).
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod +x "$policy"
        created=1
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
    if [ "$created" -eq 1 ]; then
        rm -f "$policy"
        trap - EXIT
    fi
}

ensure_tools() {
    if ! command -v python3 >/dev/null 2>&1; then
        echo "python3 not found: installing python3"
        apt_install python3
    fi
    if command -v promtool >/dev/null 2>&1; then
        echo "promtool found: $(command -v promtool)"
    else
        echo "promtool not found: installing Debian's prometheus package (its service is not started)"
        apt_install prometheus
    fi
    promtool --version 2>&1 | head -n 1
}

check_rules() {
    promtool check rules "$OPS/alerts.yml"
}

test_rules() {
    promtool test rules "$OPS/alerts.test.yml"
}

check_config() {
    # rule_files is relative to the configuration file, which promtool resolves; should an older
    # promtool resolve it against the working directory instead, check from docs/ops.
    if ! promtool check config "$OPS/prometheus.yml"; then
        echo "retrying from $OPS"
        (cd "$OPS" && promtool check config prometheus.yml)
    fi
}

dashboard_parses() {
    python3 -m json.tool "$DASHBOARD" >/dev/null
    echo "$DASHBOARD is valid JSON"
}

# The dashboard's shape, and every panel target's expr: present, non-empty, and using no
# variable other than $__rate_interval and $sale. Writes the exprs (with $__rate_interval as 1m
# and $sale as .+) as recording rules, so that promtool parses them as PromQL in the next step.
dashboard_targets() {
    python3 - "$DASHBOARD" "$WORK/dashboard-rules.yml" <<'EOF'
import json, re, sys

path, out = sys.argv[1], sys.argv[2]
d = json.load(open(path))
problems = []

def need(cond, what):
    if not cond:
        problems.append(what)

need(d.get("uid") == "seckiller-sale", 'uid is not "seckiller-sale"')
need(isinstance(d.get("schemaVersion"), int) and d["schemaVersion"] >= 36, "schemaVersion missing or too old")
variables = {v.get("name"): v for v in d.get("templating", {}).get("list", [])}
ds = variables.get("datasource", {})
need(ds.get("type") == "datasource" and ds.get("query") == "prometheus",
     "no `datasource` variable of type datasource for prometheus")
sale = variables.get("sale", {})
sale_query = sale.get("query")
if isinstance(sale_query, dict):
    sale_query = sale_query.get("query")
need(sale.get("type") == "query" and sale_query == "label_values(seckiller_sale_open, sale)",
     "no `sale` variable from label_values(seckiller_sale_open, sale)")

allowed = {"$__rate_interval", "$sale"}
rules, ids, count = [], set(), 0
for panel in d.get("panels", []):
    if panel.get("type") == "row":
        continue
    title = panel.get("title") or "(untitled)"
    need(panel.get("id") not in ids, f"panel id {panel.get('id')} used twice")
    ids.add(panel.get("id"))
    need("gridPos" in panel, f"panel {title!r} has no gridPos")
    need(panel.get("datasource", {}).get("uid") == "${datasource}",
         f"panel {title!r} does not use ${{datasource}}")
    targets = panel.get("targets") or []
    need(targets, f"panel {title!r} has no targets")
    refs = [t.get("refId") for t in targets]
    need(len(refs) == len(set(refs)), f"panel {title!r} repeats a refId")
    for t in targets:
        expr = (t.get("expr") or "").strip()
        where = f"panel {title!r} target {t.get('refId')}"
        if not expr:
            problems.append(f"{where}: empty expr")
            continue
        count += 1
        for var in re.findall(r"\$\{?\w+\}?", expr):
            need(var in allowed, f"{where}: uses variable {var} (only $__rate_interval and $sale)")
        need(t.get("datasource", {}).get("uid") == "${datasource}", f"{where} does not use ${{datasource}}")
        rules.append({
            "record": f"seckiller_dashboard:panel_{panel.get('id')}_{t.get('refId')}",
            "expr": expr.replace("$__rate_interval", "1m").replace("$sale", ".+"),
        })

if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
# JSON is YAML: promtool reads this as a rule file.
json.dump({"groups": [{"name": "seckiller-dashboard", "rules": rules}]}, open(out, "w"), indent=1)
print(f"{len(ids)} panels, {count} target exprs, none empty")
EOF
}

dashboard_promql() {
    promtool check rules "$WORK/dashboard-rules.yml"
}

provisioning_files() {
    local f
    for f in "$OPS"/grafana/provisioning/datasources/*.yaml "$OPS"/grafana/provisioning/dashboards/*.yaml; do
        grep -q '^apiVersion: 1$' "$f" || { echo "$f: no 'apiVersion: 1'" >&2; return 1; }
        if python3 -c 'import yaml' 2>/dev/null; then
            python3 -c 'import sys, yaml; yaml.safe_load(open(sys.argv[1]))' "$f"
            echo "$f parses"
        else
            echo "$f: has apiVersion 1 (PyYAML not installed, not parsed)"
        fi
    done
    grep -q 'path: /var/lib/grafana/dashboards/seckiller' "$OPS/grafana/provisioning/dashboards/seckiller.yaml"
}

runbook_links() {
    python3 - "$OPS/alerts.yml" "$OPS/runbook.md" <<'EOF'
import re, sys

alerts, runbook = open(sys.argv[1]).read(), open(sys.argv[2]).read()
# GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens.
anchors = {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-")
           for h in re.findall(r"^#{1,6} (.+)$", runbook, re.M)}
names = re.findall(r"^\s*- alert: (\S+)", alerts, re.M)
links = re.findall(r'runbook_url: "docs/ops/runbook\.md#([^"]+)"', alerts)
problems = []
if len(links) != len(names):
    problems.append(f"{len(names)} alerts but {len(links)} runbook_url links to docs/ops/runbook.md")
problems += [f"runbook_url #{a} has no section in runbook.md" for a in links if a not in anchors]
problems += [f"alert {n} has no section named after it" for n in names if n.lower() not in anchors]
if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"{len(names)} alerts, each with its runbook section")
EOF
}

step "promtool available" ensure_tools
step "promtool check rules $OPS/alerts.yml" check_rules
step "promtool test rules $OPS/alerts.test.yml" test_rules
step "promtool check config $OPS/prometheus.yml" check_config
step "dashboard JSON parses" dashboard_parses
step "dashboard panels and target exprs" dashboard_targets
step "dashboard exprs are valid PromQL (promtool)" dashboard_promql
step "Grafana provisioning files" provisioning_files
step "runbook section for every alert" runbook_links

echo "ops-check: $passed passed, $failed failed"
