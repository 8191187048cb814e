/**
 * The `__sentinel__:hello` payload:
 * `<ip>,<port>,<runid>,<current-epoch>,<master-name>,<master-ip>,<master-port>,<master-config-epoch>`.
 * Pure encode/decode; a malformed hello is dropped, as Redis does.
 */
export const HELLO_CHANNEL = '__sentinel__:hello';

export interface Hello {
  ip: string;
  port: number;
  runId: string;
  currentEpoch: number;
  masterName: string;
  masterIp: string;
  masterPort: number;
  masterConfigEpoch: number;
}

export function formatHello(h: Hello): string {
  return [
    h.ip,
    h.port,
    h.runId,
    h.currentEpoch,
    h.masterName,
    h.masterIp,
    h.masterPort,
    h.masterConfigEpoch,
  ].join(',');
}

export function parseHello(payload: string): Hello | undefined {
  const t = payload.split(',');
  if (t.length !== 8) return undefined;
  const [ip, port, runId, epoch, masterName, masterIp, masterPort, configEpoch] = t as [
    string, string, string, string, string, string, string, string,
  ];
  const nums = [port, epoch, masterPort, configEpoch].map(parseUnsigned);
  if (nums.some((n) => n === undefined)) return undefined;
  if (runId.length !== 40 || ip.length === 0 || masterName.length === 0) return undefined;
  return {
    ip,
    port: nums[0]!,
    runId,
    currentEpoch: nums[1]!,
    masterName,
    masterIp,
    masterPort: nums[2]!,
    masterConfigEpoch: nums[3]!,
  };
}

function parseUnsigned(s: string): number | undefined {
  if (!/^\d{1,15}$/.test(s)) return undefined;
  return Number(s);
}

/**
 * A run id we can store and write back: 40 printable ASCII characters
 * without quotes, backslashes or commas (real ones are hex).
 */
export function isValidRunId(runId: string): boolean {
  return /^[\x21-\x7e]{40}$/.test(runId) && !/["'\\,]/.test(runId);
}
