/**
 * Instance details in Redis's event format (its "%@"):
 * `master <name> <ip> <port>` for a master,
 * `<type> <name> <ip> <port> @ <master-name> <master-ip> <master-port>` otherwise.
 */
import { shownHost, type AnyInstance, type MasterState } from './state.js';

export function instanceDetails(inst: AnyInstance, master?: MasterState): string {
  const own = `${inst.kind} ${inst.name} ${shownHost(inst.addressing, inst.host)} ${inst.port}`;
  if (inst.kind === 'master' || !master) return own;
  return `${own} @ ${master.name} ${shownHost(master.addressing, master.host)} ${master.port}`;
}
