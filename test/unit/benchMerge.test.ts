import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptyLinkFigures, type LinkFigures } from '../../bench/links';
import { mergeResults } from '../../bench/merge';
import { emptyFigures, type Results } from '../../bench/stats';

const MACHINE = { cores: 2, cpuModel: 'AMD EPYC' };

function results(date: string): Results {
  return { date, machine: { ...MACHINE }, product: emptyFigures(), baseline: emptyFigures(), peer: emptyFigures() };
}

function link(resumeMs: number): LinkFigures {
  return { ...emptyLinkFigures(), resumeMs };
}

test('a link run keeps the loopback figures, and replaces only the profiles it measured', () => {
  const earlier = results('2026-01-01T00:00:00.000Z');
  earlier.product.fpsScroll = 30;
  earlier.product.editor = { ...emptyFigures(), fpsScroll: 28 };
  earlier.product.links = { home: link(1600), mobile: link(4900) };
  earlier.peer.fpsScroll = 10;
  const run = results('2026-01-02T00:00:00.000Z');
  run.product.links = { mobile: link(1800) };
  run.product.resumeMs = 1800;
  const merged = mergeResults(run, JSON.parse(JSON.stringify(earlier)), true);
  assert.equal(merged.date, earlier.date, 'the date stays that of the loopback figures');
  assert.equal(merged.product.fpsScroll, 30);
  assert.equal(merged.product.editor?.fpsScroll, 28);
  assert.equal(merged.peer.fpsScroll, 10);
  assert.equal(merged.product.links?.home?.resumeMs, 1600);
  assert.equal(merged.product.links?.mobile?.resumeMs, 1800);
  assert.equal(merged.product.links?.mobile?.date, run.date, 'a profile measured now says when');
  assert.equal(merged.product.resumeMs, 1600, 'resumeMs is on home when home was ever measured');
});

test('a loopback run keeps the link figures of an earlier run', () => {
  const earlier = results('2026-01-01T00:00:00.000Z');
  earlier.product.links = { home: link(1500) };
  earlier.product.resumeMs = 1500;
  const run = results('2026-01-02T00:00:00.000Z');
  run.product.fpsScroll = 33;
  const merged = mergeResults(run, earlier, false);
  assert.equal(merged.date, run.date);
  assert.equal(merged.product.fpsScroll, 33);
  assert.equal(merged.product.links?.home?.resumeMs, 1500);
  assert.equal(merged.product.resumeMs, 1500);
  assert.equal(merged.baseline.links, undefined);
});

test('an earlier file from another machine, or of another shape, is not merged', () => {
  const run = results('2026-01-02T00:00:00.000Z');
  const other = results('2026-01-01T00:00:00.000Z');
  other.machine.cores = 8;
  other.product.fpsScroll = 99;
  assert.equal(mergeResults(run, other, false).product.fpsScroll, null);
  for (const junk of [undefined, null, 'text', 42, { date: 'x', machine: MACHINE }]) assert.deepEqual(mergeResults(run, junk, true), run);
});
