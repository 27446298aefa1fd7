// The portal's pages, once: the nav of every page and the cards of the home page come from
// this list, so adding a page is one entry here and its HTML file.
export const PAGES = [
  ['/check.html', 'Check a change', 'Paste or pick a change request: verdict, what blocks it, missing approvals, the next window.'],
  ['/calendar.html', 'Calendar', 'A month of open windows and blackouts per region or service, in local time, with DST days marked; download as .ics.'],
  ['/train.html', 'Release train', "The week's plan as a Gantt chart; edit a change and replan to see what moves."],
  ['/graph.html', 'Dependency graph', "The service catalog in deployment waves, with each service's tier."],
  ['/archive.html', 'Archive', 'Every recorded decision, its hash chain verified; filter by change and period.'],
  ['/metrics.html', 'Metrics', 'The four delivery measures from the deployment history, per service or team.'],
].map(([href, title, blurb]) => ({ href, title, blurb }));

function link(page) {
  const a = document.createElement('a');
  a.href = page.href;
  a.textContent = page.title;
  if (location.pathname === page.href) a.setAttribute('aria-current', 'page');
  return a;
}

const nav = document.getElementById('nav');
if (nav) {
  const list = document.createElement('ul');
  for (const page of PAGES) {
    const item = document.createElement('li');
    item.append(link(page));
    list.append(item);
  }
  nav.replaceChildren(list);
}
