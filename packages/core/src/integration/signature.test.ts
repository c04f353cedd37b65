import { describe, expect, it } from 'vitest';
import {
  normalizeProtocolPath,
  protocolSignature,
  signatureMatches,
  signedBodyCandidates,
  timestampFresh,
} from './signature';

const COMMIT = '/api/v1/integration/payment/redeem-code/commit';

describe("the program's integration signature", () => {
  it("matches the worked vector of the program's samples", () => {
    expect(
      protocolSignature('my_sign_key', {
        clientCode: 'myclient_code',
        timestamp: '1516239022',
        path: COMMIT,
        body: '{"redeem_code":"code"}',
      }),
    ).toBe('943c20a8e36b6243f576404b00fffdc86411ce1f');
  });

  it('accepts the raw body or its compact JSON, never another body', () => {
    const parts = { clientCode: 'myclient_code', timestamp: '1516239022', path: COMMIT };
    const vector = '943c20a8e36b6243f576404b00fffdc86411ce1f';
    // Python's json.dumps sends a space; the signature was made over the compact text.
    expect(signatureMatches(vector, ['my_sign_key'], { ...parts, rawBody: '{"redeem_code": "code"}' })).toBe(
      0,
    );
    expect(
      signatureMatches(vector.toUpperCase(), ['other', 'my_sign_key'], {
        ...parts,
        rawBody: '{"redeem_code":"code"}',
      }),
    ).toBe(1);
    expect(signatureMatches(vector, ['my_sign_key'], { ...parts, rawBody: '{"redeem_code":"code2"}' })).toBe(
      -1,
    );
    expect(signatureMatches(vector, ['wrong_key'], { ...parts, rawBody: '{"redeem_code":"code"}' })).toBe(-1);
    // PHP's json_encode escapes slashes; compact re-serialization unescapes them, keeping key order.
    expect(signedBodyCandidates('{"b":"https:\\/\\/x.id\\/a","a":1}')).toEqual([
      '{"b":"https:\\/\\/x.id\\/a","a":1}',
      '{"b":"https://x.id/a","a":1}',
    ]);
    expect(signedBodyCandidates('not json')).toEqual(['not json']);
  });

  it('merges repeated slashes and holds timestamps to ±300 s', () => {
    expect(normalizeProtocolPath('//api/v1//integration/tpm/submission')).toBe(
      '/api/v1/integration/tpm/submission',
    );
    const now = 1_516_239_022_000;
    expect(timestampFresh('1516239022', now)).toBe(true);
    expect(timestampFresh('1516239322', now)).toBe(true);
    expect(timestampFresh('1516239323', now)).toBe(false);
    expect(timestampFresh('1516238721', now)).toBe(false);
    expect(timestampFresh('1516239022.5', now)).toBe(false);
    expect(timestampFresh('', now)).toBe(false);
  });
});
