"""The AWS Lambda REST API on the gateway's HTTP port, driven by boto3 itself.

Run with pytest by GatewayTests/RESTClientTests against a `shoal up` it started; the HTTP
port comes in SHOAL_HTTP_PORT. Retries are off (a 429 must surface at once) and the read
timeout is long (a synchronous invoke is never re-sent).
"""

import base64
import io
import json
import os
import socket
import zipfile

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

PORT = int(os.environ["SHOAL_HTTP_PORT"])
ENDPOINT = f"http://127.0.0.1:{PORT}"
ROLE = "arn:aws:iam::000000000000:role/lambda-role"


def client(region="us-east-1"):
    return boto3.client(
        "lambda",
        endpoint_url=ENDPOINT,
        region_name=region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"total_max_attempts": 1}, read_timeout=900),
    )


def zip_of(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


ECHO = zip_of({"app.py": "def handler(event, context):\n    print('log line')\n    return {'echo': event}\n"})
FAILS = zip_of({"app.py": "def handler(event, context):\n    raise ValueError('it broke')\n"})


@pytest.fixture(scope="module")
def aws():
    return client()


def create(aws, name, code=ECHO, **extra):
    return aws.create_function(
        FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="app.handler", Code={"ZipFile": code}, **extra
    )


def error_of(call):
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response


def test_function_lifecycle_with_waiters(aws):
    created = create(aws, "rest-life", Tags={"team": "shoal"}, Environment={"Variables": {"MY_VAR": "x"}})
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["State"] == "Pending" and created["StateReasonCode"] == "Creating"
    assert created["FunctionArn"] == "arn:aws:lambda:us-east-1:000000000000:function:rest-life"
    assert created["Environment"]["Variables"] == {"MY_VAR": "x"}
    assert created["Role"] == ROLE and created["Architectures"] == ["x86_64"]
    assert created["ResponseMetadata"]["RequestId"]
    aws.get_waiter("function_active_v2").wait(FunctionName="rest-life", WaiterConfig={"Delay": 1, "MaxAttempts": 2})
    aws.get_waiter("function_active").wait(FunctionName="rest-life", WaiterConfig={"Delay": 1, "MaxAttempts": 2})
    aws.get_waiter("function_exists").wait(FunctionName="rest-life", WaiterConfig={"Delay": 1, "MaxAttempts": 2})

    got = aws.get_function(FunctionName="rest-life")
    assert got["Configuration"]["State"] == "Active"
    assert got["Configuration"]["LastUpdateStatus"] == "Successful"
    assert got["Tags"] == {"team": "shoal"}
    assert got["Code"]["RepositoryType"] == "S3"
    import urllib.request

    with urllib.request.urlopen(got["Code"]["Location"]) as response:
        assert response.read() == ECHO

    updated = aws.update_function_code(FunctionName="rest-life", ZipFile=zip_of({"app.py": "def handler(e, c):\n    return 'v2'\n"}))
    assert updated["LastUpdateStatus"] == "InProgress"
    assert updated["RevisionId"] != created["RevisionId"]
    aws.get_waiter("function_updated_v2").wait(FunctionName="rest-life", WaiterConfig={"Delay": 1, "MaxAttempts": 2})
    aws.get_waiter("function_updated").wait(FunctionName="rest-life", WaiterConfig={"Delay": 1, "MaxAttempts": 2})
    assert json.load(aws.invoke(FunctionName="rest-life")["Payload"]) == "v2"

    configured = aws.update_function_configuration(FunctionName="rest-life", Timeout=7, MemorySize=256)
    assert configured["Timeout"] == 7 and configured["MemorySize"] == 256
    assert aws.get_function_configuration(FunctionName="rest-life")["LastUpdateStatus"] == "Successful"

    stale = error_of(lambda: aws.update_function_configuration(FunctionName="rest-life", Timeout=8, RevisionId=created["RevisionId"]))
    assert stale["Error"]["Code"] == "PreconditionFailedException"

    deleted = aws.delete_function(FunctionName="rest-life")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert error_of(lambda: aws.get_function(FunctionName="rest-life"))["Error"]["Code"] == "ResourceNotFoundException"


def test_invoke_types_logs_and_function_errors(aws):
    create(aws, "rest-echo")
    answer = aws.invoke(FunctionName="rest-echo", Payload=b'{"a": 1}')
    assert answer["StatusCode"] == 200 and answer["ExecutedVersion"] == "$LATEST"
    assert json.load(answer["Payload"]) == {"echo": {"a": 1}}
    assert "FunctionError" not in answer

    tailed = aws.invoke(FunctionName="rest-echo", Payload=b"{}", LogType="Tail")
    log = base64.b64decode(tailed["LogResult"]).decode()
    assert "log line" in log and "REPORT RequestId" in log

    context = base64.b64encode(json.dumps({"custom": {"k": "v"}}).encode()).decode()
    assert aws.invoke(FunctionName="rest-echo", Payload=b"{}", ClientContext=context)["StatusCode"] == 200
    assert aws.invoke(FunctionName="rest-echo", Payload=b"{}", InvocationType="Event")["StatusCode"] == 202
    assert aws.invoke(FunctionName="rest-echo", InvocationType="DryRun")["StatusCode"] == 204
    assert json.load(aws.invoke(FunctionName="rest-echo")["Payload"]) == {"echo": {}}
    assert aws.invoke_async(FunctionName="rest-echo", InvokeArgs=b"{}")["Status"] == 202
    by_arn = aws.invoke(FunctionName="arn:aws:lambda:us-east-1:000000000000:function:rest-echo", Payload=b"{}")
    assert by_arn["StatusCode"] == 200
    assert aws.invoke(FunctionName="rest-echo:$LATEST", Payload=b"{}")["StatusCode"] == 200

    create(aws, "rest-fails", code=FAILS)
    failed = aws.invoke(FunctionName="rest-fails", Payload=b"{}")
    assert failed["StatusCode"] == 200 and failed["FunctionError"] == "Unhandled"
    assert json.load(failed["Payload"])["errorType"] == "ValueError"


def test_list_functions_pages_with_the_paginator(aws):
    names = {f"rest-page-{index:03}" for index in range(120)}
    for name in sorted(names):
        create(aws, name)
    seen = []
    for page in aws.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 50}):
        assert len(page["Functions"]) <= 50
        seen += [function["FunctionName"] for function in page["Functions"]]
        assert all("State" not in function for function in page["Functions"])
    assert names <= set(seen) and len(seen) == len(set(seen))
    for name in names:
        aws.delete_function(FunctionName=name)


