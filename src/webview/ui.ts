/**
 * The panel's DOM: a toolbar (state in words, verification code, Request / Release Control, End Session),
 * the stage with the screen's canvas, and a centred message for the states without a picture.
 * It renders from the session's state and calls back on clicks; it holds no session logic.
 *
 * Stable hooks for tests: `#app[data-state]`, `#status`, `#verification-code`, `#notice`,
 * `#request-control`, `#release-control`, `#end-session`, `#keyboard-mode` (`aria-pressed`: physical keys),
 * `#send-clipboard` (while controlling), `#get-clipboard` (while the screen is in view),
 * `#screen` (with `data-frames`, `data-last-frame`, `data-controlling`), `#message`, `#paused` (the host paused sharing),
 * `#reconnecting` (the link was cut: over the last picture);
 * the view (see viewMode.ts): `#view-fit`, `#view-actual`, `#follow-pointer` (`aria-pressed`), `#zoom-out`,
 * `#zoom-in`, `#zoom-level`, `#viewport` (the stage's scrolling box, with `data-mode`, `data-percent`, `data-crisp`).
 *
 * View shortcuts (when the panel has the keyboard): Ctrl+Alt+0 fit, Ctrl+Alt+1 1:1, Ctrl+Alt+= zoom in, Ctrl+Alt+-
 * zoom out. They are heard on the document, after the input capture: while controlling with the keyboard on the
 * remote screen, input.ts sends those keys to the host and stops them, so they never collide with the host's own.
 *
 * Below the toolbar, `.body` is a row: the stage, then whatever the panel adds beside it (the context pane,
 * contextPane.ts, which also puts its toggle in the toolbar's `actions`).
 */

import type { KeyboardMode } from '../shared/keys';
import type { HelperState } from '../shared/stateMachine';
import { RESUME_WINDOW_MS, assertNever } from '../shared/protocol';
import { describeMode, viewShortcut, type ViewCommand, type ViewState } from './viewMode';

export interface UiActions {
  requestControl(): void;
  releaseControl(): void;
  end(): void;
  /** The helper switched how keys travel (text or physical). */
  toggleKeyboardMode(): void;
  /** "Send Clipboard": the helper's clipboard text to the host's clipboard. */
  sendClipboard(): void;
  /** "Get Host Clipboard": ask the host for its clipboard text. */
  getClipboard(): void;
  /** A view button or shortcut: fit, 1:1, zoom in or out. */
  view(command: ViewCommand): void;
  /** "Follow": the view keeps the host's pointer in sight, or not. */
  toggleFollow(): void;
}

export class PanelUi {
  readonly canvas: HTMLCanvasElement;
  /** Over the canvas, same box: the host's pointer. */
  readonly pointerCanvas: HTMLCanvasElement;
  /** The stage's scrolling box, and the picture's box in it (both canvases fill it). */
  readonly viewport: HTMLElement;
  readonly surface: HTMLElement;
  /** The row under the toolbar: the stage first. */
  readonly body: HTMLElement;
  /** The toolbar's buttons. */
  readonly actions: HTMLElement;
  private readonly status: HTMLElement;
  private readonly code: HTMLElement;
  private readonly codeValue: HTMLElement;
  private readonly codeLabel: HTMLElement;
  private readonly codeSuffix: HTMLElement;
  private readonly notice: HTMLElement;
  private readonly hint: HTMLElement;
  private readonly requestButton: HTMLButtonElement;
  private readonly releaseButton: HTMLButtonElement;
  private readonly endButton: HTMLButtonElement;
  private readonly keyboardButton: HTMLButtonElement;
  private readonly sendClipboardButton: HTMLButtonElement;
  private readonly getClipboardButton: HTMLButtonElement;
  private readonly viewGroup: HTMLElement;
  private readonly fitButton: HTMLButtonElement;
  private readonly actualButton: HTMLButtonElement;
  private readonly zoomLevel: HTMLOutputElement;
  private readonly followButton: HTMLButtonElement;
  private readonly stage: HTMLElement;
  private readonly message: HTMLElement;
  private readonly messageTitle: HTMLElement;
  private readonly messageCode: HTMLElement;
  private readonly messageDetail: HTMLElement;
  private readonly spinner: HTMLElement;
  /** "Paused by …" over the stage, whose picture `.stage.paused` blanks (panel.css). */
  private readonly pausedOverlay: HTMLElement;
  /** "Reconnecting…" over the last picture, which stays in view (dimmed by panel.css) while the link is cut. */
  private readonly reconnectOverlay: HTMLElement;
  private expectedHostName = '';
  private hasPicture = false;
  /** The host was reached at some point (so a failure is a dropped session, not a failed connect). */
  private reachedHost = false;
  private state: HelperState = { kind: 'idle' };
  private verification: string | undefined;

