// Settings: the script tag's data- attributes, or the options of init() in the npm package, as `start`
// (index.js) reads them:
//   _site        data-site
//   _endpoint    where beacons go: data-endpoint, or the script's origin + /beacon
//   _release     data-release
//   _rate        data-sample: the share of page loads measured, sent with every beacon
//   _consent     1: beacons go; 0: held until rumhouse.consent(true) (data-consent="wait"); -1: refused
//   _exclude     data-exclude: the paths whose page views send nothing (a final * for a prefix)
//   _hash        data-routes="hash": the route is in the fragment (#/users/1)
//   _debug       data-debug: every beacon is also written to the console
//   _trace       data-trace-origins: the origins whose fetch/XHR calls carry a traceparent (api.js)
//   _custom      rumhouse.set(): custom dimensions, sent with every beacon
export const config = {};
