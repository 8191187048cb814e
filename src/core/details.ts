/**
 * Instance details in Redis's event format (its "%@"):
 * `master <name> <ip> <port>` for a master,
 * `<type> <name> <ip> <port> @ <master-name> <master-ip> <master-port>` otherwise.
 */
import type { AnyInstance, MasterState } from './state.js';

export function instanceDetails(inst: AnyInstance, master?: MasterState): string {
  const own = `${inst.kind} ${inst.name} ${inst.host} ${inst.port}`;
  if (inst.kind === 'master' || !master) return own;
  return `${own} @ ${master.name} ${master.host} ${master.port}`;
}
