"""The test harness itself: the ports it hands out cannot be taken by an
outgoing connection or by another test process before nsd binds them."""

import fcntl
import os
import unittest

from nsd import PORT_LOCK_DIR, free_port


class FreePortTests(unittest.TestCase):
    def test_ports_are_outside_the_ephemeral_range_and_reserved(self):
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(x) for x in f.read().split())
        ports = {free_port() for _ in range(20)}
        self.assertEqual(len(ports), 20)
        for port in ports:
            self.assertFalse(low <= port <= high, port)
            # A second open of the lock file (as another process would do)
            # cannot take the lock while this process lives.
            with open(os.path.join(PORT_LOCK_DIR, str(port))) as lock:
                with self.assertRaises(OSError):
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)


if __name__ == "__main__":
    unittest.main()
