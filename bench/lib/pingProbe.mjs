/**
 * A second client's view of a Sentinel under load, shared by the bench
 * scripts: one connection PINGs every 20 ms (one PING in flight at a time)
 * until stopped. Latencies in ms; a PING still unanswered counts toward the
 * worst wait up to the moment it is looked at.
 */
import net from 'node:net';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts PINGing `socket` (already connected, past any AUTH); returns stop(),
 * which resolves to { lat, worst } and closes the socket.
 */
export function pingEvery20Ms(socket) {
  const lat = [];
  let worst = 0;
  let sentAt = 0;
  let waiting = false;
  let stopped = false;
  socket.on('data', () => {
    const ms = performance.now() - sentAt;
    lat.push(ms);
    worst = Math.max(worst, ms);
    waiting = false;
  });
  socket.on('error', () => undefined);
  const loop = (async () => {
    while (!stopped) {
      if (!waiting) {
        waiting = true;
        sentAt = performance.now();
        socket.write('PING\r\n');
      } else {
        worst = Math.max(worst, performance.now() - sentAt);
      }
      await sleep(20);
    }
  })();
  return async () => {
    stopped = true;
    await loop;
    socket.destroy();
    return { lat, worst };
  };
}

/** Connects to 127.0.0.1:port, sends `auth` (an inline AUTH line) first if given, and starts the probe. */
export async function pingProbe(port, auth) {
  const s = net.connect({ port, host: '127.0.0.1' });
  await new Promise((r) => s.once('connect', r));
  if (auth) {
    s.write(auth);
    await new Promise((r) => s.once('data', r));
  }
  return pingEvery20Ms(s);
}
