"""Shared helpers for the interoperability charge points."""

import asyncio
import base64
import json
import sys
from datetime import datetime, timezone

import websockets


def now():
    """The current UTC time, RFC 3339 with milliseconds."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def expect(condition, message):
    """Fail the run with a message unless condition holds."""
    if not condition:
        raise AssertionError(message)


async def connect(url, station_id, password, subprotocol):
    """Opens an OCPP WebSocket with HTTP Basic credentials."""
    token = base64.b64encode(f"{station_id}:{password}".encode()).decode()
    ws = await websockets.connect(
        f"{url}/{station_id}",
        subprotocols=[subprotocol],
        additional_headers={"Authorization": f"Basic {token}"},
    )
    expect(ws.subprotocol == subprotocol, f"server chose subprotocol {ws.subprotocol!r}")
    return ws


def run(session):
    """Runs the async session; prints its result as JSON, exits 1 on failure."""
    try:
        result = asyncio.run(session(*sys.argv[1:]))
    except Exception as error:  # noqa: BLE001 - report any failure to the test
        print(json.dumps({"ok": False, "error": f"{type(error).__name__}: {error}"}))
        sys.exit(1)
    result["ok"] = True
    print(json.dumps(result))
