// The npm package's IIFE: window.rumhouseInit(options), for pages that load the file themselves.
import { init } from './npm.js';
import { W } from './util.js';

W.rumhouseInit = init;