def test_errors_are_awss(aws):
    create(aws, "rest-errors")

    def code_status(response):
        return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]

    # An image function on workers that run processes is refused at create, and not kept.
    image = error_of(lambda: aws.create_function(FunctionName="rest-image", PackageType="Image", Role=ROLE, Code={"ImageUri": "img:1"}))
    assert code_status(image) == ("InvalidParameterValueException", 400) and "Docker backend" in image["Error"]["Message"]
    assert code_status(error_of(lambda: aws.get_function(FunctionName="rest-image"))) == ("ResourceNotFoundException", 404)

    missing = error_of(lambda: aws.get_function(FunctionName="nope"))
    assert code_status(missing) == ("ResourceNotFoundException", 404)
    assert missing["Error"]["Message"] == "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope"
    assert code_status(error_of(lambda: create(aws, "rest-errors"))) == ("ResourceConflictException", 409)
    bad_runtime = error_of(
        lambda: aws.create_function(FunctionName="x1", Runtime="cobol", Role=ROLE, Handler="a.b", Code={"ZipFile": ECHO})
    )
    assert code_status(bad_runtime)[1] == 400
    bad_zip = error_of(lambda: create(aws, "x2", code=b"not a zip"))
    assert code_status(bad_zip) == ("InvalidParameterValueException", 400)
    assert error_of(lambda: aws.get_function(FunctionName="a" * 65))["ResponseMetadata"]["HTTPStatusCode"] == 400
    mismatch = error_of(lambda: aws.get_function(FunctionName="rest-errors:1", Qualifier="2"))
    assert code_status(mismatch) == ("InvalidParameterValueException", 400)
    assert "derived qualifier" in mismatch["Error"]["Message"]
    other_region = error_of(lambda: aws.get_function(FunctionName="arn:aws:lambda:eu-west-1:000000000000:function:rest-errors"))
    assert code_status(other_region) == ("ResourceNotFoundException", 404)
    assert "not reachable in this region" in other_region["Error"]["Message"]
    assert code_status(error_of(lambda: aws.get_function(FunctionName="rest-errors", Qualifier="7")))[1] == 404
    not_json = error_of(lambda: aws.invoke(FunctionName="rest-errors", Payload=b"not json"))
    assert code_status(not_json) == ("InvalidRequestContentException", 400)
    too_large = error_of(lambda: aws.invoke(FunctionName="rest-errors", Payload=b'"' + b"x" * (6 * 1024 * 1024) + b'"'))
    assert code_status(too_large) == ("RequestEntityTooLargeException", 413)
    event_large = error_of(
        lambda: aws.invoke(FunctionName="rest-errors", InvocationType="Event", Payload=b'"' + b"x" * (1024 * 1024) + b'"')
    )
    assert code_status(event_large) == ("RequestEntityTooLargeException", 413)
    latest = error_of(lambda: aws.delete_function(FunctionName="rest-errors", Qualifier="$LATEST"))
    assert code_status(latest) == ("InvalidParameterValueException", 400)
    assert code_status(error_of(lambda: aws.invoke(FunctionName="nope", Payload=b"{}"))) == ("ResourceNotFoundException", 404)
    # The region comes from the credential scope: ARNs say it, and other regions' ARNs are refused.
    west = client("eu-west-1")
    assert west.get_function(FunctionName="rest-errors")["Configuration"]["FunctionArn"].startswith("arn:aws:lambda:eu-west-1:")
    # Every one of these left nothing behind.
    names = {function["FunctionName"] for function in aws.list_functions()["Functions"]}
    assert not names & {"x1", "x2"}


def raw_http(request: bytes, read=65536):
    with socket.create_connection(("127.0.0.1", PORT), timeout=20) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(read)
            if not chunk:
                break
            data += chunk
        return data


