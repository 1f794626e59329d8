"""The whole Keep stack on localhost (`./pants run src/python/keep/devstack:devstack`), and the
process helpers tests and the benchmark share."""
