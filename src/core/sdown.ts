/**
 * SDOWN: an instance is subjectively down when its link gave no valid PING
 * reply for down-after-milliseconds, or a master keeps reporting role:slave,
 * or a rebooted master stays silent past master-reboot-down-after-period.
 */
import { instanceDetails } from './details.js';
import { sentinelEvent, type Effect } from './effects.js';
import type { AnyInstance, LinkState, MasterState, SentinelState } from './state.js';

export function checkSubjectivelyDown(
  state: SentinelState,
  inst: AnyInstance,
  master: MasterState,
  link: LinkState,
  nowMs: number,
  effects: Effect[],
): void {
  const downAfterMs = master.config.downAfterMs;
  let elapsedMs = 0;
  if (link.actPingMs !== 0) elapsedMs = nowMs - link.actPingMs;
  else if (!link.connected) elapsedMs = nowMs - link.lastAvailMs;

  // A link that is connected but silent for half of down-after is likely
  // stuck (a half-open TCP connection): drop it so the next tick reconnects.
  // Links keep no timer per command and answer in order, so this is also
  // what fails a command whose reply never comes: the PING queued behind it
  // stays unanswered, and dropping the link fails every pending reply.
  // (The pub/sub connection has its own rule: dropSilentPubsub.)
  if (link.connected && nowMs - link.connectedAtMs > state.timing.minLinkReconnectPeriodMs &&
      link.actPingMs !== 0 && nowMs - link.actPingMs > downAfterMs / 2 &&
      nowMs - link.lastPongMs > downAfterMs / 2) {
    // The command connection only: redis-sentinel closes just that one, and
    // the pub/sub connection has its own silence rule.
    link.connected = false;
    effects.push({ type: 'disconnectCommand', link: link.key });
  }

  const down = elapsedMs > downAfterMs ||
    masterReportsReplicaTooLong(inst, downAfterMs, state.timing.infoPeriodMs, nowMs) ||
    masterRebooting(inst, nowMs);
  if (down && !inst.sdown) {
    inst.sdown = true;
    inst.sdownSinceMs = nowMs;
    effects.push(sentinelEvent('warning', '+sdown', instanceDetails(inst, master), master.name));
  } else if (!down && inst.sdown) {
    inst.sdown = false;
    inst.sdownSinceMs = 0;
    effects.push(sentinelEvent('warning', '-sdown', instanceDetails(inst, master), master.name));
  }
}

/** A master that keeps saying it is a replica is as good as down. */
function masterReportsReplicaTooLong(inst: AnyInstance, downAfterMs: number, infoPeriodMs: number, nowMs: number): boolean {
  return inst.kind === 'master' && inst.roleReported === 'slave' &&
    nowMs - inst.roleReportedTimeMs > downAfterMs + 2 * infoPeriodMs;
}

/**
 * master-reboot-down-after-period, as Redis's SRI_MASTER_REBOOT: a master seen
 * with a new run id is down once it has gone longer than the period without
 * answering +PONG (-LOADING keeps it "available" but does not end the reboot).
 */
function masterRebooting(inst: AnyInstance, nowMs: number): boolean {
  return inst.kind === 'master' && inst.rebootSinceMs !== 0 &&
    nowMs - inst.rebootSinceMs > inst.config.masterRebootDownAfterPeriodMs;
}
