# A syntax error: the deploy fails with the instance's log tail.
def handler(event, context)
    return {"ok": True}
