"""A redis-server of the bench's own (loopback, a free port) and Redis's own time per script call, for the tools in
bench/ that time the broker's Lua scripts (presence-scripts, publish-script)."""
import re
import socket
import subprocess
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def resp(args):
    """One command in Redis's protocol."""
    out = [f"*{len(args)}\r\n"]
    for a in args:
        out.append(f"${len(a.encode())}\r\n{a}\r\n")
    return "".join(out)


class Redis:
    def __init__(self, workdir):
        self.port = str(free_port())
        self.process = subprocess.Popen(
            ["redis-server", "--port", self.port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", workdir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if self.cli("PING") == "PONG":
                return
            time.sleep(0.05)
        raise SystemExit("redis-server did not start")

    def cli(self, *args):
        return subprocess.run(["redis-cli", "-p", self.port, *args], capture_output=True, text=True).stdout.strip()

    def pipe(self, commands):
        subprocess.run(["redis-cli", "-p", self.port, "--pipe"], input="".join(commands).encode(),
                       capture_output=True, check=True)

    def one_at_a_time(self, commands, gap_seconds):
        """Sends each command once the answer to the one before has come, gap_seconds after it."""
        with socket.create_connection(("127.0.0.1", int(self.port))) as s:
            for command in commands:
                s.sendall(command.encode())
                s.recv(65536)
                if gap_seconds:
                    time.sleep(gap_seconds)

    def usec_per_evalsha(self, send):
        """Redis's microseconds per EVALSHA over what send() sends (INFO commandstats)."""
        self.cli("CONFIG", "RESETSTAT")
        send()
        stats = re.search(r"cmdstat_evalsha:calls=(\d+),usec=(\d+)", self.cli("INFO", "commandstats"))
        return int(stats.group(2)) / int(stats.group(1))

    def stop(self):
        self.cli("SHUTDOWN", "NOSAVE")
        self.process.wait(timeout=10)
