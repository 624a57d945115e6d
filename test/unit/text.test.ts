/** src/text.ts: text from outside on its way into notifications, the status bar and Markdown tooltips. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { markdownText, plainText, statusBarText } from '../../src/text';

/** VS Code's notification link syntax (src/vs/base/common/linkedText.ts `LINK_REGEX`), which honours no escapes. */
const NOTIFICATION_LINK = /\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^)\s]+)(?: (["'])(.+?)(\3))?\)/i;
/** An unescaped `$(icon)` as the status bar renders it. */
const ICON = /(?<!\\)\$\([A-Za-z0-9-]+(?:~[A-Za-z]+)?\)/;

const HOSTILE = [
  '[Retry](command:workbench.action.quit)',
  '\\[Retry\\](command:workbench.action.quit)',
  '[Open](https://evil.example)',
  '[x](file:///etc/passwd "t")',
  '$(alert) Your session was hijacked',
  'Ada\n\nSecond line\u202E\u2066 \u0007bell',
  '<a href="command:x">x</a> ![img](https://evil.example/i.png)',
];

describe('plainText (notifications, modal text, titles)', () => {
  it('leaves no link, no line break, no bidi or control character', () => {
    for (const text of HOSTILE) {
      const out = plainText(text);
      assert.doesNotMatch(out, NOTIFICATION_LINK, out);
      assert.doesNotMatch(out, /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u, out);
    }
    assert.equal(plainText('[Retry](command:workbench.action.quit)'), '(Retry)(command:workbench.action.quit)');
  });

  it('leaves ordinary names alone and bounds long ones', () => {
    assert.equal(plainText('Ada Lovelace (laptop)'), 'Ada Lovelace (laptop)');
    const long = plainText('x'.repeat(1000), 100);
    assert.equal(long.length, 100);
    assert.ok(long.endsWith('…'));
  });
});

describe('statusBarText', () => {
  it('shows $(…) as written, not as an icon', () => {
    assert.equal(statusBarText('$(alert) Ada'), '\\$(alert) Ada');
    for (const text of HOSTILE) assert.doesNotMatch(statusBarText(text), ICON);
  });
});

describe('markdownText (MarkdownString tooltips)', () => {
  it('escapes every character that starts Markdown, HTML, a link or an icon', () => {
    for (const text of HOSTILE) {
      const out = markdownText(text);
      assert.doesNotMatch(out, /(?<!\\)[[\]()<>`*_!]/, out);
      assert.doesNotMatch(out, /(?<!\\)\$\(/, out);
    }
    assert.equal(markdownText('[a](command:x)'), '\\[a\\]\\(command\\:x\\)');
    assert.equal(markdownText('$(alert)'), '\\\\$\\(alert\\)');
  });
});
