"""runner.py - ferry's local provider runs one Python handler with this
script (embedded in the ferry binary, written next to the local store).

    python3 runner.py /abs/handler/file.py export_name

The event (JSON) arrives on stdin. The result goes to the original fd 1 as
one line of JSON; fd 1 itself is pointed at stderr, so print() and output
of C extensions never corrupt the result. A handler that raises gives
{"errorType", "errorMessage", "stackTrace"} and exit status 1. The handler
module is imported by its dotted path from the bundle root (like Lambda), so
`jobs/nightly.py` is `jobs.nightly`.

Warm mode (`ferry serve`), with a third argument `--warm`: the module is
imported once and the process answers requests until stdin ends. Each
request is one line on stdin, {"event": E, "deadline": MS} (MS: epoch
milliseconds), and gets one line on fd 3: {"result": R}, or the error
object above, with "exit": true when the process is about to exit
(SystemExit, MemoryError, a module that does not import).
"""
import importlib
import importlib.util
import json
import os
import sys
import time
import traceback
import uuid

HANDLER_FILE = sys.argv[1]
EXPORT = sys.argv[2] if len(sys.argv) > 2 else "handler"
WARM = len(sys.argv) > 3 and sys.argv[3] == "--warm"
CODE_DIR = os.getcwd()
RUNNER = os.path.abspath(__file__)

RESULT = os.fdopen(3 if WARM else os.dup(1), "w", encoding="utf-8")
os.dup2(2, 1)
sys.stdout = sys.stderr


class Context:
    """The Lambda-style context object handlers receive."""

    def __init__(self):
        self.function_name = os.environ.get("FERRY_FUNCTION_NAME", "")
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = int(os.environ.get("FERRY_FUNCTION_MEMORY", "0"))
        self.aws_request_id = str(uuid.uuid4())
        self._deadline = int(os.environ.get("FERRY_DEADLINE_MS", "0"))

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline - int(time.time() * 1000))


def emit(obj):
    RESULT.write(json.dumps(obj) + "\n")
    RESULT.flush()


def describe(exc):
    stack = []
    for frame in traceback.extract_tb(exc.__traceback__):
        if os.path.abspath(frame.filename) == RUNNER:
            continue
        name = frame.filename
        if name.startswith(CODE_DIR + os.sep):
            name = name[len(CODE_DIR) + 1:]
        line = 'File "%s", line %d, in %s' % (name, frame.lineno, frame.name)
        if frame.line:
            line += ": " + frame.line.strip()
        stack.append(line)
    message = str(exc)
    if isinstance(exc, MemoryError) and not message:
        message = "out of memory (memory: %s MB)" % os.environ.get(
            "FERRY_FUNCTION_MEMORY", "?")
    name = exc.name if isinstance(exc, RuntimeFailure) else type(exc).__name__
    return {"errorType": name, "errorMessage": message, "stackTrace": stack}


def fail(exc):
    emit(describe(exc))
    sys.stderr.flush()
    os._exit(1)


class RuntimeFailure(Exception):
    """A problem of the runner, named like Lambda's Runtime.* errors."""

    def __init__(self, name, message):
        super().__init__(message)
        self.name = name


def load():
    sys.path.insert(0, CODE_DIR)
    rel = os.path.relpath(HANDLER_FILE, CODE_DIR)
    module_name = os.path.splitext(rel)[0].replace(os.sep, ".")
    loaded = sys.modules.get(module_name)
    if loaded is not None and os.path.abspath(
            getattr(loaded, "__file__", None) or "") != HANDLER_FILE:
        # a module the runner itself uses (json, time ...): load the file
        spec = importlib.util.spec_from_file_location(
            "ferry_handler_" + module_name.replace(".", "_"), HANDLER_FILE)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(module_name)
    fn = getattr(module, EXPORT, None)
    if not callable(fn):
        raise RuntimeFailure("Runtime.HandlerNotFound",
                             "%s does not define a function '%s'" % (rel, EXPORT))
    return fn


def call(fn, event):
    result = fn(event, Context())
    try:
        return json.dumps(result)
    except (TypeError, ValueError) as e:
        raise RuntimeFailure("Runtime.MarshalError",
                             "the result cannot be turned into JSON: %s" % e)


def main():
    raw = sys.stdin.buffer.read()
    try:
        event = json.loads(raw) if raw.strip() else {}
    except ValueError as e:
        raise RuntimeFailure("Runtime.InvalidEvent", "the event is not JSON: %s" % e)
    text = call(load(), event)
    RESULT.write(text + "\n")
    RESULT.flush()
    sys.stderr.flush()
    os._exit(0)


def answer(text):
    RESULT.write(text + "\n")
    RESULT.flush()
    sys.stderr.flush()


def die(exc):
    doc = describe(exc)
    doc["exit"] = True
    answer(json.dumps(doc))
    os._exit(1)


def serve():
    """Warm mode: one request per stdin line, one answer per fd 3 line."""
    fn = None
    while True:
        line = sys.stdin.buffer.readline()
        if not line:
            os._exit(0)
        if not line.strip():
            continue
        try:
            req = json.loads(line)
        except ValueError as e:
            answer(json.dumps(describe(RuntimeFailure(
                "Runtime.InvalidEvent", "the request is not JSON: %s" % e))))
            continue
        os.environ["FERRY_DEADLINE_MS"] = str(req.get("deadline", 0))
        if fn is None:
            try:
                fn = load()
            except BaseException as e:  # an import error ends the process
                die(e)
        try:
            text = call(fn, req.get("event", {}))
        except (SystemExit, KeyboardInterrupt, MemoryError) as e:
            die(e)
        except BaseException as e:  # the handler's error: stay warm
            answer(json.dumps(describe(e)))
            continue
        answer('{"result": ' + text + "}")


if WARM:
    serve()

try:
    main()
except RuntimeFailure as e:
    emit({"errorType": e.name, "errorMessage": str(e), "stackTrace": []})
    sys.stderr.flush()
    os._exit(1)
except BaseException as e:  # the handler's error, whatever it is
    fail(e)
