/** CKQUORUM's arithmetic: usable Sentinels (self + peers not down) vs quorum and majority. */
import type { MasterState } from './state.js';

export interface QuorumStatus {
  usable: number;
  /** Fewer usable Sentinels than the configured quorum. */
  noQuorum: boolean;
  /** Fewer usable Sentinels than a majority of all known ones: no leader can be elected. */
  noMajority: boolean;
}

export function quorumStatus(master: MasterState): QuorumStatus {
  const voters = master.sentinels.size + 1;
  let usable = 1;
  for (const s of master.sentinels.values()) if (!s.sdown) usable += 1;
  return {
    usable,
    noQuorum: usable < master.config.quorum,
    noMajority: usable < Math.floor(voters / 2) + 1,
  };
}