  constructor(
    private readonly root: HTMLElement,
    actions: UiActions,
  ) {
    root.replaceChildren();
    root.classList.add('ra-panel');

    const toolbar = el('header', { className: 'toolbar' });
    const statusGroup = el('div', { className: 'status-group' });
    const dot = el('span', { className: 'state-dot' });
    dot.setAttribute('aria-hidden', 'true');
    this.status = el('span', { id: 'status', className: 'status' });
    this.status.setAttribute('role', 'status');
    this.status.setAttribute('aria-live', 'polite');
    this.code = el('span', { id: 'verification-code', className: 'verification' });
    this.codeValue = el('strong', { className: 'code-value' });
    this.codeLabel = el('span', {});
    this.codeSuffix = el('span', {});
    this.codeSuffix.textContent = ' — the host sees the same';
    this.code.append(this.codeLabel, this.codeValue, this.codeSuffix);
    this.code.hidden = true;
    const statusLine = el('span', { className: 'status-line' });
    statusLine.append(dot, this.status);
    statusGroup.append(statusLine, this.code);

    this.notice = el('span', { id: 'notice', className: 'notice' });
    this.notice.setAttribute('aria-live', 'polite');
    this.hint = el('span', { id: 'keyboard-hint', className: 'hint' });
    this.hint.hidden = true;

    const buttons = el('div', { className: 'actions' });
    this.actions = buttons;
    this.requestButton = button('request-control', 'Request Control', 'primary', () => actions.requestControl());
    this.releaseButton = button('release-control', 'Release Control', 'primary', () => actions.releaseControl());
    this.endButton = button('end-session', 'End Session', 'secondary', () => actions.end());
    // A toggle: pressed means physical keys. The leading glyph stands in for a codicon (no icon font is loaded).
    this.keyboardButton = button('keyboard-mode', '', 'secondary', () => actions.toggleKeyboardMode());
    this.keyboardButton.classList.add('toggle');
    this.setKeyboardMode('text');
    this.sendClipboardButton = button('send-clipboard', 'Send Clipboard', 'secondary', () => actions.sendClipboard());
    this.sendClipboardButton.title = 'Put the text on your clipboard on the host\'s clipboard (at most about 4,000 characters).';
    this.getClipboardButton = button('get-clipboard', 'Get Host Clipboard', 'secondary', () => actions.getClipboard());
    this.getClipboardButton.title = 'Ask the host for the text on their clipboard: they are asked each time.';
    buttons.append(this.keyboardButton, this.sendClipboardButton, this.getClipboardButton, this.requestButton, this.releaseButton, this.endButton);
    statusGroup.append(this.notice, this.hint);

    this.viewGroup = el('div', { id: 'view-controls', className: 'view-controls' });
    this.viewGroup.setAttribute('role', 'group');
    this.viewGroup.setAttribute('aria-label', 'View');
    const viewButton = (id: string, label: string, title: string, keys: string, command: ViewCommand) => {
      const node = button(id, label, 'secondary', () => actions.view(command));
      node.classList.add('small');
      node.title = `${title} (${keys.replace('Control', 'Ctrl')})`;
      node.setAttribute('aria-keyshortcuts', keys);
      return node;
    };
    this.fitButton = viewButton('view-fit', 'Fit', 'Fit the whole screen in the panel', 'Control+Alt+0', 'fit');
    this.actualButton = viewButton('view-actual', '1:1', 'One host pixel per pixel of your screen; scroll to pan', 'Control+Alt+1', 'actual');
    this.fitButton.classList.add('toggle');
    this.actualButton.classList.add('toggle');
    const zoomOutButton = viewButton('zoom-out', '−', 'Zoom out', 'Control+Alt+-', 'zoomOut');
    zoomOutButton.setAttribute('aria-label', 'Zoom out');
    const zoomInButton = viewButton('zoom-in', '+', 'Zoom in', 'Control+Alt+=', 'zoomIn');
    zoomInButton.setAttribute('aria-label', 'Zoom in');
    this.zoomLevel = el('output', { id: 'zoom-level', className: 'zoom-level' });
    this.zoomLevel.setAttribute('aria-label', 'Zoom');
    this.followButton = button('follow-pointer', 'Follow', 'secondary', () => actions.toggleFollow());
    this.followButton.classList.add('small', 'toggle');
    this.followButton.title = 'In 1:1 and zoom, scroll the view when the host\'s pointer nears its edge.';
    this.viewGroup.append(this.fitButton, this.actualButton, zoomOutButton, this.zoomLevel, zoomInButton, this.followButton);
    toolbar.append(statusGroup, this.viewGroup, buttons);

    // Heard after the input capture, which stops the keys it sends to the host (see the header).
    root.ownerDocument.addEventListener('keydown', (e) => {
      const command = viewShortcut(e);
      if (!command || this.viewGroup.hidden || typesText(e.target)) return;
      e.preventDefault();
      // VS Code binds Ctrl+Alt+- (Go Back) on Windows and Linux: while the panel has the keyboard, the panel's wins.
      e.stopPropagation();
      actions.view(command);
    });

    this.stage = el('main', { className: 'stage' });
    this.canvas = el('canvas', { id: 'screen' });
    this.pointerCanvas = el('canvas', { id: 'pointer' });
    this.pointerCanvas.setAttribute('aria-hidden', 'true');
    this.message = el('div', { id: 'message', className: 'message' });
    this.spinner = el('div', { className: 'spinner' });
    this.spinner.setAttribute('aria-hidden', 'true');
    this.messageTitle = el('h1', { className: 'message-title' });
    this.messageCode = el('p', { className: 'message-code' });
    this.messageDetail = el('p', { className: 'message-detail' });
    const card = el('div', { className: 'message-card' });
    card.append(this.spinner, this.messageTitle, this.messageCode, this.messageDetail);
    this.message.append(card);
    this.pausedOverlay = el('div', { id: 'paused', className: 'paused-overlay' });
    this.pausedOverlay.setAttribute('role', 'status');
    this.pausedOverlay.hidden = true;
    this.reconnectOverlay = el('div', { id: 'reconnecting', className: 'reconnect-overlay' });
    this.reconnectOverlay.setAttribute('role', 'status');
    this.reconnectOverlay.setAttribute('aria-live', 'polite');
    this.reconnectOverlay.hidden = true;
    this.viewport = el('div', { id: 'viewport', className: 'viewport' });
    this.surface = el('div', { className: 'surface' });
    this.surface.append(this.canvas, this.pointerCanvas);
    this.viewport.append(this.surface);
    this.stage.append(this.viewport, this.message, this.pausedOverlay, this.reconnectOverlay);

    this.body = el('div', { className: 'body' });
    this.body.append(this.stage);
    root.append(toolbar, this.body);
    this.render({ kind: 'idle' }, undefined);
  }

