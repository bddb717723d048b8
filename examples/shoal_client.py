"""A small JSON-RPC client for Shoal's gateway, in plain Python (no dependencies).

Copy it into your test suite. Frames are a 4-byte big-endian length, then UTF-8 JSON
(docs/api.md, Frames). One client holds one TCP connection; calls on it are sequential
here, although the gateway answers out of order when a client pipelines.

    client = ShoalClient("127.0.0.1", 4570)
    client.create_function("hello", "python3.12", "app.handler", zip_bytes)
    print(client.invoke("hello", {"name": "world"}))
"""

import base64
import io
import itertools
import json
import socket
import struct
import zipfile


class ShoalError(Exception):
    """A JSON-RPC error answer: `code`, `message`, and `type` (the AWS exception name)."""

    def __init__(self, error):
        super().__init__(f"{error.get('code')} {error.get('data', {}).get('type')}: {error.get('message')}")
        self.code = error.get("code")
        self.type = error.get("data", {}).get("type")
        self.error = error


class ShoalClient:
    def __init__(self, host="127.0.0.1", port=4570, timeout=60):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.ids = itertools.count(1)

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # Framing

    def send_frame(self, body: bytes):
        self.sock.sendall(struct.pack(">I", len(body)) + body)

    def read_frame(self) -> bytes:
        (length,) = struct.unpack(">I", self._read_exactly(4))
        return self._read_exactly(length)

    def _read_exactly(self, count: int) -> bytes:
        chunks = []
        while count:
            chunk = self.sock.recv(min(count, 1 << 20))
            if not chunk:
                raise ConnectionError("the gateway closed the connection")
            chunks.append(chunk)
            count -= len(chunk)
        return b"".join(chunks)

    # JSON-RPC

    def call(self, method, params=None, on_notification=None):
        """Sends one request and returns its result; notifications that arrive first
        (streamed chunks) go to `on_notification(method, params)`."""
        request_id = next(self.ids)
        message = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send_frame(json.dumps(message).encode())
        while True:
            answer = json.loads(self.read_frame())
            if "id" not in answer:
                if on_notification:
                    on_notification(answer["method"], answer.get("params"))
                continue
            if answer["id"] != request_id:
                continue
            if "error" in answer:
                raise ShoalError(answer["error"])
            return answer["result"]

    # The methods of docs/api.md

    def create_function(self, name, runtime, handler, zip_bytes, **options):
        params = {"functionName": name, "runtime": runtime, "handler": handler,
                  "code": {"zipFile": base64.b64encode(zip_bytes).decode()}}
        params.update(options)
        return self.call("function.create", params)

    def invoke(self, name, event=None, **options):
        """Invokes synchronously; returns (decoded JSON response or raw text, the whole result)."""
        params = {"functionName": name, "payload": base64.b64encode(json.dumps(event).encode()).decode()}
        params.update(options)
        result = self.call("invoke", params)
        body = base64.b64decode(result.get("payload", ""))
        try:
            return json.loads(body), result
        except ValueError:
            return body.decode(errors="replace"), result

    def invoke_stream(self, name, event=None):
        """Invokes with a streamed response; returns (the chunks in order, the final result)."""
        chunks = []
        params = {"functionName": name, "payload": base64.b64encode(json.dumps(event).encode()).decode()}
        result = self.call("invoke.stream", params,
                           on_notification=lambda method, p: chunks.append(base64.b64decode(p["payload"])))
        return chunks, result

    def list_functions(self):
        return self.call("function.list", {})["functions"]

    def workers(self):
        return self.call("workers.list", {})["workers"]


def zip_of(files: dict) -> bytes:
    """A zip archive holding `files` ({name: text}), executable bits set."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o755 << 16
            archive.writestr(info, text)
    return buffer.getvalue()


if __name__ == "__main__":
    import sys

    port = int(sys.argv[1]) if len(sys.argv) > 1 else 4570
    with ShoalClient(port=port) as client:
        code = zip_of({"app.py": "def handler(event, context):\n    return {'hello': event.get('name')}\n"})
        try:
            client.create_function("example-hello", "python3.11", "app.handler", code)
        except ShoalError as error:
            if error.type != "ResourceConflictException":
                raise
        response, _ = client.invoke("example-hello", {"name": "world"})
        print(response)
