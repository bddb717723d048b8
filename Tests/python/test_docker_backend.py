"""The Docker backend with real containers, driven by boto3 through `shoal up --backend docker`.

Run with pytest by GatewayTests/DockerBackendTests against a `shoal up` it started with the
images scripts/docker-test-images.sh builds; SHOAL_HTTP_PORT is the gateway's HTTP port and
SHOAL_WORKER_CAP the per-function cap it gave the workers. The engine is asked over its unix
socket, as Shoal asks it, to see the containers themselves.
"""

import http.client
import io
import json
import os
import socket
import threading
import time
import urllib.parse
import zipfile

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

PORT = int(os.environ["SHOAL_HTTP_PORT"])
CAP = int(os.environ.get("SHOAL_WORKER_CAP", "3"))
ROLE = "arn:aws:iam::000000000000:role/lambda-role"


class EngineConnection(http.client.HTTPConnection):
    def __init__(self):
        super().__init__("docker", timeout=30)

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect("/var/run/docker.sock")


def engine(method, path):
    connection = EngineConnection()
    connection.request(method, path)
    answer = connection.getresponse()
    body = answer.read()
    return answer.status, (json.loads(body) if body and answer.getheader("Content-Type", "").startswith("application/json") else body)


def containers(function):
    filters = urllib.parse.quote(json.dumps({"label": [f"shoal.function={function}"]}))
    return engine("GET", f"/containers/json?all=1&filters={filters}")[1]


@pytest.fixture(scope="module")
def aws():
    return boto3.client(
        "lambda", endpoint_url=f"http://127.0.0.1:{PORT}", region_name="us-east-1", aws_access_key_id="test",
        aws_secret_access_key="test", config=Config(retries={"total_max_attempts": 1}, read_timeout=300),
    )


def zip_of(files, executable=()):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o100755 if name in executable else 0o100644) << 16
            archive.writestr(info, text)
    return buffer.getvalue()


def invoke(aws, name, event=None):
    answer = aws.invoke(FunctionName=name, Payload=json.dumps(event or {}).encode())
    return answer.get("FunctionError"), json.loads(answer["Payload"].read())


PYTHON = zip_of({
    "app.py": """import os, sys, time
import shared_layer
def handler(event, context):
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("allocate"):
        hoard = bytearray(event["allocate"] * 1024 * 1024)
        return len(hoard)
    return {"data": open("/var/task/data.txt").read(), "layer": shared_layer.VALUE, "cwd": os.getcwd(),
            "memory": os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "host": os.uname().nodename}
""",
    "data.txt": "read from /var/task",
})

BOOTSTRAP = """#!/usr/bin/python3
import http.client, json, os
host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
connection = http.client.HTTPConnection(host, int(port))
while True:
    connection.request("GET", "/2018-06-01/runtime/invocation/next")
    answer = connection.getresponse()
    event = json.loads(answer.read())
    request_id = answer.getheader("Lambda-Runtime-Aws-Request-Id")
    body = json.dumps({"provided": True, "handler": os.environ["_HANDLER"], "event": event})
    connection.request("POST", f"/2018-06-01/runtime/invocation/{request_id}/response", body)
    connection.getresponse().read()
"""

NODE_STREAMER = zip_of({"index.js": """
exports.handler = awslambda.streamifyResponse(async (event, stream) => {
  for (let i = 0; i < 3; i++) {
    stream.write(`part ${i};`);
    await new Promise((resolve) => setTimeout(resolve, 400));
  }
  stream.end();
});
exports.plain = async (event, context) => ({ node: process.version, name: context.functionName });
"""})


def test_python_node_provided_and_image_functions_answer_from_containers(aws):
    layer = aws.publish_layer_version(LayerName="docker-shared", Content={"ZipFile": zip_of({"python/shared_layer.py": "VALUE = 'from /opt'\n"})})
    aws.create_function(FunctionName="dk-python", Runtime="python3.12", Role=ROLE, Handler="app.handler", Code={"ZipFile": PYTHON},
                        Layers=[layer["LayerVersionArn"]], MemorySize=512, EphemeralStorage={"Size": 1024})
    error, answer = invoke(aws, "dk-python")
    assert error is None, answer
    assert answer["data"] == "read from /var/task" and answer["layer"] == "from /opt" and answer["cwd"] == "/var/task"
    assert answer["memory"] == "512"
    [container] = containers("dk-python")
    labels = container["Labels"]
    assert labels["shoal.worker"].startswith("worker-") and labels["shoal.deploy"]
    details = engine("GET", f"/containers/{container['Id']}/json")[1]["HostConfig"]
    assert details["Memory"] == 512 << 20 and details["MemorySwap"] == 512 << 20
    assert details["NanoCpus"] == 512 * 1_000_000_000 // 1769 and "size=1024m" in details["Tmpfs"]["/tmp"]

    aws.create_function(FunctionName="dk-node", Runtime="nodejs20.x", Role=ROLE, Handler="index.plain", Code={"ZipFile": NODE_STREAMER})
    error, answer = invoke(aws, "dk-node")
    assert error is None and answer["name"] == "dk-node" and answer["node"].startswith("v"), answer

    aws.create_function(FunctionName="dk-provided", Runtime="provided.al2023", Role=ROLE, Handler="my.handler",
                        Code={"ZipFile": zip_of({"bootstrap": BOOTSTRAP}, executable={"bootstrap"})})
    error, answer = invoke(aws, "dk-provided", {"k": 1})
    assert error is None and answer == {"provided": True, "handler": "my.handler", "event": {"k": 1}}, answer

    aws.create_function(FunctionName="dk-image", PackageType="Image", Role=ROLE, Code={"ImageUri": "shoal-test/image-function:1"})
    error, answer = invoke(aws, "dk-image", {"k": 2})
    assert error is None and answer["from"] == "image" and answer["cwd"] == "/function" and answer["event"] == {"k": 2}, answer

    # ImageConfig overrides the image's CMD and WORKDIR, as Lambda applies them.
    overrides = {"Command": ["app.other"], "WorkingDirectory": "/function"}
    aws.create_function(FunctionName="dk-image-config", PackageType="Image", Role=ROLE,
                        Code={"ImageUri": "shoal-test/image-function:1"}, ImageConfig=overrides)
    assert aws.get_function_configuration(FunctionName="dk-image-config")["ImageConfigResponse"]["ImageConfig"] == overrides
    error, answer = invoke(aws, "dk-image-config")
    assert error is None and answer == {"from": "image-other"}, answer