  /** Shown while connecting, before the host says who it is. */
  setExpectedHostName(name: string): void {
    this.expectedHostName = name.trim();
    this.render(this.state, this.verification);
  }

  setNotice(text: string): void {
    this.notice.textContent = text;
    this.notice.hidden = text === '';
  }

  /** The first frame is on the canvas. */
  setHasPicture(): void {
    this.hasPicture = true;
    this.render(this.state, this.verification);
  }

  /** The host paused sharing (or resumed): its name over a blank stage; the picture comes back whole on resume. */
  setPaused(paused: boolean): void {
    const host = 'hostName' in this.state ? this.state.hostName || 'the host' : 'the host';
    setText(this.pausedOverlay, paused ? `Paused by ${host}` : '');
    this.pausedOverlay.hidden = !paused;
    this.stage.classList.toggle('paused', paused);
  }

  /** Shows how keys travel now. */
  setKeyboardMode(mode: KeyboardMode): void {
    const physical = mode === 'physical';
    this.keyboardButton.textContent = physical ? '⌨ Physical keys' : '⌨ Text';
    this.keyboardButton.setAttribute('aria-pressed', String(physical));
    this.keyboardButton.title = physical
      ? 'Keys travel as positions: the host\'s layout decides what they type. Click to send what you type instead.'
      : 'What you type arrives as typed, whatever the host\'s layout. Click to send key positions instead.';
  }

