"""An OCPP 2.0.1 charging station built on the `ocpp` package: one whole session."""

import asyncio

from ocpp.exceptions import OCPPError
from ocpp.v201 import ChargePoint, call

from common import connect, expect, now, run


async def session(url, station_id, password, id_token):
    ws = await connect(url, station_id, password, "ocpp2.0.1")
    cs = ChargePoint(station_id, ws, response_timeout=10)
    listener = asyncio.create_task(cs.start())
    token = {"id_token": id_token, "type": "ISO14443"}
    tx_id = "py-201-tx-1"
    evse = {"id": 1, "connector_id": 1}
    try:
        boot = await cs.call(
            call.BootNotification(
                charging_station={"model": "PyModel", "vendor_name": "PyVendor", "firmware_version": "2.0.0"},
                reason="PowerUp",
            ),
            suppress=False,
        )
        expect(boot.status == "Accepted", f"boot answered {boot.status}")
        await cs.call(call.Heartbeat(), suppress=False)
        await cs.call(call.StatusNotification(timestamp=now(), connector_status="Occupied", evse_id=1, connector_id=1), suppress=False)
        auth = await cs.call(call.Authorize(id_token=token), suppress=False)
        expect(auth.id_token_info["status"] == "Accepted", f"authorize answered {auth.id_token_info}")
        unknown = await cs.call(call.Authorize(id_token={"id_token": "NOPE", "type": "ISO14443"}), suppress=False)
        expect(unknown.id_token_info["status"] == "Unknown", f"unknown token answered {unknown.id_token_info}")

        def reading(wh, context):
            return [{"timestamp": now(), "sampled_value": [{"value": wh, "context": context, "measurand": "Energy.Active.Import.Register", "unit_of_measure": {"unit": "Wh"}}]}]

        started = await cs.call(
            call.TransactionEvent(
                event_type="Started", timestamp=now(), trigger_reason="Authorized", seq_no=0,
                transaction_info={"transaction_id": tx_id, "charging_state": "Charging"},
                evse=evse, id_token=token, meter_value=reading(10000.0, "Transaction.Begin"),
            ),
            suppress=False,
        )
        expect(started.id_token_info["status"] == "Accepted", f"started answered {started.id_token_info}")
        for seq, wh in ((1, 10400.0), (2, 10800.0)):
            await cs.call(
                call.TransactionEvent(
                    event_type="Updated", timestamp=now(), trigger_reason="MeterValuePeriodic", seq_no=seq,
                    transaction_info={"transaction_id": tx_id}, meter_value=reading(wh, "Sample.Periodic"),
                ),
                suppress=False,
            )
        await cs.call(
            call.TransactionEvent(
                event_type="Ended", timestamp=now(), trigger_reason="EVCommunicationLost", seq_no=3,
                transaction_info={"transaction_id": tx_id, "stopped_reason": "EVDisconnected"},
                meter_value=reading(11200.0, "Transaction.End"),
            ),
            suppress=False,
        )
        await cs.call(call.MeterValues(evse_id=1, meter_value=reading(11200.0, "Sample.Clock")), suppress=False)
        await cs.call(
            call.NotifyReport(
                request_id=1, generated_at=now(), seq_no=0,
                report_data=[{
                    "component": {"name": "OCPPCommCtrlr"},
                    "variable": {"name": "HeartbeatInterval"},
                    "variable_attribute": [{"type": "Actual", "value": "300", "mutability": "ReadWrite"}],
                    "variable_characteristics": {"data_type": "integer", "supports_monitoring": False, "unit": "s"},
                }],
            ),
            suppress=False,
        )
        await cs.call(
            call.NotifyEvent(
                generated_at=now(), seq_no=0,
                event_data=[{
                    "event_id": 1, "timestamp": now(), "trigger": "Alerting", "actual_value": "Faulted",
                    "event_notification_type": "HardWiredNotification",
                    "component": {"name": "Connector", "evse": {"id": 1, "connector_id": 1}},
                    "variable": {"name": "AvailabilityState"},
                }],
            ),
            suppress=False,
        )
        await cs.call(call.SecurityEventNotification(type="FirmwareUpdated", timestamp=now()), suppress=False)
        await cs.call(call.FirmwareStatusNotification(status="Installed", request_id=1), suppress=False)
        await cs.call(call.LogStatusNotification(status="Uploaded", request_id=2), suppress=False)
        transfer = await cs.call(call.DataTransfer(vendor_id="com.example.py", message_id="hello", data={"a": 1}), suppress=False)
        expect(transfer.status == "UnknownVendorId", f"data transfer answered {transfer.status}")

        code = None
        try:
            await cs.call(call.StatusNotification(timestamp=now(), connector_status="Occupied", evse_id="one", connector_id=1), suppress=False, skip_schema_validation=True)
        except OCPPError as error:
            code = error.code
        expect(code == "TypeConstraintViolation", f"invalid evseId answered {code}")
        await cs.call(call.Heartbeat(), suppress=False)
        return {"transaction_id": tx_id, "meter_start": 10000.0, "meter_stop": 11200.0}
    finally:
        listener.cancel()
        await ws.close()


if __name__ == "__main__":
    run(session)
