"""Lambda's Python bootstrap.

A client of the AWS Lambda Runtime API served by the shim (see
docs/runtime-contract.md): it imports the handler once, then loops on
next -> handler(event, context) -> response or error. The shim runs it with
--protocol handler, so each event arrives in the handler envelope
{"event": ..., "context": {...}}. Standard library only, Python 3.9+.
"""

import decimal
import http.client
import importlib
import json
import os
import sys
import time
import traceback

RUNTIME = "/2018-06-01/runtime"


class Client:
    """Talks to the Runtime API over one keep-alive connection."""

    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self.host, self.port = host or "127.0.0.1", int(port or 9001)
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port)
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                resp = self.conn.getresponse()
                return resp.status, resp.headers, resp.read()
            except (ConnectionError, http.client.HTTPException):
                # A stale keep-alive connection: retry once on a new one.
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        raise RuntimeError("unreachable")

    def next(self):
        status, headers, body = self.request("GET", RUNTIME + "/invocation/next")
        if status != 200:
            raise RuntimeError("GET /runtime/invocation/next answered %d: %r" % (status, body[:200]))
        return headers, body

    def post(self, path, payload, error_type=None):
        headers = {"Content-Type": "application/json"}
        if error_type:
            headers["Lambda-Runtime-Function-Error-Type"] = error_type
        status, _, body = self.request("POST", RUNTIME + path, payload, headers)
        if status != 202:
            log("POST %s answered %d: %s" % (path, status, body[:500].decode("utf-8", "replace")))


class Context:
    """What the handler learns about its invocation."""

    def __init__(self, ctx, headers):
        env = os.environ
        self.function_name = ctx.get("function_name") or env.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = ctx.get("function_version") or env.get("AWS_LAMBDA_FUNCTION_VERSION", "")
        self.invocation_id = ctx.get("invocation_id") or headers.get("Lambda-Runtime-Aws-Request-Id", "")
        self.aws_request_id = self.invocation_id
        memory = ctx.get("memory_limit_mb") or env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE") or 0
        self.memory_limit_in_mb = int(memory)
        self.deadline_ms = int(ctx.get("deadline_ms") or headers.get("Lambda-Runtime-Deadline-Ms") or 0)
        self.request = ctx.get("request")
        self.invoked_function_arn = headers.get("Lambda-Runtime-Invoked-Function-Arn", "")
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.client_context = client_context(headers.get("Lambda-Runtime-Client-Context"))
        self.identity = None

    def get_remaining_time_in_millis(self):
        if not self.deadline_ms:
            return 0
        return max(0, self.deadline_ms - int(time.time() * 1000))


class ClientContext:
    """The Invoke API's client context, shaped as AWS's Python runtime shapes it."""

    __slots__ = ["custom", "env", "client"]


class ClientApplication:
    __slots__ = ["installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name"]


def from_dict(cls, d):
    obj = cls()
    for name in cls.__slots__:
        setattr(obj, name, d.get(name))
    return obj


def client_context(header):
    """Lambda-Runtime-Client-Context as context.client_context, None when absent."""
    if not header:
        return None
    data = json.loads(header)
    if not isinstance(data, dict):
        return None
    cc = from_dict(ClientContext, data)
    if isinstance(cc.client, dict):
        cc.client = from_dict(ClientApplication, cc.client)
    return cc


class InitError(Exception):
    def __init__(self, error_type, message):
        super().__init__(message)
        self.error_type = error_type


def log(message):
    print("bootstrap: " + message, file=sys.stderr, flush=True)


