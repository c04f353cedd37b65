import { describe, expect, it } from 'vitest';
import { fakeLookup, PUBLIC_ADDRESSES, SPECIAL_ADDRESSES } from '../../../../tests/support/webhook-targets';
import {
  addressRefusal,
  checkWebhookUrl,
  classifyAddress,
  parseWebhookTarget,
  type WebhookLookup,
} from './address';

describe('the address check', () => {
  it.each(SPECIAL_ADDRESSES)('refuses %s (%s)', (address, what) => {
    expect(addressRefusal(address, false)).toMatch(what);
  });

  it.each(PUBLIC_ADDRESSES)('allows the public address %s', (address) => {
    expect(classifyAddress(address)?.range).toBe('unicast');
    expect(addressRefusal(address, false)).toBeNull();
  });

  it('with WEBHOOKS_ALLOW_PRIVATE opens loopback, private and unique-local only', () => {
    for (const open of [
      '127.0.0.1',
      '::1',
      '10.0.0.1',
      '192.168.1.1',
      '172.16.0.1',
      'fd00::1',
      '::ffff:127.0.0.1',
    ])
      expect(addressRefusal(open, true), open).toBeNull();
    for (const closed of [
      '169.254.169.254',
      'fe80::1',
      '100.64.0.1',
      '224.0.0.1',
      '0.0.0.0',
      '255.255.255.255',
      '192.0.2.1',
      '2002:7f00:1::1',
      '::127.0.0.1',
      '::ffff:169.254.169.254',
    ])
      expect(addressRefusal(closed, true), closed).not.toBeNull();
  });

  it('reads IPv4-compatible IPv6 as what it is, not as IPv4-mapped', () => {
    expect(classifyAddress('::127.0.0.1')).toEqual({ range: 'ipv4Compatible', embedded: '127.0.0.1' });
    expect(classifyAddress('::8.8.8.8')).toEqual({ range: 'ipv4Compatible', embedded: '8.8.8.8' });
    expect(classifyAddress('::ffff:127.0.0.1')).toEqual({ range: 'loopback', embedded: '127.0.0.1' });
    expect(addressRefusal('::8.8.8.8', false)).toMatch(/IPv4-compatible/);
  });

  it('answers null for a text that is no IP address', () => {
    for (const text of ['partner.example', '2130706433', '0x7f.1', '', '1.2.3'])
      expect(classifyAddress(text)).toBeNull();
    expect(addressRefusal('partner.example', false)).toBe('not an IP address');
  });
});

const refusedUrl = (raw: string, allowPrivate = false) => {
  try {
    parseWebhookTarget(raw, allowPrivate);
    return null;
  } catch (err) {
    return err as { code: string; field: string; message: string };
  }
};

describe('webhook URLs', () => {
  it.each([
    ['https://[::ffff:127.0.0.1]:5432/', /IPv6 form of 127\.0\.0\.1, a loopback address/],
    ['https://[::ffff:7f00:1]/', /loopback/],
    ['https://[::127.0.0.1]/', /IPv4-compatible/],
    ['https://[64:ff9b::a9fe:a9fe]/', /169\.254\.169\.254/],
    ['https://[2002:a9fe:a9fe::]/', /6to4/],
    ['https://localhost./', /localhost is a local host name/],
    ['https://localhost/', /local host name/],
    ['https://LocalHost../', /local host name/],
    ['https://app.localhost/', /local host name/],
    ['https://printer.local/', /local host name/],
    ['https://router.home.arpa/', /local host name/],
    ['https://db.internal/', /local host name/],
    ['https://intranet/', /local host name/],
    ['https://%6c%6fcalhost/', /local host name/],
    ['https://metadata.google.internal/computeMetadata/v1/', /cloud metadata service/],
    ['https://metadata.google.internal./', /cloud metadata service/],
    ['https://metadata.goog/', /cloud metadata service/],
    ['http://2130706433/', /127\.0\.0\.1 is a loopback address/],
    ['https://2130706433/', /127\.0\.0\.1 is a loopback address/],
    ['https://0x7f.1/', /127\.0\.0\.1 is a loopback address/],
    ['https://0x7f000001/', /127\.0\.0\.1 is a loopback address/],
    ['https://0177.0.0.1/', /127\.0\.0\.1 is a loopback address/],
    ['https://127.1/', /127\.0\.0\.1 is a loopback address/],
    ['https://127.0.0.1./', /127\.0\.0\.1 is a loopback address/],
    ['https://0xa9.0xfe.0xa9.0xfe/latest/meta-data/', /169\.254\.169\.254 is a link-local/],
    ['https://2852039166/', /169\.254\.169\.254 is a link-local/],
    ['https://0/', /0\.0\.0\.0 is the unspecified address/],
    ['https://100.64.1.1/', /carrier-grade NAT/],
    ['https://[fd12:3456::1]/', /unique-local/],
    ['https://[fe80::1%25eth0]/', /Not an absolute URL/],
    ['http://partner.example/hooks', /Use an https URL/],
    ['ftp://partner.example/hooks', /Use an https URL/],
    ['https://user:pw@partner.example/h', /no credentials/],
    ['https://partner.example/h#x', /fragment/],
    ['not a url', /Not an absolute URL/],
  ])('refuses %s', (raw, why) => {
    const err = refusedUrl(raw);
    expect(err).toMatchObject({ code: 'WEBHOOK_URL_INVALID', field: 'url' });
    expect(err?.message).toMatch(why);
  });

  it('accepts public https URLs, as they are (a trailing dot kept: it names the same host)', () => {
    for (const raw of [
      'https://partner.example/hooks',
      'https://partner.example./hooks',
      'https://93.184.215.14/h',
      'https://[2606:4700:4700::1111]:8443/h',
      'https://[64:ff9b::808:808]/h',
    ])
      expect(refusedUrl(raw), raw).toBeNull();
    expect(parseWebhookTarget('https://Partner.Example./h', false)).toMatchObject({
      host: 'partner.example',
      literal: false,
    });
  });

  it('with WEBHOOKS_ALLOW_PRIVATE: local hosts, and plain http to them only', () => {
    for (const raw of [
      'http://127.0.0.1:4000/h',
      'http://localhost:4000/h',
      'http://[::1]:4000/h',
      'http://10.0.0.5/h',
      'http://receiver:8080/h',
      'http://host.docker.internal/h',
      'https://localhost./h',
    ])
      expect(refusedUrl(raw, true), raw).toBeNull();
    expect(refusedUrl('http://partner.example/h', true)?.message).toMatch(/plain http only to a local host/);
    expect(refusedUrl('http://169.254.169.254/h', true)?.message).toMatch(/link-local/);
    expect(refusedUrl('https://metadata.google.internal/', true)?.message).toMatch(/cloud metadata/);
    expect(refusedUrl('http://[::ffff:169.254.169.254]/', true)?.message).toMatch(/link-local/);
  });
});

