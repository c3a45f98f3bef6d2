// The dashboard's only stylesheet and script, served by the Worker (no CDN, no framework: the
// script is about 2 KB). Their version in the URL is a hash of the content, so they can be cached
// for a year and still change on deploy.

export const DASHBOARD_CSS = `
:root{--bg:#f6f7f9;--card:#fff;--text:#1a1f2b;--muted:#4b5563;--line:#d9dde3;--accent:#2746c7;--accent-text:#fff;
--green:#0a7a3d;--red:#b3261e;--warn-bg:#fff4e0;--warn:#7a4a00;--danger-bg:#fdecea;
--cat-instances:#2746c7;--cat-storage:#0f8a8a;--cat-model_tokens:#b35c00;--cat-tools:#7b3fb5;--cat-charges:#6b7280}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--text)}
a{color:var(--accent)}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.skip-link{position:absolute;left:-999px;top:0;background:var(--card);padding:.5rem 1rem;z-index:10}
.skip-link:focus{left:.5rem}
.visually-hidden{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.topbar{display:flex;flex-wrap:wrap;gap:.75rem;align-items:center;justify-content:space-between;padding:.75rem 1.25rem;background:var(--card);border-bottom:1px solid var(--line)}
.brand{font-weight:700}.brand-sub{font-weight:400;color:var(--muted)}
.who{color:var(--muted)}
.role{display:inline-block;border:1px solid var(--line);border-radius:999px;padding:0 .5rem;font-size:.8rem;margin-left:.25rem}
main{max-width:72rem;margin:0 auto;padding:1rem}
.page-title{font-size:1.6rem;margin:.5rem 0 1rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:1rem 1.25rem;margin-bottom:1rem}
.card h2{font-size:1.2rem;margin:0 0 .75rem}
.narrow{max-width:28rem;margin:3rem auto}
.columns{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(18rem,100%),1fr));gap:1rem}
.columns>.card{margin-bottom:1rem}
.metrics{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(12rem,100%),1fr));gap:.75rem;margin:0}
.metric{border:1px solid var(--line);border-radius:8px;padding:.75rem}
.metric dt{color:var(--muted);font-size:.9rem}
.metric dd{margin:0;font-size:1.5rem;font-weight:650;font-variant-numeric:tabular-nums}
.metric .unit{font-size:.9rem;font-weight:400;color:var(--muted)}
.metric-warning{background:var(--warn-bg);border-color:#e0b15c}
.metric-warning dd,.warning-text{color:var(--warn)}
.warning-text{font-size:.9rem;font-weight:500}
.metric-danger{background:var(--danger-bg);border-color:#f0a9a3}
.metric-danger dd,.danger-text{color:var(--red)}
.danger-text{font-weight:700}
.metric dd.metric-note{font-size:.85rem;font-weight:500;color:var(--muted)}
.metric-warning dd.metric-note,.metric-danger dd.metric-note{color:inherit}
.burn-split{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(18rem,100%),1fr));gap:.75rem;margin:.75rem 0 0}
.burn-part{border:1px solid var(--line);border-radius:8px;padding:.6rem .75rem}
.burn-part h3{font-size:1rem;margin:0;display:flex;flex-wrap:wrap;justify-content:space-between;gap:0 .75rem}
.burn-part .hint{margin:.15rem 0 .4rem}
.burn-rate{font-variant-numeric:tabular-nums;white-space:nowrap}
.running-list{list-style:none;margin:0;padding:0}
.running-item{display:grid;grid-template-columns:minmax(0,1fr) auto;gap:0 .75rem;border-top:1px dashed var(--line);padding:.3rem 0}
.running-name{font-weight:600}
.running-meta{grid-column:1;color:var(--muted);font-size:.85rem;overflow-wrap:anywhere}
.running-rate{grid-column:2;grid-row:1;font-variant-numeric:tabular-nums;white-space:nowrap}
.running-none{margin:0;color:var(--muted)}
.alert-list{list-style:none;margin:0;padding:0}
.alert-list li{border-top:1px dashed var(--line);padding:.4rem 0;overflow-wrap:anywhere}
.hint{color:var(--muted);font-size:.9rem;margin:.25rem 0 .75rem}
label{display:block;font-weight:600;margin-top:.5rem}
label.choice{font-weight:400;display:flex;gap:.5rem;align-items:center;margin:.35rem 0}
input,select,button{font:inherit}
input[type=text],input[type=password],input:not([type]),input[inputmode],select{border:1px solid #8a919c;border-radius:6px;padding:.45rem .6rem;background:#fff;color:var(--text);min-height:2.5rem}
input[aria-invalid=true]{border-color:var(--red);box-shadow:0 0 0 1px var(--red)}
.money-input{display:flex;align-items:center;gap:.35rem}
.money-input input{width:10rem}
fieldset{border:1px solid var(--line);border-radius:8px;margin:.75rem 0;padding:.5rem .75rem}
legend{font-weight:600;padding:0 .25rem}
button,.button{display:inline-block;background:var(--accent);color:var(--accent-text);border:0;border-radius:6px;padding:.55rem 1rem;min-height:2.5rem;cursor:pointer;text-decoration:none;font-weight:600}
.button-link{background:none;color:var(--accent);padding:.25rem .5rem;text-decoration:underline;font-weight:400;min-height:auto}
button.secondary{background:none;color:var(--accent);border:1px solid var(--accent)}
.inline-form{display:inline}
.alert-row{display:flex;flex-wrap:wrap;gap:.4rem;margin:.35rem 0}
.alert-row select{flex:1 1 12rem;min-width:0}
.alert-row input{flex:1 1 6rem;min-width:0;width:6rem}
.plain-list{list-style:none;margin:0;padding:0}
.field-error{color:var(--red);font-weight:600;margin:.25rem 0 .5rem}
.notice{border-radius:8px;padding:.6rem .9rem;background:#e8eefc;border:1px solid #b8c6f3}
.notice-success{background:#e6f4ea;border-color:#9bd0ab}
.notice-error{background:var(--danger-bg);border-color:#f0a9a3}
.banner{border-radius:10px;padding:1rem 1.25rem;margin-bottom:1rem}
.banner h2{margin:0 0 .25rem;font-size:1.15rem}
.banner-danger{background:var(--danger-bg);border:1px solid #f0a9a3}
.settings{margin:0}.settings div{display:flex;justify-content:space-between;gap:1rem;border-bottom:1px solid var(--line);padding:.35rem 0}
.settings dt{color:var(--muted)}.settings dd{margin:0;font-weight:600}
.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;margin-bottom:.75rem}
.filters label{margin:0}
.table-scroll{overflow-x:auto}
.button-secondary{background:var(--card);color:var(--accent);border:1px solid var(--accent)}
.section-head .button{margin-bottom:.75rem}
.cell-description{overflow-wrap:break-word}
.tx-lines{margin-top:.25rem;font-size:.9rem;font-weight:400}
.tx-lines summary{cursor:pointer;color:var(--accent)}
.tx-lines ul{list-style:none;margin:.25rem 0 0;padding:0}
.tx-lines li{display:flex;flex-wrap:wrap;gap:0 .75rem;justify-content:space-between;border-top:1px dashed var(--line);padding:.2rem 0}
.tx-lines .line-description{flex:1 1 10rem}
.tx-lines .line-quantity{color:var(--muted)}
.tx-lines .line-amount{font-variant-numeric:tabular-nums;white-space:nowrap}
@media (min-width:40rem){.history-scroll{overflow-x:auto}}
@media (max-width:39.99rem){
.filters{display:grid;grid-template-columns:auto minmax(0,1fr);align-items:center}
.filters select{width:100%}
.filters button{grid-column:1/-1;justify-self:start}
.transactions,.transactions tbody{display:block}
.transactions thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
.transactions tr{display:grid;grid-template-columns:minmax(0,1fr) auto;grid-template-areas:"desc amount" "date date" "status invoice";gap:.2rem .75rem;align-items:baseline;border:1px solid var(--line);border-radius:8px;padding:.6rem .75rem;margin-bottom:.5rem}
.transactions td{display:block;border:0;padding:0;min-width:0}
.transactions td.empty{grid-column:1/-1;text-align:left}
.transactions .cell-description{grid-area:desc;font-weight:600}
.transactions .cell-description .tx-type{font-weight:400}
.transactions .cell-amount{grid-area:amount}
.transactions .cell-date{grid-area:date;color:var(--muted);font-size:.85rem}
.transactions .cell-status{grid-area:status}
.transactions .cell-invoice{grid-area:invoice;text-align:right}
.transactions .cell-invoice-none{display:none}
.usage-table,.usage-table tbody,.usage-table tfoot{display:block}
.usage-table thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
.usage-table tr{display:grid;grid-template-columns:minmax(0,1fr) auto;gap:.1rem .75rem;border:1px solid var(--line);border-radius:8px;padding:.5rem .75rem;margin-bottom:.5rem}
.usage-table th,.usage-table td{display:block;border:0;padding:0;min-width:0;text-align:left}
.usage-table .cell-name{grid-column:1;grid-row:1;font-weight:600;color:var(--text);font-size:1rem}
.usage-table .cell-total{grid-column:2;grid-row:1;text-align:right;font-weight:600}
.usage-table td[data-label]:not(.cell-total){grid-column:1/-1;color:var(--muted);font-size:.9rem;text-align:left}
.usage-table td[data-label]:not(.cell-total)::before{content:attr(data-label) ": "}
.usage-table td.empty{grid-column:1/-1}
.usage-table tfoot tr{border-width:2px;border-color:#8a919c}
.limits-table,.limits-table tbody{display:block}
.limits-table thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
.limits-table tr{display:grid;grid-template-columns:minmax(0,1fr);gap:.25rem;border:1px solid var(--line);border-radius:8px;padding:.6rem .75rem;margin-bottom:.5rem}
.limits-table th,.limits-table td{display:block;border:0;padding:0;min-width:0}
.limits-table td[data-label]::before{content:attr(data-label) ": ";color:var(--muted)}
.limits-table .inline-form{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center}
}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{text-align:left;padding:.5rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
thead th{font-size:.85rem;color:var(--muted);font-weight:600}
.amount,.num{text-align:right;white-space:nowrap}
.usage-table .cell-name{overflow-wrap:normal;word-break:normal;hyphens:none}
.usage-table tfoot th,.usage-table tfoot td{font-weight:700}
.usage-table .cell-name .tx-type{font-weight:400}
@media (min-width:40rem){.usage-table tfoot th,.usage-table tfoot td{border-top:2px solid #8a919c}}
.legend-total{font-weight:600}
.amount-in{color:var(--green);font-weight:600}.amount-void{color:var(--muted)}.amount-out{color:var(--red);font-weight:600}
.amount-pending{color:var(--muted);font-style:italic}
.amount-note{display:block;font-size:.75rem;font-style:normal;font-weight:400;color:var(--muted)}
.row-action{display:inline;margin-left:.25rem}.row-action button{font-size:.85rem}
.tx-type{display:block;color:var(--muted);font-size:.8rem}
.empty{color:var(--muted);text-align:center}
.badge{display:inline-block;border-radius:999px;padding:.05rem .6rem;font-size:.85rem;font-weight:600;border:1px solid}
.badge-default{background:#e8eefc;color:#1d3594;border-color:#b8c6f3}
.saved-cards{list-style:none;padding:0;margin:0 0 1rem}
.saved-card{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem;padding:.5rem 0;border-bottom:1px solid var(--line)}
.card-actions{margin-left:auto;display:flex;gap:.25rem}
.card-actions form{margin:0}
.badge-completed{background:#e6f4ea;color:#0b5c2e;border-color:#9bd0ab}
.badge-pending{background:var(--warn-bg);color:var(--warn);border-color:#e0b15c}
.badge-failed{background:var(--danger-bg);color:#8c1d18;border-color:#f0a9a3}
.badge-accumulating{background:#e8eefc;color:#1d3594;border-color:#b8c6f3}
.pager{display:flex;gap:1rem;justify-content:flex-end;margin-top:.5rem}
.section-head{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:center;gap:.5rem}
.tabs{display:flex;gap:.25rem}
.tab{padding:.3rem .75rem;border:1px solid var(--line);border-radius:999px;text-decoration:none}
.tab-current{background:var(--accent);color:var(--accent-text);border-color:var(--accent)}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(18rem,100%),1fr));gap:1rem}
.chart{margin:0}.chart figcaption{font-weight:600;margin-bottom:.25rem}
.chart svg{width:100%;height:auto;border:1px solid var(--line);border-radius:8px;background:#fff}
.chart svg{max-width:42rem}
.chart .axis{font-size:12px;fill:var(--muted)}
.chart .axis-name{font-style:italic}
.chart .baseline{stroke:#8a919c}
.chart .gridline{stroke:var(--line);stroke-dasharray:2 3}
.chart .open-band{fill:#fff4e0}
.chart .open-label{fill:var(--warn);font-weight:600}
.chart .value-label{font-size:13px;font-weight:700;fill:var(--text)}
.chart .value-open{fill:var(--warn)}
.balance-line{fill:none;stroke:var(--accent);stroke-width:2}
.balance-area{fill:var(--accent);fill-opacity:.08}
.balance-open{fill:none;stroke:var(--warn);stroke-width:2;stroke-dasharray:4 3}
.balance-dot{fill:var(--accent)}
.balance-now{fill:var(--warn);stroke:#fff;stroke-width:1.5}
.open-usage{fill:#f3b34c;fill-opacity:.45;stroke:#b35c00;stroke-width:1;stroke-dasharray:3 2}
.swatch.open-usage{background:repeating-linear-gradient(45deg,#f3b34c 0 3px,#fff4e0 3px 6px);border:1px dashed #b35c00}
.swatch.swatch-line{background:var(--accent);height:3px;vertical-align:3px}
.swatch.swatch-dashed{background:repeating-linear-gradient(90deg,var(--warn) 0 4px,transparent 4px 7px);height:3px;vertical-align:3px}
.cat-instances{fill:var(--cat-instances);background:var(--cat-instances)}
.cat-storage{fill:var(--cat-storage);background:var(--cat-storage)}
.cat-model_tokens{fill:var(--cat-model_tokens);background:var(--cat-model_tokens)}
.cat-tools{fill:var(--cat-tools);background:var(--cat-tools)}
.cat-charges{fill:var(--cat-charges);background:var(--cat-charges)}
.legend{list-style:none;padding:0;margin:.5rem 0 0;display:flex;flex-wrap:wrap;gap:.25rem 1rem;font-size:.9rem}
.swatch{display:inline-block;width:.8rem;height:.8rem;border-radius:2px;margin-right:.35rem;vertical-align:-1px}
@media (max-width:40rem){main{padding:.5rem}.card{padding:.75rem}.metric dd{font-size:1.25rem}th,td{padding:.4rem}}
/* A chart is drawn 360 units wide and scaled to its box: on a phone (about 330 px) its labels are
   set larger so that they still read at 12 px or more. */
@media (max-width:39.99rem){.chart .axis{font-size:13px}.chart .value-label{font-size:14px}}
`;

