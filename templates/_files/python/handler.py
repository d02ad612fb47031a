"""__NAME__: a Python function. The platform calls handler(event, context).

event is the JSON payload of `lambda invoke` (or cron, or the Invoke API);
for an HTTP request, its JSON body with the query parameters merged in, so
GET /?name=Ada and `lambda invoke __NAME__ --data '{"name": "Ada"}'` both
answer {"message": "Hello, Ada!"}.
"""

import os


def handler(event, context):
    if not isinstance(event, dict):
        event = {}
    name = str(event.get("name") or "").strip() or "World"
    greeting = os.environ.get("GREETING", "Hello")
    print("greeting %s" % name)  # goes to `lambda logs`
    return {"message": "%s, %s!" % (greeting, name)}