def test_unknown_operations_and_bad_requests_get_named_errors():
    answer = raw_http(b"GET /2015-03-31/no-such-thing HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 404") and b"x-amzn-errortype: unknownoperationexception" in answer.lower()
    assert b"x-amzn-requestid:" in answer.lower()
    bad_json = raw_http(
        b"POST /2015-03-31/functions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n{nope"
    )
    assert bad_json.startswith(b"HTTP/1.1 400"), bad_json
    wrong_type = b'{"FunctionName": 7, "Runtime": "python3.12", "Handler": "a.b", "Role": "r", "Code": {"ZipFile": ""}}'
    answer = raw_http(
        b"POST /2015-03-31/functions HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(wrong_type), wrong_type)
    )
    assert answer.startswith(b"HTTP/1.1 400"), answer
    undecodable = raw_http(b"GET /2015-03-31/functions/%ZZ HTTP/1.1\r\nHost: x\r\n\r\n")
    assert undecodable.startswith(b"HTTP/1.1 400"), undecodable
    long_path = raw_http(b"GET /2015-03-31/functions/" + b"a" * 10_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert long_path.startswith(b"HTTP/1.1 400") or long_path.startswith(b"HTTP/1.1 404"), long_path[:200]


NODE_STREAMER = zip_of(
    {
        "index.js": """
exports.handler = awslambda.streamifyResponse(async (event, stream) => {
  for (let i = 0; i < 3; i++) {
    stream.write(`part ${i};`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  stream.end();
});
"""
    }
)

STREAMING_BOOTSTRAP = """#!/usr/bin/env python3
# A provided runtime that streams its response: a chunked POST with the streaming response mode.
import http.client, os, time

host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
base = "/2018-06-01/runtime/invocation"
while True:
    connection = http.client.HTTPConnection(host, int(port))
    connection.request("GET", base + "/next")
    answer = connection.getresponse()
    answer.read()
    if answer.status != 200:
        break
    request_id = answer.getheader("Lambda-Runtime-Aws-Request-Id")
    connection.putrequest("POST", f"{base}/{request_id}/response")
    connection.putheader("Lambda-Runtime-Function-Response-Mode", "streaming")
    connection.putheader("Transfer-Encoding", "chunked")
    connection.endheaders()
    for index in range(1, 4):
        data = f"chunk {index};".encode()
        connection.send(b"%x\\r\\n%s\\r\\n" % (len(data), data))
        time.sleep(0.3)
    connection.send(b"0\\r\\n\\r\\n")
    connection.getresponse().read()
    connection.close()
"""


def provided_zip(bootstrap):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o100755 << 16
        archive.writestr(info, bootstrap)
    return buffer.getvalue()


def stream_events(aws, name, **extra):
    import time

    answer = aws.invoke_with_response_stream(FunctionName=name, Payload=b"{}", **extra)
    assert answer["ResponseStreamContentType"] == "application/vnd.amazon.eventstream"
    assert answer["ExecutedVersion"] == "$LATEST"
    timed = [(time.monotonic(), event) for event in answer["EventStream"]]
    chunks = [(at, event["PayloadChunk"]["Payload"]) for at, event in timed if "PayloadChunk" in event]
    completes = [event["InvokeComplete"] for _, event in timed if "InvokeComplete" in event]
    assert len(completes) == 1 and "InvokeComplete" in timed[-1][1]
    return chunks, completes[0]


def test_response_streams_arrive_as_written(aws):
    aws.create_function(
        FunctionName="rest-node-stream", Runtime="nodejs20.x", Role=ROLE, Handler="index.handler", Code={"ZipFile": NODE_STREAMER}
    )
    chunks, complete = stream_events(aws, "rest-node-stream")
    assert b"".join(payload for _, payload in chunks) == b"part 0;part 1;part 2;"
    assert len(chunks) >= 2 and chunks[-1][0] - chunks[0][0] > 0.3, "chunks came as written, not at the end"
    assert "ErrorCode" not in complete

    aws.create_function(
        FunctionName="rest-provided-stream",
        Runtime="provided.al2023",
        Role=ROLE,
        Handler="bootstrap",
        Code={"ZipFile": provided_zip(STREAMING_BOOTSTRAP)},
    )
    chunks, complete = stream_events(aws, "rest-provided-stream")
    assert b"".join(payload for _, payload in chunks) == b"chunk 1;chunk 2;chunk 3;"
    assert len(chunks) >= 2 and chunks[-1][0] - chunks[0][0] > 0.3


def test_a_buffered_function_streams_as_one_chunk_and_errors_complete_the_stream(aws):
    create(aws, "rest-stream-echo")
    chunks, complete = stream_events(aws, "rest-stream-echo")
    assert [json.loads(payload) for _, payload in chunks] == [{"echo": {}}]
    assert complete == {} or "ErrorCode" not in complete

    create(aws, "rest-stream-fails", code=FAILS)
    chunks, complete = stream_events(aws, "rest-stream-fails", LogType="Tail")
    assert complete["ErrorCode"] == "Unhandled"
    assert "it broke" in complete.get("ErrorDetails", "") + b"".join(payload for _, payload in chunks).decode()
    assert "REPORT RequestId" in base64.b64decode(complete["LogResult"]).decode()

    dry = aws.invoke_with_response_stream(FunctionName="rest-stream-echo", InvocationType="DryRun")
    assert dry["StatusCode"] == 204
    missing = error_of(lambda: aws.invoke_with_response_stream(FunctionName="nope", Payload=b"{}"))
    assert (missing["Error"]["Code"], missing["ResponseMetadata"]["HTTPStatusCode"]) == ("ResourceNotFoundException", 404)


def test_layers_publish_get_list_and_delete_without_reusing_numbers(aws):
    layer = zip_of({"python/shared_helper.py": "VALUE = 'from the layer'\n"})
    first = aws.publish_layer_version(
        LayerName="rest-shared", Content={"ZipFile": layer}, CompatibleRuntimes=["python3.12"], Description="one"
    )
    assert first["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert first["Version"] == 1 and first["LayerArn"] == "arn:aws:lambda:us-east-1:000000000000:layer:rest-shared"
    assert first["LayerVersionArn"] == first["LayerArn"] + ":1" and first["Content"]["CodeSize"] == len(layer)
    import urllib.request

    with urllib.request.urlopen(first["Content"]["Location"]) as response:
        assert response.read() == layer
    second = aws.publish_layer_version(LayerName="rest-shared", Content={"ZipFile": layer}, CompatibleRuntimes=["nodejs20.x"])
    assert second["Version"] == 2
    assert aws.get_layer_version(LayerName="rest-shared", VersionNumber=1)["Description"] == "one"
    assert aws.get_layer_version_by_arn(Arn=second["LayerVersionArn"])["Version"] == 2
    versions = aws.list_layer_versions(LayerName="rest-shared")["LayerVersions"]
    assert [v["Version"] for v in versions] == [2, 1]
    assert [v["Version"] for v in aws.list_layer_versions(LayerName="rest-shared", CompatibleRuntime="python3.12")["LayerVersions"]] == [1]
    listed = {item["LayerName"]: item for item in aws.list_layers()["Layers"]}
    assert listed["rest-shared"]["LatestMatchingVersion"]["Version"] == 2
    assert aws.list_layer_versions(LayerName="no-such-layer")["LayerVersions"] == []

    # A function uses the layer under /opt.
    code = zip_of({"app.py": "import shared_helper\ndef handler(e, c):\n    return shared_helper.VALUE\n"})
    create(aws, "rest-layered", code=code, Layers=[first["LayerVersionArn"]])
    assert json.load(aws.invoke(FunctionName="rest-layered")["Payload"]) == "from the layer"
    assert aws.get_function(FunctionName="rest-layered")["Configuration"]["Layers"][0]["Arn"] == first["LayerVersionArn"]

    assert aws.delete_layer_version(LayerName="rest-shared", VersionNumber=2)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert aws.delete_layer_version(LayerName="rest-shared", VersionNumber=2)["ResponseMetadata"]["HTTPStatusCode"] == 204
    missing = error_of(lambda: aws.get_layer_version(LayerName="rest-shared", VersionNumber=2))
    assert (missing["Error"]["Code"], missing["ResponseMetadata"]["HTTPStatusCode"]) == ("ResourceNotFoundException", 404)
    assert aws.publish_layer_version(LayerName="rest-shared", Content={"ZipFile": layer})["Version"] == 3, "numbers are never reused"
    zero = error_of(lambda: aws.get_layer_version(LayerName="rest-shared", VersionNumber=0))
    assert zero["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_tags_on_a_function(aws):
    arn = create(aws, "rest-tagged", Tags={"a": "1"})["FunctionArn"]
    assert aws.list_tags(Resource=arn)["Tags"] == {"a": "1"}
    aws.tag_resource(Resource=arn, Tags={"b": "2", "a": "one"})
    assert aws.list_tags(Resource=arn)["Tags"] == {"a": "one", "b": "2"}
    aws.untag_resource(Resource=arn, TagKeys=["a", "not-there"])
    assert aws.list_tags(Resource=arn)["Tags"] == {"b": "2"}
    assert aws.get_function(FunctionName="rest-tagged")["Tags"] == {"b": "2"}
    qualified = error_of(lambda: aws.tag_resource(Resource=arn + ":1", Tags={"c": "3"}))
    assert (qualified["Error"]["Code"], qualified["ResponseMetadata"]["HTTPStatusCode"]) == ("InvalidParameterValueException", 400)
    missing = error_of(lambda: aws.list_tags(Resource=arn.replace("rest-tagged", "nope")))
    assert missing["ResponseMetadata"]["HTTPStatusCode"] == 404
    bad = error_of(lambda: aws.list_tags(Resource="not-an-arn"))
    assert bad["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_reserved_concurrency_throttles_synchronous_calls_and_queues_events(aws):
    import threading
    import time

    slow = zip_of({"app.py": "import time\ndef handler(event, context):\n    time.sleep(event.get('sleep', 0))\n    return 'done'\n"})
    create(aws, "rest-reserved", code=slow)
    assert aws.get_function_concurrency(FunctionName="rest-reserved").get("ReservedConcurrentExecutions") is None
    put = aws.put_function_concurrency(FunctionName="rest-reserved", ReservedConcurrentExecutions=1)
    assert put["ReservedConcurrentExecutions"] == 1
    assert aws.get_function_concurrency(FunctionName="rest-reserved")["ReservedConcurrentExecutions"] == 1
    assert aws.get_function(FunctionName="rest-reserved")["Concurrency"] == {"ReservedConcurrentExecutions": 1}
    settings = aws.get_account_settings()
    assert settings["AccountLimit"]["ConcurrentExecutions"] == 1000
    assert settings["AccountLimit"]["UnreservedConcurrentExecutions"] <= 999

    aws.invoke(FunctionName="rest-reserved", Payload=b"{}")  # warm
    busy = threading.Thread(target=lambda: aws.invoke(FunctionName="rest-reserved", Payload=b'{"sleep": 2}'))
    busy.start()
    time.sleep(0.5)
    throttled = error_of(lambda: aws.invoke(FunctionName="rest-reserved", Payload=b"{}"))
    assert (throttled["Error"]["Code"], throttled["ResponseMetadata"]["HTTPStatusCode"]) == ("TooManyRequestsException", 429)
    assert throttled["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    # An Event call is accepted and waits its turn.
    assert aws.invoke(FunctionName="rest-reserved", InvocationType="Event", Payload=b"{}")["StatusCode"] == 202
    busy.join()

    def eventually_done():
        # The queued Event call takes the one slot as soon as it frees: wait for it to finish.
        deadline = time.monotonic() + 10
        while True:
            try:
                return json.load(aws.invoke(FunctionName="rest-reserved", Payload=b"{}")["Payload"])
            except ClientError as error:
                if error.response["Error"]["Code"] != "TooManyRequestsException" or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    assert eventually_done() == "done"

    aws.put_function_concurrency(FunctionName="rest-reserved", ReservedConcurrentExecutions=0)
    zero = error_of(lambda: aws.invoke(FunctionName="rest-reserved", Payload=b"{}"))
    assert zero["Error"]["Code"] == "TooManyRequestsException"
    too_many = error_of(lambda: aws.put_function_concurrency(FunctionName="rest-reserved", ReservedConcurrentExecutions=901))
    assert (too_many["Error"]["Code"], too_many["ResponseMetadata"]["HTTPStatusCode"]) == ("InvalidParameterValueException", 400)
    qualified = error_of(lambda: aws.put_function_concurrency(FunctionName="rest-reserved:$LATEST", ReservedConcurrentExecutions=1))
    assert qualified["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert aws.delete_function_concurrency(FunctionName="rest-reserved")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert "Concurrency" not in aws.get_function(FunctionName="rest-reserved")
    assert eventually_done() == "done"


def test_hostile_connections_leave_the_port_serving_others(aws):
    import resource
    import time

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    create(aws, "rest-hostile")
    idle = [socket.create_connection(("127.0.0.1", PORT), timeout=20) for _ in range(1000)]
    slow = socket.create_connection(("127.0.0.1", PORT), timeout=20)
    request = b"POST /2015-03-31/functions/rest-hostile/invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
    try:
        for index in range(3):
            slow.sendall(request[index : index + 1])  # a byte at a time: slowloris
            started = time.monotonic()
            assert json.load(aws.invoke(FunctionName="rest-hostile", Payload=b"{}")["Payload"]) == {"echo": {}}
            assert time.monotonic() - started < 2, "others are served meanwhile"
            time.sleep(1)
    finally:
        for connection in idle:
            connection.close()
        slow.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    # A truncated chunked body: the client half-closes in the middle of a chunk. Nothing is created.
    with socket.create_connection(("127.0.0.1", PORT), timeout=20) as sock:
        sock.sendall(
            b"POST /2015-03-31/functions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n40\r\n{\"FunctionName\": \"rest-truncated\""
        )
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(10)
        try:
            while sock.recv(65536):
                pass
        except (ConnectionResetError, socket.timeout):
            pass
    assert error_of(lambda: aws.get_function(FunctionName="rest-truncated"))["Error"]["Code"] == "ResourceNotFoundException"

    # A header block of 1 MiB is refused before any handler runs; the port serves the next client.
    answer = raw_http(b"GET /2015-03-31/functions HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1024 * 1024) + b"\r\n\r\n")
    assert answer == b"" or answer.split(b" ")[1][:1] == b"4", answer[:100]
    assert aws.get_function(FunctionName="rest-hostile")["Configuration"]["FunctionName"] == "rest-hostile"


def test_errors_keep_the_connection_usable():
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=20)
    for body in (b"{nope", b'{"FunctionName": 5}', b"[]"):
        connection.request("POST", "/2015-03-31/functions", body, {"Content-Type": "application/json"})
        answer = connection.getresponse()
        assert answer.status == 400 and answer.getheader("x-amzn-ErrorType"), answer.status
        assert "message" in json.loads(answer.read())
    connection.request("GET", "/2015-03-31/functions/nope")
    answer = connection.getresponse()
    assert answer.status == 404 and answer.getheader("x-amzn-ErrorType") == "ResourceNotFoundException"
    assert json.loads(answer.read())["Message"].startswith("Function not found")
    connection.request("GET", "/2015-03-31/functions")
    assert connection.getresponse().status == 200


def test_a_response_over_the_limit_is_a_function_error(aws):
    big = zip_of({"app.py": "def handler(event, context):\n    return 'x' * 6300000\n"})
    create(aws, "rest-too-big", code=big)
    answer = aws.invoke(FunctionName="rest-too-big", Payload=b"{}")
    assert answer["StatusCode"] == 200 and answer["FunctionError"] == "Unhandled"
    assert json.load(answer["Payload"])["errorType"] == "Function.ResponseSizeTooLarge"


def test_names_that_break_the_patterns_and_other_accounts(aws):
    create(aws, "rest-names")
    bad_name = error_of(lambda: aws.get_function(FunctionName="bad name!"))
    assert (bad_name["Error"]["Code"], bad_name["ResponseMetadata"]["HTTPStatusCode"]) == ("ValidationException", 400)
    other = error_of(lambda: aws.get_function(FunctionName="arn:aws:lambda:us-east-1:123456789012:function:rest-names"))
    assert (other["Error"]["Code"], other["ResponseMetadata"]["HTTPStatusCode"]) == ("AccessDeniedException", 403)
    partial = error_of(lambda: aws.invoke(FunctionName="123456789012:function:rest-names", Payload=b"{}"))
    assert partial["Error"]["Code"] == "AccessDeniedException"
    assert aws.get_function(FunctionName="000000000000:function:rest-names")["Configuration"]["FunctionName"] == "rest-names"


def test_resource_policies_are_stored_and_returned_as_aws_returns_them(aws):
    arn = create(aws, "rest-policy")["FunctionArn"]
    missing = error_of(lambda: aws.get_policy(FunctionName="rest-policy"))
    assert (missing["Error"]["Code"], missing["ResponseMetadata"]["HTTPStatusCode"]) == ("ResourceNotFoundException", 404)
    added = aws.add_permission(
        FunctionName="rest-policy", StatementId="s3-invoke", Action="lambda:InvokeFunction", Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::my-bucket", SourceAccount="000000000000",
    )
    assert added["ResponseMetadata"]["HTTPStatusCode"] == 201
    statement = json.loads(added["Statement"])
    assert statement == {
        "Sid": "s3-invoke", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "lambda:InvokeFunction",
        "Resource": arn,
        "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::my-bucket"}, "StringEquals": {"AWS:SourceAccount": "000000000000"}},
    }
    aws.add_permission(FunctionName="rest-policy", StatementId="anyone", Action="lambda:*", Principal="*")
    policy = aws.get_policy(FunctionName="rest-policy")
    document = json.loads(policy["Policy"])
    assert document["Version"] == "2012-10-17" and [s["Sid"] for s in document["Statement"]] == ["s3-invoke", "anyone"]
    assert policy["RevisionId"] == aws.get_function(FunctionName="rest-policy")["Configuration"]["RevisionId"]

    duplicate = error_of(
        lambda: aws.add_permission(FunctionName="rest-policy", StatementId="anyone", Action="lambda:*", Principal="*")
    )
    assert (duplicate["Error"]["Code"], duplicate["ResponseMetadata"]["HTTPStatusCode"]) == ("ResourceConflictException", 409)
    latest = error_of(
        lambda: aws.add_permission(FunctionName="rest-policy", Qualifier="$LATEST", StatementId="x", Action="lambda:*", Principal="*")
    )
    assert latest["ResponseMetadata"]["HTTPStatusCode"] == 400
    bad_action = error_of(lambda: aws.add_permission(FunctionName="rest-policy", StatementId="y", Action="s3:Get", Principal="*"))
    assert bad_action["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert aws.remove_permission(FunctionName="rest-policy", StatementId="anyone")["ResponseMetadata"]["HTTPStatusCode"] == 204
    gone = error_of(lambda: aws.remove_permission(FunctionName="rest-policy", StatementId="anyone"))
    assert (gone["Error"]["Code"], gone["ResponseMetadata"]["HTTPStatusCode"]) == ("ResourceNotFoundException", 404)
    assert [s["Sid"] for s in json.loads(aws.get_policy(FunctionName="rest-policy")["Policy"])["Statement"]] == ["s3-invoke"]


def test_versions_run_their_own_code(aws):
    import threading

    def code(tag):
        return zip_of({"app.py": f"import os\ndef handler(e, c):\n    return ['{tag}', os.environ['AWS_LAMBDA_FUNCTION_VERSION']]\n"})

    created = create(aws, "rest-versions", code=code("one"), Publish=True)
    assert created["Version"] == "1" and created["FunctionArn"].endswith(":rest-versions:1")
    aws.update_function_code(FunctionName="rest-versions", ZipFile=code("two"))
    again = aws.publish_version(FunctionName="rest-versions", Description="second")
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 201 and again["Version"] == "2"
    unchanged = aws.publish_version(FunctionName="rest-versions")
    assert unchanged["Version"] == "2", "nothing changed: the last version, no new one"
    aws.update_function_code(FunctionName="rest-versions", ZipFile=code("three"))

    def run(qualifier=None):
        extra = {"Qualifier": qualifier} if qualifier else {}
        answer = aws.invoke(FunctionName="rest-versions", Payload=b"{}", **extra)
        return json.load(answer["Payload"]), answer["ExecutedVersion"]

    assert run("1") == (["one", "1"], "1")
    assert run("2") == (["two", "2"], "2")
    assert run() == (["three", "$LATEST"], "$LATEST")
    by_name = aws.invoke(FunctionName="rest-versions:1", Payload=b"{}")
    assert json.load(by_name["Payload"]) == ["one", "1"]
    streamed = aws.invoke_with_response_stream(FunctionName="rest-versions", Qualifier="2", Payload=b"{}")
    assert streamed["ExecutedVersion"] == "2"
    assert [json.loads(e["PayloadChunk"]["Payload"]) for e in streamed["EventStream"] if "PayloadChunk" in e] == [["two", "2"]]
    assert aws.get_function(FunctionName="rest-versions", Qualifier="2")["Configuration"]["Version"] == "2"
    listed = aws.list_versions_by_function(FunctionName="rest-versions")["Versions"]
    assert [v["Version"] for v in listed] == ["$LATEST", "1", "2"]
    assert listed[0]["FunctionArn"].endswith(":rest-versions:$LATEST") or listed[0]["FunctionArn"].endswith(":rest-versions")

    # Updating $LATEST while 8 threads invoke :1: no call to :1 fails or runs other code.
    failures = []
    stop = threading.Event()

    def hammer():
        while not stop.is_set():
            try:
                if run("1") != (["one", "1"], "1"):
                    failures.append("wrong code")
            except Exception as error:  # noqa: BLE001
                failures.append(repr(error))

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for index in range(3):
        aws.update_function_code(FunctionName="rest-versions", ZipFile=code(f"churn{index}"))
        aws.update_function_configuration(FunctionName="rest-versions", Timeout=5 + index)
    stop.set()
    for thread in threads:
        thread.join()
    assert failures == []

    mismatch = error_of(lambda: aws.publish_version(FunctionName="rest-versions", CodeSha256="bm90IHRoZSBoYXNo"))
    assert mismatch["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert aws.delete_function(FunctionName="rest-versions", Qualifier="1")["ResponseMetadata"]["HTTPStatusCode"] == 204
    gone = error_of(lambda: aws.invoke(FunctionName="rest-versions", Qualifier="1", Payload=b"{}"))
    assert (gone["Error"]["Code"], gone["ResponseMetadata"]["HTTPStatusCode"]) == ("ResourceNotFoundException", 404)
    assert aws.publish_version(FunctionName="rest-versions")["Version"] == "3", "numbers are never reused"
    assert run("2") == (["two", "2"], "2")
    aws.delete_function(FunctionName="rest-versions")
    assert error_of(lambda: aws.invoke(FunctionName="rest-versions", Qualifier="2", Payload=b"{}"))["Error"]["Code"] == "ResourceNotFoundException"


def test_aliases_route_by_weight_and_keep_awss_rules(aws):
    def code(tag):
        return zip_of({"app.py": f"def handler(e, c):\n    return '{tag}'\n"})

    create(aws, "rest-alias", code=code("v1"), Publish=True)
    aws.update_function_code(FunctionName="rest-alias", ZipFile=code("v2"))
    aws.publish_version(FunctionName="rest-alias")
    created = aws.create_alias(FunctionName="rest-alias", Name="live", FunctionVersion="1", Description="prod")
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["AliasArn"].endswith(":function:rest-alias:live") and created["FunctionVersion"] == "1"
    answer = aws.invoke(FunctionName="rest-alias:live", Payload=b"{}")
    assert (json.load(answer["Payload"]), answer["ExecutedVersion"]) == ("v1", "1")

    aws.update_alias(FunctionName="rest-alias", Name="live", RoutingConfig={"AdditionalVersionWeights": {"2": 0.3}})
    got = aws.get_alias(FunctionName="rest-alias", Name="live")
    assert got["RoutingConfig"]["AdditionalVersionWeights"] == {"2": 0.3}
    counts = {"1": 0, "2": 0}
    for _ in range(1000):
        answer = aws.invoke(FunctionName="rest-alias", Qualifier="live", Payload=b"{}")
        version = answer["ExecutedVersion"]
        assert json.load(answer["Payload"]) == f"v{version}", "the executed version is the code that answered"
        counts[version] += 1
    assert 250 <= counts["2"] <= 350, counts

    assert [a["Name"] for a in aws.list_aliases(FunctionName="rest-alias")["Aliases"]] == ["live"]

    def status(call):
        response = error_of(call)
        return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]

    assert status(lambda: aws.create_alias(FunctionName="rest-alias", Name="live", FunctionVersion="1")) == ("ResourceConflictException", 409)
    assert status(lambda: aws.create_alias(FunctionName="rest-alias", Name="123", FunctionVersion="1")) == ("ValidationException", 400)
    assert status(lambda: aws.create_alias(FunctionName="rest-alias", Name="nine", FunctionVersion="9"))[1] == 404
    assert status(
        lambda: aws.create_alias(
            FunctionName="rest-alias", Name="lat", FunctionVersion="$LATEST", RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}}
        )
    )[1] == 400
    assert status(
        lambda: aws.create_alias(
            FunctionName="rest-alias", Name="two", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"2": 0.5, "3": 0.1}}
        )
    )[1] == 400
    assert status(
        lambda: aws.create_alias(
            FunctionName="rest-alias", Name="heavy", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"2": 1.5}}
        )
    ) == ("ValidationException", 400)
    assert status(lambda: aws.get_alias(FunctionName="rest-alias", Name="nope")) == ("ResourceNotFoundException", 404)
    assert status(lambda: aws.delete_function(FunctionName="rest-alias", Qualifier="2")) == ("ResourceConflictException", 409)
    names = [a["Name"] for a in aws.list_aliases(FunctionName="rest-alias")["Aliases"]]
    assert names == ["live"], "nothing half-written"
    assert aws.delete_alias(FunctionName="rest-alias", Name="live")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert aws.delete_alias(FunctionName="rest-alias", Name="live")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert status(lambda: aws.invoke(FunctionName="rest-alias:live", Payload=b"{}")) == ("ResourceNotFoundException", 404)


