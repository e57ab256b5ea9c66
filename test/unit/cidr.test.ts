import { checkCidr, checkCidrs } from '../../activities/aws/cidr';

/** What a block may hold: normalised, never the internet, never our own networks (unless asked). */
test.each([
  ['203.0.113.9', '203.0.113.9/32'],
  ['198.51.100.77/24', '198.51.100.0/24'],
  [' 203.0.113.0/28 ', '203.0.113.0/28'],
  ['2001:db8::1', '2001:db8::1/128'],
  ['2001:0db8:0000:0000:0000:0000:0000:0001/64', '2001:db8::/64'],
  ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1/128'],
  ['::ffff:203.0.113.9', '::ffff:cb00:7109/128'],
])('%s is blocked as %s', (input, cidr) => {
  expect(checkCidr(input, false)).toEqual({ ok: true, cidr });
});

test.each([
  ['0.0.0.0/0', /would block every address/],
  ['11.0.0.0/7', /too broad \(shorter than \/8\)/],
  ['2001::/15', /too broad \(shorter than \/16\)/],
  ['10.1.2.3', /private or reserved/],
  ['172.16.5.4/12', /private or reserved/],
  ['192.168.0.0/15', /private or reserved/],
  ['100.64.0.1', /private or reserved/],
  ['127.0.0.1', /private or reserved/],
  ['169.254.169.254', /private or reserved/],
  ['0.1.2.3', /private or reserved/],
  ['fe80::1', /private or reserved/],
  ['fd00::/16', /private or reserved/],
  ['::1', /private or reserved/],
  ['not-an-ip', /not an IP address or CIDR/],
  ['1.2.3.4/24/1', /not an IP address or CIDR/],
  ['1.2.3.4/x', /bad prefix length/],
  ['1.2.3.4/33', /prefix longer than 32 bits/],
  ['2001:db8::/129', /prefix longer than 128 bits/],
])('%s is refused', (input, why) => {
  const verdict = checkCidr(input, false);
  expect(verdict.ok).toBe(false);
  expect(verdict.ok ? '' : verdict.reason).toMatch(why);
});

test('allowPrivate lets a runbook block an internal range on purpose; never the whole internet', () => {
  expect(checkCidr('10.1.2.3', true)).toEqual({ ok: true, cidr: '10.1.2.3/32' });
  expect(checkCidr('0.0.0.0/0', true).ok).toBe(false);
});

test('every problem is reported at once, and duplicates after normalising are kept once', () => {
  expect(checkCidrs(['203.0.113.9', '203.0.113.9/32', '10.0.0.1', 'nope'], false)).toEqual({
    cidrs: ['203.0.113.9/32'],
    problems: [expect.stringMatching(/10\.0\.0\.1.*private/), expect.stringMatching(/"nope" is not an IP/)],
  });
});
