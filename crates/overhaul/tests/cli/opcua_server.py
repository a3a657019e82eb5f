# A small OPC UA server for Overhaul's connector test, built on the asyncua package (PyPI).
# Usage: python3 server.py PORT. Prints READY once listening. Variables in namespace 2:
#   Pump1.Vibration (Double)  - set from stdin: "vib VALUE TS_MS" (source timestamp TS_MS),
#                               "bad VALUE" (written with status BadSensorFailure)
#   Pump1.Running (Boolean)   - toggles every second
#   Pump1.Temperature (Float) - +0.1 every 200 ms, +2.0 every fifth step
import asyncio
import sys
from datetime import datetime, timezone

from asyncua import Server, ua


def now():
    return datetime.now(timezone.utc)


def value(v, vtype, status=ua.StatusCodes.Good, source=None):
    return ua.DataValue(
        Value=ua.Variant(v, vtype),
        StatusCode=ua.StatusCode(status),
        SourceTimestamp=source or now(),
        ServerTimestamp=now(),
    )


async def commands(vib):
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        parts = line.split()
        if parts[0] == "vib":
            ts = datetime.fromtimestamp(int(parts[2]) / 1000, timezone.utc)
            await vib.write_value(value(float(parts[1]), ua.VariantType.Double, source=ts))
        elif parts[0] == "bad":
            await vib.write_value(
                value(float(parts[1]), ua.VariantType.Double, ua.StatusCodes.BadSensorFailure)
            )
        print("DONE", line.strip(), flush=True)


async def main():
    port = int(sys.argv[1])
    server = Server()
    await server.init()
    server.set_endpoint(f"opc.tcp://127.0.0.1:{port}/overhaul-test/")
    server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
    idx = await server.register_namespace("urn:overhaul:test")
    pump = await server.nodes.objects.add_object(idx, "Pump1")
    vib = await pump.add_variable(ua.NodeId("Pump1.Vibration", idx), "Vibration", 2.0, ua.VariantType.Double)
    run = await pump.add_variable(ua.NodeId("Pump1.Running", idx), "Running", False, ua.VariantType.Boolean)
    temp = await pump.add_variable(ua.NodeId("Pump1.Temperature", idx), "Temperature", 40.0, ua.VariantType.Float)
    async with server:
        print("READY", idx, flush=True)
        asyncio.create_task(commands(vib))
        k, t, running = 0, 40.0, False
        while True:
            await asyncio.sleep(0.2)
            k += 1
            t += 2.0 if k % 5 == 0 else 0.1
            await temp.write_value(value(t, ua.VariantType.Float))
            if k % 5 == 0:
                running = not running
                await run.write_value(value(running, ua.VariantType.Boolean))


asyncio.run(main())
