// node-redis createCluster heartbeating vips of one group for a while.
// Usage: node heartbeat.js <port> <group> <seconds> <vip>...
// Stops after <seconds> or as soon as its stdin is closed.
// Prints JSON {beats, errors: {CODE: n}, maxGapMs: {vip: ms}} at the end.
// MOVED and ASK are followed by node-redis; other errors are retried here.
const { createCluster } = require('redis');

async function main() {
  const [port, group, seconds, ...vips] = process.argv.slice(2);
  const cluster = createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${port}` }] });
  cluster.on('error', () => {});
  await cluster.connect();
  const key = `${group}_master`;
  const end = Date.now() + Number(seconds) * 1000;
  let stop = false;
  process.stdin.on('end', () => { stop = true; });
  process.stdin.on('data', () => {});
  const last = {}; const maxGap = {}; const errors = {};
  let beats = 0;
  while (Date.now() < end && !stop) {
    for (const vip of vips) {
      for (let attempt = 0; ; attempt++) {
        try {
          await cluster.sendCommand(key, false, ['sumavlib.suma_keep_alive', key, vip]);
          break;
        } catch (e) {
          const code = String(e.message || e).split(' ')[0];
          errors[code] = (errors[code] || 0) + 1;
          if (attempt > 100) throw e;
          await new Promise((r) => setTimeout(r, Math.min(500, 20 * 2 ** Math.min(attempt, 5))));
        }
      }
      const now = Date.now();
      if (last[vip] !== undefined) maxGap[vip] = Math.max(maxGap[vip] || 0, now - last[vip]);
      last[vip] = now;
      beats++;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  console.log(JSON.stringify({ beats, errors, maxGapMs: maxGap }));
  await cluster.quit();
}

main().catch((e) => { console.error(e); process.exit(1); });
