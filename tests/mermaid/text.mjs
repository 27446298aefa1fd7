// Text as Mermaid holds it and as shipgate writes it, for comparing the two.

/// Text as Mermaid draws it: the entity codes (`#58;`), which Mermaid keeps aside while it
/// parses, become their characters.
export function drawn (text) {
  const named = { quot: '"', amp: '&', lt: '<', gt: '>', nbsp: '\u00a0' }
  return text
    .replace(/ﬂ°°(\d+)¶ß/g, (_, n) => String.fromCodePoint(Number(n)))
    .replace(/ﬂ°(\w+)¶ß/g, (_, name) => named[name] ?? `&${name};`)
}

/// A text on one line, as shipgate writes it into a chart: control characters and JavaScript's
/// line separators become spaces.
export const oneLine = (text) => text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ')
