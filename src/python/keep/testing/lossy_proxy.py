"""A TCP proxy that loses the reply of its first connection: the request reaches the server and
runs, the client sees the connection drop. How a reply is lost between a client and the gateway."""

from __future__ import annotations

import contextlib
import socket
import threading


class LoseFirstReply:
    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = self._listener.accept()
                self.connections += 1
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
                lose = self.connections == 1
                for src, dst, drop in ((client, upstream, False), (upstream, client, lose)):
                    threading.Thread(target=_pipe, args=(src, dst, drop), daemon=True).start()

    def close(self) -> None:
        self._listener.close()


def _pipe(src: socket.socket, dst: socket.socket, lose: bool) -> None:
    """Copies src to dst; with `lose`, closes both as soon as src answers."""
    with contextlib.suppress(OSError):
        while data := src.recv(65536):
            if lose:
                break
            dst.sendall(data)
    for sock in (src, dst):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()
