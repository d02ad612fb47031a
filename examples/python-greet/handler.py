"""greet in Python: the handler runtime calls handler(event, context).

    GET  /?name=Ada            -> {"message": "Hello, Ada!"}
    POST / {"name": "Ada"}     -> the same
    lambda invoke python-greet --data '{"name": "Ada"}'

GREETING (default "Hello") changes the greeting, e.g. --env GREETING=Hi.
"""

import os


def handler(event, context):
    name = str(event.get("name") or "").strip() or "World"
    greeting = os.environ.get("GREETING", "Hello")
    print("greeting %s (invocation %s)" % (name, context.invocation_id))
    return {"message": "%s, %s!" % (greeting, name)}
