/**
 * A host agent that touches no desktop and says nothing (HostAgent in src/agent/contract.ts): the unit tests of the
 * host session spread what they watch over it, so that a new method of the contract is added here once.
 */
import type { HostAgent } from '../../src/agent/contract';

const none = { dispose: (): void => undefined };

export const QUIET_AGENT: HostAgent = {
  screenSize: async () => ({ width: 640, height: 480 }),
  capture: async () => undefined,
  input: () => undefined,
  releaseAll: async () => undefined,
  onInputPause: () => none,
  onInputBlocked: () => none,
  laser: () => undefined,
  onLaserUnavailable: () => none,
  onExit: () => none,
  dispose: () => undefined,
};
