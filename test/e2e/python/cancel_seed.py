"""CancelFlowExecutions, the seed document's sentences driven by boto3 against a live Sluice.

Run by test/e2e/boto3-cancel.test.ts as `python cancel_seed.py <case>`, which prepares the input data
first. Environment: SLUICE_ENDPOINT (the server URL); for the PostgreSQL cases also SLUICE_PG_URL and
SLUICE_PG_TABLE, SLUICE_PG_BIG_TABLE and
SLUICE_PG_GATED_TABLE (and SLUICE_RUN_ID for the steps of one run). Each case asserts what it can see through the API (raising on failure) and prints a
JSON summary as its last line for the TS side to check what only it can see (files, table rows).
"""

import json
import os
import sys
from datetime import datetime, timedelta, timezone
from urllib.parse import urlparse

from appflow_steps import (
    af,
    cancel,
    check,
    copy_tasks,
    create_s3_flow,
    is_terminal,
    processing,
    record,
    result,
    s3_source,
    start,
    wait_run,
)


def case_setup():
    create_s3_flow("small", "in-bucket", "small", "out-small")
    create_s3_flow("broken", "no-such-bucket", "x", "out-x")
    names = sorted(f["flowName"] for f in af.list_flows(maxResults=100)["flows"])
    check(names == ["broken", "small"], f"list_flows: {names}")
    return {"flows": names}


def create_pg_profile():
    url = urlparse(os.environ["SLUICE_PG_URL"])
    af.create_connector_profile(
        connectorProfileName="pg",
        connectorType="Redshift",
        connectionMode="Public",
        connectorProfileConfig={
            "connectorProfileProperties": {
                "Redshift": {
                    "databaseUrl": f"jdbc:redshift://{url.hostname}:{url.port or 5432}{url.path}",
                    "bucketName": "sluice-staging",
                    "roleArn": "arn:aws:iam::000000000000:role/sluice",
                }
            },
            "connectorProfileCredentials": {"Redshift": {"username": url.username or "postgres", "password": "x"}},
        },
    )


def create_pg_flow(name, table):
    redshift = {
        "object": table,
        "intermediateBucketName": "sluice-staging",
        "errorHandlingConfig": {"failOnFirstDestinationError": True},
    }
    af.create_flow(
        flowName=name,
        triggerConfig={"triggerType": "OnDemand"},
        sourceFlowConfig=s3_source("in-bucket", "slow"),
        destinationFlowConfigList=[
            {
                "connectorType": "Redshift",
                "connectorProfileName": "pg",
                "destinationConnectorProperties": {"Redshift": redshift},
            }
        ],
        tasks=copy_tasks(),
    )


def case_setup_pg():
    """The runs that must still be going when cancelled write into SLUICE_PG_BIG_TABLE, whose trigger
    sleeps per row: "big" and "big2" take minutes by construction, however fast the machine."""
    create_pg_profile()
    create_pg_flow("to-pg", os.environ["SLUICE_PG_TABLE"])
    create_pg_flow("to-gate", os.environ["SLUICE_PG_GATED_TABLE"])
    for name in ("big", "big2"):
        create_pg_flow(name, os.environ["SLUICE_PG_BIG_TABLE"])
    names = sorted(f["flowName"] for f in af.list_flows(maxResults=100)["flows"])
    check(names == ["big", "big2", "broken", "small", "to-gate", "to-pg"], f"list_flows: {names}")
    return {"flows": names}


def case_cancel_active():
    run = start("big")
    wait_run("big", run, processing, "the run to be processing")
    check(cancel("big", [run]) == [], "an in-progress run is cancelled")
    done = wait_run("big", run, is_terminal, "the run to end")
    check(done["executionStatus"] == "Canceled", f"status {done['executionStatus']}")
    return {"executionId": run, "status": done["executionStatus"], "recordsProcessed": result(done, "recordsProcessed")}


def case_ids_and_all():
    ids = [start("big2") for _ in range(3)]
    for run in ids:
        wait_run("big2", run, lambda r: r["executionStatus"] == "InProgress", "the run to be in progress")
    # An empty list cancels nothing: only leaving the member out means "all".
    check(cancel("big2", []) == [], "[] reports nothing invalid")
    still = [record("big2", run)["executionStatus"] for run in ids]
    check(still == ["InProgress"] * 3, f"[] cancelled nothing: {still}")
    check(cancel("big2", [ids[0]]) == [], "cancel by id")
    first = wait_run("big2", ids[0], is_terminal, "the first run to end")["executionStatus"]
    check(first == "Canceled", f"first run {first}")
    others = [record("big2", run)["executionStatus"] for run in ids[1:]]
    check("Canceled" not in others, f"only the named run was cancelled: {others}")
    check(cancel("big2") == [], "cancel all")
    final = [wait_run("big2", run, is_terminal, "the run to end")["executionStatus"] for run in ids]
    check(final == ["Canceled"] * 3, f"all cancelled: {final}")
    return {"emptyList": still, "afterOne": [first, *others], "final": final}


def case_completed_or_failed():
    ok = start("small")
    ok_status = wait_run("small", ok, is_terminal, "the small run to end")["executionStatus"]
    bad = start("broken")
    bad_status = wait_run("broken", bad, is_terminal, "the broken run to end")["executionStatus"]
    check([ok_status, bad_status] == ["Successful", "Error"], f"statuses {ok_status} {bad_status}")
    invalid = {"completed": cancel("small", [ok]), "failed": cancel("broken", [bad])}
    check(invalid == {"completed": [ok], "failed": [bad]}, f"invalidExecutions {invalid}")
    after = [record("small", ok)["executionStatus"], record("broken", bad)["executionStatus"]]
    check(after == ["Successful", "Error"], f"unchanged: {after}")
    return {"invalid": invalid, "statuses": after}


