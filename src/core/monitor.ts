/**
 * The monitoring half of the Sentinel, one idea per file: the timer's
 * schedule (schedule.ts), link health and PINGs (linkHealth.ts), SDOWN
 * (sdown.ts), INFO replies (infoReplies.ts), hellos (gossip.ts), TILT
 * (tilt.ts); ODOWN and IS-MASTER-DOWN-BY-ADDR are in odown.ts. Every function takes
 * `nowMs` and returns effects; nothing touches the network or the clock.
 * This module re-exports their entry points under the names they always had.
 */
export { evaluateMaster, tick } from './schedule.js';
export { noticeClockJump } from './tilt.js';
export {
  classifyPingReply,
  onCommandDone,
  onLinkDown,
  onLinkUp,
  onPingReply,
  onPubsubDown,
  onPubsubMessage,
  onPubsubUp,
  type PingOutcome,
} from './linkHealth.js';
export { onInfo, requestInfoNow } from './infoReplies.js';
export { onHello } from './gossip.js';
