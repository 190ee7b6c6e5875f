// Settings read from the script tag's data- attributes by index.js.
export const config = {
  _site: '',
  _endpoint: '', // where beacons go: data-endpoint, or the script's origin + /beacon
  _release: undefined,
};
