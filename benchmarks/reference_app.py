"""The reference for the ingest benchmark: a bare ASGI app that reads the body and answers 204, run by
the same uvicorn (httptools, uvloop) as rumhouse. rumhouse's throughput is reported as a ratio of it,
measured in the same run, so that figures compare across machines and noisy neighbours."""


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})