  /** Shows the view mode, the zoom and whether the view follows the host's pointer. */
  showView(view: ViewState): void {
    this.fitButton.setAttribute('aria-pressed', String(view.mode.kind === 'fit'));
    this.actualButton.setAttribute('aria-pressed', String(view.mode.kind === 'actual'));
    const percent = Math.round(view.percent);
    setText(this.zoomLevel, `${percent} %`);
    this.zoomLevel.title = view.mode.kind === 'fit' ? `Fit: ${percent} % of 1:1` : describeMode(view.mode);
    this.followButton.setAttribute('aria-pressed', String(view.follow));
  }

  focusToolbar(): void {
    (this.releaseButton.hidden ? this.endButton : this.releaseButton).focus();
  }

  render(state: HelperState, verification: string | undefined): void {
    this.state = state;
    this.verification = verification;
    const kind = state.kind;
    const host = 'hostName' in state ? state.hostName || 'the host' : this.expectedHostName || 'the host';
    const final = kind === 'ended' || kind === 'failed';
    if (kind === 'waitingForConsent' || kind === 'viewing') this.reachedHost = true;
    const seeing = kind === 'viewing' || kind === 'requestingControl' || kind === 'controlling';
    // While reconnecting the last picture stays, under its overlay; the view buttons still work on it.
    const picture = seeing || kind === 'reconnecting';
    setText(this.reconnectOverlay, kind === 'reconnecting' ? `Connection to ${host} lost. Reconnecting…` : '');
    this.reconnectOverlay.hidden = kind !== 'reconnecting' || !this.hasPicture;
    this.stage.classList.toggle('reconnecting', kind === 'reconnecting');

    this.root.dataset['state'] = kind;
    this.stage.dataset['picture'] = String(this.hasPicture);
    setText(this.status, statusText(state, host));

    this.codeValue.textContent = verification ?? '';
    this.code.hidden = verification === undefined || final;
    // In full while the two people compare it; short once the picture is up, to leave room.
    setText(this.codeLabel, kind === 'waitingForConsent' ? 'Verification code: ' : 'Code ');
    this.codeSuffix.hidden = kind !== 'waitingForConsent';
    this.code.title = 'Verification code: the host sees the same';

    this.requestButton.hidden = !(kind === 'viewing' || kind === 'requestingControl');
    this.requestButton.disabled = kind !== 'viewing';
    setText(this.requestButton, kind === 'requestingControl' ? 'Requesting Control…' : 'Request Control');
    this.releaseButton.hidden = kind !== 'controlling';
    this.endButton.hidden = final;
    this.keyboardButton.hidden = !seeing;
    this.sendClipboardButton.hidden = kind !== 'controlling';
    this.getClipboardButton.hidden = !seeing;
    this.viewGroup.hidden = !picture;

    this.hint.hidden = kind !== 'controlling';
    setText(this.hint, 'Ctrl+Alt+Home: back to the toolbar');
    this.hint.title = `Mouse and keys go to ${host}. Press Ctrl+Alt+Home to move the keyboard back to this toolbar.`;
    if (final) this.setNotice('');

    this.canvas.setAttribute(
      'aria-label',
      kind === 'controlling' ? `${possessive(host)} screen. You control it: mouse and keys go to ${host}.` : `${possessive(host)} screen, view only.`,
    );

    // The centred message: everything but a live picture.
    const showMessage = !(picture && this.hasPicture);
    this.message.hidden = !showMessage;
    this.message.dataset['tone'] = kind === 'failed' ? 'error' : final ? 'ended' : 'busy';
    this.spinner.hidden = final;
    this.messageCode.hidden = true;
    if (!showMessage) return;
    switch (kind) {
      case 'idle':
      case 'connecting':
      case 'verifying':
        setText(this.messageTitle, statusText(state, host));
        setText(this.messageDetail, kind === 'verifying'
          ? 'Both sides are proving they hold the same invitation.'
          : `${capitalise(host)} must keep the invitation open in VS Code.`);
        return;
      case 'waitingForConsent':
        setText(this.messageTitle, statusText(state, host));
        this.messageCode.hidden = verification === undefined;
        setText(this.messageCode, verification ?? '');
        setText(this.messageDetail, `Verification code. ${capitalise(host)} sees the same code: compare it with them before they accept.`);
        return;
      case 'reconnecting':
        setText(this.messageTitle, statusText(state, host));
        setText(this.messageDetail, `The connection was cut. Reconnecting for up to ${RESUME_WINDOW_MS / 1000} seconds; control has to be asked for again.`);
        return;
      case 'viewing':
      case 'requestingControl':
      case 'controlling':
        setText(this.messageTitle, `Waiting for the first picture of ${possessive(host)} screen…`);
        setText(this.messageDetail, '');
        return;
      case 'ended':
        setText(this.messageTitle, 'Session ended');
        setText(this.messageDetail, state.message);
        return;
      case 'failed':
        setText(this.messageTitle, this.reachedHost ? 'The session failed' : 'Could not connect');
        setText(this.messageDetail, `${state.message} Close this panel to start again.`);
        return;
      default:
        assertNever(state);
    }
  }
}

