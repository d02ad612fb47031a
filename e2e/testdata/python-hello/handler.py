"""A Python handler for the tests: greets like examples/greet, with a
dependency (greeting, from a local wheel listed in requirements.txt).

event {"name": "Ada"}          -> {"message": "Hello, Ada!"}
event {"fail": "boom"}         -> raises ValueError("boom")
event {"status": 201}          -> an HTTP response with that status
event {"context": true}        -> what the handler sees of its context
"""

import greeting


def handler(event, context):
    if event.get("fail"):
        raise ValueError(event["fail"])
    if event.get("status"):
        return {
            "statusCode": int(event["status"]),
            "headers": {"Content-Type": "text/plain", "X-Fixture": "python-hello"},
            "body": greeting.greet(event.get("name", "World")),
        }
    if event.get("context"):
        return {
            "function_name": context.function_name,
            "function_version": context.function_version,
            "invocation_id": context.invocation_id,
            "aws_request_id": context.aws_request_id,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "remaining_ms_positive": context.get_remaining_time_in_millis() > 0,
            "request": context.request,
        }
    return {"message": greeting.greet(event.get("name", "World"))}