def test_a_reservation_counts_every_version_of_the_function_together(aws):
    import threading
    import time

    slow = zip_of({"app.py": "import time\ndef handler(event, context):\n    time.sleep(event.get('sleep', 0))\n    return 'ok'\n"})
    create(aws, "rest-shared-reservation", code=slow, Publish=True)
    aws.put_function_concurrency(FunctionName="rest-shared-reservation", ReservedConcurrentExecutions=1)
    aws.invoke(FunctionName="rest-shared-reservation", Qualifier="1", Payload=b"{}")
    busy = threading.Thread(target=lambda: aws.invoke(FunctionName="rest-shared-reservation", Qualifier="1", Payload=b'{"sleep": 2}'))
    busy.start()
    time.sleep(0.5)
    latest = error_of(lambda: aws.invoke(FunctionName="rest-shared-reservation", Payload=b"{}"))
    assert latest["Error"]["Code"] == "TooManyRequestsException", "version 1's call holds the function's one slot"
    busy.join()


URL_HANDLER = zip_of(
    {
        "app.py": """import base64, json
def handler(event, context):
    mode = (event.get("queryStringParameters") or {}).get("mode", "echo")
    if mode == "plain":
        return "just text"
    if mode == "fail":
        raise RuntimeError("boom")
    body = event.get("body")
    if event.get("isBase64Encoded"):
        body = list(base64.b64decode(body))
    return {
        "statusCode": 201,
        "headers": {"X-Seen-Path": event["rawPath"], "Content-Type": "application/json"},
        "cookies": ["a=1", "b=2"],
        "body": json.dumps({"method": event["requestContext"]["http"]["method"], "query": event.get("queryStringParameters"),
                            "cookies": event.get("cookies"), "body": body, "version": event["version"]}),
    }
"""
    }
)


