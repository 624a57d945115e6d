/**
 * Shared context on the wire (src/shared/context.ts) and its collectors' pure half (src/context/shape.ts): the
 * parser against hostile updates (deep nesting, huge arrays, prototype names, non-finite numbers, climbing paths),
 * chat text, remote URLs without credentials, terminal output without escapes, bounded variables.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OutputTail, TerminalHistory, collectVariables, dapException, dapFrames, problem, relativePath, stripAnsi } from '../../src/context/shape';
import { LIMITS, MAX_CHAT, chatText, isChatText, normalizeRemote, parseContextUpdate, parseSharing, type ContextUpdate } from '../../src/shared/context';
import { MAX_HOST_MESSAGE, decodeJson, parseHelperMessage, parseHostMessage } from '../../src/shared/protocol';

const location = { folder: 'app', path: 'src/main.ts', line: 10, column: 2, repo: { remote: 'github.com/org/app', commit: 'a'.repeat(40), pathInRepo: 'app/src/main.ts' } };
const GOOD: ContextUpdate[] = [
  { kind: 'editor', editor: null },
  { kind: 'editor', editor: { active: { ...location, selection: 'const x = <b>1</b>;\n\tif (a && b) [link](command:x)' }, visible: [{ folder: 'app', path: 'README.md', line: 1 }], problems: [{ severity: 'error', message: 'x is <never> used', line: 3, column: 1, source: 'ts' }] } },
  { kind: 'debug', debug: { sessions: [] } },
  {
    kind: 'debug',
    debug: {
      sessions: [
        {
          id: 's1',
          name: 'Launch',
          state: 'stopped',
          reason: 'exception',
          exception: 'TypeError: x is undefined',
          frames: [{ name: 'main', location }, { name: '<anonymous>' }],
          variables: [{ name: 'obj', value: '{…}', type: 'Object', children: [{ name: 'a', value: '1', children: [{ name: 'b', value: '2' }] }] }],
        },
      ],
    },
  },
  { kind: 'terminal', terminal: null },
  { kind: 'terminal', terminal: { name: 'bash', shellIntegration: true, commands: [{ command: 'npm test', exitCode: 1, output: 'FAIL\n' }, { command: 'ls', output: '' }] } },
];

describe('context updates: the parser', () => {
  it('rebuilds well-formed updates as they are, text untouched but for control characters', () => {
    for (const u of GOOD) assert.deepEqual(parseContextUpdate(JSON.parse(JSON.stringify(u))), u, JSON.stringify(u));
    for (const u of GOOD) assert.deepEqual(parseHostMessage(decodeJson(JSON.stringify({ type: 'context', update: u }), MAX_HOST_MESSAGE)), { type: 'context', update: u });
  });

  it('removes control characters (but \\n and \\t) from text, and line breaks and bidi controls from one-line fields', () => {
    const u = parseContextUpdate({ kind: 'terminal', terminal: { name: 'ba\nsh\u202e', shellIntegration: false, commands: [{ command: 'echo\u0007 hi', output: 'a\u001b[31mred\u0000\n\tb' }] } });
    assert.deepEqual(u, { kind: 'terminal', terminal: { name: 'ba sh ', shellIntegration: false, commands: [{ command: 'echo hi', output: 'a[31mred\n\tb' }] } });
  });

  it('cuts long strings to their bound, keeping the end of terminal output', () => {
    const u = parseContextUpdate({ kind: 'terminal', terminal: { name: 'n'.repeat(500), shellIntegration: true, commands: [{ command: 'c'.repeat(5000), output: `${'x'.repeat(20_000)}END` }] } });
    assert.ok(u && u.kind === 'terminal' && u.terminal);
    assert.equal(u.terminal.name.length, LIMITS.terminalName);
    assert.equal(u.terminal.commands[0]!.command.length, LIMITS.command);
    assert.equal(u.terminal.commands[0]!.output.length, LIMITS.output);
    assert.ok(u.terminal.commands[0]!.output.endsWith('END'));
  });

  it('refuses hostile updates', () => {
    const bad: unknown[] = [
      null, [], 'editor', { kind: 'toString' }, { kind: '__proto__' }, { kind: 'editor' }, { kind: 'debug', debug: null },
      { kind: 'debug', debug: { sessions: {} } },
      // Climbing, absolute, Windows paths.
      ...['../etc/passwd', 'a/../../b', '/etc/passwd', 'a\\..\\b', 'C:/x', 'a//b', './a', '', 'a\u0000b', 'x'.repeat(501)].map((path) => ({
        kind: 'editor',
        editor: { visible: [{ folder: 'f', path, line: 1 }], problems: [] },
      })),
      { kind: 'editor', editor: { visible: [{ ...location, repo: { pathInRepo: '../x' } }], problems: [] } },
      { kind: 'editor', editor: { visible: [{ ...location, repo: { pathInRepo: 'x', remote: 'https://user:token@github.com/x' } }], problems: [] } },
      { kind: 'editor', editor: { visible: [{ ...location, repo: { pathInRepo: 'x', commit: 'HEAD' } }], problems: [] } },
      // Non-finite and out-of-range numbers.
      ...[0, -1, 1.5, Infinity, NaN, 1e300, '1', null].map((line) => ({ kind: 'editor', editor: { visible: [{ folder: 'f', path: 'a', line }], problems: [] } })),
      { kind: 'terminal', terminal: { name: 't', shellIntegration: true, commands: [{ command: 'x', output: '', exitCode: 0.5 }] } },
      { kind: 'terminal', terminal: { name: 't', shellIntegration: 'yes', commands: [] } },
      // Huge arrays.
      { kind: 'editor', editor: { visible: [], problems: Array.from({ length: 51 }, () => ({ severity: 'error', message: 'm', line: 1, column: 1 })) } },
      { kind: 'terminal', terminal: { name: 't', shellIntegration: true, commands: Array.from({ length: 100_000 }, () => ({ command: 'x', output: '' })) } },
      { kind: 'debug', debug: { sessions: Array.from({ length: 6 }, (_, i) => ({ id: `${i}`, name: 'n', state: 'running', frames: [], variables: [] })) } },
      // Variables nested deeper than two levels below the top.
      { kind: 'debug', debug: { sessions: [{ id: 's', name: 'n', state: 'stopped', frames: [], variables: [nest(3)] }] } },
      { kind: 'debug', debug: { sessions: [{ id: 's', name: 'n', state: 'paused', frames: [], variables: [] }] } },
      { kind: 'editor', editor: { visible: [], problems: [{ severity: 'fatal', message: 'm', line: 1, column: 1 }] } },
    ];
    for (const b of bad) assert.equal(parseContextUpdate(b), undefined, JSON.stringify(b)?.slice(0, 200));
  });

  it('survives deep nesting and prototype names without copying them', () => {
    let deep: unknown = { name: 'v', value: '1' };
    for (let i = 0; i < 10_000; i++) deep = { name: 'v', value: '1', children: [deep] };
    assert.equal(parseContextUpdate({ kind: 'debug', debug: { sessions: [{ id: 's', name: 'n', state: 'stopped', frames: [], variables: [deep] }] } }), undefined);
    const text = `{"type":"context","update":${'['.repeat(30_000)}${']'.repeat(30_000)}}`;
    assert.equal(parseHostMessage(decodeJson(text, MAX_HOST_MESSAGE)), undefined);
    const polluted = JSON.parse('{"kind":"editor","__proto__":{"x":1},"constructor":2,"editor":{"visible":[],"problems":[],"__proto__":{"active":{"folder":"f","path":"a","line":1,"selection":"s"}}}}') as unknown;
    const u = parseContextUpdate(polluted);
    assert.deepEqual(u, { kind: 'editor', editor: { visible: [], problems: [] } });
    assert.equal(Object.getPrototypeOf(u), Object.prototype);
    assert.equal(parseSharing(JSON.parse('{"__proto__":{"editor":true},"debug":false,"terminal":false}')), undefined);
    assert.deepEqual(parseSharing({ editor: true, debug: false, terminal: true, extra: 1 }), { editor: true, debug: false, terminal: true });
    assert.equal(parseSharing({ editor: 1, debug: false, terminal: false }), undefined);
  });

  it('host messages up to 64 KiB are read with MAX_HOST_MESSAGE, never over; the helper still gets 4 KiB', () => {
    const big = JSON.stringify({ type: 'chat', text: 'x'.repeat(10) }).padEnd(60_000, ' ');
    assert.deepEqual(parseHostMessage(decodeJson(big, MAX_HOST_MESSAGE)), { type: 'chat', text: 'x'.repeat(10) });
    assert.equal(decodeJson(big), undefined);
    assert.equal(decodeJson(' '.repeat(MAX_HOST_MESSAGE + 1) + '{}', MAX_HOST_MESSAGE), undefined);
  });
});

function nest(levels: number): unknown {
  return levels === 0 ? { name: 'v', value: '1' } : { name: 'v', value: '1', children: [nest(levels - 1)] };
}

describe('chat text', () => {
  it('is 1 to MAX_CHAT code units with no control character but a line break, both ways', () => {
    assert.ok(isChatText('hi\nthere'));
    assert.ok(isChatText('x'.repeat(MAX_CHAT)));
    for (const bad of ['', 'x'.repeat(MAX_CHAT + 1), 'a\tb', 'a\r\nb', '\u0000', '\u001b[2J', 'a\ud800', '\u2028', 5, null]) {
      assert.equal(isChatText(bad), false, JSON.stringify(bad));
      assert.equal(parseHelperMessage({ type: 'chat', text: bad }), undefined);
      assert.equal(parseHostMessage({ type: 'chat', text: bad }), undefined);
    }
    assert.equal(chatText('  a\r\nb\u0007\t  '), 'a\nb');
    assert.equal(chatText('😀'.repeat(MAX_CHAT)).length, MAX_CHAT);
    assert.ok(isChatText(chatText('😀'.repeat(MAX_CHAT))));
  });
});

describe('remote URLs', () => {
  it('lose scheme, user and credentials, and compare equal across forms', () => {
    for (const url of ['https://user:ghp_secret@github.com/Org/app.git', 'git@github.com:Org/app.git', 'ssh://git@github.com/Org/app', 'https://GitHub.com/Org/app/', 'https://github.com:443/Org/app.git']) {
      assert.equal(normalizeRemote(url), 'github.com/Org/app', url);
    }
    assert.equal(normalizeRemote('https://oauth2:tok@gitlab.example.com:8443/group/sub/proj.git?x=1#y'), 'gitlab.example.com:8443/group/sub/proj');
    for (const url of ['/projects/repo', 'C:\\repos\\x', 'c:/repos/x', 'file:///srv/git/x.git', '../other', 'https://github.com/a/../b', 'https://github.com/a b', '']) {
      assert.equal(normalizeRemote(url), undefined, url);
    }
    assert.ok(!normalizeRemote('https://x:SECRET@host.example/p')!.includes('SECRET'));
  });
});

describe('collectors: pure parts', () => {
  it('strip ANSI escapes, OSC titles, shell integration marks and redrawn lines from terminal output', () => {
    assert.equal(stripAnsi('\u001b[1;31mError\u001b[0m: bad\r\n'), 'Error: bad\n');
    assert.equal(stripAnsi('\u001b]0;title\u0007\u001b]633;C\u0007ok'), 'ok');
    assert.equal(stripAnsi('10%\r50%\r100%\ndone'), '100%\ndone');
    assert.equal(stripAnsi('\u001b(Bplain\u001b7\u0008x'), 'plainx');
  });

  it('keep the last part of long output and the newest ten commands', () => {
    const tail = new OutputTail();
    for (let i = 0; i < 10_000; i++) tail.push(`line ${i}\u001b[K\n`);
    const text = tail.text();
    assert.ok(text.length <= LIMITS.output);
    assert.ok(text.endsWith('line 9999\n'));
    assert.ok(!text.includes('\u001b'));
    const history = new TerminalHistory();
    for (let i = 0; i < 15; i++) history.start(`cmd ${i}`).end(i);
    const commands = history.commands();
    assert.equal(commands.length, LIMITS.commands);
    assert.deepEqual(commands.at(-1), { command: 'cmd 14', exitCode: 14, output: '' });
  });

  it('make paths relative to their folder, and refuse what climbs out', () => {
    assert.equal(relativePath('/projects/app', '/projects/app/src/a.ts'), 'src/a.ts');
    assert.equal(relativePath('/projects/app/', '/projects/app/src/a.ts'), 'src/a.ts');
    assert.equal(relativePath('/projects/app', '/projects/apple/x.ts'), undefined);
    assert.equal(relativePath('/projects/app', '/projects/app/../secret'), undefined);
    assert.equal(relativePath('/c:/projects', '/c:/projects/a/b.ts'), 'a/b.ts');
  });

  it('bound diagnostics, frames, variables and exceptions from outside', async () => {
    assert.deepEqual(problem({ severity: 1, message: 'm'.repeat(2000), line: 0, character: 4, source: 's'.repeat(80) }), { severity: 'warning', message: 'm'.repeat(500), line: 1, column: 5, source: 's'.repeat(50) });
    const frames = dapFrames({ stackFrames: Array.from({ length: 100 }, (_, i) => ({ id: i, name: `f${i}`, line: 3, column: 0, source: { path: '/w/a.ts' } })) }, (path, line, column) => ({ folder: 'w', path: path.slice(3), line, ...(column ? { column } : {}) }));
    assert.equal(frames.length, LIMITS.frames);
    assert.deepEqual(frames[0], { id: 0, frame: { name: 'f0', location: { folder: 'w', path: 'a.ts', line: 3 } } });
    assert.deepEqual(dapFrames({ stackFrames: 'nope' }, () => undefined), []);
    let requests = 0;
    // Every variable expands into 1000 more: the budget of requests and the bounds hold.
    const vars = await collectVariables([1], async (ref) => {
      requests++;
      return { variables: Array.from({ length: 1000 }, (_, i) => ({ name: `v${ref}.${i}`, value: 'x'.repeat(1000), variablesReference: ref * 1000 + i + 1 })) };
    });
    assert.ok(requests <= 25, `${requests} requests`);
    assert.equal(vars.length, LIMITS.variables);
    const depth = (v: { children?: readonly unknown[] }): number => (v.children?.length ? 1 + Math.max(...(v.children as { children?: readonly unknown[] }[]).map(depth)) : 0);
    assert.ok(Math.max(...vars.map(depth)) <= LIMITS.variableDepth);
    assert.ok(vars.every((v) => v.value.length <= LIMITS.variableValue && (v.children?.length ?? 0) <= LIMITS.children));
    const parsed = parseContextUpdate({ kind: 'debug', debug: { sessions: [{ id: 's', name: 'n', state: 'stopped', frames: frames.map((f) => f.frame), variables: vars }] } });
    assert.ok(parsed, 'what the collectors make, the parser takes');
    assert.equal(dapException({ exceptionId: 'TypeError', description: 'boom', details: { message: 'boom', stackTrace: 'at x'.repeat(1000) } })!.length, LIMITS.exception);
    assert.equal(dapException(null), undefined);
  });
});
