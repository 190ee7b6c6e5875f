// The two DOM helpers the panels that build their own markup share (explorer.js, manage.js).

/** An element with its text (a string, never HTML) and attributes. */
export function element(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
}

/** A table: a row is its cells (text or nodes), or { cells, attrs } for a row with attributes of its own. */
export function table(headers, rows, attrs = {}) {
  const out = element("table", undefined, attrs);
  const head = out.createTHead().insertRow();
  for (const h of headers) head.append(element("th", h));
  const body = out.createTBody();
  for (const row of rows) {
    const { cells, attrs: rowAttrs = {} } = Array.isArray(row) ? { cells: row } : row;
    const tr = body.insertRow();
    for (const [key, value] of Object.entries(rowAttrs)) tr.setAttribute(key, value);
    for (const cell of cells) {
      const td = tr.insertCell();
      if (cell instanceof Node) td.append(cell);
      else td.textContent = cell;
    }
  }
  return out;
}
