/// The Python runtime loop that ships with Shoal: the Lambda Runtime API client for
/// `python3.x` functions when `awslambdaric` is not importable. Standard library only.
enum PythonRuntimeLoop {
    static let fileName = "shoal_python_runtime.py"

    static let source = #"""
        # Shoal's bundled Python runtime: the Lambda Runtime API loop (standard library only).
        import http.client, importlib, json, os, sys, time, traceback

        API = "/2018-06-01/runtime"
        host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
        connection = http.client.HTTPConnection(host, int(port))

        def call(method, path, body=None, headers=None):
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response, response.read()

        def error_document(error, error_type=None):
            return {
                "errorMessage": str(error),
                "errorType": error_type or type(error).__name__,
                "stackTrace": traceback.format_tb(error.__traceback__) if error.__traceback__ else [],
            }

        def init_error(error, error_type):
            document = error_document(error, error_type)
            print("[ERROR] %s: %s" % (error_type, error), file=sys.stderr, flush=True)
            call("POST", API + "/init/error", json.dumps(document), {"Lambda-Runtime-Function-Error-Type": error_type})
            sys.exit(1)

        class Fields:
            """The named members of a JSON object as attributes (None when absent)."""
            def __init__(self, values, names):
                for name in names:
                    setattr(self, name, values.get(name))

        class Context:
            def __init__(self, headers):
                self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
                self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
                self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
                self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
                self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
                self.aws_request_id = headers.get("Lambda-Runtime-Aws-Request-Id")
                self.invoked_function_arn = headers.get("Lambda-Runtime-Invoked-Function-Arn")
                self._deadline_ms = int(headers.get("Lambda-Runtime-Deadline-Ms") or 0)
                # As awslambdaric: objects with the documented attributes, not dicts.
                client_context = headers.get("Lambda-Runtime-Client-Context")
                identity = json.loads(headers.get("Lambda-Runtime-Cognito-Identity") or "{}")
                self.client_context = None
                if client_context:
                    self.client_context = Fields(json.loads(client_context), ("custom", "env", "client"))
                    if self.client_context.client is not None:
                        self.client_context.client = Fields(self.client_context.client, (
                            "installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name"))
                self.identity = Fields({"cognito_identity_id": identity.get("cognitoIdentityId"),
                                        "cognito_identity_pool_id": identity.get("cognitoIdentityPoolId")},
                                       ("cognito_identity_id", "cognito_identity_pool_id"))

            def get_remaining_time_in_millis(self):
                return max(self._deadline_ms - int(time.time() * 1000), 0)

        def load_handler():
            task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
            if task_root not in sys.path:
                sys.path.insert(0, task_root)
            name = os.environ.get("_HANDLER", "")
            module_name, _, function_name = name.rpartition(".")
            if not module_name:
                init_error(ValueError("Bad handler '%s': not enough values to unpack" % name), "Runtime.MalformedHandlerName")
            try:
                module = importlib.import_module(module_name.replace("/", "."))
            except ImportError as error:
                init_error(ValueError("Unable to import module '%s': %s" % (module_name, error)), "Runtime.ImportModuleError")
            except SyntaxError as error:
                init_error(error, "Runtime.UserCodeSyntaxError")
            except Exception as error:
                init_error(error, "Runtime.ImportModuleError")
            handler = getattr(module, function_name, None)
            if handler is None:
                init_error(ValueError("Handler '%s' missing on module '%s'" % (function_name, module_name)), "Runtime.HandlerNotFound")
            return handler

        def main():
            handler = load_handler()
            while True:
                response, body = call("GET", API + "/invocation/next")
                if response.status != 200:
                    # As AWS's runtime clients: no event means the environment is going away.
                    print("[ERROR] Runtime API /invocation/next answered %d: %s" % (response.status, body[:512]), file=sys.stderr, flush=True)
                    sys.exit(1)
                headers = {name: value for name, value in response.getheaders()}
                request_id = headers.get("Lambda-Runtime-Aws-Request-Id")
                try:
                    event = json.loads(body) if body else None
                except ValueError as error:
                    call("POST", API + "/invocation/%s/error" % request_id,
                         json.dumps(error_document(error, "Runtime.UnmarshalError")),
                         {"Lambda-Runtime-Function-Error-Type": "Runtime.UnmarshalError"})
                    continue
                try:
                    result = handler(event, Context(headers))
                    payload = json.dumps(result)
                except Exception as error:
                    document = error_document(error)
                    print("[ERROR] %s: %s" % (document["errorType"], document["errorMessage"]), file=sys.stderr, flush=True)
                    call("POST", API + "/invocation/%s/error" % request_id, json.dumps(document),
                         {"Lambda-Runtime-Function-Error-Type": "Function." + document["errorType"]})
                    continue
                call("POST", API + "/invocation/%s/response" % request_id, payload)

        main()
        """#
}
