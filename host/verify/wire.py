#!/usr/bin/env python3
# The wire for `portcullis verify`: sends Ethernet frames into network
# namespaces through AF_PACKET sockets, in order, and records every frame
# that comes out on any of the ports (not our own sends).
#
#   wire.py SPEC.json
#   SPEC: {"ports": [{"netns": NAME, "ifname": IF}, ...], "frames": PATH, "out": PATH, "drainMs": N}
#   frames: records  u16 port | u32 length | frame; port 0xffff: the "frame"
#           is a JSON argv to run first (e.g. nft -f, to change the rules
#           between batches), after the frames before it have settled
#   out:    records  u32 frames sent before it was read | u16 port | u32 length | frame
#
# One process opens one socket per port, each in its namespace (setns), and
# pins itself to one CPU: a send on a veth is processed in the sender's
# softirq, so frames meet the kernel's rules in the order they are sent.
import ctypes, json, os, socket, struct, subprocess, sys, time

CLONE_NEWNET = 0x40000000
PACKET_OUTGOING = 4
SO_RCVBUFFORCE = 33
libc = ctypes.CDLL(None, use_errno=True)


def setns(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            raise OSError(e, "setns %s: %s" % (path, os.strerror(e)))
    finally:
        os.close(fd)


def main():
    spec = json.load(open(sys.argv[1]))
    try:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    except OSError:
        pass
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    socks = []
    for p in spec["ports"]:
        setns("/var/run/netns/" + p["netns"])
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
        s.bind((p["ifname"], 0))
        s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 64 << 20)
        s.setblocking(False)
        socks.append(s)
    libc.setns(home, CLONE_NEWNET)
    data = open(spec["frames"], "rb").read()
    out = open(spec["out"], "wb")
    sent = 0

    def drain():
        for k, s in enumerate(socks):
            while True:
                try:
                    frame, addr = s.recvfrom(65536)
                except BlockingIOError:
                    break
                if addr[2] == PACKET_OUTGOING:
                    continue
                out.write(struct.pack("<IHI", sent, k, len(frame)))
                out.write(frame)

    def settle(ms):
        deadline = time.monotonic() + ms / 1000.0
        while True:
            drain()
            if time.monotonic() >= deadline:
                break
            time.sleep(0.005)

    off = 0
    while off < len(data):
        port, n = struct.unpack_from("<HI", data, off)
        off += 6
        frame = data[off:off + n]
        off += n
        if port == 0xFFFF:
            settle(spec.get("settleMs", 30))
            r = subprocess.run(json.loads(frame.decode()), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            if r.returncode != 0:
                sys.stderr.write("wire: command failed: %s\n" % r.stderr.decode(errors="replace"))
                sys.exit(3)
            continue
        try:
            socks[port].send(frame)
        except OSError as e:
            sys.stderr.write("wire: frame %d not sent: %s\n" % (sent + 1, e))
        sent += 1
        drain()
    settle(spec.get("drainMs", 200))
    out.close()


if __name__ == "__main__":
    main()
