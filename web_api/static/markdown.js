// A small, safe Markdown renderer for assistant replies.
//
// Safety comes from the order: the whole text is HTML-escaped FIRST, and only then are the
// Markdown constructs turned into a fixed set of tags; no attribute ever carries text.
// It never makes a link. A reply quotes outsiders' text — lead and contact names from the CRM,
// WhatsApp messages, ad names — and the renderer cannot tell the model's words from a quoted
// `[Срочно: подтвердите оплату](https://evil.example/login)`; so `[label](url)` and bare URLs stay
// literal text (a URL can still be selected and copied). Supported: paragraphs (single newlines
// kept as line breaks), headings, **bold**, *italic*, ~~strike~~, `code`, fenced code, bullet
// (-, *, +, •) and numbered lists with nesting, > quotes, --- rules and GitHub-style tables.

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const FENCE = /^\s*(```|~~~)/;
const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
const RULE = /^\s*([-*_])(?:\s*\1){2,}\s*$/;
const LIST_ITEM = /^(\s*)([-*+•]|\d{1,9}[.)])\s+(.*)$/;
const QUOTE = /^\s*&gt;\s?(.*)$/;
const BLANK = /^\s*$/;
const TABLE_SEP = /^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$/;

export function renderMarkdown(source) {
  const text = String(source ?? "").replace(/\0/g, "").replace(/\r\n?/g, "\n");
  return renderBlocks(escapeHtml(text).split("\n"));
}

function renderBlocks(lines) {
  const out = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (BLANK.test(line)) {
      i += 1;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const body = [];
      i += 1;
      while (i < lines.length && !lines[i].trimStart().startsWith(fence[1])) body.push(lines[i++]);
      i += 1; // the closing fence (or the end of the text while it still streams)
      out.push(`<pre><code>${body.join("\n")}</code></pre>`);
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      // Inside a chat bubble the page's own headings stay above: # → h3 … ### → h5.
      const level = Math.min(heading[1].length + 2, 6);
      out.push(`<h${level}>${inline(heading[2])}</h${level}>`);
      i += 1;
      continue;
    }
    if (RULE.test(line)) {
      out.push("<hr>");
      i += 1;
      continue;
    }
    if (isTableStart(lines, i)) {
      const [html, next] = renderTable(lines, i);
      out.push(html);
      i = next;
      continue;
    }
    if (LIST_ITEM.test(line)) {
      const [html, next] = renderList(lines, i);
      out.push(html);
      i = next;
      continue;
    }
    if (QUOTE.test(line)) {
      const quoted = [];
      while (i < lines.length && QUOTE.test(lines[i])) quoted.push(QUOTE.exec(lines[i++])[1]);
      out.push(`<blockquote>${renderBlocks(quoted)}</blockquote>`);
      continue;
    }
    const para = [line];
    i += 1;
    while (i < lines.length && !BLANK.test(lines[i]) && !startsBlock(lines, i)) para.push(lines[i++]);
    out.push(`<p>${para.map((l) => inline(l.trim())).join("<br>")}</p>`);
  }
  return out.join("");
}

function startsBlock(lines, i) {
  const line = lines[i];
  return FENCE.test(line) || HEADING.test(line) || RULE.test(line) || LIST_ITEM.test(line) || QUOTE.test(line)
    || isTableStart(lines, i);
}

// ── lists ────────────────────────────────────────────────────────────────────────────────────

function renderList(lines, start) {
  const stack = []; // open lists: {type, indent}
  let html = "";
  let i = start;
  while (i < lines.length) {
    const item = LIST_ITEM.exec(lines[i]);
    if (!item) {
      // An indented line continues the current item.
      if (stack.length && /^\s{2,}\S/.test(lines[i]) && !BLANK.test(lines[i])) {
        html += `<br>${inline(lines[i].trim())}`;
        i += 1;
        continue;
      }
      break;
    }
    const indent = item[1].replace(/\t/g, "    ").length;
    const type = /\d/.test(item[2]) ? "ol" : "ul";
    while (stack.length > 1 && indent < stack[stack.length - 1].indent) html += `</li></${stack.pop().type}>`;
    const top = stack[stack.length - 1];
    const open = () => {
      const first = type === "ol" ? parseInt(item[2], 10) : 1;
      stack.push({ type, indent });
      return (type === "ol" && first !== 1 ? `<ol start="${first}">` : `<${type}>`) + "<li>";
    };
    if (!top || indent > top.indent) {
      html += open();
    } else if (top.type !== type) {
      html += `</li></${stack.pop().type}>` + open();
    } else {
      html += "</li><li>";
    }
    html += inline(item[3]);
    i += 1;
  }
  while (stack.length) html += `</li></${stack.pop().type}>`;
  return [html, i];
}

// ── tables ───────────────────────────────────────────────────────────────────────────────────

function isTableStart(lines, i) {
  return lines[i].includes("|") && i + 1 < lines.length && lines[i + 1].includes("|")
    && lines[i + 1].includes("-") && TABLE_SEP.test(lines[i + 1]);
}

function cells(line) {
  let row = line.trim();
  if (row.startsWith("|")) row = row.slice(1);
  if (row.endsWith("|") && !row.endsWith("\\|")) row = row.slice(0, -1);
  return row.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, "|"));
}

function renderTable(lines, start) {
  const head = cells(lines[start]);
  const aligns = cells(lines[start + 1]).map((c) => {
    const left = c.startsWith(":");
    const right = c.endsWith(":");
    if (left && right) return "center";
    if (right) return "right";
    return left ? "left" : "";
  });
  const cell = (tag, content, col) => {
    // A class, not a style attribute: the Content-Security-Policy allows no inline styles.
    const align = aligns[col] ? ` class="align-${aligns[col]}"` : "";
    return `<${tag}${align}>${inline(content)}</${tag}>`;
  };
  let html = `<div class="table-wrap"><table><thead><tr>${head.map((c, k) => cell("th", c, k)).join("")}</tr></thead><tbody>`;
  let i = start + 2;
  while (i < lines.length && lines[i].includes("|") && !BLANK.test(lines[i])) {
    const row = cells(lines[i]);
    html += `<tr>${head.map((_, k) => cell("td", row[k] ?? "", k)).join("")}</tr>`;
    i += 1;
  }
  return [`${html}</tbody></table></div>`, i];
}

// ── inline ───────────────────────────────────────────────────────────────────────────────────

function emphasis(text) {
  return text
    .replace(/\*\*(?=\S)([\s\S]*?\S)\*\*/g, "<strong>$1</strong>")
    .replace(/(^|[^\w])__(?=\S)([\s\S]*?\S)__(?!\w)/g, "$1<strong>$2</strong>")
    .replace(/(^|[^\w*])\*(?=[^\s*])([^*]*?[^\s*])?\*(?![\w*])/g, (m, pre, body) => (body === undefined ? m : `${pre}<em>${body}</em>`))
    .replace(/(^|[^\w])_(?=[^\s_])([^_]*?[^\s_])?_(?!\w)/g, (m, pre, body) => (body === undefined ? m : `${pre}<em>${body}</em>`))
    .replace(/~~(?=\S)([\s\S]*?\S)~~/g, "<del>$1</del>");
}

/** Inline Markdown of one already-escaped line. */
function inline(text) {
  const kept = [];
  const keep = (html) => `\0${kept.push(html) - 1}\0`;
  let s = text.replace(/`([^`]+)`/g, (_, code) => keep(`<code>${code}</code>`));
  // URLs are kept whole and literal: no emphasis inside them (`_` and `*` are common in URLs).
  s = s.replace(/\bhttps?:\/\/[^\s<]+/g, (url) => keep(url));
  s = emphasis(s);
  return s.replace(/\0(\d+)\0/g, (_, n) => kept[Number(n)]);
}
