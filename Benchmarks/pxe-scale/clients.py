"""CLIENTS simulated PXE clients at once against crowbard's boot services, run in the benchmark's namespace, each from
its own address (10.78.1.0 on): TFTP of the network boot program (blksize 1432, lock-step, as PXE ROMs fetch it; a
'retry later' refusal is retried after a pause, as a ROM's next attempt), then over HTTP the node's iPXE script, the
kernel and the initrd (as iPXE fetches them). Checks every byte count and the TFTP file's SHA-256. Prints one JSON
line: clients served, time to the last, refusals retried. Usage: clients.py CLIENTS SERVER HTTP_PORT BOOT_FOLDER"""
import asyncio
import hashlib
import ipaddress
import json
import os
import random
import socket
import struct
import sys
import time

clients, server, http_port, folder = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
program = open(os.path.join(folder, "undionly.kpxe"), "rb").read()
sizes = {name: os.path.getsize(os.path.join(folder, "discovery", name)) for name in ("vmlinuz", "initrd.img")}
refusals = 0


class TFTP(asyncio.DatagramProtocol):
    """One lock-step read: ACKs each DATA, resends its last packet after 1 s of silence (at most 5 times)."""

    def __init__(self, done):
        self.done, self.data, self.expected, self.last, self.peer = done, bytearray(), 1, None, None

    def connection_made(self, transport):
        self.transport = transport

    def send(self, packet, peer):
        self.last, self.peer = packet, peer
        self.transport.sendto(packet, peer)

    def datagram_received(self, packet, peer):
        opcode = struct.unpack("!H", packet[:2])[0]
        if opcode == 6:  # OACK: the options were taken
            self.send(struct.pack("!HH", 4, 0), peer)
        elif opcode == 3:
            block = struct.unpack("!H", packet[2:4])[0]
            if block == self.expected & 0xFFFF:
                self.data += packet[4:]
                self.expected += 1
            self.send(struct.pack("!HH", 4, block), peer)
            if len(packet) - 4 < 1432 and not self.done.done():
                self.done.set_result(bytes(self.data))
        elif opcode == 5 and not self.done.done():
            self.done.set_exception(RuntimeError(packet[4:-1].decode()))


async def tftp(address):
    global refusals
    loop = asyncio.get_running_loop()
    for attempt in range(60):
        done = loop.create_future()
        transport, protocol = await loop.create_datagram_endpoint(lambda: TFTP(done), local_addr=(address, 0))
        try:
            request = b"\x00\x01undionly.kpxe\x00octet\x00blksize\x001432\x00tsize\x000\x00"
            protocol.send(request, (server, 69))
            for _ in range(6):
                try:
                    return await asyncio.wait_for(asyncio.shield(done), 1.0)
                except asyncio.TimeoutError:
                    protocol.transport.sendto(protocol.last, protocol.peer)
            raise RuntimeError(f"{address}: TFTP timed out")
        except RuntimeError as error:
            if "retry later" not in str(error):
                raise
            refusals += 1
            await asyncio.sleep(random.uniform(0.5, 1.5))
        finally:
            transport.close()
    raise RuntimeError(f"{address}: refused 60 times")


async def http_get(address, path):
    reader, writer = await asyncio.open_connection(server, http_port, local_addr=(address, 0), limit=1 << 20)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {server}\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = head.split(b" ", 2)[1]
    received = 0
    while chunk := await reader.read(1 << 18):
        received += len(chunk)
    writer.close()
    if status != b"200":
        raise RuntimeError(f"{address}: GET {path} answered {status.decode()}")
    return received


async def client(index):
    address = str(ipaddress.IPv4Address("10.78.1.0") + index)
    mac = "52:54:%02x:%02x:%02x:%02x" % (0x78, 0x01, index >> 8, index & 255)
    loaded = await tftp(address)
    if hashlib.sha256(loaded).digest() != hashlib.sha256(program).digest():
        raise RuntimeError(f"{address}: the boot program differs ({len(loaded)} bytes)")
    if await http_get(address, f"/boot/{mac}/boot.ipxe") == 0:
        raise RuntimeError(f"{address}: an empty iPXE script")
    for name, size in sizes.items():
        if (got := await http_get(address, f"/boot/files/discovery/{name}")) != size:
            raise RuntimeError(f"{address}: {name}: {got} of {size} bytes")
    return time.monotonic()


async def main():
    started = time.monotonic()
    results = await asyncio.gather(*(client(index) for index in range(clients)), return_exceptions=True)
    failures = [str(result) for result in results if isinstance(result, BaseException)]
    finished = [result - started for result in results if not isinstance(result, BaseException)]
    print(json.dumps({"clients": clients, "served": len(finished), "last_seconds": round(max(finished, default=0), 2),
                      "median_seconds": round(sorted(finished)[len(finished) // 2], 2) if finished else None,
                      "tftp_refusals_retried": refusals, "failures": failures[:5]}))
    sys.exit(0 if not failures else 1)


asyncio.run(main())
