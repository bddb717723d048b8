"""The AWS CLI (v1) against the gateway's HTTP port: its commands, output and exit codes.

Run with pytest by GatewayTests/OutsideClientTests against a `shoal up` it started; the HTTP
port comes in SHOAL_HTTP_PORT. The CLI is the one installed beside this Python.
"""

import io
import json
import os
import subprocess
import sys
import zipfile

PORT = int(os.environ["SHOAL_HTTP_PORT"])
AWS = os.path.join(os.path.dirname(sys.executable), "aws")
ENVIRONMENT = dict(
    os.environ,
    AWS_ACCESS_KEY_ID="test",
    AWS_SECRET_ACCESS_KEY="test",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_PAGER="",
    AWS_MAX_ATTEMPTS="1",
)


def aws(*arguments, cwd=None):
    done = subprocess.run(
        [AWS, "--endpoint-url", f"http://127.0.0.1:{PORT}", "lambda", *arguments],
        env=ENVIRONMENT,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout, done.stderr


def test_create_invoke_list_and_a_missing_function(tmp_path):
    code = tmp_path / "fn.zip"
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return {'got': event}\n")
    status, out, err = aws(
        "create-function", "--function-name", "cli-echo", "--runtime", "python3.12", "--handler", "app.handler",
        "--role", "arn:aws:iam::000000000000:role/lambda-role", "--zip-file", f"fileb://{code}",
    )
    assert status == 0, err
    assert json.loads(out)["FunctionName"] == "cli-echo"
    status, _, err = aws("wait", "function-active-v2", "--function-name", "cli-echo")
    assert status == 0, err

    event = tmp_path / "event.json"
    event.write_text('{"a": 1}')
    status, out, err = aws("invoke", "--function-name", "cli-echo", "--payload", f"fileb://{event}", str(tmp_path / "out.json"))
    assert status == 0, err
    assert json.loads(out) == {"StatusCode": 200, "ExecutedVersion": "$LATEST"}
    assert json.loads((tmp_path / "out.json").read_text()) == {"got": {"a": 1}}

    status, out, err = aws("list-functions")
    assert status == 0, err
    assert "cli-echo" in [function["FunctionName"] for function in json.loads(out)["Functions"]]

    status, out, err = aws("get-function", "--function-name", "cli-missing")
    assert status == 255
    assert "ResourceNotFoundException" in err and "GetFunction" in err

    status, _, err = aws("delete-function", "--function-name", "cli-echo")
    assert status == 0, err
