#!/usr/bin/python3
"""A laboratory system (LIS) for the store-and-forward tests, written with python3-hl7's asyncio
MLLP server (hl7.mllp.start_hl7_server): software none of us wrote, so the gateway's MLLP
framing and its reading of HL7 ACKs meet an implementation of their own.

For every message it receives it appends one line "MSH-10 PID-3.1 CODE" to --log and flushes it
*before* it answers, so a line in the file means the LIS has the message, whatever happens to
the ACK afterwards (the gateway killed while waiting for it is the at-least-once case). CODE is
AA, or AR for a message whose PID-3.1 starts with --reject-prefix, or AE (an error the sender
may get past by trying again) for one starting with --error-prefix, while the file --accept-file
does not exist (the test creates that file to switch the LIS to accepting everything, without a
restart).

Ready when it prints "lis listening on PORT" (flushed) and has written PORT into --port-file
(written beside it and renamed, so a reader never sees half of it). Stops on SIGTERM or SIGINT.

Run with Debian's /usr/bin/python3: python3-hl7 is a Debian package, and the first python3 on
PATH may be another interpreter without it.
"""

import argparse
import asyncio
import os
import signal
import sys

import hl7
from hl7.mllp import start_hl7_server


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="0: an ephemeral port")
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log", required=True, help="one line per received message, appended")
    parser.add_argument("--reject-prefix", default="REJECT", help="PID-3.1 prefix answered AR; empty: none")
    parser.add_argument("--error-prefix", default="ERROR", help="PID-3.1 prefix answered AE; empty: none")
    parser.add_argument("--accept-file", default="", help="while this file exists, every message gets AA")
    parser.add_argument("--ack-delay-ms", type=int, default=0,
                        help="wait this long between logging a message and answering it")
    return parser.parse_args()


async def main():
    args = parse_args()
    log = open(args.log, "a", encoding="utf-8")

    def code_for(patient):
        if args.accept_file and os.path.exists(args.accept_file):
            return "AA"
        if args.reject_prefix and patient.startswith(args.reject_prefix):
            return "AR"
        if args.error_prefix and patient.startswith(args.error_prefix):
            return "AE"
        return "AA"

    writers = set()

    async def on_connection(reader, writer):
        writers.add(writer)
        try:
            while not reader.at_eof():
                message = await reader.readmessage()
                control_id = str(message.segment("MSH")(10))
                try:
                    patient = message.extract_field("PID", 1, 3, 1, 1)
                except (KeyError, IndexError):
                    patient = ""
                code = code_for(patient)
                log.write(f"{control_id} {patient or '-'} {code}\n")
                log.flush()
                if args.ack_delay_ms:
                    await asyncio.sleep(args.ack_delay_ms / 1000)
                writer.writemessage(message.create_ack(code, message_id="ACK" + control_id))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the gateway closed the connection, or was killed
        finally:
            writers.discard(writer)
            writer.close()

    server = await start_hl7_server(on_connection, "127.0.0.1", args.port)
    port = server.sockets[0].getsockname()[1]
    temporary = args.port_file + ".tmp"
    with open(temporary, "w", encoding="utf-8") as out:
        out.write(f"{port}\n")
    os.replace(temporary, args.port_file)
    print(f"lis listening on {port}", flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    # Connections are closed here rather than by Server.wait_closed(), which from Python 3.12 on
    # waits for every connection to end, and the gateway keeps its connections open.
    server.close()
    for writer in list(writers):
        writer.close()
    log.close()
    print("lis stopped", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
