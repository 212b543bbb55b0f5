"""A minimal CSMS on the PyPI `ocpp` package, the way its README starts one.

The baseline Gridlet is compared with in BENCHMARKS.md: the usual starting
point for a Python CSMS. One `websockets` server, one `ocpp` ChargePoint per
connection, handlers for what the load generator sends (boot, heartbeat,
status, authorize, 1.6 start/meter values/stop, 2.0.1 transaction events and
meter values). The package validates every request and every response
against the official schemas (its default). Everything is kept in memory:
no station passwords are checked and nothing is written to disk, so it does
less work per message than Gridlet (see BENCHMARKS.md).

Listens on 127.0.0.1 on the port given as the first argument (0: any free
port) and prints `baseline listening on 127.0.0.1:PORT` once listening.
"""

import asyncio
import itertools
import sys
from datetime import datetime, timezone

import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call_result as result16
from ocpp.v16.enums import Action as Action16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call_result as result201
from ocpp.v201.enums import Action as Action201

HEARTBEAT_INTERVAL = 300
transaction_ids = itertools.count(1)


def now():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Station16(ChargePoint16):
    @on(Action16.boot_notification)
    async def on_boot(self, charge_point_vendor, charge_point_model, **kwargs):
        return result16.BootNotification(current_time=now(), interval=HEARTBEAT_INTERVAL, status="Accepted")

    @on(Action16.heartbeat)
    async def on_heartbeat(self, **kwargs):
        return result16.Heartbeat(current_time=now())

    @on(Action16.status_notification)
    async def on_status(self, connector_id, error_code, status, **kwargs):
        return result16.StatusNotification()

    @on(Action16.authorize)
    async def on_authorize(self, id_tag, **kwargs):
        return result16.Authorize(id_tag_info={"status": "Accepted"})

    @on(Action16.start_transaction)
    async def on_start(self, connector_id, id_tag, meter_start, timestamp, **kwargs):
        return result16.StartTransaction(transaction_id=next(transaction_ids), id_tag_info={"status": "Accepted"})

    @on(Action16.meter_values)
    async def on_meter_values(self, connector_id, meter_value, **kwargs):
        return result16.MeterValues()

    @on(Action16.stop_transaction)
    async def on_stop(self, meter_stop, timestamp, transaction_id, **kwargs):
        return result16.StopTransaction(id_tag_info={"status": "Accepted"})


class Station201(ChargePoint201):
    @on(Action201.boot_notification)
    async def on_boot(self, charging_station, reason, **kwargs):
        return result201.BootNotification(current_time=now(), interval=HEARTBEAT_INTERVAL, status="Accepted")

    @on(Action201.heartbeat)
    async def on_heartbeat(self, **kwargs):
        return result201.Heartbeat(current_time=now())

    @on(Action201.status_notification)
    async def on_status(self, timestamp, connector_status, evse_id, connector_id, **kwargs):
        return result201.StatusNotification()

    @on(Action201.authorize)
    async def on_authorize(self, id_token, **kwargs):
        return result201.Authorize(id_token_info={"status": "Accepted"})

    @on(Action201.transaction_event)
    async def on_transaction_event(self, event_type, timestamp, trigger_reason, seq_no, transaction_info, **kwargs):
        if kwargs.get("id_token") is not None:
            return result201.TransactionEvent(id_token_info={"status": "Accepted"})
        return result201.TransactionEvent()

    @on(Action201.meter_values)
    async def on_meter_values(self, evse_id, meter_value, **kwargs):
        return result201.MeterValues()


async def on_connect(websocket):
    station_id = websocket.request.path.rstrip("/").split("/")[-1]
    if websocket.subprotocol == "ocpp1.6":
        station = Station16(station_id, websocket)
    elif websocket.subprotocol == "ocpp2.0.1":
        station = Station201(station_id, websocket)
    else:
        return await websocket.close()
    try:
        await station.start()
    except websockets.exceptions.ConnectionClosed:
        pass


async def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = await websockets.serve(
        on_connect, "127.0.0.1", port, subprotocols=["ocpp1.6", "ocpp2.0.1"], ping_interval=60
    )
    address = server.sockets[0].getsockname()
    print(f"baseline listening on {address[0]}:{address[1]}", flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
