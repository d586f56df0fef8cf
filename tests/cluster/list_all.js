// node-redis createCluster: group commands are routed by their key; the
// node-local listings run on every primary and are merged.
// Usage: node list_all.js <port> <group> (prints JSON)
const { createCluster } = require('redis');

async function main() {
  const [port, group] = process.argv.slice(2);
  const cluster = createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${port}` }] });
  cluster.on('error', (e) => console.error('cluster error', e.message));
  await cluster.connect();
  // Routed by the key argument (the group's channel).
  await cluster.sendCommand(`${group}_channel`, false,
    ['sumavlib.suma_diamond_publish', `${group}_channel`, 'node.key', 'from-node']);
  const keys = new Set();
  const servers = new Set();
  for (const master of cluster.masters) {
    const client = await cluster.nodeClient(master);
    let cursor = '0';
    do {
      const [next, page] = await client.sendCommand(
        ['sumavlib.suma_diamond_list', '*', 'CURSOR', cursor, 'COUNT', '1000']);
      page.forEach((k) => keys.add(k));
      cursor = next;
    } while (cursor !== '0');
    (await client.sendCommand(['sumavlib.suma_vip_server_list', '*', 'COUNT', '1000']))
      .forEach((v) => servers.add(v));
  }
  console.log(JSON.stringify({ keys: [...keys].sort(), servers: [...servers].sort(),
    masters: cluster.masters.length }));
  await cluster.quit();
}

main().catch((e) => { console.error(e); process.exit(1); });
