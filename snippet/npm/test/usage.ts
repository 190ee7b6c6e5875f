// Compiled by `npm run types` (strict, no emit): the package's types accept what docs/snippet.md shows and
// refuse what it does not.
import { init, type Rumhouse, type VitalReport } from '@rumhouse/rum';

const rumhouse: Rumhouse = init({ site: 'shop', endpoint: 'https://rum.example.com/beacon', sample: 0.5, consent: 'wait' });
rumhouse.label('product');
rumhouse.set('plan', 'pro');
rumhouse.set('plan', null);
rumhouse.measure('checkout', 812, { step: 'pay' });
rumhouse.error(new Error('caught'));
rumhouse.consent(true);
rumhouse.onVital((report: VitalReport) => {
  const value: number = report.v;
  if (report.n === 'INP' && report.p) console.log(value, report.p[0], report.s?.[0]);
});

// @ts-expect-error: the endpoint is required (there is no script URL to derive it from)
init({ site: 'shop' });
// @ts-expect-error: consent is 'wait' or absent
init({ site: 'shop', endpoint: '/beacon', consent: 'yes' });
