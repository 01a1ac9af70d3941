/**
 * Where Graphviz put the labels of a rendered SVG, against the sites' frames:
 * a label is read where the frame's line does not cross it and the frame's
 * title does not cover it. Text boxes are estimated from the text's length and
 * size (Helvetica's average width, 0.55 em), as no font is measured here.
 */
interface Box {
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

const AVERAGE_WIDTH_EM = 0.55;

/** The text as shown: SVG's entities decoded (`&#39;` is one character). */
const decode = (text: string) =>
  text.replace(/&#(\d+);/g, (_m, n: string) => String.fromCodePoint(Number(n))).replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&amp;/g, "&");

/** A text element's estimated box: around x when centred, from its baseline up one size. */
function textBox(attrs: string, text: string): Box | undefined {
  const x = Number(/\bx="([-\d.]+)"/.exec(attrs)?.[1]);
  const y = Number(/\by="([-\d.]+)"/.exec(attrs)?.[1]);
  const size = Number(/font-size="([\d.]+)"/.exec(attrs)?.[1] ?? "14");
  if (!Number.isFinite(x) || !Number.isFinite(y)) return undefined;
  const width = [...text].length * size * AVERAGE_WIDTH_EM;
  const anchor = /text-anchor="(\w+)"/.exec(attrs)?.[1] ?? "start";
  const left = anchor === "middle" ? x - width / 2 : anchor === "end" ? x - width : x;
  return { left, right: left + width, top: y - size * 0.8, bottom: y + size * 0.2 };
}

const overlaps = (a: Box, b: Box) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
const inside = (a: Box, b: Box) => a.left >= b.left && a.right <= b.right && a.top >= b.top && a.bottom <= b.bottom;

/** Every edge label that a site's frame crosses or whose title it overlaps, as `label: what`. */
export function labelCrossings(svg: string): string[] {
  const frames = [...svg.matchAll(/<g id="clust\d+" class="cluster">\s*<title>cluster_([^<]+)<\/title>\s*<path[^>]* d="([^"]+)"\/>\s*<text([^>]*)>([^<]*)<\/text>/g)].map((m) => {
    const numbers = [...(m[2] ?? "").matchAll(/(-?[\d.]+),(-?[\d.]+)/g)].map((p) => [Number(p[1]), Number(p[2])] as const);
    const xs = numbers.map(([x]) => x);
    const ys = numbers.map(([, y]) => y);
    return { name: m[1] ?? "", box: { left: Math.min(...xs), right: Math.max(...xs), top: Math.min(...ys), bottom: Math.max(...ys) }, title: textBox(m[3] ?? "", decode(m[4] ?? "")) };
  });
  const labels = [...svg.matchAll(/<g id="edge\d+" class="edge">([\s\S]*?)<\/g>/g)].flatMap((edge) =>
    [...(edge[1] ?? "").matchAll(/<text([^>]*)>([^<]*)<\/text>/g)].flatMap((t) => {
      const text = decode(t[2] ?? "");
      const box = textBox(t[1] ?? "", text);
      return box === undefined ? [] : [{ text, box }];
    }),
  );
  const found: string[] = [];
  for (const label of labels) {
    for (const frame of frames) {
      if (overlaps(label.box, frame.box) && !inside(label.box, frame.box)) found.push(`${label.text}: crosses the frame of ${frame.name}`);
      if (frame.title !== undefined && overlaps(label.box, frame.title)) found.push(`${label.text}: over the title of ${frame.name}`);
    }
  }
  return found;
}
