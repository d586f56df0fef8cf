def test_module_loads_and_answers(r):
    assert r.execute_command("sumavlib.suma_try_leader", "agent.zy_test_master", "10.0.0.1:9001") == 1
    assert r.execute_command("sumavlib.suma_keep_alive", "agent.zy_test_master", "10.0.0.1:9001") == ["10.0.0.1:9001"]
