/**
 * Admin commands as changes of core state: SENTINEL MONITOR, REMOVE, RESET,
 * SET, CONFIG SET, SIMULATE-FAILURE and DEBUG. The command modules check the
 * arguments (with Redis's error texts) and hand over validated values; these
 * functions apply them and return the events and the persist the change
 * needs. The caller writes the config before it replies (save before OK).
 */
import { defaultMasterConfig, type MasterConfig } from '../config/model.js';
import { instanceDetails } from './details.js';
import { sentinelEvent, type Effect } from './effects.js';
import { switchToPromoted } from './addressSwitch.js';
import { currentMasterAddress } from './failoverState.js';
import { storeAddresses } from './hostAddresses.js';
import { removeMaster, resetMaster } from './instances.js';
import { addMasterFromConfig } from './sentinel.js';
import type { SentinelSettings, SentinelState } from './state.js';
import type { Timing } from './timing.js';

export interface MonitorRequest {
  name: string;
  /** As stored: a numeric address normalized, or a hostname. */
  host: string;
  port: number;
  quorum: number;
  /** What the shell resolved `host` to, when it is a name. */
  ip?: string;
}

export function monitorMaster(state: SentinelState, req: MonitorRequest, nowMs: number): Effect[] {
  // The command refused a duplicate already; a second MONITOR racing past its check adds nothing.
  if (state.masters.has(req.name)) return [];
  // A MONITOR that resolved its hostname while resolve-hostnames was
  // switched off stores the address, as the switch did with the others.
  const host = req.ip !== undefined && !state.settings.resolveHostnames ? req.ip : req.host;
  // The hostname is kept and its address known, so that announce-hostnames
  // can switch between the two at any time.
  if (req.ip !== undefined && host === req.host) state.addressing.resolved.set(req.host, req.ip);
  const master = addMasterFromConfig(state, defaultMasterConfig(req.name, host, req.port, req.quorum), nowMs);
  return [
    sentinelEvent('warning', '+monitor', `${instanceDetails(master)} quorum ${req.quorum}`, master.name),
    { type: 'persist', sync: true },
  ];
}

export function removeMonitoredMaster(state: SentinelState, name: string): Effect[] {
  const master = state.masters.get(name);
  if (!master) return [];
  return [
    sentinelEvent('warning', '-monitor', instanceDetails(master), master.name),
    ...removeMaster(state, master),
    { type: 'persist', sync: true },
  ];
}

/** SENTINEL RESET of the masters the command's pattern matched, in that order. */
export function resetMasters(state: SentinelState, names: readonly string[], nowMs: number): Effect[] {
  const effects: Effect[] = [];
  for (const name of names) {
    const master = state.masters.get(name);
    if (!master) continue;
    // A failover past its promotion has bumped the config-epoch and announced
    // the promoted replica with it: the reset keeps that configuration
    // (switching now, as update-config would) rather than go back to the old
    // address under the same config-epoch, which no hello could ever correct.
    const current = currentMasterAddress(master);
    if (current.host !== master.host || current.port !== master.port) switchToPromoted(state, master, nowMs, effects);
    effects.push(...resetMaster(state, master, nowMs));
    effects.push(sentinelEvent('warning', '+reset-master', instanceDetails(master), master.name));
  }
  if (effects.length > 0) effects.push({ type: 'persist', sync: true });
  return effects;
}

type NumericOption = 'downAfterMs' | 'failoverTimeoutMs' | 'parallelSyncs' | 'quorum' | 'masterRebootDownAfterPeriodMs';
type TextOption = 'notificationScript' | 'clientReconfigScript' | 'authPass' | 'authUser';

/**
 * One validated SENTINEL SET option. `option` is spelled as the user typed
 * it and `raw` is the value as given, both shown in the `+set` event.
 */
export type MasterOptionChange =
  | { field: NumericOption; option: string; raw: string; value: number }
  /** An empty value removes the setting. */
  | { field: TextOption; option: string; raw: string }
  | { field: 'renameCommand'; option: string; from: string; to: string };

/** SENTINEL SET: options applied left to right, one `+set` event each. */
export function setMasterOptions(state: SentinelState, name: string, changes: readonly MasterOptionChange[]): Effect[] {
  const master = state.masters.get(name);
  if (!master || changes.length === 0) return [];
  const effects: Effect[] = [];
  for (const change of changes) {
    const shown = applyMasterOption(master.config, change);
    effects.push(sentinelEvent('warning', '+set', `${instanceDetails(master)} ${change.option} ${shown}`, master.name));
  }
  effects.push({ type: 'persist', sync: true });
  return effects;
}

/** Applies one option; returns the value as the `+set` event shows it. */
function applyMasterOption(c: MasterConfig, change: MasterOptionChange): string {
  switch (change.field) {
    case 'renameCommand': {
      const key = change.from.toLowerCase();
      if (key === change.to.toLowerCase()) delete c.renameCommands[key];
      else c.renameCommands[key] = change.to;
      return `${change.from} ${change.to}`;
    }
    case 'notificationScript':
    case 'clientReconfigScript':
    case 'authPass':
    case 'authUser':
      if (change.raw.length > 0) c[change.field] = change.raw;
      else delete c[change.field];
      return change.field === 'authPass' ? '******' : change.raw;
    default:
      c[change.field] = change.value;
      return change.raw;
  }
}

/** SENTINEL CONFIG SET: every pair validated by the command, applied together. */
export interface SentinelOptionChanges {
  settings?: Partial<SentinelSettings>;
  announceHostnames?: boolean;
  /**
   * With resolve-hostnames no: each stored hostname and the address the
   * shell resolved it to for this change, stored in its place.
   */
  addresses?: ReadonlyArray<readonly [string, string]>;
}

export function setSentinelOptions(state: SentinelState, changes: SentinelOptionChanges, nowMs: number): Effect[] {
  const effects = changes.addresses === undefined ? [] : storeAddresses(state, new Map(changes.addresses), nowMs);
  for (const [key, value] of Object.entries(changes.settings ?? {})) {
    // An empty announce-ip, sentinel-user or sentinel-pass unsets it (the key is absent, as after loading).
    if (value === undefined) delete state.settings[key as keyof SentinelSettings];
    else Object.assign(state.settings, { [key]: value });
  }
  // Replies, events, hellos and the config show the other form from now on.
  if (changes.announceHostnames !== undefined) state.addressing.announceHostnames = changes.announceHostnames;
  effects.push({ type: 'persist', sync: true });
  return effects;
}

export type SimulatedFailure = 'crashAfterElection' | 'crashAfterPromotion';

const SIMULATION_WARNINGS: Record<SimulatedFailure, string> = {
  crashAfterElection: 'Failure simulation: this Sentinel will crash after being successfully elected as failover leader',
  crashAfterPromotion: 'Failure simulation: this Sentinel will crash after promoting the selected replica to master',
};

/** SENTINEL SIMULATE-FAILURE: each call replaces the flags with the ones it names, as redis-sentinel does. */
export function simulateFailure(state: SentinelState, flags: readonly SimulatedFailure[]): Effect[] {
  state.simulateFailure = { crashAfterElection: false, crashAfterPromotion: false };
  return flags.map((flag) => {
    state.simulateFailure[flag] = true;
    return { type: 'log', level: 'warning', message: SIMULATION_WARNINGS[flag] };
  });
}

/** SENTINEL DEBUG <param> <value> ...: every pair checked by the command first. */
export function setDebugTimings(state: SentinelState, updates: ReadonlyArray<readonly [keyof Timing, number]>): Effect[] {
  for (const [key, value] of updates) state.timing[key] = value;
  return [];
}