def load_handler(spec, task_root):
    """Imports the module of spec ("file.function") and returns the function."""
    module_name, _, func_name = spec.rpartition(".")
    if not module_name or not func_name:
        raise InitError("Runtime.MalformedHandlerName",
                        "handler %r is not of the form file.function (e.g. handler.handler)" % spec)
    module_name = module_name.replace("/", ".")
    file_name = os.path.join(task_root, module_name.replace(".", "/") + ".py")
    if task_root not in sys.path:
        sys.path.insert(0, task_root)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name and (module_name == e.name or module_name.startswith(e.name + ".")):
            raise InitError("Runtime.ImportModuleError",
                            "Unable to import module %r: no %s (looked for the handler %r)" % (module_name, file_name, spec))
        raise InitError("Runtime.ImportModuleError",
                        "Unable to import module %r: %s (add it to requirements.txt)" % (module_name, e))
    except SyntaxError as e:
        raise InitError(type(e).__name__, "Syntax error in %s, line %s: %s" % (e.filename or file_name, e.lineno, e.msg))
    except Exception as e:
        raise InitError(type(e).__name__, "Importing module %r failed: %s" % (module_name, e))
    func = getattr(module, func_name, None)
    if func is None:
        raise InitError("Runtime.HandlerNotFound",
                        "Handler %r missing on module %r (looked for def %s(event, context) in %s)"
                        % (func_name, module_name, func_name, file_name))
    if not callable(func):
        raise InitError("Runtime.HandlerNotFound",
                        "Handler %r on module %r is a %s, not a function" % (func_name, module_name, type(func).__name__))
    return func


def to_json(value):
    def default(o):
        if isinstance(o, decimal.Decimal):
            return int(o) if o == o.to_integral_value() else float(o)
        raise TypeError("Object of type %s is not JSON serializable" % type(o).__name__)
    return json.dumps(value, default=default, ensure_ascii=False).encode("utf-8")


def error_body(exc, error_type=None, cause=None):
    tb = traceback.extract_tb((cause or exc).__traceback__)
    return to_json({
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "stackTrace": traceback.format_list(tb),
    })


def split_envelope(body, headers):
    payload = json.loads(body or b"{}")
    if isinstance(payload, dict) and "event" in payload and isinstance(payload.get("context"), dict):
        return payload["event"], Context(payload["context"], headers)
    # A bare event (the aws protocol): the context comes from the headers.
    return payload, Context({}, headers)


def serve(client, handler):
    while True:
        headers, body = client.next()
        request_id = headers.get("Lambda-Runtime-Aws-Request-Id", "")
        base = "/invocation/%s" % request_id
        try:
            event, context = split_envelope(body, headers)
            result = handler(event, context)
        except Exception as e:
            traceback.print_exc()
            sys.stderr.flush()
            client.post(base + "/error", error_body(e), type(e).__name__)
            continue
        try:
            data = to_json(result)
        except (TypeError, ValueError) as e:
            log("cannot encode the handler's result as JSON: %s" % e)
            client.post(base + "/error", error_body(e, "Runtime.MarshalError"), "Runtime.MarshalError")
            continue
        client.post(base + "/response", data)


def await_init(client):
    """A pre-initialized instance: the interpreter is up before the platform
    chose a function; the shim answers once the function's code is in the
    task root, with the function's environment."""
    status, _, body = client.request("GET", RUNTIME + "/preinit")
    if status != 200:
        log("GET /runtime/preinit answered %d: %r" % (status, body[:200]))
        sys.exit(1)
    os.environ.update(json.loads(body))
    os.environ.pop("LAMBDA_PREINIT", None)


def main():
    client = Client(os.environ.get("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"))
    if os.environ.get("LAMBDA_PREINIT") == "1":
        await_init(client)
    spec = os.environ.get("_HANDLER") or os.environ.get("LAMBDA_HANDLER") or "handler.handler"
    task_root = os.environ.get("LAMBDA_TASK_ROOT") or "/var/task"
    try:
        handler = load_handler(spec, task_root)
    except InitError as e:
        cause = e.__context__
        if cause is not None:
            traceback.print_exception(type(cause), cause, cause.__traceback__)
        log("%s: %s" % (e.error_type, e))
        client.post("/init/error", error_body(e, e.error_type, cause), e.error_type)
        sys.exit(1)
    serve(client, handler)


if __name__ == "__main__":
    main()
