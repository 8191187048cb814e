import { KEYS_HELP, formatEvent, renderStatus, seconds, type ViewInput } from './render.js';
import type { TimelineEvent } from './timeline.js';

/**
 * Where the view goes. On a TTY: the whole screen is redrawn in place
 * (cursor home, each line cleared to its end, the rest of the screen
 * cleared), status on top and the latest events below. Otherwise: events
 * are appended as they arrive, and a status snapshot only when it changed.
 */

const HOME = '\x1b[H';
const CLEAR_LINE = '\x1b[K';
const CLEAR_BELOW = '\x1b[J';
const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';
const DEFAULT_ROWS = 40;
const MIN_EVENT_ROWS = 5;

export class Screen {
  private lastPlain = '';
  private cursorHidden = false;

  constructor(
    private readonly out: NodeJS.WriteStream,
    readonly tty: boolean,
    /** Keys work only when stdin is a terminal too. */
    private readonly keys: boolean,
  ) {
    // A closed pipe (`| head`) must not crash the demo before it cleans up.
    out.on('error', () => undefined);
  }

  begin(): void {
    if (!this.tty) {
      if (this.keys) this.out.write(`${KEYS_HELP}\n`);
      return;
    }
    this.out.write(`${HIDE_CURSOR}\x1b[2J`);
    this.cursorHidden = true;
  }

  frame(view: Omit<ViewInput, 'volatile' | 'keysHelp'>, events: readonly TimelineEvent[]): void {
    if (this.tty) this.drawTty(view, events);
    else this.drawPlain(view);
  }

  event(e: TimelineEvent): void {
    if (!this.tty) this.out.write(`${formatEvent(e)}\n`);
  }

  /** Leaves the terminal as it was (cursor shown); synchronous and idempotent, for the exit hook too. */
  end(): void {
    if (this.cursorHidden) this.out.write(SHOW_CURSOR);
    this.cursorHidden = false;
  }

  line(text: string): void {
    this.out.write(`${text}\n`);
  }

  private drawTty(view: Omit<ViewInput, 'volatile' | 'keysHelp'>, events: readonly TimelineEvent[]): void {
    const status = renderStatus({ ...view, volatile: true, keysHelp: this.keys });
    const rows = this.out.rows ?? DEFAULT_ROWS;
    const eventRows = Math.max(MIN_EVENT_ROWS, rows - status.length - 3);
    const shown = events.slice(-eventRows).map(formatEvent);
    const cols = this.out.columns ?? 0;
    const lines = [...status, '', `EVENTS (${events.length}, latest last)`, ...shown];
    const clipped = cols > 0 ? lines.map((l) => (l.length > cols ? l.slice(0, cols - 1) : l)) : lines;
    this.out.write(`${HOME}${clipped.map((l) => `${l}${CLEAR_LINE}`).join('\n')}\n${CLEAR_BELOW}`);
  }

  private drawPlain(view: Omit<ViewInput, 'volatile' | 'keysHelp'>): void {
    const text = renderStatus({ ...view, volatile: false, keysHelp: false }).join('\n');
    if (text === this.lastPlain) return;
    this.lastPlain = text;
    this.out.write(`--- status at +${seconds(view.nowMs - view.startedAtMs)} ---\n${text}\n---\n`);
  }
}
