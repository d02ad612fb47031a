"""A hostile Python handler: it writes a shim frame naming the invocation
the event gives straight to the container's output (docker-init's stdout),
past the shim, then prints a line of its own the honest way."""


def handler(event, context):
    with open("/proc/1/fd/1", "w") as out:
        out.write("\x1e%s\x1fFORGED %s\n" % (event["forge"], event["marker"]))
    print("genuine " + event["marker"])
    return {"request_id": context.aws_request_id}
