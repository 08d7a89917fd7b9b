"""Which operations a Schemathesis run reached, from its HAR report: prints each operation's
statuses seen and exits non-zero when one never answered 2xx (the run never got past its
refusals, so its success path went untested).

Usage: python3 scripts/schemathesis_coverage.py OPENAPI_JSON HAR_FILE
"""

import json
import re
import sys
from collections import defaultdict
from urllib.parse import urlsplit


def operations(document):
    """(method, compiled path pattern, literal segments, operationId) for each operation."""
    found = []
    for path, item in document["paths"].items():
        pattern = re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", path) + "$")
        literals = sum(1 for s in path.split("/") if s and not s.startswith("{"))
        for method, operation in item.items():
            found.append((method.upper(), pattern, literals, operation["operationId"]))
    return found


def operation_of(known, method, path):
    """The operation a request went to: the matching template with the most literal segments."""
    matches = [(lit, op) for (m, pat, lit, op) in known if m == method and pat.match(path)]
    return max(matches)[1] if matches else None


def main():
    document_path, har_path = sys.argv[1], sys.argv[2]
    with open(document_path) as f:
        known = operations(json.load(f))
    with open(har_path) as f:
        entries = json.load(f)["log"]["entries"]
    seen = defaultdict(lambda: defaultdict(int))
    for entry in entries:
        request = entry["request"]
        op = operation_of(known, request["method"].upper(), urlsplit(request["url"]).path)
        if op is not None:
            seen[op][entry["response"]["status"]] += 1
    missing = []
    for _, _, _, op in sorted(known, key=lambda k: k[3]):
        statuses = seen.get(op, {})
        listed = " ".join(f"{s}×{n}" for s, n in sorted(statuses.items())) or "no requests"
        ok = any(200 <= s < 300 for s in statuses)
        print(f"{'  ' if ok else '✗ '}{op:<24} {listed}")
        if not ok:
            missing.append(op)
    if missing:
        print(f"\n{len(missing)} operation(s) never answered 2xx: {', '.join(missing)}")
        return 1
    print(f"\nevery one of {len(known)} operations answered 2xx at least once")
    return 0


if __name__ == "__main__":
    sys.exit(main())