def test_concurrent_invokes_stay_within_the_cap_and_reuse_warm_containers(aws):
    aws.create_function(FunctionName="dk-burst", Runtime="python3.12", Role=ROLE, Handler="app.handler", Code={"ZipFile": PYTHON},
                        Layers=[aws.list_layer_versions(LayerName="docker-shared")["LayerVersions"][0]["LayerVersionArn"]])
    answers = []

    def call():
        answers.append(invoke(aws, "dk-burst", {"sleep": 0.5}))

    for round_ in range(2):
        threads = [threading.Thread(target=call) for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if round_ == 0:
            first = {c["Id"] for c in containers("dk-burst")}
    assert len(answers) == 20 and all(error is None for error, _ in answers), answers
    assert 1 <= len(first) <= CAP, f"{len(first)} containers for a cap of {CAP}"
    assert {c["Id"] for c in containers("dk-burst")} == first, "the second burst ran on the warm containers"


def test_a_streaming_function_streams_from_its_container(aws):
    aws.create_function(FunctionName="dk-stream", Runtime="nodejs20.x", Role=ROLE, Handler="index.handler", Code={"ZipFile": NODE_STREAMER})
    answer = aws.invoke_with_response_stream(FunctionName="dk-stream", Payload=b"{}")
    timed = [(time.monotonic(), event) for event in answer["EventStream"]]
    chunks = [(at, event["PayloadChunk"]["Payload"]) for at, event in timed if "PayloadChunk" in event]
    assert b"".join(payload for _, payload in chunks) == b"part 0;part 1;part 2;"
    assert chunks[-1][0] - chunks[0][0] > 0.6, "the first chunk came well before the last"


def test_a_function_past_its_memory_is_killed_and_reported_and_the_next_call_works(aws):
    # 128 MB is 7% of a core: the interpreter's start and the allocation up to the limit can
    # take seconds there, so the timeout must not be what ends the call.
    aws.create_function(FunctionName="dk-memory", Runtime="python3.12", Role=ROLE, Handler="app.handler", Code={"ZipFile": PYTHON},
                        MemorySize=128, Timeout=20, Layers=[aws.list_layer_versions(LayerName="docker-shared")["LayerVersions"][0]["LayerVersionArn"]])
    error, answer = invoke(aws, "dk-memory", {"allocate": 400})
    assert error == "Unhandled" and answer["errorType"] == "Runtime.ExitError", answer
    error, answer = invoke(aws, "dk-memory")
    assert error is None and answer["data"] == "read from /var/task"


def test_a_container_killed_from_outside_is_replaced_with_a_transparent_retry(aws):
    error, _ = invoke(aws, "dk-python")
    assert error is None
    for container in containers("dk-python"):
        engine("POST", f"/containers/{container['Id']}/kill")
    error, answer = invoke(aws, "dk-python")
    assert error is None and answer["data"] == "read from /var/task", answer


def test_bad_images_and_runtimes_get_clear_errors_and_leave_nothing_running(aws):
    # An image that cannot be had is refused at create, as AWS checks it, and nothing is kept.
    with pytest.raises(ClientError) as raised:
        aws.create_function(FunctionName="dk-missing", PackageType="Image", Role=ROLE, Code={"ImageUri": "127.0.0.1:9/shoal/missing:1"})
    assert raised.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "image not found: 127.0.0.1:9/shoal/missing:1" in raised.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as raised:
        aws.get_function(FunctionName="dk-missing")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"

    aws.create_function(FunctionName="dk-noimage", Runtime="python3.13", Role=ROLE, Handler="app.handler", Code={"ZipFile": PYTHON})
    with pytest.raises(ClientError) as raised:
        invoke(aws, "dk-noimage")
    assert raised.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "no image for runtime python3.13" in raised.value.response["Error"]["Message"]
    assert "--runtime-image python3.13=IMAGE" in raised.value.response["Error"]["Message"]

    aws.create_function(FunctionName="dk-exits", PackageType="Image", Role=ROLE, Code={"ImageUri": "shoal-test/exits:1"})
    error, answer = invoke(aws, "dk-exits")
    assert error == "Unhandled" and answer["errorType"] == "Runtime.ExitError", answer
    for name in ["dk-missing", "dk-noimage"]:
        assert containers(name) == [], f"{name} left a container"
