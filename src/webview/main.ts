/**
 * The helper's panel: wires the extension bridge, the session, the viewer and the toolbar together.
 * Says `ready` once it listens; the extension then sends `connect`, once.
 */

import type { ToPanel } from '../shared/panelProtocol';
import { assertNever } from '../shared/protocol';
import type { HelperState } from '../shared/stateMachine';
import { ExtensionBridge } from './bridge';
import { HelperSession } from './helperSession';
import { PanelUi } from './ui';
import { Viewer } from './viewer';

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

  const ui = new PanelUi(root, {
    requestControl: () => session?.requestControl(),
    releaseControl: () => session?.releaseControl(),
    end: () => end(),
  });
  const viewer = new Viewer(ui.canvas, {
    sendInput: (message) => session?.sendInput(message),
    frameDone: (id) => session?.ackFrame(id),
    firstFrame: () => ui.setHasPicture(),
    lostPicture: () => session?.requestRefresh(),
    leaveKeyboard: () => ui.focusToolbar(),
    log: (level, message) => bridge.log(level, message),
  }, ui.pointerCanvas);

  const showState = (state: HelperState, code: string | undefined) => {
    const wasControlling = lastKind === 'controlling';
    lastKind = state.kind;
    viewer.setControlling(state.kind === 'controlling');
    ui.render(state, code);
    // Control just arrived: put the keyboard on the remote screen, unless the person is elsewhere.
    if (state.kind === 'controlling' && !wasControlling && (document.activeElement === document.body || document.activeElement?.tagName === 'BUTTON')) {
      viewer.focus();
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

  function onMessage(message: ToPanel): void {
    switch (message.type) {
      case 'connect': {
        if (session || endedEarly) {
          bridge.log('warn', '[panel] connect ignored: this panel already has a session');
          return;
        }
        ui.setExpectedHostName(message.expectedHostName);
        session = new HelperSession(message, {
          onState: showState,
          onNotice: (text) => ui.setNotice(text),
          onViewGranted: (width, height) => viewer.setScreenSize(width, height),
          onFrame: (frame) => viewer.present(frame),
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
    viewer.dispose();
  };
  window.addEventListener('pagehide', leave);
  window.addEventListener('beforeunload', leave);

  bridge.post({ type: 'ready' });
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', main, { once: true });
else main();
