/**
 * Input that the host's system refuses (Windows: an elevated window in front, or the secure desktop): the reasons
 * the agent can tell apart (agent/platform.ts decides, agent/windowsInput.ts observes) and what each side is told.
 * Pure: the agent, the host session and the helper's panel all read it.
 *
 * The texts are English (the agent and the panel have no vscode.l10n); they name no window or program, so there is
 * nothing of another process's in them to escape.
 */

/**
 * - `secureDesktop`: no foreground window at all (the input desktop is the secure one: a UAC prompt, the lock
 *   screen, Ctrl+Alt+Del);
 * - `elevated`: the foreground window belongs to a process of a higher integrity level than the agent's;
 * - `failed`: an injection threw, for no reason seen.
 */
export type InputBlockedReason = 'secureDesktop' | 'elevated' | 'failed';

export const INPUT_BLOCKED_REASONS: ReadonlySet<string> = new Set<InputBlockedReason>(['secureDesktop', 'elevated', 'failed']);

export function isInputBlockedReason(value: unknown): value is InputBlockedReason {
  return typeof value === 'string' && INPUT_BLOCKED_REASONS.has(value);
}

/** For the host's notification: why their helper's input does nothing, and what to do. */
export function inputBlockedHostText(reason: InputBlockedReason): string {
  switch (reason) {
    case 'elevated':
      return 'Your helper\'s mouse and keyboard cannot reach the window in front: it runs as administrator, and Windows keeps ' +
        'input from a normal program out of it. Use that window yourself, or run your editor as administrator for this session.';
    case 'secureDesktop':
      return 'Your helper\'s mouse and keyboard cannot reach a Windows security prompt (User Account Control, the lock screen, ' +
        'Ctrl+Alt+Del), and your helper cannot see it: answer it yourself.';
    case 'failed':
      return 'Windows did not take your helper\'s input. If a window runs as administrator or a security prompt is open, use it yourself.';
  }
}

/** For the helper's panel: what they see, and what to ask the host. */
export function inputBlockedHelperText(reason: InputBlockedReason): string {
  switch (reason) {
    case 'elevated':
      return 'Your input cannot reach the window in front: it runs as administrator on their computer. Ask them to use it themselves.';
    case 'secureDesktop':
      return 'A Windows security prompt is open on their computer: you cannot see or use it. Ask them to answer it.';
    case 'failed':
      return 'Their computer did not take your input (perhaps a window that runs as administrator, or a security prompt).';
  }
}

/** For the helper's panel when the host's system takes input again. */
export const INPUT_UNBLOCKED_HELPER_TEXT = 'Your input reaches their screen again.';
