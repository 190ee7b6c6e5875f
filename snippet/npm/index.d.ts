// Types of @rumhouse/rum (docs/snippet.md). The settings are the script tag's data- attributes.

export interface Options {
  /** The site key (required). */
  site: string;
  /** Where beacons go: your rumhouse server's /beacon URL (required here: there is no script URL to derive it from). */
  endpoint: string;
  /** The site's release (version, commit), stored with every row; at most 64 characters. */
  release?: string;
  /** Seconds between periodic beacons (default 30, at least 1). */
  flush?: number;
  /** Share of page loads measured, 0 to 1 (default 1); sent, so that counts can be weighted. */
  sample?: number;
  /** "wait": nothing is sent before rumhouse.consent(true). */
  consent?: 'wait';
  /** Paths whose page views send nothing, comma-separated; a final * matches a prefix ("/admin/*, /internal"). */
  exclude?: string;
  /** "hash": routes live in the fragment (#/users/1) and each is a page view. */
  routes?: 'hash';
  /** Write every beacon to the console. */
  debug?: boolean;
}

/** A value as the beacon carries it (docs/beacon.md, the `vital` event). */
export interface VitalReport {
  k: 'vital';
  /** The metric. */
  n: 'LCP' | 'INP' | 'CLS' | 'FCP' | 'TTFB' | 'TTI' | 'TBT';
  /** ms, or unitless for CLS. */
  v: number;
  /** 1: CLS or INP at a hide, may still change; 2: their final value after such reports; absent: final. */
  r?: 1 | 2;
  /** The element behind the value (a selector as web-vitals writes it). */
  a?: string;
  /** INP: the event type (click, keydown, ...). */
  e?: string;
  /** The document's loading state then. */
  l?: 'loading' | 'dom-interactive' | 'dom-content-loaded' | 'complete';
  /** The parts of the value: LCP [ttfb, load delay, load duration, render delay]; INP [input delay, processing, presentation]; CLS [largest shift's score, its time]; FCP [ttfb]. */
  p?: number[];
  /** LCP: the image's URL. */
  u?: string;
  /** INP: the longest script [source URL, function, invoker, ms]. */
  s?: [string, string, string, number];
}

export interface Rumhouse {
  /** A custom measure: a name (64), a finite number within ±1e12, up to 10 string tags. */
  measure(name: string, value: number, tags?: Record<string, string>): void;
  /** Names the kind of page of the current page view ("product", "checkout"). */
  label(name: string): void;
  /** A custom dimension for this and later beacons (at most 10); null removes it. */
  set(key: string, value: string | number | boolean | null): void;
  /** Reports an error the page caught itself. */
  error(error: unknown): void;
  /** Called with every value the snippet reports. */
  onVital(callback: (report: VitalReport) => void): void;
  /** With consent: 'wait', sends what waited (true) or drops it and sends nothing (false). */
  consent(given: boolean): void;
}

/** Starts measuring (once per page) and returns the page API, also window.rumhouse. */
export function init(options: Options): Rumhouse;
