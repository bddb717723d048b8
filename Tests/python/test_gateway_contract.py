"""docs/api.md's framing and errors, seen by a raw-socket client, and the examples/ client.

Run by GatewayTests/PythonClientTests against a `shoal up` it started; the gateway's
JSON-RPC port comes in SHOAL_RPC_PORT.
"""

import base64
import json
import os
import socket
import struct
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples"))
from shoal_client import ShoalClient, ShoalError, zip_of  # noqa: E402

PORT = int(os.environ["SHOAL_RPC_PORT"])


class RawClient:
    def __init__(self):
        self.sock = socket.create_connection(("127.0.0.1", PORT), timeout=20)

    def send(self, body: bytes):
        self.sock.sendall(struct.pack(">I", len(body)) + body)

    def receive(self):
        header = self._exactly(4)
        (length,) = struct.unpack(">I", header)
        return json.loads(self._exactly(length))

    def _exactly(self, count):
        data = b""
        while len(data) < count:
            chunk = self.sock.recv(count - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    def error_of(self, body: bytes):
        self.send(body)
        answer = self.receive()
        self.assert_error_shape(answer)
        return answer["error"]

    @staticmethod
    def assert_error_shape(answer):
        assert answer["jsonrpc"] == "2.0", answer
        assert "error" in answer and "type" in answer["error"]["data"], answer


def request(method, params=None, id=1):
    message = {"jsonrpc": "2.0", "id": id, "method": method}
    if params is not None:
        message["params"] = params
    return json.dumps(message).encode()


class ContractErrors(unittest.TestCase):
    def setUp(self):
        self.raw = RawClient()

    def tearDown(self):
        self.raw.sock.close()

    def test_not_json_is_a_parse_error_and_the_connection_stays_usable(self):
        error = self.raw.error_of(b"{not json")
        self.assertEqual((error["code"], error["data"]["type"]), (-32700, "ParseError"))
        error = self.raw.error_of(b"\xff\xfe invalid utf-8")
        self.assertEqual(error["code"], -32700)
        self.raw.send(request("workers.list", {}, id=7))
        answer = self.raw.receive()
        self.assertEqual(answer["id"], 7)
        self.assertIn("workers", answer["result"])

    def test_not_a_request_is_invalid_request(self):
        for body in [b'{"foo": 1}', b'{"jsonrpc": "1.0", "id": 1, "method": "x"}', b"42", b"[]"]:
            error = self.raw.error_of(body)
            self.assertEqual((error["code"], error["data"]["type"]), (-32600, "InvalidRequest"), body)

    def test_unknown_method(self):
        error = self.raw.error_of(request("function.explode", {}))
        self.assertEqual((error["code"], error["data"]["type"]), (-32601, "MethodNotFound"))

    def test_missing_or_ill_typed_params(self):
        for params in [{}, {"functionName": 5}, {"functionName": "x", "invocationType": 3}]:
            error = self.raw.error_of(request("invoke", params))
            self.assertEqual((error["code"], error["data"]["type"]), (-32602, "InvalidParameterValueException"), params)

    def test_bad_names_and_bad_zips(self):
        code = {"zipFile": base64.b64encode(zip_of({"app.py": ""})).decode()}
        bad_name = self.raw.error_of(request("function.create", {"functionName": "no/slashes", "runtime": "python3.11", "handler": "app.h", "code": code}))
        self.assertEqual(bad_name["code"], -32602)
        bad_zip = self.raw.error_of(request("function.create", {"functionName": "badzip", "runtime": "python3.11", "handler": "app.h",
                                                                 "code": {"zipFile": base64.b64encode(b"PK\x03\x04 truncated").decode()}}))
        self.assertEqual((bad_zip["code"], bad_zip["data"]["type"]), (-32602, "InvalidParameterValueException"))
        bad_runtime = self.raw.error_of(request("function.create", {"functionName": "r", "runtime": "cobol1", "handler": "a.b", "code": code}))
        self.assertEqual(bad_runtime["code"], -32602)

    def test_a_payload_that_is_not_base64_is_refused_for_every_invocation_type(self):
        code = {"zipFile": base64.b64encode(zip_of({"app.py": "def handler(event, context):\n    return 1\n"})).decode()}
        self.raw.send(request("function.create", {"functionName": "payload-check", "runtime": "python3.11",
                                                   "handler": "app.handler", "code": code}))
        self.assertEqual(self.raw.receive()["result"]["functionName"], "payload-check")
        for invocation_type in ["RequestResponse", "Event", "DryRun"]:
            for payload in ["not base64!", "e30", "===="]:
                error = self.raw.error_of(request("invoke", {"functionName": "payload-check", "payload": payload,
                                                             "invocationType": invocation_type}))
                self.assertEqual((error["code"], error["data"]["type"]), (-32602, "InvalidParameterValueException"),
                                 (invocation_type, payload))

    def test_a_payload_that_is_not_json_or_a_bad_client_context_is_invalid_request_content(self):
        code = {"zipFile": base64.b64encode(zip_of({"app.py": "def handler(event, context):\n    return 1\n"})).decode()}
        self.raw.send(request("function.create", {"functionName": "content-check", "runtime": "python3.11",
                                                   "handler": "app.handler", "code": code}))
        self.assertEqual(self.raw.receive()["result"]["functionName"], "content-check")
        b64 = lambda data: base64.b64encode(data).decode()
        for invocation_type in ["RequestResponse", "Event", "DryRun"]:
            for params in [{"payload": b64(b"not json")}, {"payload": b64(b'{"a": NaN}')}, {"payload": b64(b"\xff")},
                           {"payload": b64(b"{}"), "clientContext": "not base64"},
                           {"payload": b64(b"{}"), "clientContext": b64(b'"a string"')}]:
                error = self.raw.error_of(request("invoke", {"functionName": "content-check", "invocationType": invocation_type, **params}))
                self.assertEqual((error["code"], error["data"]["type"]), (-32006, "InvalidRequestContentException"),
                                 (invocation_type, params))

    def test_no_such_function(self):
        error = self.raw.error_of(request("function.get", {"functionName": "nobody-here"}))
        self.assertEqual((error["code"], error["data"]["type"]), (-32001, "ResourceNotFoundException"))

    def test_batches_get_one_answer_per_request(self):
        self.raw.send(b'[' + request("workers.list", {}, id=1) + b', {"bad": true}, ' + request("nope", {}, id=3) + b']')
        answers = self.raw.receive()
        self.assertIsInstance(answers, list)
        self.assertEqual(len(answers), 3)
        self.assertIn("result", answers[0])
        self.assertEqual(answers[1]["error"]["code"], -32600)
        self.assertEqual(answers[2]["error"]["code"], -32601)

    def test_a_frame_over_the_maximum_is_refused_and_the_connection_closed(self):
        self.raw.sock.sendall(struct.pack(">I", 16 * 1024 * 1024 + 1) + b"{")
        answer = self.raw.receive()
        self.assertEqual(answer["error"]["code"], -32600)
        self.assertEqual(answer["error"]["data"]["reason"], "frame too large")
        with self.assertRaises((ConnectionError, OSError)):
            self.raw.receive()


class ExampleClient(unittest.TestCase):
    """The client in examples/ does what its docstring says."""

    def test_create_invoke_conflict_and_too_large(self):
        with ShoalClient(port=PORT) as client:
            code = zip_of({"app.py": "def handler(event, context):\n    return {'hello': event['name']}\n"})
            created = client.create_function("py-example", "python3.11", "app.handler", code, timeout=5)
            self.assertEqual(created["functionArn"], "arn:aws:lambda:us-east-1:000000000000:function:py-example")
            self.assertEqual(created["codeSize"], len(code))
            response, result = client.invoke("py-example", {"name": "world"})
            self.assertEqual(response, {"hello": "world"})
            self.assertEqual(result["statusCode"], 200)
            with self.assertRaises(ShoalError) as conflict:
                client.create_function("py-example", "python3.11", "app.handler", code)
            self.assertEqual((conflict.exception.code, conflict.exception.type), (-32002, "ResourceConflictException"))
            with self.assertRaises(ShoalError) as too_large:
                client.invoke("py-example", {"blob": "x" * (6 * 1024 * 1024)})
            self.assertEqual((too_large.exception.code, too_large.exception.type), (-32003, "RequestTooLargeException"))
            failing = zip_of({"app.py": "def handler(event, context):\n    raise ValueError('no')\n"})
            client.create_function("py-fails", "python3.11", "app.handler", failing)
            response, result = client.invoke("py-fails", {})
            self.assertEqual(result["functionError"], "Unhandled")
            self.assertEqual(response["errorType"], "ValueError")
            self.assertIn("py-example", [f["functionName"] for f in client.list_functions()])


if __name__ == "__main__":
    unittest.main(verbosity=2)
