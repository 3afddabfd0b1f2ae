import * as assert from 'node:assert/strict';
import { errorText } from '../../../src/core/common';

describe('errorText: the message of whatever was thrown', () => {
  it('is an Error\'s message, and the text of anything else thrown, never "undefined"', () => {
    assert.equal(errorText(new Error('disk on fire')), 'disk on fire');
    assert.equal(errorText(new Error('')), '');
    assert.equal(errorText('a bare string'), 'a bare string');
    assert.equal(errorText(undefined), 'undefined');
    assert.equal(errorText(null), 'null');
    assert.equal(errorText({ code: 'EIO' }), '[object Object]');
    assert.equal(errorText(42), '42');
  });
});