def test_function_urls_by_host_and_by_path(aws):
    import http.client
    import subprocess

    create(aws, "rest-url", code=URL_HANDLER)
    config = aws.create_function_url_config(FunctionName="rest-url", AuthType="NONE", Cors={"AllowOrigins": ["*"]})
    assert config["ResponseMetadata"]["HTTPStatusCode"] == 201
    url = config["FunctionUrl"]
    url_id = url.split("//")[1].split(".")[0]
    assert len(url_id) == 32 and ".lambda-url.us-east-1.localhost" in url
    assert aws.get_function_url_config(FunctionName="rest-url")["Cors"] == {"AllowOrigins": ["*"]}
    assert [c["FunctionUrl"] for c in aws.list_function_url_configs(FunctionName="rest-url")["FunctionUrlConfigs"]] == [url]
    second = error_of(lambda: aws.create_function_url_config(FunctionName="rest-url", AuthType="NONE"))
    assert (second["Error"]["Code"], second["ResponseMetadata"]["HTTPStatusCode"]) == ("ResourceConflictException", 409)
    on_version = error_of(lambda: aws.create_function_url_config(FunctionName="rest-url", Qualifier="1", AuthType="NONE"))
    assert on_version["ResponseMetadata"]["HTTPStatusCode"] == 400

    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    connection.request("GET", f"/_shoal/url/{url_id}/some/path?x=1&y=2", headers={"Cookie": "c1=v1; c2=v2"})
    answer = connection.getresponse()
    document = json.loads(answer.read())
    assert answer.status == 201 and answer.getheader("X-Seen-Path") == "/some/path"
    assert answer.msg.get_all("Set-Cookie") == ["a=1", "b=2"]
    assert document == {"method": "GET", "query": {"x": "1", "y": "2"}, "cookies": ["c1=v1", "c2=v2"], "body": None, "version": "2.0"}

    connection.request("POST", f"/_shoal/url/{url_id}/upload", body=bytes([0, 1, 255]), headers={"Content-Type": "application/octet-stream"})
    answer = connection.getresponse()
    assert json.loads(answer.read())["body"] == [0, 1, 255]

    connection.request("GET", f"/_shoal/url/{url_id}/?mode=plain")
    answer = connection.getresponse()
    assert (answer.status, answer.read()) == (200, b"just text")
    connection.request("GET", f"/_shoal/url/{url_id}/?mode=fail")
    answer = connection.getresponse()
    answer.read()
    assert answer.status == 502

    # By Host header, as curl sends it to the URL itself.
    host = f"{url_id}.lambda-url.us-east-1.localhost:{PORT}"
    done = subprocess.run(
        ["curl", "-s", "-i", "-H", f"Host: {host}", "-d", '{"k": "v"}', "-H", "Content-Type: application/json",
         f"http://127.0.0.1:{PORT}/by/host?q=1"],
        capture_output=True, text=True, timeout=30,
    )
    assert done.stdout.startswith("HTTP/1.1 201"), done.stdout
    assert '"body": "{\\"k\\": \\"v\\"}"' in done.stdout and "x-seen-path: /by/host" in done.stdout.lower()

    unknown = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    unknown.request("GET", "/_shoal/url/" + "0" * 32 + "/")
    answer = unknown.getresponse()
    assert (answer.status, answer.getheader("x-amzn-ErrorType"), answer.read()) == (403, "AccessDeniedException", b'{"Message":null}')

    assert aws.delete_function_url_config(FunctionName="rest-url")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert error_of(lambda: aws.get_function_url_config(FunctionName="rest-url"))["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_a_client_that_goes_away_stops_its_invocation(aws, tmp_path):
    import time

    code = zip_of({"app.py": "import time\ndef handler(event, context):\n    time.sleep(2)\n    open(event['mark'], 'w').write('ran to the end')\n    return 'done'\n"})
    aws.create_function(FunctionName="rest-abandoned", Runtime="python3.12", Role=ROLE, Handler="app.handler", Code={"ZipFile": code}, Timeout=10)
    mark = tmp_path / "mark"
    body = json.dumps({"mark": str(mark)}).encode()
    with socket.create_connection(("127.0.0.1", PORT), timeout=20) as sock:
        sock.sendall(
            b"POST /2015-03-31/functions/rest-abandoned/invocations HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        time.sleep(1)
    time.sleep(3)
    assert not mark.exists(), "the abandoned invocation was stopped, its instance recycled"
    assert json.load(aws.invoke(FunctionName="rest-abandoned", Payload=json.dumps({"mark": str(tmp_path / "second")}).encode())["Payload"]) == "done"


def test_a_function_urls_cors_settings_answer_preflights(aws):
    import http.client

    create(aws, "rest-cors", code=URL_HANDLER)
    config = aws.create_function_url_config(
        FunctionName="rest-cors", AuthType="NONE",
        Cors={"AllowOrigins": ["https://app.example"], "AllowMethods": ["GET", "POST"], "AllowHeaders": ["x-custom"], "MaxAge": 60},
    )
    url_id = config["FunctionUrl"].split("//")[1].split(".")[0]
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    connection.request("OPTIONS", f"/_shoal/url/{url_id}/", headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"})
    answer = connection.getresponse()
    answer.read()
    assert answer.status == 200
    assert answer.getheader("Access-Control-Allow-Origin") == "https://app.example"
    assert answer.getheader("Access-Control-Allow-Methods") == "GET,POST" and answer.getheader("Access-Control-Max-Age") == "60"
    connection.request("OPTIONS", f"/_shoal/url/{url_id}/", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    answer = connection.getresponse()
    answer.read()
    assert answer.status == 403 and answer.getheader("Access-Control-Allow-Origin") is None
    connection.request("GET", f"/_shoal/url/{url_id}/", headers={"Origin": "https://app.example"})
    answer = connection.getresponse()
    answer.read()
    assert answer.status == 201 and answer.getheader("Access-Control-Allow-Origin") == "https://app.example"


NODE_URL_STREAMER = zip_of(
    {
        "index.js": """
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const mode = (event.queryStringParameters || {}).mode;
  if (mode === "fail") throw new Error("boom before the head");
  if (mode === "raw") {
    responseStream.setContentType("text/plain");
    responseStream.write("raw;");
    await pause(800);
    responseStream.end("end");
    return;
  }
  const stream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 207, headers: { "X-Streamed": "yes", "Content-Type": "text/plain" }, cookies: ["s=1"],
  });
  stream.write("first;");
  await pause(1000);
  stream.write("second;");
  stream.end();
});
"""
    }
)


def test_a_streaming_function_url_sends_its_head_and_first_bytes_before_the_function_ends(aws):
    import http.client
    import subprocess
    import time

    aws.create_function(
        FunctionName="rest-url-stream", Runtime="nodejs20.x", Role=ROLE, Handler="index.handler", Code={"ZipFile": NODE_URL_STREAMER}
    )
    # AWS_IAM is accepted and not checked: the unsigned requests below are served.
    config = aws.create_function_url_config(FunctionName="rest-url-stream", AuthType="AWS_IAM", InvokeMode="RESPONSE_STREAM")
    assert (config["AuthType"], config["InvokeMode"]) == ("AWS_IAM", "RESPONSE_STREAM")
    url_id = config["FunctionUrl"].split("//")[1].split(".")[0]

    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    started = time.monotonic()
    connection.request("GET", f"/_shoal/url/{url_id}/")
    answer = connection.getresponse()
    assert answer.status == 207 and answer.getheader("X-Streamed") == "yes" and answer.getheader("Content-Type") == "text/plain"
    assert answer.msg.get_all("Set-Cookie") == ["s=1"]
    first = answer.read1()
    first_at = time.monotonic()
    rest = answer.read()
    ended_at = time.monotonic()
    assert first == b"first;" and rest == b"second;"
    assert ended_at - first_at > 0.6, "the first bytes came before the function ended"
    assert first_at - started < 5

    connection.request("GET", f"/_shoal/url/{url_id}/?mode=raw")
    answer = connection.getresponse()
    assert answer.status == 200 and answer.getheader("Content-Type") == "text/plain"
    assert answer.read1() == b"raw;" and answer.read() == b"end"

    connection.request("GET", f"/_shoal/url/{url_id}/?mode=fail")
    answer = connection.getresponse()
    answer.read()
    assert answer.status == 502

    # curl, by Host header: the head and the first bytes come at once, the rest a second later.
    curl = subprocess.Popen(
        ["curl", "-s", "-N", "-i", "-H", f"Host: {url_id}.lambda-url.us-east-1.localhost:{PORT}", f"http://127.0.0.1:{PORT}/"],
        stdout=subprocess.PIPE,
    )
    seen = b""
    while b"first;" not in seen:
        piece = curl.stdout.read1(4096)
        assert piece, seen
        seen += piece
    first_at = time.monotonic()
    seen += curl.stdout.read()
    assert curl.wait(timeout=10) == 0 and time.monotonic() - first_at > 0.6
    assert seen.startswith(b"HTTP/1.1 207") and seen.endswith(b"first;second;"), seen
