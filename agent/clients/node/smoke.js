// Drives the sumavlib commands from Node's `redis` package (node-redis v4).
// Usage: node smoke.js <port>   -- exits 0 when every check passed.
'use strict';
const assert = require('node:assert/strict');
const { createClient } = require('redis');

const group = 'node.zy_test';
const channel = `${group}_channel`;
const vip = '10.0.0.7:9001';

async function main() {
  const url = `redis://127.0.0.1:${process.argv[2]}`;
  const client = createClient({ url });
  const sub = client.duplicate();
  await client.connect();
  await sub.connect();
  const call = (...args) => client.sendCommand(args.map(String));

  // Leader election with a fencing epoch.
  assert.equal(await call('sumavlib.suma_try_leader', group, vip, 5000), 1);
  const info = await call('sumavlib.suma_leader_info', group);
  assert.equal(info[1], vip);
  const epoch = info[3];
  assert.equal(await call('sumavlib.suma_leader_check', group, epoch), 1);

  // Heartbeats: the leader gets the routing list, a follower the leader.
  assert.deepEqual(await call('sumavlib.suma_keep_alive', group, vip), [vip]);
  assert.equal(await call('sumavlib.suma_keep_alive', group, '10.0.0.8:9001'), vip);

  // Events arrive on the group channel as JSON.
  const events = [];
  await sub.subscribe(channel, (m) => events.push(JSON.parse(m)));
  assert.equal(await call('sumavlib.suma_vip_kill', channel, '10.0.0.8:9001'), 1);
  assert.deepEqual(await call('sumavlib.suma_vip_list', group), [vip]);
  assert.equal(await call('sumavlib.suma_vip_reset', channel, '10.0.0.8:9001'), 1);

  // Config center, with the leader's epoch as a fence.
  assert.equal(await call('sumavlib.suma_diamond_publish', channel, 'db.url', 'pg://a', 'IFEPOCH', epoch), 1);
  const [, first] = await call('sumavlib.suma_diamond_get', channel, 'db.url');
  assert.ok(first > epoch, 'fencing values only grow');
  assert.equal(await call('sumavlib.suma_diamond_cas', channel, 'db.url', first, 'pg://b'), 1);
  const [value, version] = await call('sumavlib.suma_diamond_get', channel, 'db.url');
  assert.equal(value, 'pg://b');
  assert.ok(version > first);

  // Broadcast and catch-up from the event log.
  assert.equal(await call('sumavlib.suma_message_publish', channel, '{"deploy":"v2"}'), 1);
  const log = (await call('sumavlib.suma_events', channel, 0)).map((e) => JSON.parse(e));
  const message = log.find((e) => e.type === 'message');
  assert.deepEqual(message.data, { deploy: 'v2' });
  // Seqs are contiguous; the log carries the versions the server replied.
  assert.deepEqual(log.map((e) => e.seq), log.map((_, i) => log[0].seq + i));
  assert.deepEqual(log.filter((e) => e.type === 'diamond').map((e) => e.version), [first, version]);

  // Tasks: push, claim, ack.
  const id = await call('sumavlib.suma_ci_task', channel, 'PUSH', '{"job":1}');
  assert.ok(id > version);
  const [claimed, payload, attempt] = await call('sumavlib.suma_ci_task', channel, 'CLAIM', vip);
  assert.equal(claimed, id);
  assert.equal(payload, '{"job":1}');
  assert.equal(attempt, 1);
  assert.equal(await call('sumavlib.suma_ci_task', channel, 'ACK', claimed, vip), 1);

  // Clean goodbye.
  assert.equal(await call('sumavlib.suma_vip_leave', group, vip), 1);

  // Every pushed event up to the last one was seen on the channel.
  const last = log[log.length - 1].seq;
  for (let i = 0; i < 100 && !events.some((e) => e.seq >= last); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(events.some((e) => e.type === 'kill' && e.vip === '10.0.0.8:9001'));
  assert.ok(events.some((e) => e.type === 'message'));
  await sub.quit();
  await client.quit();
  console.log('node client: ok');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
