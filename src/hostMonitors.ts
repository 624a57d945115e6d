/**
 * The host's monitors in VS Code (extension host): the quick pick that chooses which one to share (when inviting with
 * more than one, and "Share Another Monitor" during the session), and the question when the helper asks for another
 * one. The choice itself is the session's (src/host/monitorRelay.ts) and the agent's (src/agent/monitors.ts).
 *
 * Monitor names come from the host's own X server and the helper's name from the peer: both go through plainText.
 */

import * as vscode from 'vscode';
import type { Monitor, MonitorReading } from './agent/contract';
import type { AskToSwitch } from './host/monitorRelay';
import { askModal } from './prompts';
import { plainText, statusBarText } from './text';

interface MonitorItem extends vscode.QuickPickItem {
  readonly monitor: string;
}

/** "DP-2 (1920×1080)", for the host's own prompts and views. */
export function monitorText(m: { readonly name: string; readonly area: { readonly width: number; readonly height: number } }): string {
  return `${plainText(m.name, 64)} (${m.area.width}×${m.area.height})`;
}

/**
 * Asks which monitor to share: the primary first, each with its size and place; `preselect` is the one the list
 * starts on (the primary when inviting, another than the one shared when switching). Undefined: dismissed.
 */
export async function pickMonitor(reading: MonitorReading, options: { title: string; placeHolder: string; preselect: 'primary' | 'other' }): Promise<string | undefined> {
  const monitors = [...reading.monitors].sort((a, b) => Number(b.primary) - Number(a.primary));
  const items: MonitorItem[] = monitors.map((m) => ({
    // The icon stays outside the translated words, as in the status bar's menu.
    // A name is the host's own (RandR), yet `$(…)` in it would still turn into an icon: shown as written.
    label: `$(device-desktop) ${statusBarText(m.name, 64)}`,
    description: describe(m, m.name === reading.shared),
    detail: vscode.l10n.t('at {0}, {1} on your desktop', m.area.x, m.area.y),
    monitor: m.name,
  }));
  const start = options.preselect === 'primary' ? items[0] : items.find((i) => i.monitor !== reading.shared);
  const pick = vscode.window.createQuickPick<MonitorItem>();
  pick.title = options.title;
  pick.placeholder = options.placeHolder;
  pick.items = items;
  if (start) pick.activeItems = [start];
  try {
    return await new Promise<string | undefined>((resolve) => {
      pick.onDidAccept(() => resolve(pick.activeItems[0]?.monitor));
      pick.onDidHide(() => resolve(undefined));
      pick.show();
    });
  } finally {
    pick.dispose();
  }
}

function describe(m: Monitor, shared: boolean): string {
  const notes = [`${m.area.width}×${m.area.height}`];
  if (m.primary) notes.push(vscode.l10n.t('primary'));
  if (shared) notes.push(vscode.l10n.t('shared now'));
  return notes.join(' · ');
}

/** The helper asks for another monitor: Switch or Keep, Keep on Enter, Escape and timeout (askModal). */
export const askToSwitchMonitor: AskToSwitch = ({ helperName, monitor, current, timeoutMs }) => {
  const name = plainText(helperName, 100);
  const wanted = `${plainText(monitor.name, 64)} (${monitor.width}×${monitor.height})`;
  return askModal(
    vscode.l10n.t('{0} asks to see {1}.', name, wanted),
    vscode.l10n.t(
      'Switch shares that monitor instead of {0}: {1} then sees it, and controls it if you allowed control. Keep shares what you share now.\n\nThis request is declined automatically in {2} seconds.',
      current ? `${plainText(current.name, 64)} (${current.width}×${current.height})` : vscode.l10n.t('the current one'),
      name,
      Math.round(timeoutMs / 1000),
    ),
    vscode.l10n.t('Switch'),
    vscode.l10n.t('Keep'),
    timeoutMs,
  );
};
