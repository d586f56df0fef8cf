#!/bin/sh
# Drives the sumavlib commands with redis-cli. Usage: session.sh <port>
# Prints each reply (redis-cli is raw when not on a terminal: one value per
# line); test_clients.py checks it.
set -eu
P="$1"
G=cli.zy_test
C=${G}_channel
redis-cli -p "$P" sumavlib.suma_try_leader "$G" 10.0.0.7:9001 5000
redis-cli -p "$P" sumavlib.suma_keep_alive "$G" 10.0.0.8:9001
redis-cli -p "$P" sumavlib.suma_diamond_publish "$C" app.yaml "port: 8080"
redis-cli -p "$P" sumavlib.suma_diamond_get "$C" app.yaml
redis-cli -p "$P" sumavlib.suma_vip_kill "$C" 10.0.0.8:9001
redis-cli -p "$P" sumavlib.suma_vip_list "$G"
redis-cli -p "$P" sumavlib.suma_message_publish "$C" '{"hello":"cli"}'
redis-cli -p "$P" sumavlib.suma_events "$C" 0 COUNT 100
redis-cli -p "$P" sumavlib.suma_vip_leave "$G" 10.0.0.7:9001
