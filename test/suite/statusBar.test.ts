/// <reference types="mocha" />
/**
 * What the status-bar item shows for every session state (`lookFor` is pure; the item renders nothing else).
 * Runs in the extension host because src/statusBar.ts imports `vscode`.
 */

import assert from 'node:assert/strict';
import { lookFor } from '../../src/statusBar';
import { HELPER_TRANSITIONS, HOST_TRANSITIONS, type HelperState, type HostState } from '../../src/shared/stateMachine';

/** One state of each kind: the mapped types make the compiler insist on every kind. */
const hostStates: { [K in HostState['kind']]: Extract<HostState, { kind: K }> } = {
  idle: { kind: 'idle' },
  starting: { kind: 'starting' },
  awaiting: { kind: 'awaiting', code: 'ABCDE-FGHIJ', expiresAt: new Date(Date.now() + 30 * 60_000) },
  verifying: { kind: 'verifying', helperName: 'Grace' },
  asking: { kind: 'asking', helperName: 'Grace' },
  viewing: { kind: 'viewing', helperName: 'Grace' },
  controlled: { kind: 'controlled', helperName: 'Grace' },
  reconnecting: { kind: 'reconnecting', helperName: 'Grace' },
  ended: { kind: 'ended', message: 'You ended the session.', reason: 'hostEnded', by: 'local' },
  failed: { kind: 'failed', message: 'The signaling server did not answer.', reason: 'startFailed', by: 'local' },
};

const helperStates: { [K in HelperState['kind']]: Extract<HelperState, { kind: K }> } = {
  idle: { kind: 'idle' },
  connecting: { kind: 'connecting' },
  verifying: { kind: 'verifying' },
  waitingForConsent: { kind: 'waitingForConsent', hostName: 'Ada' },
  viewing: { kind: 'viewing', hostName: 'Ada' },
  requestingControl: { kind: 'requestingControl', hostName: 'Ada' },
  controlling: { kind: 'controlling', hostName: 'Ada' },
  reconnecting: { kind: 'reconnecting', hostName: 'Ada' },
  ended: { kind: 'ended', message: 'Ada ended the session.', reason: 'hostEnded', by: 'remote' },
  failed: { kind: 'failed', message: 'The host is not reachable.', reason: 'connectFailed', by: 'local' },
};

const IDLE = lookFor({ host: undefined, helper: undefined });

describe('status bar: lookFor', () => {
  it('knows every state kind of the state machines', () => {
    assert.deepEqual(Object.keys(hostStates).sort(), Object.keys(HOST_TRANSITIONS).sort());
    assert.deepEqual(Object.keys(helperStates).sort(), Object.keys(HELPER_TRANSITIONS).sort());
  });

  it('with no session shows "Remote Assist", and the same for idle sessions', () => {
    assert.equal(IDLE.text, '$(remote-explorer) Remote Assist');
    assert.equal(IDLE.background, undefined);
    assert.deepEqual(lookFor({ host: hostStates.idle, helper: helperStates.idle }), IDLE);
  });

  for (const [side, states, nameKey, name] of [
    ['host', hostStates, 'helperName', 'Grace'],
    ['helper', helperStates, 'hostName', 'Ada'],
  ] as const) {
    for (const state of Object.values(states)) {
      if (state.kind === 'idle') continue;
      it(`${side} ${state.kind}: an icon, words, a tooltip${nameKey in state ? `, and ${name}'s name` : ''}`, () => {
        const look = side === 'host' ? lookFor({ host: state as HostState, helper: undefined }) : lookFor({ host: undefined, helper: state as HelperState });
        assert.match(look.text, /^\$\([\w~-]+\) \S/);
        assert.notEqual(look.text, IDLE.text);
        assert.ok(look.tooltip.length > 0);
        if (nameKey in state) assert.ok(look.text.includes(name) || look.tooltip.includes(name), `${look.text} / ${look.tooltip}`);
        if ('message' in state) assert.equal(look.tooltip, state.message);
      });
    }
  }

  it('each host state looks different, and so does each helper state', () => {
    const hostTexts = Object.values(hostStates).map((host) => lookFor({ host, helper: undefined }).text);
    const helperTexts = Object.values(helperStates).map((helper) => lookFor({ host: undefined, helper }).text);
    for (const texts of [hostTexts, helperTexts]) assert.equal(new Set(texts).size, texts.length, texts.join(' | '));
  });

  it('warns while someone sees the screen and alarms while someone controls it', () => {
    const bg = (host: HostState) => lookFor({ host, helper: undefined }).background;
    assert.equal(bg(hostStates.asking), 'warning');
    assert.equal(bg(hostStates.viewing), 'warning');
    assert.equal(bg(hostStates.controlled), 'error');
    assert.equal(bg(hostStates.failed), 'error');
    assert.equal(bg(hostStates.awaiting), undefined);
    const helperBg = (helper: HelperState) => lookFor({ host: undefined, helper }).background;
    assert.equal(helperBg(helperStates.controlling), 'warning');
    assert.equal(helperBg(helperStates.viewing), undefined);
    assert.equal(helperBg(helperStates.failed), 'error');
  });

  it('shows the host side when both sides are in a session', () => {
    assert.deepEqual(lookFor({ host: hostStates.controlled, helper: helperStates.viewing }), lookFor({ host: hostStates.controlled, helper: undefined }));
  });

  it('shows the helper side when the host side is idle', () => {
    assert.deepEqual(lookFor({ host: hostStates.idle, helper: helperStates.viewing }), lookFor({ host: undefined, helper: helperStates.viewing }));
  });

  // HostController keeps its last session, so after hosting once the host state stays 'ended' or 'failed'.
  it('shows an active helper session over a finished host session', () => {
    for (const host of [hostStates.ended, hostStates.failed]) {
      assert.deepEqual(lookFor({ host, helper: helperStates.viewing }), lookFor({ host: undefined, helper: helperStates.viewing }));
    }
  });

  it('when neither side is active, shows the final state of the side that changed last', () => {
    const both = { host: hostStates.ended, helper: helperStates.failed };
    assert.deepEqual(lookFor({ ...both, recent: 'helper' }), lookFor({ host: undefined, helper: helperStates.failed }));
    assert.deepEqual(lookFor({ ...both, recent: 'host' }), lookFor({ host: hostStates.ended, helper: undefined }));
  });
});
