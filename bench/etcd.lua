-- wrk script for etcd's gRPC gateway (etcd 3.4: /v3/...), bench/run.sh.
-- usage: wrk ... -s etcd.lua URL -- <mode> <hosts> <groups> <lease_base>
--   mode put:       POST /v3/kv/put {key:/bench/g<group>/<vip>, value, lease}
--   mode keepalive: POST /v3/lease/keepalive {ID}
-- Host i (vip 10.x.y.z:9001 as in suma-loadgen) uses lease lease_base + i;
-- requests cycle round robin over the hosts, each thread from its own offset.
local b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

local function b64(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local c1 = math.floor(n / 262144) % 64
    local c2 = math.floor(n / 4096) % 64
    local c3 = math.floor(n / 64) % 64
    local c4 = n % 64
    out[#out + 1] = b64chars:sub(c1 + 1, c1 + 1) .. b64chars:sub(c2 + 1, c2 + 1) ..
        (b and b64chars:sub(c3 + 1, c3 + 1) or "=") .. (c and b64chars:sub(c4 + 1, c4 + 1) or "=")
  end
  return table.concat(out)
end

local function vip(i)
  return string.format("10.%d.%d.%d:9001", math.floor(i / 65536) % 256,
                       math.floor(i / 256) % 256, i % 256)
end

local counter = 1
local threads = 0
function setup(thread)
  thread:set("offset", threads * 7919)
  threads = threads + 1
end

local reqs = {}
local pos = 0
function init(args)
  local mode, hosts, groups, base = args[1], tonumber(args[2]), tonumber(args[3]), tonumber(args[4])
  local path = mode == "put" and "/v3/kv/put" or "/v3/lease/keepalive"
  local headers = { ["Content-Type"] = "application/json" }
  for i = 0, hosts - 1 do
    local body
    if mode == "put" then
      body = string.format('{"key":"%s","value":"%s","lease":"%d"}',
                           b64(string.format("/bench/g%d/%s", i % groups, vip(i))),
                           b64("1"), base + i)
    else
      body = string.format('{"ID":"%d"}', base + i)
    end
    reqs[i + 1] = wrk.format("POST", path, headers, body)
  end
  pos = (offset or 0) % hosts
end

function request()
  pos = pos + 1
  if pos > #reqs then pos = 1 end
  return reqs[pos]
end

-- One JSON line in the suma-loadgen format (latencies in us).
function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  io.write(string.format('{"mode":"wrk","ops":%d,"errors":%d,"seconds":%.3f,' ..
    '"ops_per_sec":%.1f,"p50_us":%.1f,"p99_us":%.1f,"max_us":%.1f,"mean_us":%.1f}\n',
    summary.requests, errors, secs, summary.requests / secs, latency:percentile(50),
    latency:percentile(99), latency.max, latency.mean))
end