// Live updates: while a payment is pending the page asks every 1.5 s for its live regions (the
// payment notice, balance, history, the saved card) (rendered by the server, the same markup as the page), otherwise every 15 s. Without
// script the page still works; it just does not update itself.
export const DASHBOARD_JS = `(() => {
  const root = document.querySelector('[data-live-url]');
  if (!root) return;
  const announcer = document.getElementById('live-status');
  // The FNV-1a of the server (dashboard_assets.ts): a region changes only when its markup does.
  const hash = (text) => { let h = 0x811c9dc5; for (let i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0; } return h.toString(36); };
  const statuses = () => new Map([...document.querySelectorAll('tr[data-transaction-id]')].map((r) => [r.dataset.transactionId, r.dataset.status]));
  const delay = () => (root.dataset.pending === 'true' ? 1500 : 15000);
  const tick = async () => {
    try {
      const res = await fetch(root.dataset.liveUrl, { credentials: 'same-origin', headers: { accept: 'application/json' } });
      if (res.status === 401) return location.reload();
      if (res.ok) {
        const data = await res.json();
        const before = statuses();
        for (const [id, markup] of Object.entries(data.regions)) {
          const el = document.getElementById(id);
          const next = hash(markup);
          if (el && el.dataset.liveHash !== next) {
            // Lines a person opened stay open when the history is swapped.
            const open = [...el.querySelectorAll('details[data-details-for][open]')].map((d) => d.dataset.detailsFor);
            el.innerHTML = markup;
            for (const id of open) el.querySelector('details[data-details-for="' + id + '"]')?.setAttribute('open', '');
            el.dataset.liveHash = next;
          }
        }
        // Screen readers hear when a payment settles, not every refresh.
        const changed = [...statuses()].filter(([id, status]) => before.has(id) && before.get(id) !== status);
        if (announcer && changed.length) announcer.textContent = changed.map(([id, status]) => document.querySelector('tr[data-transaction-id="' + id + '"] td:nth-child(2)').firstChild.textContent + ': ' + status).join('. ');
        root.dataset.pending = String(data.pending);
      }
    } catch (_) { /* offline for a moment: try again later */ }
    setTimeout(tick, delay());
  };
  setTimeout(tick, delay());
})();
`;

/** FNV-1a of a string's UTF-16 units, base 36: the asset version, and the live regions' hashes (app.js computes the same). */
export function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(36);
}

export const ASSET_VERSION = fnv1a(DASHBOARD_CSS + DASHBOARD_JS);
