// The fenced code blocks of a Markdown text, for the tests that run the README's snippets.

/** { info ('js', 'js no-run', 'html', …), code, line (1-based, of the opening fence) } for each ``` block. */
export function fencedBlocks(markdown) {
  const blocks = [];
  for (const match of markdown.matchAll(/^```([^\n]*)\n([\s\S]*?)^```$/gm)) {
    blocks.push({ info: match[1].trim(), code: match[2], line: markdown.slice(0, match.index).split('\n').length });
  }
  return blocks;
}
