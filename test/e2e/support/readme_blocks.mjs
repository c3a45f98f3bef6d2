// Code blocks of a markdown file, as the README shows them: the e2e tests run the README's own
// commands, so that the README and the service cannot drift apart.

/** The fenced blocks of language `lang` under the `## heading` section (up to the next `## `). */
export function fencedBlocks(markdown, heading, lang) {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start === -1) throw new Error(`no "## ${heading}" section`);
  const rest = markdown.slice(start + heading.length + 5);
  const end = rest.search(/\n## /);
  const section = end === -1 ? rest : rest.slice(0, end);
  return [...section.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].filter((m) => m[1] === lang).map((m) => m[2]);
}