function statusText(state: HelperState, host: string): string {
  switch (state.kind) {
    case 'idle':
      return 'Starting…';
    case 'connecting':
      return `Connecting to ${host}…`;
    case 'verifying':
      return `Checking the invitation with ${host}…`;
    case 'waitingForConsent':
      return `Waiting for ${host} to allow the connection…`;
    case 'viewing':
      return `Viewing ${possessive(host)} screen`;
    case 'requestingControl':
      return `Asking ${host} for control…`;
    case 'controlling':
      return `You control ${possessive(host)} screen`;
    case 'reconnecting':
      return `Reconnecting to ${host}…`;
    case 'ended':
    case 'failed':
      return state.message;
    default:
      return assertNever(state);
  }
}

function possessive(name: string): string {
  return `${name}'s`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Writes text only when it changed, so the aria-live region does not repeat itself. */
function setText(node: HTMLElement, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: { id?: string; className?: string }): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.id) node.id = props.id;
  if (props.className) node.className = props.className;
  return node;
}

/** A place that takes typed text (the context pane's search and chat): Ctrl+Alt there may be AltGr, typing. */
function typesText(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement) || target.classList.contains('keyboard-sink')) return false;
  return target.isContentEditable || target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
}

function button(id: string, label: string, kind: 'primary' | 'secondary', onClick: () => void): HTMLButtonElement {
  const node = el('button', { id, className: `button ${kind}` });
  node.type = 'button';
  node.textContent = label;
  node.addEventListener('click', onClick);
  return node;
}
