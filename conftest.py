# Loaded for every suite under the repository (see pytest.ini).
pytest_plugins = ["suma_testing.ctest"]
