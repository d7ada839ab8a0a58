#!/usr/bin/env python3
"""A throwaway PostgreSQL server for the end-to-end tests: initdb into a temp folder, start on a
free loopback port, create one database per node, stop and delete on exit.

Runs the server as the `postgres` user when started as root (PostgreSQL refuses to run as root).
"""
import glob
import os
import shutil
import socket
import subprocess
import tempfile


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is not installed (apt-get install postgresql)")
    return found[-1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="tss-pg-")
        self.data = os.path.join(self.dir, "data")
        self.port = _free_port()
        self.as_postgres = os.geteuid() == 0

    def _run(self, args, **kw):
        if self.as_postgres:
            args = ["runuser", "-u", "postgres", "--"] + args
        return subprocess.run(args, check=True, capture_output=True, text=True, **kw)

    def start(self):
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run([_bin("initdb"), "-D", self.data, "-A", "trust", "-U", "tss"])
        self.start_server()
        return self

    def start_server(self):
        """Starts the server on its data folder and port (again, after stop_server)."""
        self._run([_bin("pg_ctl"), "-D", self.data, "-l", os.path.join(self.dir, "server.log"), "-o",
                   f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1", "-w", "start"])

    def stop_server(self, mode="fast"):
        """Stops the server and keeps its data (pg_ctl's shutdown mode: smart, fast, immediate);
        False when pg_ctl says it could not."""
        try:
            self._run([_bin("pg_ctl"), "-D", self.data, "-m", mode, "-w", "stop"])
        except subprocess.CalledProcessError:
            return False
        return True

    def create_database(self, name: str) -> str:
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "tss", "-d", "postgres", "-q",
                        "-c", f'CREATE DATABASE "{name}"'], check=True, capture_output=True)
        return f"postgres://tss@127.0.0.1:{self.port}/{name}"

    def stop(self):
        self.stop_server("fast")
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


if __name__ == "__main__":
    with PostgresServer() as pg:
        url = pg.create_database("selftest")
        print("started and created", url)