describe('registration resolves the host and checks every address', () => {
  const lookup = fakeLookup({
    'localtest.me': '127.0.0.1',
    '127.0.0.1.nip.io': '127.0.0.1',
    'metadata.partner.example': '169.254.169.254',
    'v6.partner.example': '::1',
    'mapped.partner.example': '::ffff:10.0.0.1',
    'mixed.partner.example': ['93.184.215.14', '10.0.0.7'],
    'partner.example': ['93.184.215.14', '2606:4700:4700::1111'],
  });

  it.each([
    ['https://localtest.me/hooks', /localtest\.me resolves to 127\.0\.0\.1, a loopback address/],
    ['https://localtest.me./hooks', /localtest\.me resolves to 127\.0\.0\.1/],
    ['https://127.0.0.1.nip.io/hooks', /resolves to 127\.0\.0\.1, a loopback address/],
    ['https://metadata.partner.example/', /resolves to 169\.254\.169\.254, a link-local/],
    ['https://v6.partner.example/', /resolves to ::1, a loopback/],
    ['https://mapped.partner.example/', /IPv6 form of 10\.0\.0\.1, a private/],
    ['https://mixed.partner.example/', /resolves to 10\.0\.0\.7, a private/],
  ])('refuses %s', async (raw, why) => {
    const err = await checkWebhookUrl(raw, { allowPrivate: false, lookup }).then(
      () => null,
      (e: { code: string; field: string; message: string }) => e,
    );
    expect(err).toMatchObject({ code: 'WEBHOOK_URL_INVALID', field: 'url' });
    expect(err?.message).toMatch(why);
  });

  it('accepts a name whose every address is public, and one that does not resolve (yet)', async () => {
    await expect(checkWebhookUrl('https://partner.example/h', { allowPrivate: false, lookup })).resolves.toBe(
      'https://partner.example/h',
    );
    await expect(checkWebhookUrl('https://nowhere.example/h', { allowPrivate: false, lookup })).resolves.toBe(
      'https://nowhere.example/h',
    );
    expect(lookup.calls).toContain('nowhere.example');
  });

  it('a resolver that never answers does not hold registration past its timeout', async () => {
    const never: WebhookLookup = () => new Promise(() => undefined);
    await expect(
      checkWebhookUrl('https://slow.example/h', { allowPrivate: false, lookup: never, timeoutMs: 50 }),
    ).resolves.toBe('https://slow.example/h');
  });

  it('with WEBHOOKS_ALLOW_PRIVATE, a name of a loopback address is fine, link-local still is not', async () => {
    await expect(checkWebhookUrl('https://localtest.me/h', { allowPrivate: true, lookup })).resolves.toBe(
      'https://localtest.me/h',
    );
    await expect(
      checkWebhookUrl('https://metadata.partner.example/', { allowPrivate: true, lookup }),
    ).rejects.toMatchObject({ code: 'WEBHOOK_URL_INVALID', field: 'url' });
  });
});
