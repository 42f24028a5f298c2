/** The few lines of CSS both demo pages share (inline: nothing is fetched from anywhere). */
export const PAGE_STYLE = `
:root { color-scheme: light dark; --accent: #1d5fbf; --ok: #17703a; --bad: #a4262c; --muted: #5b6470; }
* { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; padding: 1.25rem; max-width: 46rem; margin-inline: auto; }
header p { color: var(--muted); margin-top: 0; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.2rem; margin: 1.5rem 0 .5rem; }
fieldset { border: 1px solid #9aa3ad; border-radius: .5rem; padding: .75rem 1rem; margin: 0 0 1rem; }
legend { font-weight: 600; padding: 0 .25rem; }
label { display: block; font-weight: 600; margin: .5rem 0 .25rem; }
fieldset label { display: inline-flex; align-items: center; gap: .35rem; font-weight: 400; margin: 0 1.25rem .25rem 0; }
input[type=text] { font: inherit; width: 100%; padding: .45rem .6rem; border: 1px solid #7d8792; border-radius: .35rem; }
button { font: inherit; font-weight: 600; padding: .5rem 1.1rem; border-radius: .35rem; border: 1px solid transparent; cursor: pointer; }
button:disabled { opacity: .55; cursor: not-allowed; }
:focus-visible { outline: 3px solid #f5a623; outline-offset: 2px; }
.primary { background: var(--accent); color: #fff; }
.approve { background: var(--ok); color: #fff; }
.deny { background: transparent; color: var(--bad); border-color: var(--bad); }
.hint { color: var(--muted); font-size: .9rem; margin: .25rem 0 0; }
.status { padding: .5rem .75rem; border-radius: .35rem; background: rgba(127,127,127,.12); }
.card { border: 1px solid #9aa3ad; border-radius: .6rem; padding: 1rem 1.1rem; margin: 0 0 1rem; list-style: none; }
.card h3 { margin: 0 0 .5rem; font-size: 1.1rem; }
.binding { font-size: 1.9rem; font-weight: 700; letter-spacing: .04em; margin: .25rem 0 .75rem; padding: .4rem .7rem; border-left: .35rem solid var(--accent); background: rgba(29,95,191,.08); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0 0 .75rem; }
dt { color: var(--muted); }
dd { margin: 0; overflow-wrap: anywhere; }
.actions { display: flex; gap: .75rem; }
ul.plain { padding: 0; margin: 0; }
ol.log { padding-left: 1.4rem; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .9rem; }
pre { background: rgba(127,127,127,.12); padding: .75rem; border-radius: .35rem; overflow-x: auto; font-size: .85rem; }
.error { color: var(--bad); font-weight: 700; }
.success { color: var(--ok); font-weight: 700; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
nav { font-size: .9rem; margin-bottom: 1rem; }
`
