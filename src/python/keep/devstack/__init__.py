"""The whole Keep stack on localhost in one command, and the process helpers tests share."""
