"""``python -m recur``: the CLI, as torchrun's ``-m recur`` starts it on each rank."""

from recur.cli import entry

if __name__ == "__main__":
    entry()
