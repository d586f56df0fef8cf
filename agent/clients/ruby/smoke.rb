# Drives the sumavlib commands from Ruby's redis gem (Debian: ruby-redis).
# Usage: ruby smoke.rb <port>   -- exits 0 when every check passed.
require "json"
require "redis"

def check(what, got, want)
  raise "#{what}: got #{got.inspect}, want #{want.inspect}" unless got == want
end

group = "ruby.zy_test"
channel = "#{group}_channel"
vip = "10.0.0.7:9001"
r = Redis.new(host: "127.0.0.1", port: Integer(ARGV.fetch(0)))

check("try_leader", r.call("sumavlib.suma_try_leader", group, vip, 5000), 1)
info = r.call("sumavlib.suma_leader_info", group)
check("leader", info[1], vip)
epoch = info[3]
check("keep_alive", r.call("sumavlib.suma_keep_alive", group, vip), [vip])
check("vip_info", r.call("sumavlib.suma_vip_info", group, vip).each_slice(2).to_h["state"], "live")

check("publish", r.call("sumavlib.suma_diamond_publish", channel, "feature.x", "on", "IFEPOCH", epoch), 1)
value, version, _ts = r.call("sumavlib.suma_diamond_get", channel, "feature.x")
check("get", value, "on")
check("version after epoch", version > epoch, true)
check("list", r.call("sumavlib.suma_diamond_list", "feature.*", "GROUP", group), ["feature.x"])

check("kill", r.call("sumavlib.suma_vip_kill", channel, vip), 1)
check("drained", r.call("sumavlib.suma_vip_drained", channel)[0], vip)
check("reset", r.call("sumavlib.suma_vip_reset", channel, vip), 1)

events = r.call("sumavlib.suma_events", channel, 0).map { |e| JSON.parse(e) }
check("event types", events.map { |e| e["type"] }, %w[online leader diamond kill reset])
first = events[0]["seq"]
check("seq order", events.map { |e| e["seq"] }, (first...first + 5).to_a)
check("event version", events[2]["version"], version)
check("event epoch", events[1]["epoch"], epoch)

id = r.call("sumavlib.suma_ci_task", channel, "PUSH", '{"job":"ruby"}')
claim = r.call("sumavlib.suma_ci_task", channel, "CLAIM", vip)
check("claim", claim, [id, '{"job":"ruby"}', 1])
check("ack", r.call("sumavlib.suma_ci_task", channel, "ACK", id, vip), 1)

# A fenced write from a stale epoch is refused.
begin
  r.call("sumavlib.suma_diamond_publish", channel, "feature.x", "off", "IFEPOCH", epoch + 1)
  raise "stale epoch accepted"
rescue Redis::CommandError => e
  raise "unexpected error #{e.message}" unless e.message.start_with?("FENCED")
end

check("leave", r.call("sumavlib.suma_vip_leave", group, vip), 1)
puts "ruby client: ok"
