// The npm package's entry, for apps that bundle their scripts: the same modules as /rum.js, started by
// init() instead of a script tag.
//
//   import { init } from '@rumhouse/rum';
//   const rumhouse = init({ site: 'KEY', endpoint: 'https://rum.example.com/beacon' });
//   rumhouse.label('product');
//
// Options are the tag's data- attributes without `data-` (site, endpoint, release, flush, sample,
// consent, exclude, routes, debug); `endpoint` is required (there is no script URL to derive it from).
// init() returns the page API (window.rumhouse); a second call does nothing, as a second tag would.
import { boot } from './index.js';
import { W } from './util.js';

export const init = (options) => {
  boot(() => ({ ...options }));
  return W.rumhouse;
};
