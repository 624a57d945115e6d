import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { checkDisplay, missingDisplayMessage, parseDisplay, waylandSessionWarning } from '../../src/agent/display';

describe('parseDisplay', () => {
  it('reads local displays as the socket in /tmp/.X11-unix', () => {
    assert.deepEqual(parseDisplay(':99'), { kind: 'unix', display: 99, screen: 0, path: '/tmp/.X11-unix/X99', tcpFallback: true });
    assert.deepEqual(parseDisplay(':0.1'), { kind: 'unix', display: 0, screen: 1, path: '/tmp/.X11-unix/X0', tcpFallback: true });
    assert.deepEqual(parseDisplay(' :1 '), { kind: 'unix', display: 1, screen: 0, path: '/tmp/.X11-unix/X1', tcpFallback: true });
  });

  it('reads unix:N and unix/:N as local, without the TCP fallback', () => {
    assert.deepEqual(parseDisplay('unix:0'), { kind: 'unix', display: 0, screen: 0, path: '/tmp/.X11-unix/X0', tcpFallback: false });
    assert.deepEqual(parseDisplay('unix/:3.0'), { kind: 'unix', display: 3, screen: 0, path: '/tmp/.X11-unix/X3', tcpFallback: false });
    assert.deepEqual(parseDisplay('unix/somehost:2'), { kind: 'unix', display: 2, screen: 0, path: '/tmp/.X11-unix/X2', tcpFallback: false });
  });

  it('reads a host as TCP on port 6000 + N', () => {
    assert.deepEqual(parseDisplay('host:1'), { kind: 'tcp', host: 'host', port: 6001, display: 1, screen: 0 });
    assert.deepEqual(parseDisplay('localhost:10.0'), { kind: 'tcp', host: 'localhost', port: 6010, display: 10, screen: 0 });
    assert.deepEqual(parseDisplay('10.0.0.5:0'), { kind: 'tcp', host: '10.0.0.5', port: 6000, display: 0, screen: 0 });
    assert.deepEqual(parseDisplay('tcp/host:2.1'), { kind: 'tcp', host: 'host', port: 6002, display: 2, screen: 1 });
    assert.deepEqual(parseDisplay('tcp/:4'), { kind: 'tcp', host: 'localhost', port: 6004, display: 4, screen: 0 });
  });

  it('reads IPv6 hosts, bracketed or not', () => {
    assert.deepEqual(parseDisplay('[::1]:0'), { kind: 'tcp', host: '::1', port: 6000, display: 0, screen: 0 });
    assert.deepEqual(parseDisplay('::1:3'), { kind: 'tcp', host: '::1', port: 6003, display: 3, screen: 0 });
  });

  it('refuses what libxcb refuses', () => {
    for (const bad of ['', '0', ':', ':x', ':1.', ':1.x', ':-1', 'host', 'host:', ':1 2', 'decnet/host:0', ':60000']) {
      assert.equal(parseDisplay(bad), undefined, JSON.stringify(bad));
    }
  });
});

describe('missingDisplayMessage', () => {
  it('is silent when DISPLAY is set', () => {
    assert.equal(missingDisplayMessage({ DISPLAY: ':0' }), undefined);
    assert.equal(missingDisplayMessage({ DISPLAY: ':0', WAYLAND_DISPLAY: 'wayland-0' }), undefined);
  });

  it('names Wayland when only WAYLAND_DISPLAY is set', () => {
    assert.match(missingDisplayMessage({ WAYLAND_DISPLAY: 'wayland-0' }) ?? '', /Wayland.*XWayland/s);
  });

  it('names DISPLAY when nothing is set', () => {
    assert.match(missingDisplayMessage({}) ?? '', /DISPLAY environment variable is not set/);
    assert.match(missingDisplayMessage({ DISPLAY: '  ' }) ?? '', /DISPLAY environment variable is not set/);
  });
});

describe('checkDisplay', () => {
  it('says yes on Windows and macOS whatever the environment', async () => {
    assert.deepEqual(await checkDisplay({}, 'win32'), { ok: true });
    assert.deepEqual(await checkDisplay({}, 'darwin'), { ok: true });
  });

  it('explains a missing or malformed DISPLAY on Linux', async () => {
    const none = await checkDisplay({}, 'linux');
    assert.equal(none.ok, false);
    const bad = await checkDisplay({ DISPLAY: 'nonsense' }, 'linux');
    assert.ok(!bad.ok && /not an X display name/.test(bad.message), JSON.stringify(bad));
  });

  it('reports a display nobody listens on, quickly', async () => {
    const started = Date.now();
    // unix:N skips the TCP fallback; X999 is no server's socket.
    const result = await checkDisplay({ DISPLAY: 'unix:999' }, 'linux');
    assert.ok(!result.ok && result.message.includes('Cannot connect to the X display "unix:999"'), JSON.stringify(result));
    assert.ok(Date.now() - started < 2500);
  });
});

describe('waylandSessionWarning', () => {
  it('warns that only X11 (XWayland) windows are shared in a Wayland session with XWayland', () => {
    for (const env of [
      { DISPLAY: ':0', XDG_SESSION_TYPE: 'wayland' },
      { DISPLAY: ':0', WAYLAND_DISPLAY: 'wayland-0' },
      { DISPLAY: ':1', XDG_SESSION_TYPE: 'Wayland', WAYLAND_DISPLAY: 'wayland-1' },
    ]) {
      assert.match(waylandSessionWarning(env) ?? '', /Wayland session.*only X11 \(XWayland\) windows will be seen and controlled/s, JSON.stringify(env));
    }
  });

  it('is silent in an X11 session, even with a stray WAYLAND_DISPLAY', () => {
    assert.equal(waylandSessionWarning({ DISPLAY: ':0' }), undefined);
    assert.equal(waylandSessionWarning({ DISPLAY: ':0', XDG_SESSION_TYPE: 'x11' }), undefined);
    assert.equal(waylandSessionWarning({ DISPLAY: ':0', XDG_SESSION_TYPE: 'x11', WAYLAND_DISPLAY: 'wayland-0' }), undefined);
    assert.equal(waylandSessionWarning({ DISPLAY: ':0', XDG_SESSION_TYPE: 'tty', WAYLAND_DISPLAY: '' }), undefined);
  });

  it('leaves a session without DISPLAY to missingDisplayMessage', () => {
    assert.equal(waylandSessionWarning({ WAYLAND_DISPLAY: 'wayland-0', XDG_SESSION_TYPE: 'wayland' }), undefined);
    assert.equal(waylandSessionWarning({ DISPLAY: ' ', XDG_SESSION_TYPE: 'wayland' }), undefined);
  });
});
