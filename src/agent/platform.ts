/**
 * What the agent must tell the person being helped about their platform before an invitation is made, and when
 * input stops reaching their screen: the decisions only, behind small interfaces, so that they are unit-tested
 * here (Linux) though they are about macOS and Windows, which this project cannot run. Written against the
 * platforms' documentation:
 *
 * - macOS (10.15 and later) hands a process without the Screen Recording permission a capture without other
 *   apps' windows, on some versions an empty or all-black one, and silently drops the events that a process
 *   without the Accessibility permission posts (CGEventPost). Neither fails loudly, so the agent looks: one test
 *   capture, and one test move of the pointer by a pixel, read back.
 * - Windows lets a process inject input only into windows of its own integrity level or lower (UIPI): not into
 *   an elevated ("Run as administrator") window, nor onto the secure desktop (UAC prompts, Ctrl+Alt+Del, the lock
 *   screen). SendInput does not say that it was blocked, so the agent judges from what it can see.
 *
 * The texts are English: the agent has no vscode.l10n; they reach the user through `ready.warnings`, escaped by
 * the host controller as any text from another process.
 *
 * Runs in the agent process: no vscode, nothing of src/host; no nut-js either (the caller passes the probes).
 */

import type { InputBlockedReason } from '../shared/inputBlocked';

/** System Settings panes, as `x-apple.systempreferences:` URLs (opened by the extension, never by the agent). */
export const MAC_SETTINGS_URLS = {
  screenRecording: 'x-apple.systempreferences:com.apple.preference.security?Privacy_ScreenCapture',
  accessibility: 'x-apple.systempreferences:com.apple.preference.security?Privacy_Accessibility',
} as const;

export type MacPermission = keyof typeof MAC_SETTINGS_URLS;

/** Raw pixels as nut-js grabs them: 4 bytes a pixel (BGRA or RGBA: black is black either way). */
export interface ProbePixels {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

/** What the macOS check needs of nut-js. */
export interface MacProbe {
  grab(): Promise<ProbePixels>;
  pointer(): Promise<Point>;
  movePointer(to: Point): Promise<void>;
}

/** Every colour channel at or under this counts as black (a screen's black is not always 0). */
const BLACK_LEVEL = 8;

/**
 * Whether a test capture looks like one macOS gives a process without Screen Recording: no pixels, fewer bytes
 * than the size says, or every pixel black. A real desktop is never wholly black: it has a menu bar.
 */
export function isBlankCapture(pixels: ProbePixels): boolean {
  const count = pixels.width * pixels.height;
  if (count <= 0 || pixels.data.length < count * 4) return true;
  for (let i = 0; i < count * 4; i += 4) {
    if (pixels.data[i]! > BLACK_LEVEL || pixels.data[i + 1]! > BLACK_LEVEL || pixels.data[i + 2]! > BLACK_LEVEL) return false;
  }
  return true;
}

/** Where a test move goes: one pixel to the right, or to the left at the screen's right edge. */
export function testMoveTarget(from: Point, screenWidth: number): Point {
  return { x: from.x + 1 < screenWidth ? from.x + 1 : Math.max(0, from.x - 1), y: from.y };
}

/** A test move reached the screen when the pointer is read back where it was sent (a pixel of rounding allowed). */
export function injectionReachedScreen(target: Point, readBack: Point | undefined): boolean {
  return !!readBack && Math.abs(readBack.x - target.x) <= 0.5 && Math.abs(readBack.y - target.y) <= 0.5;
}

/** The sentence for a missing permission, naming the System Settings pane (the extension offers to open it). */
export function macPermissionWarning(permission: MacPermission): string {
  switch (permission) {
    case 'screenRecording':
      return 'macOS does not let Remote Assist record your screen: your helper would see a black screen or your desktop without ' +
        'its windows. Allow your editor (Visual Studio Code, or the app you run it in) in System Settings > Privacy & Security > ' +
        'Screen Recording, then quit and reopen it.';
    case 'accessibility':
      return 'macOS does not let Remote Assist move the pointer or type: your helper could watch but not control. Allow your ' +
        'editor in System Settings > Privacy & Security > Accessibility (no restart needed).';
  }
}

/**
 * Which permissions are missing, found by one test capture and one test move of the pointer (put back at once:
 * the person sees nothing). A probe that throws counts as missing: that is what nut-js does at worst.
 */
export async function missingMacPermissions(probe: MacProbe, screenWidth: number): Promise<MacPermission[]> {
  const missing: MacPermission[] = [];
  try {
    if (isBlankCapture(await probe.grab())) missing.push('screenRecording');
  } catch {
    missing.push('screenRecording');
  }
  try {
    const from = await probe.pointer();
    const target = testMoveTarget(from, screenWidth);
    await probe.movePointer(target);
    const readBack = await probe.pointer();
    if (!injectionReachedScreen(target, readBack)) missing.push('accessibility');
    else await probe.movePointer(from);
  } catch {
    missing.push('accessibility');
  }
  return missing;
}

/** What the agent knows when it wonders whether input got through (Windows). Undefined: could not tell. */
export interface WindowsInputState {
  /** An injection threw, or a test move was not read back where it was sent. */
  readonly injectionFailed: boolean;
  /** GetForegroundWindow returned a window (false on the secure desktop). */
  readonly hasForegroundWindow?: boolean;
  /** The foreground window's process runs at a higher integrity level than the agent (elevated). */
  readonly foregroundElevated?: boolean;
  /** The agent itself runs elevated: then UIPI blocks nothing but the secure desktop. */
  readonly selfElevated?: boolean;
}

/** The reason to report, or undefined when nothing suggests that input is blocked. */
export function windowsInputBlocked(state: WindowsInputState): InputBlockedReason | undefined {
  if (state.hasForegroundWindow === false) return 'secureDesktop';
  if (state.foregroundElevated === true && state.selfElevated !== true) return 'elevated';
  return state.injectionFailed ? 'failed' : undefined;
}

/** The start-up warnings of this platform (`ready.warnings`). */
export async function platformWarnings(platform: NodeJS.Platform, probes: { readonly mac?: MacProbe; readonly screenWidth: number }): Promise<string[]> {
  if (platform !== 'darwin' || !probes.mac) return [];
  return (await missingMacPermissions(probes.mac, probes.screenWidth)).map(macPermissionWarning);
}
