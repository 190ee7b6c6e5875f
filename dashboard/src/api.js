// The JSON API under /api/v1, read with the signed-in token. The token lives in sessionStorage only:
// it is gone when the tab closes, and no cookie carries it to other requests.

const KEY = "rumhouse-token";

export class AuthError extends Error {}

export function savedToken() {
  return sessionStorage.getItem(KEY) || "";
}

export function saveToken(token) {
  if (token) sessionStorage.setItem(KEY, token);
  else sessionStorage.removeItem(KEY);
}

function url(route, params) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (Array.isArray(v)) v.forEach((one) => query.append(k, one)); // several values: the key repeated
    else if (v !== undefined && v !== null) query.set(k, v);
  }
  return `/api/v1${route}?${query}`;
}

export async function get(token, route, params) {
  const response = await fetch(url(route, params), { headers: { authorization: `Bearer ${token}` } });
  if (response.status === 401) throw new AuthError("the token is not valid (or was revoked)");
  const body = await response.json();
  if (!response.ok) throw new Error(body.message || `HTTP ${response.status}`);
  return body;
}

/** Sends a change (POST, PUT) with a JSON body; the answer's JSON. */
export async function send(token, method, route, params, body) {
  const response = await fetch(url(route, params), {
    method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body),
  });
  if (response.status === 401) throw new AuthError("the token is not valid (or was revoked)");
  if (response.status === 204) return null; // done, nothing to say (an override ended)
  const answer = await response.json();
  if (!response.ok) throw new Error(answer.message || `HTTP ${response.status}`);
  return answer;
}

/** Downloads a table-shaped answer as a file (csv or json), the same bytes the API sends. */
export async function download(token, route, params, format) {
  const response = await fetch(url(route, { ...params, format }), { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`export failed: HTTP ${response.status}`);
  const blob = await response.blob();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `rumhouse-${route.replace(/^\//, "").replace(/\//g, "-")}.${format}`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}
