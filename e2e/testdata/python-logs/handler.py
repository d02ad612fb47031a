"""A Python handler for the log tests: prints the event's marker on stdout
and stderr, and answers with its request ID."""

import sys


def handler(event, context):
    print("py-line " + event.get("marker", ""))
    print("py-err " + event.get("marker", ""), file=sys.stderr)
    return {"request_id": context.aws_request_id}
