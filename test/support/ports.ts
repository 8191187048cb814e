/**
 * Free loopback ports for test servers: the same picker the demo uses (below
 * Linux's ephemeral range, test-bound, never handed out twice per process).
 */
export { canBind, freePort } from '../../src/demo/ports.js';
