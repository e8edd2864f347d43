#!/usr/bin/env bash
# Reviewed tenant changes with nothing but the `activepieces` CLI and its exit codes.
#
#   tenants.sh plan    # on a pull request: save the plan, say whether anything changes
#   tenants.sh apply   # on merge: apply the reviewed plan, exactly, or refuse
#
# Environment: ACTIVEPIECES_URL, ACTIVEPIECES_API_KEY (the CLI reads them), and optionally
# TENANTS_FILE (tenants.yaml), PLAN_FILE (plan.json), PLAN_TEXT (plan.txt, the readable plan),
# MAX_DELETIONS (5), PRUNE (true: delete TEAM projects missing from the file).
# Exit codes: 0 done (plan: no changes), 2 plan: changes pending, 7 apply: the plan is stale
# (the platform or the file moved on since review; nothing applied), 1 anything else failed.
set -uo pipefail

tenants_file=${TENANTS_FILE:-tenants.yaml}
plan_file=${PLAN_FILE:-plan.json}
plan_text=${PLAN_TEXT:-plan.txt}
max_deletions=${MAX_DELETIONS:-5}
prune=()
if [[ ${PRUNE:-true} == true ]]; then prune=(--prune); fi

output() {  # name=value for the next CI steps (GitHub Actions), ignored elsewhere
    if [[ -n ${GITHUB_OUTPUT:-} ]]; then echo "$1" >>"$GITHUB_OUTPUT"; fi
}

case ${1:-} in
plan)
    activepieces tenants plan "$tenants_file" "${prune[@]}" \
        --out "$plan_file" --detailed-exitcode >"$plan_text"
    code=$?
    cat "$plan_text"
    case $code in
    0) echo "No changes: the platform already matches $tenants_file."; output changes=false ;;
    2) echo "Changes pending: review $plan_text; $plan_file is what merging applies."
       output changes=true ;;
    *) echo "Planning failed (exit $code)." >&2; exit 1 ;;
    esac
    exit "$code"
    ;;
apply)
    if [[ ! -f $plan_file ]]; then
        echo "No reviewed plan ($plan_file): nothing to apply." >&2
        exit 1
    fi
    # Every tenant project the plan deletes is archived here first (tenants restore).
    activepieces tenants apply "$plan_file" --document "$tenants_file" \
        --max-deletions "$max_deletions" --archive "${ARCHIVE:-archives}" --yes
    code=$?
    case $code in
    0) echo "Applied the reviewed plan." ;;
    1) echo "Some tenants failed (listed above); the others were applied. Plan again." >&2 ;;
    3) echo "Refused: the API key was rejected (see above). Nothing was applied." >&2 ;;
    7) echo "Refused: the plan is stale (see above)." \
            "Nothing was applied; plan again and review the new plan." >&2 ;;
    6) echo "Refused: the plan deletes more than $max_deletions project(s)." >&2 ;;
    *) echo "Apply failed (exit $code)." >&2 ;;
    esac
    exit "$code"
    ;;
*)
    echo "usage: $0 plan|apply" >&2
    exit 1
    ;;
esac
