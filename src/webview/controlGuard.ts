/**
 * The helper's panel (webview): the policy on control, apart from the session that applies it. Which of the
 * host's control changes the helper takes, and which of the helper's own input may go out.
 *
 * Control is taken only when this side asked for it (`granted` while requesting) or when a pause the host
 * announced ends (`resumed` after `paused`), so that a host cannot make the panel capture the helper's keyboard.
 * Anything else is ignored with a warning, not taken as a protocol error: a correct host sends it in a race (the
 * helper withdraws a request as the host's person clicks Allow, or gives control back as a pause ends).
 *
 * The host may also pause sharing (`paused`): control, if held, stays granted, but no input goes out until it
 * resumes (the host would drop it anyway). And the host's system may refuse the input that goes out (Windows keeps
 * it out of elevated windows and the secure desktop): control stays, and the helper is told why nothing happens.
 *
 * No DOM, no PeerJS.
 */

import { INPUT_UNBLOCKED_HELPER_TEXT, inputBlockedHelperText, type InputBlockedReason } from '../shared/inputBlocked';
import { type ControlChange, type HelperMessage, assertNever } from '../shared/protocol';

/** The states in which control changes make sense. */
export type ControlState = 'viewing' | 'requestingControl' | 'controlling';

/** Input the panel captures (input.ts); sent only while controlling (`releaseAll` also right after). */
export type InputMessage = Extract<HelperMessage, { type: 'pointerMove' | 'pointerButton' | 'wheel' | 'key' | 'text' | 'releaseAll' }>;

export type ControlDecision =
  /** Move to `to` and show `notice` (empty: clear it). */
  | { readonly take: true; readonly to: 'viewing' | 'controlling'; readonly notice: string }
  /** Ignore the change; `why` is for the log. `tellHost`: say we do not hold control, so that both sides agree. */
  | { readonly take: false; readonly why: string; readonly tellHost: boolean };

export class ControlGuard {
  /** The host paused the control this side held, and has not ended the pause: only then may `resumed` come. */
  private paused = false;
  /** Buttons (`button:left`) and keys (`key:KeyA`) the host holds down on our behalf. */
  private readonly held = new Set<string>();
  /** Input went out since the last releaseAll (so a releaseAll has something to release). */
  private dirty = false;
  /** The host paused sharing: nothing captured here goes out. */
  private hostPausedValue = false;

  get hostPaused(): boolean {
    return this.hostPausedValue;
  }

  /**
   * The host paused (`true`) or resumed sharing: the notice to show, or undefined when nothing changed.
   * `controlling`: this side holds control, which stays granted through the pause.
   */
  hostPause(paused: boolean, controlling: boolean, who: string): string | undefined {
    if (paused === this.hostPausedValue) return undefined;
    this.hostPausedValue = paused;
    if (paused) {
      return controlling
        ? `Paused by ${who}: you keep control, but your mouse and keys do nothing until they resume.`
        : `Paused by ${who}: the picture comes back when they resume.`;
    }
    return controlling ? `${who} resumed sharing: your mouse and keys work again.` : `${who} resumed sharing.`;
  }

  /** The notice for the host's system refusing this side's input (`reason`) or taking it again (`null`). */
  static refused(reason: InputBlockedReason | null): string {
    return reason ? inputBlockedHelperText(reason) : INPUT_UNBLOCKED_HELPER_TEXT;
  }

  /** What to do with a control change from the host, in state `state`; `who` is the host's name for notices. */
  decide(change: ControlChange, state: ControlState, who: string): ControlDecision {
    if (change.granted) {
      const askedFor = change.reason === 'granted' ? state === 'requestingControl' : this.paused && state !== 'controlling';
      if (!askedFor) {
        return { take: false, why: `control ${change.reason} in ${state} ignored: ${change.reason === 'granted' ? 'control was not requested' : 'control was not paused'}`, tellHost: state === 'viewing' };
      }
      this.paused = false;
      return { take: true, to: 'controlling', notice: change.reason === 'resumed' ? `${who} left their mouse alone: you have control again.` : '' };
    }
    // Only a pause of control this side holds can be resumed; any other change ends what pause there was.
    this.paused = change.reason === 'paused' ? this.paused || state === 'controlling' : false;
    switch (change.reason) {
      case 'denied':
        return { take: true, to: 'viewing', notice: `${who} declined your request for control.` };
      case 'revoked':
        return { take: true, to: 'viewing', notice: `${who} took control back.` };
      case 'released':
        return { take: true, to: 'viewing', notice: 'You gave control back.' };
      case 'paused':
        return { take: true, to: 'viewing', notice: `${who} is using their own mouse or keyboard: your control is paused until they stop.` };
      default:
        return assertNever(change);
    }
  }

  /** This side gave control back or withdrew its request: no pause is left to end. */
  released(): void {
    this.paused = false;
  }

  /**
   * Whether captured input (while controlling) may go out. A button or key release whose press did not go out is
   * dropped, so the host never sees an up without its down.
   */
  admit(message: Exclude<InputMessage, { type: 'releaseAll' }>): boolean {
    if (this.hostPausedValue) return false;
    if (message.type === 'pointerButton' || message.type === 'key') {
      const id = message.type === 'key' ? `key:${message.code}` : `button:${message.button}`;
      if (message.down) this.held.add(id);
      else if (!this.held.delete(id)) return false;
    }
    this.dirty = true;
    return true;
  }

  /** Something is held down on the host on our behalf. */
  get holding(): boolean {
    return this.held.size > 0;
  }

  /** Input went out since the last release: a releaseAll has something to release. */
  get sentInput(): boolean {
    return this.dirty || this.held.size > 0;
  }

  /** The link was cut: control is gone (the host released everything), and no pause of it is left to end. */
  cut(): void {
    this.forget();
    this.released();
  }

  /** The host was told to let go of everything (or the session is over). */
  forget(): void {
    this.held.clear();
    this.dirty = false;
  }
}
