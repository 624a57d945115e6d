/**
 * The System Settings panes the host controller offers to open when the agent reports a missing macOS permission
 * (src/agent/platform.ts words those warnings). Only these fixed URLs are ever opened: nothing of a warning's
 * text becomes a URL.
 *
 * The agent's `ready` message carries sentences, not reasons (src/agent/contract.ts), so the pane is recognised by
 * the pane's name in the sentence; test/unit/platform.test.ts checks that the two files agree. A typed field in
 * `ready` would remove this coupling.
 *
 * No vscode import: unit-tested with node:test.
 */

export interface MacSettingsPane {
  readonly id: 'screenRecording' | 'accessibility';
  readonly url: string;
  /** How the agent's warning names the pane. */
  readonly named: string;
}

const PANES: readonly MacSettingsPane[] = [
  {
    id: 'screenRecording',
    url: 'x-apple.systempreferences:com.apple.preference.security?Privacy_ScreenCapture',
    named: 'Privacy & Security > Screen Recording',
  },
  {
    id: 'accessibility',
    url: 'x-apple.systempreferences:com.apple.preference.security?Privacy_Accessibility',
    named: 'Privacy & Security > Accessibility',
  },
];

/** The panes that the warnings name, on macOS; none elsewhere. */
export function macSettingsPanes(platform: NodeJS.Platform, warnings: readonly string[]): MacSettingsPane[] {
  if (platform !== 'darwin') return [];
  return PANES.filter((pane) => warnings.some((w) => w.includes(pane.named)));
}
