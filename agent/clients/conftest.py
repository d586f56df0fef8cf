from suma_testing.fixtures import make_server, r, server  # noqa: F401
