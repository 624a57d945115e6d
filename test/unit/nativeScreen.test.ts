import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GrabCollector } from '../../src/agent/nativeScreen';

describe('GrabCollector: a collection after so many bytes of grabs', () => {
  it('asks for one each time the grabs since the last pass the budget, not before', () => {
    let collections = 0;
    const collector = new GrabCollector(() => collections++, 16);
    collector.grabbed(8);
    assert.equal(collections, 0);
    collector.grabbed(8);
    assert.equal(collections, 1);
    collector.grabbed(15);
    assert.equal(collections, 1);
    collector.grabbed(20);
    assert.equal(collections, 2);
  });

  it('does nothing where no collection can be asked for (no --expose-gc)', () => {
    const collector = new GrabCollector(undefined, 1);
    assert.doesNotThrow(() => collector.grabbed(100));
  });
});
