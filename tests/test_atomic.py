"""Writing a file atomically beside whatever else a folder holds: the rename is made durable by
syncing the folder itself, never by opening what is in it (a socket there once made every write
fail with "No such device or address"; a large home folder made it slow)."""

import socket

from recur.atomic import write_atomically


def test_a_write_beside_a_socket_and_a_subfolder(tmp_path):
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(tmp_path / "server.sock"))
    (tmp_path / "other").mkdir()
    try:
        write_atomically(tmp_path / "piece.mid", lambda tmp: tmp.write_bytes(b"MThd"))
        write_atomically(tmp_path / "piece.mid", lambda tmp: tmp.write_bytes(b"MThd2"))
    finally:
        listener.close()
    assert (tmp_path / "piece.mid").read_bytes() == b"MThd2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other", "piece.mid", "server.sock"]
