"""A boto3 AppFlow client for a live Sluice and the small steps the client tests are made of.

The endpoint comes from SLUICE_ENDPOINT; every step asserts by raising (no test framework on this side).
"""

import os
import time

import boto3
from botocore.config import Config

COLUMNS = ["id", "name", "email", "amount", "qty", "city", "country", "status", "created", "note"]
TERMINAL = ("Successful", "Error", "Canceled")


def client():
    return boto3.client(
        "appflow",
        endpoint_url=os.environ["SLUICE_ENDPOINT"],
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"mode": "standard", "max_attempts": 5}),
    )


af = client()


def check(cond, message):
    if not cond:
        raise AssertionError(message)


def copy_tasks():
    maps = [
        {
            "sourceFields": [c],
            "connectorOperator": {"S3": "NO_OP"},
            "destinationField": c,
            "taskType": "Map",
            "taskProperties": {"DESTINATION_DATA_TYPE": "string", "SOURCE_DATA_TYPE": "string"},
        }
        for c in COLUMNS
    ]
    return [{"sourceFields": COLUMNS, "connectorOperator": {"S3": "PROJECTION"}, "taskType": "Filter"}] + maps


def s3_source(bucket, prefix):
    return {
        "connectorType": "S3",
        "sourceConnectorProperties": {
            "S3": {"bucketName": bucket, "bucketPrefix": prefix, "s3InputFormatConfig": {"s3InputFileType": "CSV"}}
        },
    }


def create_s3_flow(name, in_bucket, prefix, out_bucket, file_type="CSV", single_file=False):
    out = {"fileType": file_type, "aggregationConfig": {"aggregationType": "SingleFile" if single_file else "None"}}
    af.create_flow(
        flowName=name,
        triggerConfig={"triggerType": "OnDemand"},
        sourceFlowConfig=s3_source(in_bucket, prefix),
        destinationFlowConfigList=[
            {
                "connectorType": "S3",
                "destinationConnectorProperties": {"S3": {"bucketName": out_bucket, "s3OutputFormatConfig": out}},
            }
        ],
        tasks=copy_tasks(),
    )


def record(flow, execution_id):
    for r in af.describe_flow_execution_records(flowName=flow, maxResults=100)["flowExecutions"]:
        if r["executionId"] == execution_id:
            return r
    return None


def wait_run(flow, execution_id, pred, what, timeout=30.0):
    """Polls the run's record until `pred` holds (no fixed sleeps: a short poll with a deadline)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = record(flow, execution_id)
        if r is not None and pred(r):
            return r
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what} (run {execution_id}): last {record(flow, execution_id)}")


def result(r, key):
    return r.get("executionResult", {}).get(key, 0)


def start(flow):
    return af.start_flow(flowName=flow)["executionId"]


def cancel(flow, ids=None):
    kwargs = {"flowName": flow} if ids is None else {"flowName": flow, "executionIds": ids}
    return af.cancel_flow_executions(**kwargs)["invalidExecutions"]


def is_terminal(r):
    return r["executionStatus"] in TERMINAL


def processing(r):
    return result(r, "recordsProcessed") > 0