def case_not_started():
    # A scheduled flow whose first tick is a day away: activated, but no run has started.
    first_tick = datetime.now(timezone.utc) + timedelta(days=1)
    trigger = {"scheduleExpression": "rate(1days)", "scheduleStartTime": first_tick}
    af.create_flow(
        flowName="scheduled",
        triggerConfig={"triggerType": "Scheduled", "triggerProperties": {"Scheduled": trigger}},
        sourceFlowConfig=s3_source("in-bucket", "small"),
        destinationFlowConfigList=[
            {"connectorType": "S3", "destinationConnectorProperties": {"S3": {"bucketName": "out-x"}}}
        ],
        tasks=copy_tasks(),
    )
    activated = af.start_flow(flowName="scheduled")
    check(activated["flowStatus"] == "Active", f"StartFlow activates a scheduled flow: {activated}")
    check(not activated.get("executionId"), f"activating starts no run: {activated}")
    # Nothing is in progress: cancelling all cancels nothing, and any id is invalid.
    check(cancel("scheduled") == [], "cancel all on a flow with no run in progress")
    future = "00000000-0000-4000-8000-000000000000"
    invalid = cancel("scheduled", [future])
    check(invalid == [future], f"a run that hasn't started can't be cancelled: {invalid}")
    # StopFlow is how a scheduled run is prevented: the flow is deactivated.
    stopped = af.stop_flow(flowName="scheduled")["flowStatus"]
    status = af.describe_flow(flowName="scheduled")["flowStatus"]
    check([stopped, status] == ["Suspended", "Suspended"], f"StopFlow deactivates: {stopped} {status}")
    runs = af.describe_flow_execution_records(flowName="scheduled")["flowExecutions"]
    check(runs == [], f"no run was created: {runs}")
    return {"invalid": invalid, "activated": activated["flowStatus"], "stopped": status, "runs": len(runs)}


def case_no_resume():
    run = start("big")
    wait_run("big", run, processing, "the run to be processing")
    cancel("big", [run])
    canceled = wait_run("big", run, is_terminal, "the run to end")
    check(canceled["executionStatus"] == "Canceled", f"status {canceled['executionStatus']}")
    recancel = cancel("big", [run])
    check(recancel == [run], f"a canceled run can't be cancelled again: {recancel}")
    nxt = start("big")
    check(nxt != run, "StartFlow makes a new run")
    cancel("big", [nxt])
    wait_run("big", nxt, is_terminal, "the second run to end")
    again = record("big", run)
    check(again["executionStatus"] == "Canceled", f"the first run stays Canceled: {again['executionStatus']}")
    check(again["executionResult"] == canceled["executionResult"], "its counts don't change")
    return {"first": run, "second": nxt, "recancel": recancel}


def case_cancel_started_begin():
    """Starts a run into SLUICE_PG_GATED_TABLE, which holds its third batch in flight until the TS side
    opens the gate: the run can't end while its CancelStarted is checked, however slow the calls are."""
    run = start("to-gate")
    wait_run("to-gate", run, lambda r: result(r, "bytesWritten") > 0, "a committed batch")
    return {"executionId": run}


def case_cancel_started_check():
    run = os.environ["SLUICE_RUN_ID"]
    check(cancel("to-gate", [run]) == [], "the run is cancelled")
    right_after = record("to-gate", run)["executionStatus"]
    check(right_after == "CancelStarted", f"status right after the cancel: {right_after}")
    check(cancel("to-gate", [run]) == [], "a repeated cancel while stopping is accepted")
    still = record("to-gate", run)["executionStatus"]
    check(still == "CancelStarted", f"status after the repeated cancel: {still}")
    return {"afterCancel": right_after, "afterRepeat": still}


def case_cancel_started_end():
    run = os.environ["SLUICE_RUN_ID"]
    done = wait_run("to-gate", run, is_terminal, "the run to end")
    check(done["executionStatus"] == "Canceled", f"final status {done['executionStatus']}")
    return {"final": done["executionStatus"], "recordsProcessed": result(done, "recordsProcessed")}


def case_data_remains():
    run = start("to-pg")
    wait_run("to-pg", run, lambda r: result(r, "bytesWritten") > 0, "a committed batch")
    check(cancel("to-pg") == [], "cancel all")
    done = wait_run("to-pg", run, is_terminal, "the run to end")
    check(done["executionStatus"] == "Canceled", f"final status {done['executionStatus']}")
    counts = {k: result(done, k) for k in ("recordsProcessed", "bytesProcessed", "bytesWritten")}
    check(all(v > 0 for v in counts.values()), f"the counts of the work done are kept: {counts}")
    return counts


def case_exceptions():
    ids = [f"00000000-0000-4000-8000-{i:012d}" for i in range(101)]
    out = {}
    try:
        cancel("small", ids)
        raise AssertionError("101 executionIds were accepted")
    except af.exceptions.ValidationException as e:
        check("executionIds" in e.response["Error"]["Message"], f"the message names the member: {e}")
        out["tooMany"] = [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]]
    # 100 is the limit, not over it: every unknown id comes back invalid.
    check(cancel("small", ids[:100]) == ids[:100], "100 unknown ids are all invalid")
    try:
        cancel("no-such-flow", [ids[0]])
        raise AssertionError("an unknown flow was accepted")
    except af.exceptions.ResourceNotFoundException as e:
        out["unknownFlow"] = [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]]
    return out


CASES = {name[len("case_") :]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        sys.exit(f"usage: cancel_seed.py {{{'|'.join(CASES)}}}")
    print(json.dumps(CASES[sys.argv[1]]()))
