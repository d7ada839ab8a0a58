#!/usr/bin/env python3
"""A private network of Linux network namespaces for fault tests on real `tss node` processes.

One hub namespace holds a bridge; each member namespace is joined to it by a veth pair (`eth0`
inside the member, `pN` in the hub) and gets one address of a /24. Nothing is created in the root
namespace, so interface names never meet the host's or another run's; the namespace names carry
our pid (parallel runs differ), and so does the subnet (10.X.Y.0/24 from the pid), though an
isolated hub could not collide anyway. `close()` deletes every namespace we made (which deletes
their veths and the bridge); call it in a finally, after the processes inside have stopped.

A partition is the `blackhole` queueing discipline on both ends of a member's veth: every packet
either way is dropped silently. Why this rather than the other ways to cut a node off:
  - it is a real silent partition: sockets stay open, nothing reports an error locally, both
    sides learn only by their own timeouts — what a cable cut beyond the switch or a firewall
    DROP does, and the hard case for liveness;
  - `ip link set down` instead tells the node at once (carrier lost, its route gone), which is
    a different and easier fault;
  - `tc qdisc netem loss 100%` and nft/iptables drop rules do the same as blackhole, but netem is
    a module that kernels without modules (this VM's) lack, and nft/iptables are one more
    package; blackhole is built into every kernel with traffic control and needs only iproute2;
  - healing is deleting the qdisc: exact and instant, no route or address to restore.

Requires root (CAP_NET_ADMIN and CAP_SYS_ADMIN); `Netns.available()` says why not, for a skip.
"""
import os
import subprocess


def _ip(*args, check=True):
    proc = subprocess.run(["ip", *args], capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc


class Netns:
    def __init__(self, members: int, tag: str = "tssp"):
        pid = os.getpid()
        self.prefix = f"{tag}{pid}"
        self.hub = f"{self.prefix}h"
        self.subnet = f"10.{(pid >> 8) & 255}.{pid & 255}"
        self.names = [f"{self.prefix}n{i}" for i in range(members)]
        self.addresses = [f"{self.subnet}.{i + 2}" for i in range(members)]
        self.created = []
        self.cut = set()

    @staticmethod
    def available(tag="tssp"):
        """None when this machine lets us make and wire namespaces, else the reason."""
        probe = f"{tag}{os.getpid()}probe"
        try:
            made = _ip("netns", "add", probe, check=False)
        except OSError as e:
            return f"no `ip` command ({e})"
        if made.returncode != 0:
            return f"cannot create a network namespace: {made.stderr.strip()}"
        try:
            link = _ip("-n", probe, "link", "add", "eth0", "type", "veth", "peer", "name", "p0",
                       check=False)
            if link.returncode != 0:
                return f"cannot create a veth pair: {link.stderr.strip()}"
            tc = subprocess.run(["ip", "netns", "exec", probe, "tc", "qdisc", "add", "dev",
                                 "eth0", "root", "blackhole"], capture_output=True, text=True)
            if tc.returncode != 0:
                return f"cannot add a blackhole qdisc: {tc.stderr.strip()}"
        except OSError as e:
            return f"no `tc` command ({e})"
        finally:
            _ip("netns", "del", probe, check=False)
        return None

    def open(self):
        _ip("netns", "add", self.hub)
        self.created.append(self.hub)
        _ip("-n", self.hub, "link", "add", "br0", "type", "bridge")
        _ip("-n", self.hub, "link", "set", "br0", "up")
        for i, (name, address) in enumerate(zip(self.names, self.addresses)):
            _ip("netns", "add", name)
            self.created.append(name)
            _ip("link", "add", "eth0", "netns", name, "type", "veth", "peer", "name", f"p{i}",
                "netns", self.hub)
            _ip("-n", self.hub, "link", "set", f"p{i}", "master", "br0")
            _ip("-n", self.hub, "link", "set", f"p{i}", "up")
            _ip("-n", name, "link", "set", "lo", "up")
            _ip("-n", name, "addr", "add", f"{address}/24", "dev", "eth0")
            _ip("-n", name, "link", "set", "eth0", "up")
        return self

    def exec_prefix(self, i):
        """The command prefix that runs a program in member i's namespace (ip execs it: the
        process is the program itself, so its pid and signals are the program's)."""
        return ["ip", "netns", "exec", self.names[i]]

    def _qdisc(self, i, *spec):
        """Replaces the root qdisc of both ends of member i's veth with `spec` (none: the
        default)."""
        for ns, dev in ((self.names[i], "eth0"), (self.hub, f"p{i}")):
            action = ["replace", "dev", dev, "root", *spec] if spec else ["del", "dev", dev, "root"]
            proc = subprocess.run(["ip", "netns", "exec", ns, "tc", "qdisc", *action],
                                  capture_output=True, text=True)
            # Deleting what is not there ("no qdisc" / handle zero) is a heal of a healthy link.
            if proc.returncode != 0 and (spec or "handle of zero" not in proc.stderr):
                raise RuntimeError(f"tc qdisc {' '.join(action)} in {ns}: {proc.stderr.strip()}")

    def throttle(self, i, rate):
        """Slows member i's link both ways to `rate` (tc's units, e.g. "400kbit"), queueing
        rather than dropping: what stretches a protocol's rounds so a partition can fall in them."""
        self._qdisc(i, "tbf", "rate", rate, "burst", "4kb", "latency", "30s")

    def partition(self, i):
        """Cuts member i off: every packet to or from it dropped silently."""
        self._qdisc(i, "blackhole")
        self.cut.add(i)

    def heal(self, i):
        """Gives member i its plain link back (no partition, no throttle)."""
        self._qdisc(i)
        self.cut.discard(i)

    def close(self):
        """Deletes every namespace we created (their veths and the bridge go with them); leaves
        nothing of ours behind, and nothing of anyone else's touched. Idempotent."""
        errors = []
        while self.created:
            name = self.created.pop()
            proc = _ip("netns", "del", name, check=False)
            if proc.returncode != 0:
                errors.append(f"{name}: {proc.stderr.strip()}")
        if errors:
            raise RuntimeError("could not delete namespaces: " + "; ".join(errors))
