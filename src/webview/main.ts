/**
 * The helper's panel: wires the extension bridge, the session, the display, the input capture and the toolbar
 * together.
 * Says `ready` once it listens; the extension then sends `connect`, once.
 */

import type { ToPanel } from '../shared/panelProtocol';
import { assertNever } from '../shared/protocol';
import type { HelperState } from '../shared/stateMachine';
import { MAX_COPY } from '../shared/panelProtocol';
import { ExtensionBridge } from './bridge';
import { ClipboardRequests, outgoingClipboard, refusalNotice, type ClipboardReply } from './clipboard';
import { ContextPane } from './contextPane';
import { Display, ScreenView } from './display';
import { HelperSession } from './helperSession';
import { InputCapture } from './input';
import { LaserPointer } from './laser';
import { MonitorMenu, monitorRefusalNotice } from './monitorMenu';
import { PanelUi } from './ui';

function main(): void {
  const bridge = new ExtensionBridge();
  window.addEventListener('error', (e) => bridge.log('error', `[panel] ${e.message} (${e.filename}:${e.lineno})`));
  window.addEventListener('unhandledrejection', (e) => bridge.log('error', `[panel] unhandled rejection: ${String(e.reason)}`));

  let root = document.getElementById('app');
  if (!root) {
    root = document.createElement('div');
    root.id = 'app';
    document.body.append(root);
  }

  let session: HelperSession | undefined;
  let endedEarly = false;
  let lastKind: HelperState['kind'] = 'idle';
  let hostName = 'the host';
  const clipboardRequests = new ClipboardRequests();

  const ui = new PanelUi(root, {
    requestControl: () => session?.requestControl(),
    releaseControl: () => session?.releaseControl(),
    end: () => end(),
    toggleKeyboardMode: () => {
      const mode = input.keyboardMode === 'text' ? 'physical' : 'text';
      input.setKeyboardMode(mode);
      ui.setKeyboardMode(mode);
      bridge.log('info', `[panel] keys travel as ${mode === 'text' ? 'text' : 'physical keys'} now`);
      // The toggle took the focus: give the keyboard back to the remote screen.
      if (lastKind === 'controlling') input.focus();
    },
    // The extension reads the clipboard only now, and answers with clipboardText.
    sendClipboard: () => bridge.post({ type: 'readClipboard' }),
    getClipboard: () => {
      if (!session || !clipboardRequests.ask()) return;
      if (session.sendRequest({ type: 'clipboardRequest' })) ui.setNotice(`Asking ${hostName} for their clipboard text…`);
      else clipboardRequests.reset();
    },
    view: (command) => {
      view.run(command);
      bridge.log('info', `[panel] view: ${command}, ${Math.round(view.state.percent)} %`);
    },
    toggleFollow: () => view.setFollow(!view.state.follow),
  });
  const view = new ScreenView(ui.viewport, ui.surface, (state) => ui.showView(state));
  ui.showView(view.state);
  const display = new Display(ui.canvas, {
    frameDone: (id) => session?.ackFrame(id),
    firstFrame: () => ui.setHasPicture(),
    lostPicture: () => session?.requestRefresh(),
    log: (level, message) => bridge.log(level, message),
  }, ui.pointerCanvas, view);
  const pane = new ContextPane(ui.body, {
    openHere: (location) => bridge.post({ type: 'openHere', location }),
    // The extension refuses more than MAX_COPY: the head of a longer text is better than nothing.
    copy: (text) => bridge.post({ type: 'copy', text: text.slice(0, MAX_COPY) }),
    sendChat: (text) => session?.sendChat(text) ?? false,
    chatCounted: (direction) => bridge.post({ type: 'chatCount', direction }),
  }, (message) => bridge.log('warn', message));
  ui.actions.prepend(pane.toggle);
  const laser = new LaserPointer(ui.canvas, () => display.screenSize, (at) => session?.sendLaser(at), (message) => bridge.log('info', message));
  ui.actions.prepend(laser.toggle);
  const monitorMenu = new MonitorMenu(document, {
    ask: (name) => {
      if (session?.sendRequest({ type: 'monitorRequest', name })) ui.setNotice(`Asking ${hostName} to show ${name}…`);
    },
  });
  ui.actions.prepend(monitorMenu.element);
  const input = new InputCapture(ui.canvas, {
    sendInput: (message) => session?.sendInput(message),
    leaveKeyboard: () => ui.focusToolbar(),
  }, () => display.screenSize);

  const showState = (state: HelperState, code: string | undefined) => {
    const wasControlling = lastKind === 'controlling';
    lastKind = state.kind;
    if ('hostName' in state && state.hostName) hostName = state.hostName;
    if (state.kind === 'ended' || state.kind === 'failed') clipboardRequests.reset();
    display.setControlling(state.kind === 'controlling');
    input.setControlling(state.kind === 'controlling');
    ui.render(state, code);
    pane.setState(state);
    laser.setState(state);
    monitorMenu.setSeeing(state.kind === 'viewing' || state.kind === 'requestingControl' || state.kind === 'controlling');
    // Control just arrived: put the keyboard on the remote screen, unless the person is elsewhere.
    if (state.kind === 'controlling' && !wasControlling && (document.activeElement === document.body || document.activeElement?.tagName === 'BUTTON')) {
      input.focus();
    }
    bridge.post(code === undefined ? { type: 'state', state } : { type: 'state', state, verificationCode: code });
  };

  function end(): void {
    if (session) {
      session.end();
    } else if (!endedEarly) {
      endedEarly = true;
      showState({ kind: 'ended', message: 'You ended the session.', reason: 'helperEnded', by: 'local' }, undefined);
    }
  }

  /** The helper's clipboard text, read by the extension: to the host if it fits and control is still ours. */
  function sendClipboard(text: string): void {
    const out = outgoingClipboard(text);
    if (!out.ok) {
      ui.setNotice(out.reason === 'empty' ? 'Your clipboard has no text to send.' : 'Your clipboard text is too large to send (at most about 4,000 characters).');
      return;
    }
    if (!session?.sendRequest(out.message)) {
      ui.setNotice('Clipboard text goes to the host only while you have control.');
      return;
    }
    const characters = out.message.text.length;
    bridge.post({ type: 'clipboardSent', characters });
    ui.setNotice(`Sent ${characters} characters to ${hostName}'s clipboard.`);
  }

  /** The host answered: only a request this panel made is taken (see clipboard.ts). */
  function onClipboard(reply: ClipboardReply): void {
    if (!clipboardRequests.answer()) {
      bridge.log('warn', `[panel] dropped a ${reply.type} from the host that answers no request`);
      return;
    }
    if (reply.type === 'clipboardRefused') return ui.setNotice(refusalNotice(reply.reason, hostName));
    bridge.post({ type: 'hostClipboard', text: reply.text });
    ui.setNotice(`${hostName}'s clipboard text is on your clipboard (${reply.text.length} characters).`);
  }

  function onMessage(message: ToPanel): void {
    switch (message.type) {
      case 'connect': {
        if (session || endedEarly) {
          bridge.log('warn', '[panel] connect ignored: this panel already has a session');
          return;
        }
        ui.setExpectedHostName(message.expectedHostName);
        input.setKeyboardMode(message.keyboardMode);
        ui.setKeyboardMode(message.keyboardMode);
        session = new HelperSession(message, {
          onState: showState,
          onNotice: (text) => ui.setNotice(text),
          onViewGranted: (width, height, changesOnly) => {
            display.setScreenSize(width, height);
            // The picture was lost after the resume asked only for changes (its request for the whole screen went
            // into the cut): ask again, or the changes would have nothing to apply to.
            if (changesOnly && !display.holdsPicture) session?.requestRefresh();
          },
          onFrame: (frame) => display.present(frame),
          holdsPicture: () => display.holdsPicture,
          onSharing: (sharing) => pane.setSharing(sharing),
          onContext: (update) => pane.update(update),
          onChat: (text) => pane.receiveChat(text),
          onClipboard,
          onPaused: (paused) => ui.setPaused(paused),
          onLaser: (mode) => laser.setMode(mode),
          onMonitors: (m) => {
            const notice = m.type === 'monitors' ? monitorMenu.setMonitors(m.monitors, m.shared) : monitorRefusalNotice(m.reason, hostName);
            if (notice !== undefined) ui.setNotice(notice);
          },
          log: (level, text) => bridge.log(level, text),
        });
        session.start();
        return;
      }
      case 'requestControl':
        session?.requestControl();
        return;
      case 'releaseControl':
        session?.releaseControl();
        return;
      case 'end':
        end();
        return;
      case 'clipboardText':
        sendClipboard(message.text);
        return;
      default:
        assertNever(message);
    }
  }

  bridge.onMessage(onMessage, (data) => {
    const type = typeof data === 'object' && data !== null && 'type' in data ? String((data as { type: unknown }).type) : typeof data;
    bridge.log('warn', `[panel] malformed message from the extension (${type}) ignored`);
  });

  // Closing the panel must reach the host at once (a bye, then closed connections), not after its
  // silence timeout.
  const leave = () => {
    session?.dispose();
    display.dispose();
    view.dispose();
    input.dispose();
    pane.dispose();
    laser.dispose();
  };
  window.addEventListener('pagehide', leave);
  window.addEventListener('beforeunload', leave);

  bridge.post({ type: 'ready' });
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', main, { once: true });
else main();
