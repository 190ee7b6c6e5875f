// The file served at /rum.js: starts from the script tag's data- attributes.
import { boot } from './index.js';
import { D, safe } from './util.js';

safe(() => {
  const script = D.currentScript || D.querySelector('script[data-site]');
  // Read now: the tag is known while the file is evaluated (currentScript), not later.
  const settings = Object.assign({ src: script.src }, script.dataset);
  boot(() => settings);
})();
