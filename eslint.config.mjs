// @ts-check
// ESLint (`npm run lint`): typescript-eslint's recommended rules, without type information so that it stays fast,
// and the process boundaries of the layout, which a reviewer should not have to check by eye:
//   src/agent    the screen agent, a child process: no vscode, nothing of the extension host (src/host, src/*.ts)
//                and nothing of the webview; the host side reaches it through src/agent/contract.ts only;
//   src/shared   pure code compiled for Node and for the browser: imports only src/shared;
//   src/webview  browser code: no Node built-in, no vscode, nothing of the extension host or the agent;
//   src/host     the host side of the extension host: of src/agent only the contract, and no vscode.
// Each boundary is checked by @typescript-eslint/no-restricted-imports (ESLint's core rule, extended to
// `import x = require()` and type imports) and, for the `require('…')`, `import('…')` and `typeof import('…')`
// that the code uses to load native modules lazily, by no-restricted-syntax with the same patterns.
// The folders are flat today, so their imports are `./x` (the same folder) or `../folder/x`; the patterns rely on it.
import { builtinModules } from 'node:module';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** @param {string} text */
const escapeRegex = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Every Node built-in, with and without `node:`, and whatever else is only reachable as `node:…` (node:test, node:sqlite). */
const nodeBuiltin = `^(?:node:.*|${builtinModules.map(escapeRegex).join('|')})$`;

/**
 * @typedef {{ regex: string, message: string }} Restriction  `regex` is matched against the import's specifier;
 *   slashes are written `\\/` so that the same text also serves as an esquery regex in no-restricted-syntax.
 */

const vscode = '^vscode$';

/** @type {{ name: string, files: string[], restrictions: Restriction[] }[]} */
const boundaries = [
  {
    name: 'agent',
    files: ['src/agent/**/*.{ts,js}'],
    restrictions: [
      { regex: vscode, message: 'src/agent is a child process outside VS Code: it does not import vscode.' },
      {
        regex: '^\\.\\.\\/(?!shared\\/)',
        message: 'src/agent imports only src/agent and src/shared: not src/host, src/webview or the extension files (src/*.ts). The host side talks to it through src/agent/contract.ts.',
      },
    ],
  },
  {
    name: 'shared',
    files: ['src/shared/**/*.{ts,js}'],
    restrictions: [
      {
        regex: '^(?!\\.\\/)',
        message: 'src/shared is pure code compiled for Node and for the browser: it imports only src/shared (./x), no Node built-in, no vscode, no npm package.',
      },
    ],
  },
  {
    name: 'webview',
    files: ['src/webview/**/*.{ts,js}'],
    restrictions: [
      { regex: vscode, message: 'src/webview runs in the browser: it does not import vscode; it talks to the extension by postMessage (src/shared/panelProtocol.ts).' },
      { regex: nodeBuiltin, message: 'src/webview runs in the browser: no Node built-in module.' },
      {
        regex: '^\\.\\.\\/(?!shared\\/)',
        message: 'src/webview imports only src/webview and src/shared: not src/host, src/agent or the extension files (src/*.ts).',
      },
    ],
  },
  {
    name: 'host',
    files: ['src/host/**/*.{ts,js}'],
    restrictions: [
      { regex: vscode, message: 'src/host runs in the extension host but without vscode (it is tested outside VS Code): the extension files (src/*.ts) wire it to VS Code.' },
      {
        regex: '^\\.\\.\\/agent\\/(?!contract$)',
        message: 'src/host talks to the agent child process through src/agent/contract.ts only.',
      },
    ],
  },
];

/** @param {{ name: string, files: string[], restrictions: Restriction[] }} boundary */
function boundaryConfig({ name, files, restrictions }) {
  const syntax = restrictions.flatMap(({ regex, message }) => [
    { selector: `CallExpression[callee.type='Identifier'][callee.name='require'][arguments.0.value=/${regex}/]`, message },
    { selector: `ImportExpression[source.value=/${regex}/]`, message },
    { selector: `TSImportType[argument.literal.value=/${regex}/]`, message },
  ]);
  return {
    name: `remote-assist/boundary/${name}`,
    files,
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: restrictions.map(({ regex, message }) => ({ regex, message })) }],
      'no-restricted-syntax': ['error', ...syntax],
    },
  };
}

export default defineConfig(
  globalIgnores(['dist/', 'out/', 'node_modules/', '.cache/', '.vscode-test/', 'test-results/', 'bench/results/']),
  tseslint.configs.recommended,
  {
    name: 'remote-assist/deliberate-style',
    rules: {
      // As tsc's noUnusedParameters does, a leading underscore marks a parameter or binding kept on purpose (a
      // signature to honour, a property dropped by `const { X: _x, ...rest }`).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // The build and bench scripts are plain CommonJS. (In TypeScript, no-require-imports stays on: a lazy
    // `require(…) as T` of a native module carries an eslint-disable comment that says so.)
    name: 'remote-assist/commonjs-scripts',
    files: ['**/*.{js,cjs}'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  boundaries.map(boundaryConfig),
);
