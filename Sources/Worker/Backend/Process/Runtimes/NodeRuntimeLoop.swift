/// The Node.js runtime loop that ships with Shoal: the Lambda Runtime API client for
/// `nodejs*` functions, with `awslambda.streamifyResponse` for response streaming.
enum NodeRuntimeLoop {
    static let fileName = "shoal_node_runtime.mjs"

    static let source = #"""
        // Shoal's bundled Node.js runtime: the Lambda Runtime API loop, with response streaming.
        import http from "node:http";
        import path from "node:path";
        import fs from "node:fs";
        import { createRequire } from "node:module";
        import { pathToFileURL } from "node:url";

        const API = "/2018-06-01/runtime";
        const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(":");
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        const STREAMING = Symbol.for("aws.lambda.runtime.handler.streaming");

        globalThis.awslambda = {
          streamifyResponse(handler) { handler[STREAMING] = "response"; return handler; },
          // As AWS's runtime: the HTTP status, headers and cookies a function URL answers with,
          // as a JSON prelude and eight NUL bytes ahead of the body.
          HttpResponseStream: {
            from(stream, metadata) {
              stream.setContentType("application/vnd.awslambda.http-integration-response");
              stream.write(JSON.stringify(metadata ?? {}));
              stream.write(new Uint8Array(8));
              return stream;
            },
          },
        };

        function call(method, route, body, headers = {}) {
          return new Promise((resolve, reject) => {
            const request = http.request({ host, port, method, path: API + route, agent, headers }, (response) => {
              const chunks = [];
              response.on("data", (chunk) => chunks.push(chunk));
              response.on("end", () => resolve({ response, body: Buffer.concat(chunks) }));
            });
            request.on("error", reject);
            request.end(body);
          });
        }

        function errorDocument(error, type) {
          return {
            errorType: type ?? error?.name ?? "Error",
            errorMessage: error?.message ?? String(error),
            trace: typeof error?.stack === "string" ? error.stack.split("\n") : [],
          };
        }

        async function initError(error, type) {
          console.error(`[ERROR] ${type}: ${error?.message ?? error}`);
          await call("POST", "/init/error", JSON.stringify(errorDocument(error, type)), { "Lambda-Runtime-Function-Error-Type": type });
          process.exit(1);
        }

        async function loadHandler() {
          const taskRoot = process.env.LAMBDA_TASK_ROOT ?? process.cwd();
          const name = process.env._HANDLER ?? "";
          const dot = name.lastIndexOf(".");
          if (dot < 0) return initError(new Error(`Bad handler ${name}`), "Runtime.MalformedHandlerName");
          const file = name.slice(0, dot), functionName = name.slice(dot + 1);
          const candidates = [".js", ".mjs", ".cjs"].map((extension) => path.join(taskRoot, file + extension));
          const found = candidates.find((candidate) => fs.existsSync(candidate));
          if (!found) return initError(new Error(`Cannot find module '${file}'`), "Runtime.ImportModuleError");
          let module;
          try {
            module = found.endsWith(".cjs") || (found.endsWith(".js") && !isModule(taskRoot))
              ? createRequire(found)(found)
              : await import(pathToFileURL(found).href);
          } catch (error) {
            return initError(error, error instanceof SyntaxError ? "Runtime.UserCodeSyntaxError" : "Runtime.ImportModuleError");
          }
          const handler = module[functionName] ?? module.default?.[functionName];
          if (typeof handler !== "function") return initError(new Error(`${name} is undefined or not exported`), "Runtime.HandlerNotFound");
          return handler;
        }

        function isModule(taskRoot) {
          try { return JSON.parse(fs.readFileSync(path.join(taskRoot, "package.json"), "utf8")).type === "module"; }
          catch { return false; }
        }

        function context(headers) {
          const deadline = Number(headers["lambda-runtime-deadline-ms"] ?? 0);
          return {
            functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
            functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION ?? "$LATEST",
            memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
            logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
            logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
            awsRequestId: headers["lambda-runtime-aws-request-id"],
            invokedFunctionArn: headers["lambda-runtime-invoked-function-arn"],
            clientContext: headers["lambda-runtime-client-context"] ? JSON.parse(headers["lambda-runtime-client-context"]) : undefined,
            identity: headers["lambda-runtime-cognito-identity"] ? JSON.parse(headers["lambda-runtime-cognito-identity"]) : undefined,
            getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
            callbackWaitsForEmptyEventLoop: true,
          };
        }

        function runBuffered(handler, event, ctx) {
          return new Promise((resolve, reject) => {
            const callback = (error, result) => (error ? reject(error) : resolve(result));
            try {
              const returned = handler(event, ctx, callback);
              if (returned && typeof returned.then === "function") returned.then(resolve, reject);
            } catch (error) { reject(error); }
          });
        }

        function runStreaming(handler, event, ctx, requestId) {
          return new Promise((resolve) => {
            const request = http.request({
              host, port, method: "POST", path: `${API}/invocation/${requestId}/response`, agent,
              headers: {
                "Lambda-Runtime-Function-Response-Mode": "streaming",
                "Transfer-Encoding": "chunked",
                "Trailer": "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body",
                "Content-Type": "application/octet-stream",
              },
            }, (response) => { response.resume(); response.on("end", resolve); });
            request.on("socket", (socket) => socket.setNoDelay(true));
            request.on("error", resolve);
            // The head goes with the first write, so the handler may set the content type first.
            request.setContentType = (type) => request.setHeader("Content-Type", type);
            const fail = (error) => {
              const document = errorDocument(error);
              console.error(`[ERROR] ${document.errorType}: ${document.errorMessage}`);
              request.addTrailers({
                "Lambda-Runtime-Function-Error-Type": document.errorType,
                "Lambda-Runtime-Function-Error-Body": Buffer.from(JSON.stringify(document)).toString("base64"),
              });
              if (!request.writableEnded) request.end();
            };
            try {
              const returned = handler(event, request, ctx);
              if (returned && typeof returned.then === "function") {
                returned.then(() => { if (!request.writableEnded) request.end(); }, fail);
              }
            } catch (error) { fail(error); }
          });
        }

        const handler = await loadHandler();
        for (;;) {
          const { response, body } = await call("GET", "/invocation/next");
          if (response.statusCode !== 200) {
            // As AWS's runtime clients: no event means the environment is going away.
            console.error(`[ERROR] Runtime API /invocation/next answered ${response.statusCode}: ${body.toString("utf8").slice(0, 512)}`);
            process.exit(1);
          }
          const requestId = response.headers["lambda-runtime-aws-request-id"];
          let event;
          try { event = body.length ? JSON.parse(body.toString("utf8")) : undefined; }
          catch (error) {
            await call("POST", `/invocation/${requestId}/error`, JSON.stringify(errorDocument(error, "Runtime.UnmarshalError")),
              { "Lambda-Runtime-Function-Error-Type": "Runtime.UnmarshalError" });
            continue;
          }
          const ctx = context(response.headers);
          if (handler[STREAMING] === "response") {
            await runStreaming(handler, event, ctx, requestId);
            continue;
          }
          try {
            const result = await runBuffered(handler, event, ctx);
            await call("POST", `/invocation/${requestId}/response`, JSON.stringify(result === undefined ? null : result));
          } catch (error) {
            const document = errorDocument(error);
            console.error(`[ERROR] ${document.errorType}: ${document.errorMessage}`);
            await call("POST", `/invocation/${requestId}/error`, JSON.stringify(document),
              { "Lambda-Runtime-Function-Error-Type": `Function.${document.errorType}` });
          }
        }
        """#
}
