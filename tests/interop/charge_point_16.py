"""An OCPP 1.6J charge point built on the `ocpp` package: one whole session."""

import asyncio

from ocpp.exceptions import OCPPError
from ocpp.v16 import ChargePoint, call

from common import connect, expect, now, run


async def session(url, station_id, password, id_tag):
    ws = await connect(url, station_id, password, "ocpp1.6")
    cp = ChargePoint(station_id, ws, response_timeout=10)
    listener = asyncio.create_task(cp.start())
    try:
        boot = await cp.call(
            call.BootNotification(
                charge_point_model="PyModel",
                charge_point_vendor="PyVendor",
                firmware_version="1.2.3",
            ),
            suppress=False,
        )
        expect(boot.status == "Accepted", f"boot answered {boot.status}")
        expect(boot.interval > 0, "boot interval must be positive")
        await cp.call(call.Heartbeat(), suppress=False)
        await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Preparing", timestamp=now()), suppress=False)
        auth = await cp.call(call.Authorize(id_tag=id_tag), suppress=False)
        expect(auth.id_tag_info["status"] == "Accepted", f"authorize answered {auth.id_tag_info}")
        unknown = await cp.call(call.Authorize(id_tag="NOT-A-TAG"), suppress=False)
        expect(unknown.id_tag_info["status"] == "Invalid", f"unknown tag answered {unknown.id_tag_info}")

        start = await cp.call(call.StartTransaction(connector_id=1, id_tag=id_tag, meter_start=1000, timestamp=now()), suppress=False)
        expect(start.id_tag_info["status"] == "Accepted", f"start answered {start.id_tag_info}")
        tx = start.transaction_id
        await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Charging", timestamp=now()), suppress=False)
        for wh in (1500, 2250, 3000):
            await cp.call(
                call.MeterValues(
                    connector_id=1,
                    transaction_id=tx,
                    meter_value=[{
                        "timestamp": now(),
                        "sampled_value": [
                            {"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh", "context": "Sample.Periodic"},
                            {"value": "7.2", "measurand": "Power.Active.Import", "unit": "kW"},
                        ],
                    }],
                ),
                suppress=False,
            )
            await asyncio.sleep(0.01)
        stop = await cp.call(
            call.StopTransaction(
                meter_stop=3500,
                timestamp=now(),
                transaction_id=tx,
                reason="EVDisconnected",
                id_tag=id_tag,
                transaction_data=[{"timestamp": now(), "sampled_value": [{"value": "3500", "context": "Transaction.End"}]}],
            ),
            suppress=False,
        )
        expect(stop.id_tag_info["status"] == "Accepted", f"stop answered {stop.id_tag_info}")
        transfer = await cp.call(call.DataTransfer(vendor_id="com.example.py", message_id="hello", data="{}"), suppress=False)
        expect(transfer.status == "UnknownVendorId", f"data transfer answered {transfer.status}")
        await cp.call(call.DiagnosticsStatusNotification(status="Idle"), suppress=False)
        await cp.call(call.FirmwareStatusNotification(status="Installed"), suppress=False)

        # A schema violation sent on purpose: Gridlet must answer with the right
        # CALLERROR and keep the connection up.
        code = None
        try:
            await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Exploded"), suppress=False, skip_schema_validation=True)
        except OCPPError as error:
            code = error.code
        expect(code == "PropertyConstraintViolation", f"invalid status answered {code}")
        await cp.call(call.Heartbeat(), suppress=False)
        return {"transaction_id": tx, "meter_start": 1000, "meter_stop": 3500}
    finally:
        listener.cancel()
        await ws.close()


if __name__ == "__main__":
    run(session)
